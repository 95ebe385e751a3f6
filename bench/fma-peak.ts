// The machine's fused multiply-add peak, measured as it is right now: a wasm loop of 12
// independent f32x4.relaxed_madd chains that touches no memory. On this shared machine the rate a
// core delivers moves by up to 2× within milliseconds (work from outside the VM on the same
// physical core, or clock changes), and our matmul's GFLOP/s moves with it; timing this loop
// interleaved with the matmul contenders tells a slow machine from a slow kernel
// (bench/RESULTS.md, "Where the targets stand" and "Matmul on its own").
//
// The module is written out byte by byte rather than compiled from AssemblyScript: it is ~200
// bytes, and the benchmark should not need a second wasm build.

/** Independent accumulator chains: FMA latency (4 cycles) × 2 FMA ports, plus room. */
const CHAINS = 12;
/** Float operations per loop iteration: CHAINS × 4 lanes × (multiply + add). */
export const FLOPS_PER_ITERATION = CHAINS * 4 * 2;

/** Iterations for about as many float operations as `flops` (a product's 2·m·k·n), at least one. */
export function iterationsFor(flops: number): number {
  return Math.max(1, Math.round(flops / FLOPS_PER_ITERATION));
}

const uleb = (n: number): number[] => {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n) byte |= 0x80;
    out.push(byte);
  } while (n);
  return out;
};
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
const simd = (op: number): number[] => [0xfd, ...uleb(op)];
const f32x4Splat = (x: number): number[] => {
  const lanes = new Uint8Array(new Float32Array([x, x, x, x]).buffer);
  return [...simd(0x0c /* v128.const */), ...lanes];
};

const I32 = 0x7f, F32 = 0x7d, V128 = 0x7b;
const LOCAL_GET = 0x20, LOCAL_SET = 0x21;
const F32X4_ADD = 0xe4, F32X4_EXTRACT_LANE = 0x1f, F32X4_RELAXED_MADD = 0x105;

/** `peak(iterations: i32) → f32`: local 0 counts down; locals 1…12 the chains, 13 the addend, 14 the factor. */
function moduleBytes(): Uint8Array<ArrayBuffer> {
  const addend = CHAINS + 1, factor = CHAINS + 2;
  const body: number[] = [1, CHAINS + 2, V128]; // one run of locals: 14 × v128
  // c ← c·0.5 + 1 converges to 2: no overflow, no subnormals, whatever the count.
  for (let i = 1; i <= CHAINS; i++) body.push(...f32x4Splat(i), LOCAL_SET, i);
  body.push(...f32x4Splat(1), LOCAL_SET, addend, ...f32x4Splat(0.5), LOCAL_SET, factor);
  body.push(0x02, 0x40, 0x03, 0x40); // block, loop
  body.push(LOCAL_GET, 0, 0x45 /* i32.eqz */, 0x0d, 1 /* br_if block */);
  for (let i = 1; i <= CHAINS; i++) {
    body.push(LOCAL_GET, i, LOCAL_GET, factor, LOCAL_GET, addend, ...simd(F32X4_RELAXED_MADD), LOCAL_SET, i);
  }
  body.push(LOCAL_GET, 0, 0x41, 1 /* i32.const 1 */, 0x6b /* i32.sub */, LOCAL_SET, 0);
  body.push(0x0c, 0 /* br loop */, 0x0b, 0x0b); // end loop, end block
  // Return a lane of the sum so the chains are live.
  body.push(LOCAL_GET, 1);
  for (let i = 2; i <= CHAINS; i++) body.push(LOCAL_GET, i, ...simd(F32X4_ADD));
  body.push(...simd(F32X4_EXTRACT_LANE), 0, 0x0b);

  const name = [...new TextEncoder().encode('peak')];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [1, 0x60, 1, I32, 1, F32]), // type 0: (i32) → f32
    ...section(3, [1, 0]), // function 0 has type 0
    ...section(7, [1, name.length, ...name, 0x00, 0]), // export "peak" = function 0
    ...section(10, [1, ...uleb(body.length), ...body]),
  ]);
}

/** The contender's name in the matmul cases (the GFLOP/s targets quote it), and what it times. */
export const FMA_PEAK = 'machine FMA peak';
export const FMA_PEAK_DOES = `no memory: ${CHAINS} independent f32x4.relaxed_madd chains, as many flops as the product — what the core delivers during these rounds`;

export interface FmaPeak {
  /** Runs the loop for `iterations` (FLOPS_PER_ITERATION each); returns its result (≈ 2). */
  run(iterations: number): number;
}

/** The loop, or null where relaxed SIMD does not validate (Node 20 without the flag). */
export function fmaPeak(): FmaPeak | null {
  const bytes = moduleBytes();
  if (!WebAssembly.validate(bytes)) return null;
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes));
  const peak = instance.exports.peak as (iterations: number) => number;
  return { run: (iterations) => peak(iterations) };
}
