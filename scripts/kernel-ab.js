// A/B timing of one kernel export in two builds of the wasm module, interleaved in one process and
// timed in process CPU time, for comparing a kernel change against the code before it on a shared
// machine (where absolute times drift with the load but the ratio B/A holds):
//
//   git stash && npm run build:wasm && cp build/softmax-wasm.simd.wasm /tmp/A.wasm && git stash pop
//   npm run build:wasm && node scripts/run-node.js scripts/kernel-ab.js /tmp/A.wasm build/softmax-wasm.simd.wasm \
//     softmaxRows '[[32,10],[128,1000],[64,4096],[1024,4096]]'
//
// Kernels: softmaxRows, logSoftmaxRows, logSumExpRows (x, out, rows, cols, 1/T = 1; out has room
// for rows × cols floats, logSumExpRows writes the first rows), crossEntropyIndexRows and
// crossEntropyProbRows (mean, with gradient; targets class indices, or each row's softmax of other
// numbers; an optional fifth argument is the label smoothing, default 0, and a sixth, `weights`,
// gives class weights in [0.5, 2)); the elementwise sigmoid and tanh (activationForward over the
// rows × cols floats), and binaryCrossEntropy (binaryCrossEntropyWithLogits, mean, with gradient,
// every third target 1 and the others 0), and softmaxBackwardRows (y each row's softmax of other
// numbers, as the probability targets; dy the logits). The relaxed-SIMD build needs a flag on Node 20, which
// `node scripts/run-node.js scripts/kernel-ab.js …` adds. Prints ns per element (min and median
// of the interleaved samples) and B/A of the medians.
//
// gemm (the matmul export) takes shapes [[m, k, n], …] instead, and --trans=NN|NT|TN|TT picks op(A)
// and op(B) (default NN); it prints GFLOP/s of the fastest and the median sample, and B/A of the
// median times. --samples=N sets the number of interleaved samples per build (default 30).
//
// The logits are sin(i·12.9898)·5 (rows spanning about 10: the narrow exp). Options anywhere on the
// line: --span=S spreads them over S instead (S ≥ 32, or ≥ 8 with a temperature, takes the exact
// exp), and --inv-temperature=s passes 1/T = s to softmaxRows, logSoftmaxRows and logSumExpRows.
import { existsSync, readFileSync } from 'node:fs';

const option = (name) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
const span = option('span') === undefined ? null : Number(option('span'));
const invTemperature = Number(option('inv-temperature') ?? 1);
const sampleCount = Number(option('samples') ?? 30);
const transposes = option('trans') ?? 'NN';
const positional = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const [fileA, fileB, kernel = 'softmaxRows', shapesArg, labelSmoothingArg = '0', weightsArg] = positional;
const labelSmoothing = Number(labelSmoothingArg);
if (!fileA || !fileB || (weightsArg !== undefined && weightsArg !== 'weights') || !/^[NT]{2}$/.test(transposes) || !(sampleCount >= 1)) usage();
function usage(problem) {
  if (problem) console.error(`kernel-ab: ${problem}`);
  // run-node.js: Node 20 compiles the relaxed-SIMD build only with its flag.
  console.error('usage: node scripts/run-node.js scripts/kernel-ab.js A.wasm B.wasm [kernel] [shapes as JSON [[rows, cols], …]] [label smoothing] [weights] [--span=S] [--inv-temperature=s] [--samples=N]');
  console.error('       node scripts/run-node.js scripts/kernel-ab.js A.wasm B.wasm gemm [shapes as JSON [[m, k, n], …]] [--trans=NN|NT|TN|TT] [--samples=N]');
  process.exit(1);
}
if ((span !== null && !(span >= 0)) || !Number.isFinite(invTemperature) || !Number.isFinite(labelSmoothing)) usage('--span, --inv-temperature and label smoothing take numbers');
const defaultShapes = kernel === 'gemm' ? [[256, 256, 256], [512, 512, 512]] : [[32, 10], [128, 1000], [64, 4096], [1024, 4096]];
let shapes = defaultShapes;
try {
  if (shapesArg) shapes = JSON.parse(shapesArg);
} catch (error) {
  usage(`the shapes are not JSON (${error.message}): write them as '[[32,10],[128,1000]]'`);
}
const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

async function load(file) {
  if (!existsSync(file)) usage(`${file} does not exist`);
  const { instance } = await WebAssembly.instantiate(readFileSync(file), {
    env: { abort() { throw new Error(`${file}: wasm abort`); } },
  });
  return instance.exports;
}

// Sorted samples' fastest and median.
function summary(samples) {
  const sorted = [...samples].sort((p, q) => p - q);
  return { min: sorted[0], median: sorted[sorted.length >> 1] };
}

// Times call(0) and call(1) in turn, `inner` calls per sample, alternating which build goes first;
// returns each build's samples in ms per call.
function interleaved(call, inner) {
  for (let k = 0; k < 2; k++) for (let i = 0; i < 3 * inner; i++) call(k);
  const samples = [[], []];
  for (let rep = 0; rep < sampleCount; rep++) {
    for (const k of rep % 2 ? [1, 0] : [0, 1]) {
      const t0 = cpuMs();
      for (let i = 0; i < inner; i++) call(k);
      samples[k].push((cpuMs() - t0) / inner);
    }
  }
  return samples;
}

// C = op(A)·op(B), resident in each build's memory, no bias, no accumulation.
function gemmAB(builds, [m, k, n]) {
  const [transA, transB] = [transposes[0] === 'T', transposes[1] === 'T'];
  const pointers = builds.map((w) => {
    const pa = w.alloc(m * k * 4), pb = w.alloc(k * n * 4), pc = w.alloc(m * n * 4);
    const scratch = w.alloc(w.gemmScratchLength(m, k, n) * 4);
    const a = new Float32Array(w.memory.buffer, pa, m * k), b = new Float32Array(w.memory.buffer, pb, k * n);
    for (let i = 0; i < a.length; i++) a[i] = Math.sin(i * 12.9898);
    for (let i = 0; i < b.length; i++) b[i] = Math.cos(i * 78.233);
    return { pa, pb, pc, scratch };
  });
  const call = (i) => {
    const { pa, pb, pc, scratch } = pointers[i];
    builds[i].gemm(pa, pb, pc, m, k, n, transA, transB, 1, false, 0, scratch);
  };
  const samples = interleaved(call, Math.max(1, Math.round(2e8 / (2 * m * k * n))));
  const gflops = (ms) => ((2 * m * k * n) / ms / 1e6).toFixed(1);
  const [a, b] = samples.map(summary);
  console.log(
    `gemm ${transposes} ${m}×${k}×${n}`.padEnd(26),
    `A best ${gflops(a.min)} median ${gflops(a.median)} | B best ${gflops(b.min)} median ${gflops(b.median)} GFLOP/s | B/A time ${(b.median / a.median).toFixed(3)}`,
  );
}

const builds = [await load(fileA), await load(fileB)];
const modes = ['gemm', 'crossEntropyIndexRows', 'crossEntropyProbRows', 'softmaxBackwardRows', 'sigmoid', 'tanh', 'binaryCrossEntropy'];
if (!modes.includes(kernel) && builds.some((m) => typeof m[kernel] !== 'function')) {
  usage(`'${kernel}' is neither an export of both builds nor one of ${modes.join(', ')}`);
}
if (kernel === 'gemm') {
  for (const shape of shapes) gemmAB(builds, shape);
  process.exit(0);
}
for (const [rows, cols] of shapes) {
  const n = rows * cols;
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = span === null ? Math.sin(i * 12.9898) * 5 : (Math.sin(i * 12.9898) * 0.5 + 0.5) * span - 20;
  // Same data at the same kind of place in each build's memory.
  const pointers = builds.map((m) => {
    // softmaxBackwardRows takes its y (each row's softmax) where the probability targets go.
    const probs = kernel === 'crossEntropyProbRows' || kernel === 'softmaxBackwardRows', binary = kernel === 'binaryCrossEntropy';
    const px = m.alloc(n * 4), pout = m.alloc(n * 4), ptargets = m.alloc((probs || binary ? n : rows) * 4);
    const pweight = weightsArg ? m.alloc(cols * 4) : 0;
    new Float32Array(m.memory.buffer, px, n).set(x);
    if (pweight) new Float32Array(m.memory.buffer, pweight, cols).set(Float32Array.from({ length: cols }, (_, j) => 0.5 + (1.5 * j) / cols));
    if (binary) {
      const targets = new Float32Array(m.memory.buffer, ptargets, n);
      for (let i = 0; i < n; i++) targets[i] = i % 3 === 0 ? 1 : 0;
    } else if (probs) {
      const targets = new Float32Array(m.memory.buffer, ptargets, n);
      for (let r = 0; r < rows; r++) {
        let sum = 0;
        for (let j = 0; j < cols; j++) sum += targets[r * cols + j] = Math.exp(Math.cos(r * cols + j));
        for (let j = 0; j < cols; j++) targets[r * cols + j] /= sum;
      }
    } else {
      const targets = new Int32Array(m.memory.buffer, ptargets, rows);
      for (let r = 0; r < rows; r++) targets[r] = (r * 7) % cols;
    }
    return { px, pout, ptargets, pweight };
  });
  // Builds from 2026-12-07 evening on take 1/T's float32 rounding error after 1/T; an older build
  // (fewer parameters) is called without it.
  const tail = (fn, oldArity, value) => (fn.length > oldArity ? [value] : []);
  const invTail = invTemperature - Math.fround(invTemperature);
  const call = (k) => {
    const m = builds[k], { px, pout, ptargets, pweight } = pointers[k];
    if (kernel === 'crossEntropyIndexRows') {
      m.crossEntropyIndexRows(px, ptargets, rows, cols, pweight, -100, labelSmoothing, 0, 1, ...tail(m.crossEntropyIndexRows, 13, 0), 1 / rows, pout, 0, 0);
    } else if (kernel === 'crossEntropyProbRows') {
      m.crossEntropyProbRows(px, ptargets, rows, cols, pweight, labelSmoothing, 0, 1, ...tail(m.crossEntropyProbRows, 12, 0), 1 / rows, pout, 0, 0);
    } else if (kernel === 'sigmoid' || kernel === 'tanh') m.activationForward(kernel === 'sigmoid' ? 0 : 1, px, pout, n);
    else if (kernel === 'binaryCrossEntropy') m.binaryCrossEntropyWithLogits(px, ptargets, n, 1 / n, pout, 0);
    else if (kernel === 'softmaxBackwardRows') m.softmaxBackwardRows(ptargets, px, pout, rows, cols); // y, dy = x, dx
    else m[kernel](px, pout, rows, cols, invTemperature, ...tail(m[kernel], 5, invTail));
  };
  const [a, b] = interleaved(call, Math.max(1, Math.round(4e5 / (n + 100))))
    .map((s) => summary(s.map((ms) => (ms * 1e6) / n)));
  console.log(
    `${kernel} ${rows}×${cols}`.padEnd(34),
    `A min ${a.min.toFixed(3)} median ${a.median.toFixed(3)} | B min ${b.min.toFixed(3)} median ${b.median.toFixed(3)} ns/element | B/A ${(b.median / a.median).toFixed(3)}`,
  );
}
