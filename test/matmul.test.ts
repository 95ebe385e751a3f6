// matmul on every backend: wasm vs the f64 oracle for all four transpose combinations on every
// small shape, on tails of every tile and block dimension, on large shapes, with alpha, bias and
// accumulate; a property over random shapes; subarray and Tensor inputs; argument validation.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Api, MatmulOptions } from '../src/index.js';
import { WasmBackend } from '../src/wasm/backend.js';
import { backend, kinds, oracle, wasmKinds } from './backends.js';
import { uniform } from './util.js';

// Error bound. Each entry of C is a float32 dot product of length k accumulated in sequence (one
// accumulator lane per entry, also across k blocks), then scaled by alpha and added to the bias and
// to C: k + 3 roundings of at most u = 2^-24 relative each, so by the standard bound (Higham,
// Accuracy and Stability of Numerical Algorithms, §3.1) |ĉ − c| ≤ γ_{k+3}·S with
// S = |alpha|·Σ_p |a_ip||b_pj| + |bias_j| + |c_ij| and γ_n = n·u/(1 − n·u). The oracle's f64 result
// is rounded once more to float32 (≤ u·|c|). The test allows (k + 4)·u·S·1.01 + u·|oracle|.
const U = 2 ** -24;

interface Case {
  m: number; k: number; n: number; transA: boolean; transB: boolean;
  alpha?: number; bias?: boolean; accumulate?: boolean; seed: number;
}

function operands(c: Case) {
  const a = uniform(c.m * c.k, -1, 1, c.seed);
  const b = uniform(c.k * c.n, -1, 1, c.seed + 1);
  const bias = c.bias ? uniform(c.n, -1, 1, c.seed + 2) : undefined;
  const out = c.accumulate ? uniform(c.m * c.n, -1, 1, c.seed + 3) : undefined;
  return { a, b, bias, out };
}

/** S for every entry of C (see above), in f64. */
function errorScale(c: Case, a: Float32Array, b: Float32Array, bias?: Float32Array, out?: Float32Array): Float64Array {
  const { m, k, n } = c;
  const s = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let p = 0; p < k; p++) {
        sum += Math.abs(c.transA ? a[p * m + i] : a[i * k + p]) * Math.abs(c.transB ? b[j * k + p] : b[p * n + j]);
      }
      s[i * n + j] = Math.abs(c.alpha ?? 1) * sum + (bias ? Math.abs(bias[j]) : 0) + (out ? Math.abs(out[i * n + j]) : 0);
    }
  }
  return s;
}

function expectWithinBound(actual: Float32Array, expected: Float32Array, scale: Float64Array, k: number, what: string): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < actual.length; i++) {
    const bound = (k + 4) * U * scale[i] * 1.01 + U * Math.abs(expected[i]);
    const error = Math.abs(actual[i] - expected[i]);
    if (!(error <= bound)) {
      expect.fail(`${what}: entry ${i}: got ${actual[i]}, oracle ${expected[i]}, |error| ${error} > bound ${bound}`);
    }
  }
}

function run(api: Api, c: Case, data = operands(c)): Float32Array {
  const options: MatmulOptions & { out?: Float32Array } = { transA: c.transA, transB: c.transB };
  if (c.alpha !== undefined) options.alpha = c.alpha;
  if (data.bias) options.bias = data.bias;
  if (data.out) {
    options.out = data.out.slice();
    options.accumulate = true;
  }
  return api.matmul(data.a, data.b, c.m, c.k, c.n, options);
}

function check(api: Api, ref: Api, c: Case): void {
  const data = operands(c);
  const expected = run(ref, c, data);
  const actual = run(api, c, data);
  const what = `m=${c.m} k=${c.k} n=${c.n} transA=${c.transA} transB=${c.transB} alpha=${c.alpha} bias=${!!c.bias} accumulate=${!!c.accumulate}`;
  expectWithinBound(actual, expected, errorScale(c, data.a, data.b, data.bias, data.out), c.k, what);
}

const TRANSPOSES: [boolean, boolean][] = [[false, false], [false, true], [true, false], [true, true]];

describe.each(kinds)('matmul on %s', (kind) => {
  it('computes a small product by hand, in all four layouts', async () => {
    const api = await backend(kind);
    // A = [[1, 2, 3], [4, 5, 6]] (2×3), B = [[1, 0], [0, 1], [2, -1]] (3×2): A·B = [[7, -1], [16, -1]].
    const a = new Float32Array([1, 2, 3, 4, 5, 6]);
    const aT = new Float32Array([1, 4, 2, 5, 3, 6]);
    const b = new Float32Array([1, 0, 0, 1, 2, -1]);
    const bT = new Float32Array([1, 0, 2, 0, 1, -1]);
    const expected = [7, -1, 16, -1];
    expect(Array.from(api.matmul(a, b, 2, 3, 2))).toEqual(expected);
    expect(Array.from(api.matmul(a, bT, 2, 3, 2, { transB: true }))).toEqual(expected);
    expect(Array.from(api.matmul(aT, b, 2, 3, 2, { transA: true }))).toEqual(expected);
    expect(Array.from(api.matmul(aT, bT, 2, 3, 2, { transA: true, transB: true }))).toEqual(expected);
    // alpha scales the product only; bias is added per column; accumulate adds to out.
    const out = new Float32Array([1, 1, 1, 1]);
    const r = api.matmul(a, b, 2, 3, 2, { alpha: 2, bias: new Float32Array([10, 20]), out, accumulate: true });
    expect(r).toBe(out);
    expect(Array.from(out)).toEqual([25, 19, 43, 19]);
  });

  it('accepts subarray inputs with a non-zero byteOffset, and Tensors', async () => {
    const api = await backend(kind);
    const ref = await oracle();
    const [m, k, n] = [6, 13, 11];
    const backingA = uniform(3 + m * k, -1, 1, 1), backingB = uniform(1 + k * n, -1, 1, 2), backingBias = uniform(2 + n, -1, 1, 3);
    const a = backingA.subarray(3), b = backingB.subarray(1), bias = backingBias.subarray(2);
    expect(a.byteOffset).toBe(12);
    const expected = ref.matmul(a.slice(), b.slice(), m, k, n, { bias: bias.slice() });
    const scale = errorScale({ m, k, n, transA: false, transB: false, seed: 0 }, a, b, bias);
    expectWithinBound(api.matmul(a, b, m, k, n, { bias }), expected, scale, k, 'subarrays');
    const backingOut = new Float32Array(5 + m * n);
    const out = backingOut.subarray(5);
    api.matmul(a, b, m, k, n, { bias, out });
    expectWithinBound(out, expected, scale, k, 'subarray out');
    expect(backingOut.subarray(0, 5).every((v) => v === 0)).toBe(true);

    using ta = api.tensor(m, k, a);
    using tb = api.tensor(k, n, b);
    using tBias = api.tensor(1, n, bias);
    using tOut = api.tensor(m, n);
    expect(api.matmul(ta, tb, m, k, n, { bias: tBias, out: tOut })).toBe(tOut);
    expectWithinBound(tOut.toArray(), expected, scale, k, 'tensors');
    api.matmul(ta, tb, m, k, n, { out: tOut, accumulate: true, alpha: -1 });
    expect(Math.max(...tOut.toArray().map((v, i) => Math.abs(v - bias[i % n])))).toBeLessThan(1e-5);
  });

  it('releases its packing scratch after every call', async () => {
    const api = await backend(kind);
    if (!(api.backend instanceof WasmBackend)) return;
    const wasm = api.backend;
    const [m, k, n] = [40, 300, 600];
    const a = uniform(m * k, -1, 1, 1), b = uniform(k * n, -1, 1, 2);
    api.matmul(a, b, m, k, n, { transB: true });
    const { capacity } = wasm.arenaState();
    for (let i = 0; i < 3; i++) api.matmul(a, b, m, k, n, { transA: i === 1, transB: i !== 1 });
    expect(wasm.arenaState()).toEqual({ capacity, idle: true });
  });

  it('propagates NaN and infinities like a sum of products', async () => {
    const api = await backend(kind);
    const a = new Float32Array([NaN, 1, 1, 1, Infinity, 1, 1, 1, 0]);
    const b = new Float32Array([1, 1, 1, 1, 1, 1, 1, 1, 1]);
    const c = api.matmul(a, b, 3, 3, 3);
    expect(Array.from(c.subarray(0, 3)).every(Number.isNaN)).toBe(true);
    expect(Array.from(c.subarray(3, 6))).toEqual([Infinity, Infinity, Infinity]);
    expect(Array.from(c.subarray(6, 9))).toEqual([2, 2, 2]);
    // 0 · ∞ is NaN.
    expect(Number.isNaN(api.matmul(new Float32Array([0]), new Float32Array([Infinity]), 1, 1, 1)[0])).toBe(true);
  });

  it('rejects bad arguments before running, and stays usable', async () => {
    const api = await backend(kind);
    const a = new Float32Array(6), b = new Float32Array(6);
    expect(() => api.matmul(a, b, 2, 3, 3)).toThrow(new RangeError('matmul: b.length must be 9 (k × n = 3 × 3), got 6'));
    expect(() => api.matmul(a, b, 3, 3, 2)).toThrow(new RangeError('matmul: a.length must be 9 (m × k = 3 × 3), got 6'));
    expect(() => api.matmul(a, b, 2, 3, 2, { transA: true, transB: true, bias: new Float32Array(3) }))
      .toThrow(new RangeError('matmul: options.bias.length must be 2 (one value per column, n = 2), got 3'));
    expect(() => api.matmul(a, b, 2, 3, 2, { out: new Float32Array(5) })).toThrow(RangeError);
    expect(() => api.matmul(a, b, 2, 3, 2, { accumulate: true })).toThrow(/accumulate needs options.out/);
    expect(() => api.matmul(a, b, 0, 3, 2)).toThrow(new RangeError('matmul: m must be in [1, 2147483647], got 0'));
    expect(() => api.matmul(a, b, 2, 1.5, 2)).toThrow(TypeError);
    expect(() => api.matmul(a, b, 2, 3, 2, { transA: 1 as unknown as boolean })).toThrow(/options.transA must be a boolean/);
    expect(() => api.matmul(a, b, 2, 3, 2, { alpha: NaN })).toThrow(new RangeError('matmul: options.alpha must be in [-3.4028234663852886e+38, 3.4028234663852886e+38], got NaN'));
    expect(() => api.matmul(a, b, 2, 3, 2, { alpha: 1e39 })).toThrow(/options.alpha must be in \[-3.4028234663852886e\+38, 3.4028234663852886e\+38\], got 1e\+39/);
    expect(() => api.matmul([1, 2] as unknown as Float32Array, b, 1, 2, 3)).toThrow(/a must be a Float32Array/);
    expect(() => api.matmul(a, new Float32Array(9), 2, 3, 3, { out: a })).toThrow('matmul: out is the same memory as a, and this function cannot work in place (it reads a after writing out); pass a separate array');
    const shared = new Float32Array(10);
    expect(() => api.matmul(shared.subarray(0, 6), b, 2, 3, 2, { out: shared.subarray(5, 9) })).toThrow(/^matmul: out partly overlaps a \(byte offsets 20–36 and 0–24 of one buffer\)/);
    expect(() => api.matmul(a, b, 2, 3, 2, { bias: shared.subarray(0, 2), out: shared.subarray(1, 5) })).toThrow(/^matmul: out partly overlaps options\.bias \(byte offsets 4–20 and 0–8/);
    expect(Array.from(api.matmul(new Float32Array([2]), new Float32Array([3]), 1, 1, 1))).toEqual([6]);
  });
});

describe.each(kinds)('matmul non-finite values on %s', (kind) => {
  // A NaN in row i of A reaches row i of C only, one in column j of B column j only, through every
  // tile, k block (256) and n block (512), in all four layouts.
  it.each([[1, 1, 1], [3, 5, 7], [17, 33, 9], [130, 300, 530]])('NaN stays in its row and column at %i × %i × %i', async (m, k, n) => {
    const api = await backend(kind);
    for (const [transA, transB] of TRANSPOSES) {
      const a = uniform(m * k, -1, 1, m + k), b = uniform(k * n, -1, 1, k + n);
      const i0 = m >> 1, kk = k >> 1, j0 = n >> 1;
      a[transA ? kk * m + i0 : i0 * k + kk] = NaN;
      b[transB ? j0 * k + kk : kk * n + j0] = NaN;
      const c = api.matmul(a, b, m, k, n, { transA, transB });
      let wrong = 0;
      for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) if (Number.isNaN(c[i * n + j]) !== (i === i0 || j === j0)) wrong++;
      expect(wrong, `transA ${transA}, transB ${transB}`).toBe(0);
    }
  });
});

describe.each(wasmKinds)('matmul: %s against the oracle', (kind) => {
  it('matches the oracle on random shapes and options (property)', async () => {
    const api = await backend(kind);
    const ref = await oracle();
    fc.assert(
      fc.property(
        fc.record({
          m: fc.integer({ min: 1, max: 40 }), k: fc.integer({ min: 1, max: 300 }), n: fc.integer({ min: 1, max: 40 }),
          transA: fc.boolean(), transB: fc.boolean(),
          // Multiples of 1/16: alpha is a float32 in the kernels and an f64 in the oracle.
          alpha: fc.option(fc.integer({ min: -64, max: 64 }).map((v) => v / 16), { nil: undefined }),
          bias: fc.boolean(), accumulate: fc.boolean(), seed: fc.integer({ min: 0, max: 1e6 }),
        }),
        (c) => check(api, ref, c),
      ),
      { numRuns: 150, seed: 20240611 },
    );
  });

  it('matches the oracle on every shape with m, k, n in 1…17 (all four layouts)', async () => {
    const api = await backend(kind);
    const ref = await oracle();
    for (let m = 1; m <= 17; m++) {
      for (let k = 1; k <= 17; k++) {
        for (let n = 1; n <= 17; n++) {
          const [transA, transB] = TRANSPOSES[(m + k + n) % 4];
          check(api, ref, { m, k, n, transA, transB, seed: m * 400 + k * 20 + n });
        }
      }
    }
  });

  it('matches the oracle on degenerate and tail shapes, with alpha, bias and accumulate', async () => {
    const api = await backend(kind);
    const ref = await oracle();
    // Tiles are 4 × 8 (2 × 16 for one or two rows), k blocks 256 deep, n blocks 512 wide, and an
    // untransposed B is read in place when m ≤ 4: these cover one and several blocks with and
    // without tails in every dimension, on both paths.
    const shapes: [number, number, number][] = [
      [1, 1, 1], [1, 300, 1], [1, 1, 300], [300, 1, 1], [23, 1, 37], [1, 64, 9], [33, 65, 17],
      [127, 129, 131], [9, 600, 530], [5, 257, 1030], [1, 513, 1047], [2, 300, 530], [4, 257, 520],
    ];
    for (const [m, k, n] of shapes) {
      for (const [transA, transB] of TRANSPOSES) {
        check(api, ref, { m, k, n, transA, transB, seed: m + k + n });
        check(api, ref, { m, k, n, transA, transB, alpha: -0.75, bias: true, accumulate: true, seed: m * k + n });
      }
    }
  });

  it('scales by alpha rounded to float32, as the oracle does', async () => {
    // An alpha between two float32s: the kernels take it as a float32, and the API rounds it
    // before any backend sees it (README, "Scalars are float32"), so the oracle's f64 product is
    // scaled by the same value. Unrounded, 0.9999999719 gave 1.6256344318 on js, 1.6256345510 here.
    const [api, ref] = await Promise.all([backend(kind), oracle()]);
    const a = new Float32Array([1.5808104]), b = new Float32Array([1.0283551]);
    for (const alpha of [0.9999999719, 1 + 3e-8, -2.0000001, 1e-46]) {
      const got = api.matmul(a, b, 1, 1, 1, { alpha })[0];
      expect(got, `alpha ${alpha}`).toBe(ref.matmul(a, b, 1, 1, 1, { alpha })[0]);
      expect(got, `alpha ${alpha}`).toBe(Math.fround(Math.fround(a[0] * b[0]) * Math.fround(alpha)));
    }
  });

  it('matches the oracle on large products (512 × 512 × 512, 128 × 784 × 128)', async () => {
    const api = await backend(kind);
    const ref = await oracle();
    check(api, ref, { m: 512, k: 512, n: 512, transA: false, transB: false, seed: 5 });
    for (const [transA, transB] of TRANSPOSES) {
      check(api, ref, { m: 128, k: 784, n: 128, transA, transB, bias: true, seed: 6 });
    }
  });
});
