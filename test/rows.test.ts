// Row utilities on every backend: argmax, sampleCategorical (seeded reproducibility, empirical
// frequencies against softmax(x/T)), softmaxJacobian, and the Backend-level gatherRows and
// sumRows; wasm vs oracle on odd and large shapes and extreme values.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { seededRandom, type Api } from '../src/index.js';
import { WasmBackend } from '../src/wasm/backend.js';
import { backend, kinds, oracle, wasmKinds } from './backends.js';
import { expectClose, finiteDifference, randomIndices, uniform } from './util.js';

function gather(api: Api, src: Float32Array, indices: Int32Array, cols: number): Float32Array {
  const b = api.backend;
  return b.scoped((scope) => {
    const dst = scope.f32Empty(indices.length * cols);
    b.gatherRows(scope.f32(src), scope.i32(indices), dst, indices.length, cols);
    return dst.view().slice();
  });
}

function sumRows(api: Api, x: Float32Array, cols: number, initial?: Float32Array): Float32Array {
  const b = api.backend;
  return b.scoped((scope) => {
    const out = initial ? scope.f32(initial.slice()) : scope.f32Empty(cols);
    b.sumRows(scope.f32(x), out, x.length / cols, cols, initial !== undefined);
    return out.view().slice();
  });
}

/** softmax(x/T) of one row in f64. */
function softmax64(x: ArrayLike<number>, temperature = 1): number[] {
  const m = Math.max(...Array.from(x));
  const e = Array.from(x, (v) => Math.exp((v - m) / temperature));
  const total = e.reduce((a, b) => a + b);
  return e.map((v) => v / total);
}

/** The uniforms sampleCategorical draws for a seed: one per row (32-bit, kept whole by the two floats it passes). */
function uniformsOf(seed: number, rows: number): number[] {
  const next = seededRandom(seed);
  return Array.from({ length: rows }, () => next());
}

describe('seededRandom', () => {
  it('is reproducible, in [0, 1), and uniform enough for sampling', () => {
    const a = seededRandom(42), b = seededRandom(42), c = seededRandom(43);
    const xs = Array.from({ length: 100_000 }, a);
    expect(Array.from({ length: 100_000 }, b)).toEqual(xs);
    expect(Array.from({ length: 10 }, c)).not.toEqual(xs.slice(0, 10));
    const bins = new Array(10).fill(0);
    for (const x of xs) bins[Math.floor(x * 10)]++;
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    // Each bin is Binomial(10^5, 0.1): standard deviation ≈ 95; 5σ.
    for (const count of bins) expect(Math.abs(count - 10_000)).toBeLessThan(5 * 95);
    expect(() => seededRandom(-1)).toThrow(RangeError);
    expect(() => seededRandom(1.5)).toThrow(TypeError);
  });
});

describe.each(kinds)('row utilities on %s', (kind) => {
  it('argmax: first index on ties, NaN wins, +∞ beats finite, all −∞ gives 0', async () => {
    const api = await backend(kind);
    const cols = 6;
    const x = new Float32Array([
      1, 3, 2, 3, 0, -1, // tie → 1
      1, 2, NaN, 4, NaN, 0, // first NaN → 2
      -Infinity, -Infinity, -Infinity, -Infinity, -Infinity, -Infinity, // → 0
      1, Infinity, 3e38, Infinity, 0, 0, // → 1
      -3e38, -3e38, -3e38, -3e38, -3e38, -2e38, // → 5
      NaN, 1, 2, 3, 4, 5, // → 0
    ]);
    expect(Array.from(api.argmax(x, cols))).toEqual([1, 2, 0, 1, 5, 0]);
    const out = new Int32Array(6);
    expect(api.argmax(x, cols, out)).toBe(out);
    expect(Array.from(out)).toEqual([1, 2, 0, 1, 5, 0]);
    expect(Array.from(api.argmax(new Float32Array([-0, 0, 0]), 3))).toEqual([0]);
    expect(Array.from(api.argmax(new Float32Array([5]), 1))).toEqual([0]);
  });

  it('argmax finds the maximum at every position of odd-sized rows', async () => {
    const api = await backend(kind);
    for (const cols of [1, 3, 4, 5, 17, 33]) {
      for (let at = 0; at < cols; at++) {
        const x = uniform(cols, -1, 1, cols * 100 + at);
        x[at] = 2;
        expect(api.argmax(x, cols)[0]).toBe(at);
        x[cols - 1] = NaN;
        expect(api.argmax(x, cols)[0]).toBe(cols - 1);
      }
    }
  });

  it('sampleCategorical: the same seed gives the same samples; seed equals a fresh seededRandom', async () => {
    const api = await backend(kind);
    const logits = uniform(200 * 7, -2, 2, 1);
    const a = api.sampleCategorical(logits, 7, { seed: 9 });
    expect(api.sampleCategorical(logits, 7, { seed: 9 })).toEqual(a);
    expect(api.sampleCategorical(logits, 7, { random: seededRandom(9) })).toEqual(a);
    expect(api.sampleCategorical(logits, 7, { seed: 10 })).not.toEqual(a);
    const out = new Int32Array(200);
    expect(api.sampleCategorical(logits, 7, { seed: 9, out })).toBe(out);
    expect(out).toEqual(a);
    for (const c of a) expect(c >= 0 && c < 7).toBe(true);
  });

  it('sampleCategorical: empirical frequencies match softmax(x/T) within binomial error', async () => {
    const api = await backend(kind);
    const row = [1, 2, 0.5, -1, -Infinity, 3, 2.5];
    const cols = row.length;
    for (const temperature of [1, 0.5, 3]) {
      const draws = 40_000;
      const logits = new Float32Array(draws * cols);
      for (let r = 0; r < draws; r++) logits.set(row, r * cols);
      const samples = api.sampleCategorical(logits, cols, { temperature, seed: 1234 });
      const counts = new Array(cols).fill(0);
      for (const c of samples) counts[c]++;
      const p = softmax64(row, temperature);
      expect(counts[4]).toBe(0); // −∞ is masked
      for (let j = 0; j < cols; j++) {
        // 5 standard deviations of a Binomial(draws, p_j) count (the seed is fixed, so this is
        // deterministic; a wrong distribution would miss by far more).
        const sigma = Math.sqrt(draws * p[j] * (1 - p[j]));
        expect(Math.abs(counts[j] - draws * p[j])).toBeLessThanOrEqual(5 * sigma + 1);
      }
    }
  });

  it('sampleCategorical: inverse CDF, −∞ never drawn, rows without a distribution give −1', async () => {
    const api = await backend(kind);
    let u = 0;
    const fixed = () => u;
    const x = new Float32Array([0, 0, -Infinity, 0]); // probabilities 1/3, 1/3, 0, 1/3
    const at = (value: number) => {
      u = value;
      return api.sampleCategorical(x, 4, { random: fixed })[0];
    };
    expect([at(0), at(0.3), at(0.34), at(0.66), at(0.67), at(0.999999999)]).toEqual([0, 0, 1, 1, 3, 3]);
    // A uniform just below 1 picks the last class of non-zero probability, also when the rounding
    // of the total leaves u·total at or above the running sum, and never a masked class after it.
    // (On the wasm builds the total is summed in float32 lanes, so it exceeds the running f64 sum
    // for some rows: several of these seeds.)
    u = 1 - 2 ** -24;
    for (const cols of [8, 16]) {
      for (let seed = 0; seed < 300; seed++) {
        const tailMasked = uniform(cols, -1, 1, seed);
        tailMasked[cols - 1] = -Infinity;
        expect(api.sampleCategorical(tailMasked, cols, { random: fixed })[0]).toBe(cols - 2);
      }
    }
    // Beyond float32's steps: a uniform was rounded to one float32, 6e-8 apart near 1, so class 1
    // of [0, −17] (probability 4.1e-8) could never be drawn; u = 1 − 2e-8 rounded to 1 − 6e-8.
    const rare = new Float32Array([0, -17]);
    u = 1 - 2e-8;
    expect(api.sampleCategorical(rare, 2, { random: fixed })[0]).toBe(1);
    u = 1 - 6e-8;
    expect(api.sampleCategorical(rare, 2, { random: fixed })[0]).toBe(0);
    u = 1 - 2 ** -53; // the largest double below 1: its first float rounds up to 1
    expect(api.sampleCategorical(rare, 2, { random: fixed })[0]).toBe(1);
    const bad = new Float32Array([1, NaN, 0, Infinity, 0, 0, -Infinity, -Infinity, -Infinity, -Infinity, 0, -Infinity]);
    expect(Array.from(api.sampleCategorical(bad, 3, { seed: 1 }))).toEqual([-1, -1, -1, 1]);
    // A huge logit takes all the mass; tiny temperatures make the row an argmax.
    expect(Array.from(api.sampleCategorical(new Float32Array([3e38, 0, -3e38]), 3, { seed: 2 }))).toEqual([0]);
    const logits = uniform(50 * 9, -3, 3, 3);
    expect(api.sampleCategorical(logits, 9, { temperature: 1e-6, seed: 4 })).toEqual(api.argmax(logits, 9));
  });

  it('sampleCategorical rejects bad arguments before running anything', async () => {
    const api = await backend(kind);
    const x = new Float32Array(6);
    expect(() => api.sampleCategorical(x, 4)).toThrow(/sampleCategorical: logits.length must be a positive multiple of cols = 4, got 6/);
    expect(() => api.sampleCategorical(x, 3, { seed: 1, random: Math.random })).toThrow(/not both/);
    expect(() => api.sampleCategorical(x, 3, { seed: -2 })).toThrow(/options.seed must be in/);
    expect(() => api.sampleCategorical(x, 3, { random: 3 as unknown as () => number })).toThrow(/options.random must be a function/);
    expect(() => api.sampleCategorical(x, 3, { random: () => 1 })).toThrow(/options.random\(\) must return a number in \[0, 1\), got number 1/);
    expect(() => api.sampleCategorical(x, 3, { random: () => NaN })).toThrow(RangeError);
    expect(() => api.sampleCategorical(x, 3, { temperature: 0 })).toThrow(/temperature must be in/);
    expect(() => api.sampleCategorical(x, 3, { out: new Int32Array(3) })).toThrow(/options.out.length must be 2/);
    expect(() => api.sampleCategorical(x, 3, { out: new Float32Array(2) as unknown as Int32Array })).toThrow(TypeError);
    expect(api.sampleCategorical(x, 3, { seed: 0 })).toHaveLength(2);
  });

  it('softmaxJacobian is diag(a) − a aᵀ, and J·g equals softmaxBackward', async () => {
    const api = await backend(kind);
    const z = new Float32Array([2, 1, 0.1]);
    const a = api.softmax(z, 3);
    const jacobian = api.softmaxJacobian(a);
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        const expected = i === j ? a[i] * (1 - a[i]) : -a[i] * a[j];
        expect(jacobian[i * 3 + j]).toBeCloseTo(expected, 7);
      }
    }
    // Column i of J is ∂a/∂z_i: compare with finite differences of softmax.
    for (let i = 0; i < 3; i++) {
      const column = finiteDifference((zz) => api.softmax(Float32Array.from(zz), 3)[i], Float64Array.from(z), 1e-2);
      expectClose(Array.from({ length: 3 }, (_, k) => jacobian[i * 3 + k]), column, 1e-3, 1e-4);
    }
    const g = new Float32Array([0.3, -1, 2]);
    const viaJacobian = [0, 1, 2].map((j) => [0, 1, 2].reduce((s, i) => s + g[i] * jacobian[i * 3 + j], 0));
    expectClose(api.softmaxBackward(a, g, 3), viaJacobian, 1e-6, 1e-7);
    expect(() => api.softmaxJacobian(new Float32Array(0))).toThrow(/a.length must be at least 1/);
    expect(() => api.softmaxJacobian([0.5, 0.5] as unknown as Float32Array)).toThrow(TypeError);
  });

  it.each([1, 2, 5, 17, 64])('softmaxJacobian of %i classes is diag(a) − a aᵀ (f64), from a Tensor too; NaN spreads to its row and column', async (cols) => {
    const api = await backend(kind);
    const a = api.softmax(uniform(cols, -3, 3, cols), cols);
    const expected = Array.from({ length: cols * cols }, (_, e) => {
      const i = Math.floor(e / cols), j = e % cols;
      return (i === j ? a[i] : 0) - a[i] * a[j];
    });
    expectClose(api.softmaxJacobian(a), expected, 1e-6, 1e-8);
    using t = api.tensor(1, cols, a);
    expect(api.softmaxJacobian(t)).toEqual(api.softmaxJacobian(a));
    const withNaN = a.slice();
    withNaN[cols >> 1] = NaN;
    const jacobian = api.softmaxJacobian(withNaN);
    for (let e = 0; e < cols * cols; e++) {
      const onIt = Math.floor(e / cols) === cols >> 1 || e % cols === cols >> 1;
      expect(Number.isNaN(jacobian[e]), `entry ${e}`).toBe(onIt);
    }
  });

  it('gatherRows copies the listed rows, repeats included', async () => {
    const api = await backend(kind);
    for (const cols of [1, 3, 4, 17]) {
      const src = uniform(10 * cols, -1, 1, cols);
      const indices = new Int32Array([9, 0, 3, 3, 7]);
      const expected = new Float32Array(indices.length * cols);
      indices.forEach((from, r) => expected.set(src.subarray(from * cols, (from + 1) * cols), r * cols));
      expect(gather(api, src, indices, cols)).toEqual(expected);
    }
  });

  it('sumRows gives column sums, adding to out when accumulating', async () => {
    const api = await backend(kind);
    const x = new Float32Array([1, 2, 3, 4, 5, 6]);
    expect(Array.from(sumRows(api, x, 3))).toEqual([5, 7, 9]);
    expect(Array.from(sumRows(api, x, 3, new Float32Array([1, -1, 0.5])))).toEqual([6, 6, 9.5]);
    // ±3e38 cancel exactly: the sums are carried in double precision.
    const huge = new Float32Array([3e38, -3e38, NaN, 3e38, -3e38, 1, -3e38, 3e38, 1]);
    const s = sumRows(api, huge, 3);
    expect(Array.from(s)).toEqual([Math.fround(3e38), Math.fround(-3e38), NaN]);
  });
});

describe.each(wasmKinds)('row utilities: %s against the oracle', (kind) => {
  it('argmax, gatherRows and sumRows agree exactly for cols 1…70 and large shapes', async () => {
    const api = await backend(kind);
    const ref = await oracle();
    const shapes: [number, number][] = [];
    for (let cols = 1; cols <= 70; cols++) for (const rows of [1, 2, 7]) shapes.push([rows, cols]);
    shapes.push([3, 100_003], [20_001, 19], [1_000, 1_000]);
    for (const [rows, cols] of shapes) {
      const x = uniform(rows * cols, -10, 10, rows * 1000 + cols);
      if (rows * cols > 4) x[rows * cols - 3] = rows % 2 ? NaN : Infinity;
      expectClose(api.argmax(x, cols), ref.argmax(x, cols), 0);
      const indices = randomIndices(Math.min(rows, 50), rows, cols);
      expectClose(gather(api, x, indices, cols), gather(ref, x, indices, cols), 0);
      // The same f64 sums in the same row order: identical.
      expectClose(sumRows(api, x, cols), sumRows(ref, x, cols), 0);
      const initial = uniform(cols, -1, 1, cols);
      expectClose(sumRows(api, x, cols, initial), sumRows(ref, x, cols, initial), 0);
    }
  });

  it('sampleCategorical agrees except where a uniform lies within the contract of a CDF boundary', async () => {
    const api = await backend(kind);
    const ref = await oracle();
    for (const [rows, cols, spread, temperature] of [
      [500, 1, 5, 1], [500, 3, 5, 1], [500, 17, 5, 0.7], [300, 70, 40, 1], [20, 50_001, 5, 2],
    ]) {
      const x = uniform(rows * cols, -spread, spread, rows + cols);
      const seed = cols;
      const a = api.sampleCategorical(x, cols, { seed, temperature });
      const b = ref.sampleCategorical(x, cols, { seed, temperature });
      const u = uniformsOf(seed, rows);
      let mismatches = 0;
      for (let r = 0; r < rows; r++) {
        if (a[r] === b[r]) continue;
        mismatches++;
        // Both classes border u: probabilities carry relative error ≤ 2e-6 (DESIGN.md), so a
        // cumulative sum divided by the total moves by at most 4e-6.
        const p = softmax64(x.subarray(r * cols, (r + 1) * cols), temperature);
        const lo = Math.min(a[r], b[r]), hi = Math.max(a[r], b[r]);
        const cdfBefore = (k: number) => p.slice(0, k).reduce((s, v) => s + v, 0);
        expect(Math.abs(u[r] - cdfBefore(lo + 1))).toBeLessThanOrEqual(4e-6);
        expect(Math.abs(u[r] - cdfBefore(hi))).toBeLessThanOrEqual(4e-6);
      }
      expect(mismatches).toBeLessThanOrEqual(2);
    }
  });

  it('releases its scratch space', async () => {
    const api = await backend(kind);
    api.sampleCategorical(uniform(4 * 300, -1, 1, 2), 300, { seed: 3 });
    expect((api.backend as WasmBackend).arenaState().idle).toBe(true);
  });

  it('fast-check: argmax and sampleCategorical agree on random rows', async () => {
    const api = await backend(kind);
    const ref = await oracle();
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 33 }).chain((cols) =>
          fc.tuple(fc.constant(cols), fc.float32Array({ minLength: cols, maxLength: cols * 4 }), fc.nat())),
        ([cols, raw, seed]) => {
          const x = raw.subarray(0, raw.length - (raw.length % cols));
          if (x.length === 0) return;
          expect(api.argmax(x, cols)).toEqual(ref.argmax(x, cols));
          const a = api.sampleCategorical(x, cols, { seed });
          const b = ref.sampleCategorical(x, cols, { seed });
          const u = uniformsOf(seed, x.length / cols);
          for (let r = 0; r < a.length; r++) {
            if (a[r] === b[r]) continue;
            const p = softmax64(x.subarray(r * cols, (r + 1) * cols));
            const cdf = p.slice(0, Math.min(a[r], b[r]) + 1).reduce((s, v) => s + v, 0);
            expect(Math.abs(u[r] - cdf)).toBeLessThanOrEqual(4e-6);
          }
        },
      ),
      { numRuns: 300, seed: 3 },
    );
  });
});
