// Sparsemax on every backend: values computed by hand from the definition (Martins & Astudillo,
// 2016), the projection's defining properties, exact zeros, one-hot limits, NaN/±∞/huge values,
// the backward pass against finite differences, wasm vs oracle on odd and large shapes.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Api } from '../src/index.js';
import { backend, kinds, oracle, wasmKinds } from './backends.js';
import { expectClose, finiteDifference, uniform } from './util.js';

const REL = 2e-6;

/**
 * Checks the definition row by row: y is the projection of z onto the simplex iff y ≥ 0, Σ y = 1,
 * and one threshold τ gives y_j = z_j − τ on the support and z_j ≤ τ off it.
 */
function expectProjection(z: Float32Array, y: Float32Array, cols: number): void {
  for (let r = 0; r < z.length / cols; r++) {
    let total = 0;
    let tau = NaN;
    for (let j = r * cols; j < (r + 1) * cols; j++) {
      expect(y[j]).toBeGreaterThanOrEqual(0);
      total += y[j];
      if (y[j] > 0 && Number.isNaN(tau)) tau = z[j] - y[j];
    }
    expect(Math.abs(total - 1)).toBeLessThan(1e-5);
    const scale = Math.max(1, Math.abs(tau));
    for (let j = r * cols; j < (r + 1) * cols; j++) {
      if (y[j] > 0) expect(Math.abs(z[j] - y[j] - tau)).toBeLessThan(1e-5 * scale);
      else expect(z[j]).toBeLessThanOrEqual(tau + 1e-6 * scale);
    }
  }
}

/** Rows of random data whose entries all keep a distance ≥ margin from their row's threshold. */
function awayFromKinks(api: Api, cols: number, rows: number, margin: number, seed: number): Float32Array {
  for (let s = seed; s < seed + 1000; s++) {
    const z = uniform(rows * cols, -1, 1, s);
    const y = api.sparsemax(z, cols);
    let ok = true;
    for (let r = 0; r < rows && ok; r++) {
      let j0 = r * cols;
      while (y[j0] === 0) j0++;
      const tau = z[j0] - y[j0];
      for (let j = r * cols; j < (r + 1) * cols; j++) if (Math.abs(z[j] - tau) < margin) ok = false;
    }
    if (ok) return z;
  }
  throw new Error(`awayFromKinks: no input within 1000 seeds from ${seed} keeps ${margin} from every kink (${rows} × ${cols})`);
}

describe.each(kinds)('sparsemax on %s', (kind) => {
  it('gives the values computed by hand from the definition', async () => {
    const api = await backend(kind);
    // [1, 2, 3]: sorted 3, 2, 1; k = 2 fails 1 + 2·2 > 3 + 2, so k = 1, τ = 3 − 1 = 2 → one-hot.
    expectClose(api.sparsemax(new Float32Array([1, 2, 3]), 3), [0, 0, 1], 0);
    // [0.5, 1, 1.2]: k = 2 (1 + 2·1 > 2.2), k = 3 fails (1 + 1.5 < 2.7); τ = (2.2 − 1)/2 = 0.6.
    expectClose(api.sparsemax(new Float32Array([0.5, 1, 1.2]), 3), [0, 0.4, 0.6], 1e-6);
    // Equal logits: τ = (0 − 1)/3, the uniform distribution (as softmax).
    expectClose(api.sparsemax(new Float32Array([0, 0, 0]), 3), [1 / 3, 1 / 3, 1 / 3], 1e-7);
    // [1, 1.1, 0.9, −5]: k = 3 (1 + 3·0.9 > 3.0), k = 4 fails; τ = (3.0 − 1)/3 = 2/3.
    expectClose(api.sparsemax(new Float32Array([1, 1.1, 0.9, -5]), 4), [1 / 3, 1.1 - 2 / 3, 0.9 - 2 / 3, 0], 1e-6);
    // Two classes, [t, 0]: the paper's closed form y_1 = clamp((t + 1)/2, 0, 1).
    const ts = [-3, -1, -0.5, 0, 0.25, 0.999, 1, 2.5];
    const pairs = new Float32Array(ts.flatMap((t) => [t, 0]));
    const y = api.sparsemax(pairs, 2);
    expectClose(ts.map((_, i) => y[2 * i]), ts.map((t) => Math.min(Math.max((Math.fround(t) + 1) / 2, 0), 1)), 1e-6);
    // A single column is always 1.
    expectClose(api.sparsemax(new Float32Array([-7, 0, 3e38]), 1), [1, 1, 1], 0);
  });

  it('is the projection onto the simplex: exact zeros, rows sum to 1, one threshold', async () => {
    const api = await backend(kind);
    for (const cols of [2, 3, 5, 8, 17, 64, 129]) {
      for (const spread of [0.1, 1, 10]) {
        const z = uniform(4 * cols, -spread, spread, cols * 10 + spread);
        const y = api.sparsemax(z, cols);
        expectProjection(z, y, cols);
        if (spread === 10 && cols > 8) expect(y.filter((v) => v === 0).length).toBeGreaterThan(0);
      }
    }
  });

  it('is invariant to shifting a row, and becomes argmax when one value leads by ≥ 1', async () => {
    const api = await backend(kind);
    const z = uniform(3 * 11, -2, 2, 5);
    const y = api.sparsemax(z, 11);
    expectClose(api.sparsemax(z.map((v) => v + 64), 11), y, 1e-5, 1e-5);
    const separated = uniform(6 * 9, -1, 1, 6);
    const winners = [3, 0, 8, 5, 1, 7];
    winners.forEach((w, r) => (separated[r * 9 + w] = 2));
    const one = api.sparsemax(separated, 9);
    winners.forEach((w, r) => {
      for (let j = 0; j < 9; j++) expect(one[r * 9 + j]).toBe(j === w ? 1 : 0);
    });
    expect(Array.from(api.argmax(one, 9))).toEqual(winners);
  });

  it('treats −∞ as a mask; NaN, +∞ or an all −∞ row gives NaN; huge values stay exact', async () => {
    const api = await backend(kind);
    const cols = 4;
    const z = new Float32Array([
      0.5, -Infinity, 1, -Infinity, // masks → 0, the rest as [0.5, 1]: τ = 0.25
      1, NaN, 2, 3,
      Infinity, 0, 1, 2,
      -Infinity, -Infinity, -Infinity, -Infinity,
      3e38, -3e38, 3e38, 0, // two equal huge maxima share the mass
      -3e38, -3e38, -3e38, -3e38,
    ]);
    const y = api.sparsemax(z, cols);
    expect(Array.from(y.subarray(0, 4))).toEqual([0.25, 0, 0.75, 0]);
    for (let j = 4; j < 16; j++) expect(y[j]).toBeNaN();
    expect(Array.from(y.subarray(16, 20))).toEqual([0.5, 0, 0.5, 0]);
    expect(Array.from(y.subarray(20, 24))).toEqual([0.25, 0.25, 0.25, 0.25]);
  });

  it('writes into out, in place, and into resident tensors; accepts subarrays', async () => {
    const api = await backend(kind);
    const z = uniform(2 * 7, -1, 1, 9);
    const expected = api.sparsemax(z, 7);
    const inPlace = z.slice();
    expect(api.sparsemax(inPlace, 7, inPlace)).toBe(inPlace);
    expectClose(inPlace, expected, 0);
    using zt = api.tensor(2, 7, z);
    using yt = api.tensor(2, 7);
    expect(api.sparsemax(zt, 7, yt)).toBe(yt);
    expectClose(yt.toArray(), expected, 0);
    const backing = new Float32Array(15);
    backing.set(z, 1);
    expectClose(api.sparsemax(backing.subarray(1), 7), expected, 0);
    const dy = uniform(14, -1, 1, 10);
    const dx = api.sparsemaxBackward(expected, dy, 7);
    const dyInPlace = dy.slice();
    api.sparsemaxBackward(expected, dyInPlace, 7, dyInPlace);
    expectClose(dyInPlace, dx, 0);
  });

  it('sparsemaxBackward: dy minus its support mean on the support, exactly 0 elsewhere', async () => {
    const api = await backend(kind);
    // Support {1, 2}: mean of dy there is 3.
    expectClose(api.sparsemaxBackward(new Float32Array([0, 0.4, 0.6]), new Float32Array([1, 2, 4]), 3), [0, -1, 1], 0);
    const y = new Float32Array([0, 0.5, 0.5, 0, 1, 0, 0, 0]);
    const dy = new Float32Array([NaN, 1, 3, Infinity, 5, -Infinity, NaN, 2]);
    // Off-support NaN/∞ do not leak; on the support NaN spreads to the row's support.
    expect(Array.from(api.sparsemaxBackward(y, dy, 4))).toEqual([0, -1, 1, 0, 0, 0, 0, 0]);
    const onSupport = api.sparsemaxBackward(new Float32Array([0.5, 0.5, 0]), new Float32Array([NaN, 1, 2]), 3);
    expect(onSupport[0]).toBeNaN();
    expect(onSupport[1]).toBeNaN();
    expect(onSupport[2]).toBe(0);
  });

  it('sparsemaxBackward matches finite differences of L = ⟨w, sparsemax(z)⟩', async () => {
    const api = await backend(kind);
    for (const cols of [1, 2, 3, 6, 13]) {
      // Sparsemax is piecewise linear: stay 0.03 away from its kinks so ±h never crosses one.
      const z = awayFromKinks(api, cols, 2, 0.03, cols * 7);
      const w = uniform(2 * cols, -1, 1, cols);
      const grad = api.sparsemaxBackward(api.sparsemax(z, cols), w, cols);
      const loss = (zz: Float64Array) => {
        const yy = api.sparsemax(Float32Array.from(zz), cols);
        let total = 0;
        for (let i = 0; i < yy.length; i++) total += w[i] * yy[i];
        return total;
      };
      // Linear within a piece, so only float32 rounding remains: ≲ 1e-7/h.
      expectClose(grad, finiteDifference(loss, Float64Array.from(z), 1e-2), 1e-3, 1e-4);
    }
  });

  it('rejects bad arguments before running anything', async () => {
    const api = await backend(kind);
    expect(() => api.sparsemax(new Float32Array(5), 2)).toThrow(/sparsemax: x.length must be a positive multiple of cols = 2, got 5/);
    expect(() => api.sparsemax(new Float32Array(4), 0)).toThrow(RangeError);
    expect(() => api.sparsemax(new Float32Array(4), 2, new Float32Array(3))).toThrow(/out.length must be 4/);
    expect(() => api.sparsemax([1, 2] as unknown as Float32Array, 2)).toThrow(TypeError);
    expect(() => api.sparsemaxBackward(new Float32Array(4), new Float32Array(2), 2)).toThrow(/dy.length must be 4/);
    expect(() => api.sparsemaxBackward(new Float32Array(4), new Float32Array(4), 3)).toThrow(/y.length must be a positive multiple/);
    expectClose(api.sparsemax(new Float32Array([0, 0]), 2), [0.5, 0.5], 0);
  });
});

describe.each(wasmKinds)('sparsemax: %s against the oracle', (kind) => {
  // Both compute τ in double precision (sort + prefix sums vs Newton passes), so outputs agree to
  // the float32 rounding of y = z − τ, up to double rounding at the kink (|y| ≤ 1e-12).
  const expectAgree = (a: Float32Array, b: Float32Array) => expectClose(a, b, REL, 1e-12);

  it('agrees for cols 1…70, several spreads, and large rows, forward and backward', async () => {
    const api = await backend(kind);
    const ref = await oracle();
    const shapes: [number, number][] = [];
    for (let cols = 1; cols <= 70; cols++) for (const rows of [1, 2, 7]) shapes.push([rows, cols]);
    shapes.push([3, 100_003], [1, 1_000_000]);
    for (const [rows, cols] of shapes) {
      for (const spread of cols > 1000 ? [0.001, 5] : [0.01, 1, 30]) {
        const z = uniform(rows * cols, -spread, spread, rows * 1000 + cols);
        const y = ref.sparsemax(z, cols);
        expectAgree(api.sparsemax(z, cols), y);
        const dy = uniform(rows * cols, -1, 1, cols);
        expectAgree(api.sparsemaxBackward(y, dy, cols), ref.sparsemaxBackward(y, dy, cols));
      }
    }
  });

  it('agrees on extreme values', async () => {
    const api = await backend(kind);
    const ref = await oracle();
    const values = [NaN, Infinity, -Infinity, 3e38, -3e38, 1e-30, 0, 1, 1e30, -1e30];
    const cols = 5;
    const z = new Float32Array(values.length * values.length * cols);
    let k = 0;
    for (const a of values) {
      for (const b of values) {
        z.set([a, b, 0.5, b, a], k);
        k += cols;
      }
    }
    const y = ref.sparsemax(z, cols);
    expectAgree(api.sparsemax(z, cols), y);
    const dy = new Float32Array(z.length).map((_, i) => values[i % values.length]);
    expectAgree(api.sparsemaxBackward(y, dy, cols), ref.sparsemaxBackward(y, dy, cols));
  });

  it('fast-check: agrees on random rows', async () => {
    const api = await backend(kind);
    const ref = await oracle();
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 33 }).chain((cols) =>
          fc.tuple(fc.constant(cols), fc.float32Array({ minLength: cols, maxLength: cols * 4, noNaN: true, min: -4, max: 4 }))),
        ([cols, raw]) => {
          const z = raw.subarray(0, raw.length - (raw.length % cols));
          if (z.length === 0) return;
          const y = ref.sparsemax(z, cols);
          expectAgree(api.sparsemax(z, cols), y);
          const dy = z.slice().reverse();
          expectAgree(api.sparsemaxBackward(y, dy, cols), ref.sparsemaxBackward(y, dy, cols));
        },
      ),
      { numRuns: 300, seed: 17 },
    );
  });
});
