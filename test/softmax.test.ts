// The softmax family on every backend: MATH.md's worked examples, wasm vs oracle on odd and large
// shapes, properties, extreme values, and finite-difference checks of softmaxBackward.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { backend, kinds, oracle, wasmKinds } from './backends.js';
import { expectClose, expectProbsClose, finiteDifference, uniform } from './util.js';

// DESIGN.md's contract: relative 2e-6 on probabilities ≥ 1e-30, absolute 2e-6 on log-probabilities
// of magnitude ≤ 1 and relative beyond.
const REL = 2e-6;

function expectLogProbsClose(actual: Float32Array, expected: Float32Array): void {
  expectClose(actual, expected, REL, 2e-6);
}

describe.each(kinds)('softmax family on %s', (kind) => {
  it('reproduces the worked examples of MATH.md to 6 decimals', async () => {
    const api = await backend(kind);
    const probs = api.softmax(new Float32Array([2.0, 1.0, 0.1, 1, 5, 3]), 3);
    const expected = [0.659001, 0.242433, 0.098566, 0.015876, 0.866813, 0.11731];
    for (let i = 0; i < 6; i++) expect(probs[i]).toBeCloseTo(expected[i], 6);
  });

  it('accepts subarray inputs with a non-zero byteOffset', async () => {
    const api = await backend(kind);
    const ref = await oracle();
    const backing = uniform(1 + 5 * 13, -3, 3, 99);
    const x = backing.subarray(1);
    expect(x.byteOffset).toBe(4);
    expectProbsClose(api.softmax(x, 13), ref.softmax(x.slice(), 13));
  });

  it('has rows that sum to 1, invariance to shifting a row, and monotonicity', async () => {
    const api = await backend(kind);
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 4 }),
        fc.float({ min: -1000, max: 1000, noNaN: true }),
        fc.integer(),
        (cols, rows, shift, seed) => {
          const x = uniform(rows * cols, -30, 30, seed);
          const y = api.softmax(x, cols);
          for (let r = 0; r < rows; r++) {
            let total = 0;
            for (let j = 0; j < cols; j++) total += y[r * cols + j];
            expect(Math.abs(total - 1)).toBeLessThan(1e-5);
          }
          // softmax(z + c) = softmax(z): the shift changes the float32 inputs by rounding only.
          const shifted = x.map((v) => v + Math.fround(shift));
          const ys = api.softmax(shifted, cols);
          for (let i = 0; i < y.length; i++) expect(Math.abs(ys[i] - y[i])).toBeLessThan(1e-3);
          // Raising one logit raises its probability and lowers every other in that row.
          const bumped = x.slice();
          bumped[0] += 1;
          const yb = api.softmax(bumped, cols);
          if (cols > 1) {
            // Strictly, unless y[0] already rounds to 1 in float32.
            if (y[0] < 0.999) expect(yb[0]).toBeGreaterThan(y[0]);
            else expect(yb[0]).toBeGreaterThanOrEqual(y[0]);
            for (let j = 1; j < cols; j++) expect(yb[j]).toBeLessThanOrEqual(y[j]);
          }
        },
      ),
      { numRuns: 60, seed: 42 },
    );
  });

  it('treats −∞ logits as masks (probability exactly 0, log-probability −∞)', async () => {
    const api = await backend(kind);
    const x = new Float32Array([1, -Infinity, 2, -Infinity, 0.5, 3, -Infinity]);
    const y = api.softmax(x, 7);
    expect(y[1]).toBe(0);
    expect(y[3]).toBe(0);
    expect(y[6]).toBe(0);
    const total = Math.exp(1) + Math.exp(2) + Math.exp(0.5) + Math.exp(3);
    expectClose(y, [Math.exp(1) / total, 0, Math.exp(2) / total, 0, Math.exp(0.5) / total, Math.exp(3) / total, 0], 2e-6);
    const logs = api.logSoftmax(x, 7);
    expect(logs[1]).toBe(-Infinity);
  });

  it('propagates NaN and ±∞ within their row only, like PyTorch', async () => {
    const api = await backend(kind);
    const cols = 5;
    const x = new Float32Array([
      1, 2, NaN, 4, 5, // NaN → whole row NaN
      1, 2, 3, 4, 5, // clean row stays clean
      Infinity, 0, 1, 2, 3, // +∞ → NaN row (∞ − ∞)
      -Infinity, -Infinity, -Infinity, -Infinity, -Infinity, // all masked → NaN row
      3e38, -3e38, 0, 3e38, 1, // huge finite values are fine
    ]);
    const y = api.softmax(x, cols);
    for (let j = 0; j < cols; j++) {
      expect(y[j]).toBeNaN();
      expect(y[10 + j]).toBeNaN();
      expect(y[15 + j]).toBeNaN();
    }
    const clean = [1, 2, 3, 4, 5].map((v) => Math.exp(v - 5));
    const cleanTotal = clean.reduce((a, b) => a + b);
    expectClose(y.subarray(5, 10), clean.map((v) => v / cleanTotal), 2e-6);
    expectClose(y.subarray(20, 25), [0.5, 0, 0, 0.5, 0], 1e-6);
    const lse = api.logSumExp(x, cols);
    expect(lse[0]).toBeNaN();
    expect(lse[2]).toBe(Infinity);
    expect(lse[3]).toBe(-Infinity);
    expectClose([lse[4]], [3e38 + Math.log(2)], 1e-6);
  });

  it('applies the temperature as softmax(z / T)', async () => {
    const api = await backend(kind);
    const x = new Float32Array([2, 1, 0.1]);
    const hot = api.softmax(x, 3, { temperature: 2 });
    const expected = api.softmax(new Float32Array([1, 0.5, 0.05]), 3);
    expectClose(hot, expected, 1e-6);
    expectClose(api.logSumExp(x, 3, { temperature: 0.5 }), [Math.log(Math.exp(4) + Math.exp(2) + Math.exp(0.2))], 1e-6);
  });

  it('writes into out, including in place, and into resident tensors', async () => {
    const api = await backend(kind);
    const x = new Float32Array([2, 1, 0.1, 1, 5, 3]);
    const expected = api.softmax(x, 3);
    const out = new Float32Array(6);
    expect(api.softmax(x, 3, out)).toBe(out);
    expectClose(out, expected, 0);
    const inPlace = x.slice();
    api.softmax(inPlace, 3, inPlace);
    expectClose(inPlace, expected, 0);
    using xt = api.tensor(2, 3, x);
    using yt = api.tensor(2, 3);
    expect(api.softmax(xt, 3, yt)).toBe(yt);
    expectClose(yt.toArray(), expected, 0);
  });

  it('softmaxBackward matches finite differences of L = ⟨w, softmax(z)⟩', async () => {
    const api = await backend(kind);
    for (const cols of [1, 3, 5, 17]) {
      const z = uniform(cols * 2, -2, 2, cols);
      const w = uniform(cols * 2, -1, 1, cols + 1);
      const y = api.softmax(z, cols);
      const grad = api.softmaxBackward(y, w, cols);
      // Σ w·softmax(z) in f64, differentiated at h = 1e-4, so the comparison can be tight: the
      // old check, of the kernel's own softmax at 2e-2, passed a gradient 2 % off.
      const loss = (zz: Float64Array) => {
        let total = 0;
        for (let r = 0; r < 2; r++) {
          const row = zz.subarray(r * cols, (r + 1) * cols);
          const max = Math.max(...row);
          const sum = row.reduce((acc, v) => acc + Math.exp(v - max), 0);
          row.forEach((v, j) => (total += w[r * cols + j] * Math.exp(v - max) / sum));
        }
        return total;
      };
      expectClose(grad, finiteDifference(loss, Float64Array.from(z), 1e-4), 2e-5, 2e-6);
    }
  });

  // The wasm builds formed the dot, dy_j − dot and the product in float32: the difference
  // overflowed to −∞ for a finite −5.4e37, and cancelled the dot's rounding error up to whole
  // results ([0, 6e-8] for ±3e-8). Now every backend rounds y_j·(dy_j − ⟨dy, y⟩) once, to 1 ulp.
  it('rounds y ⊙ (dy − ⟨dy, y⟩) once: no overflow of the difference, no cancellation of the dot', async () => {
    const api = await backend(kind);
    const exact = (y: Float32Array, dy: Float32Array, cols: number) => Float32Array.from(y, (yj, i) => {
      const start = i - (i % cols);
      let dot = 0; // products of floats are exact in f64, and a few of them sum to ~1e-16
      for (let j = start; j < start + cols; j++) dot += y[j] * dy[j];
      return yj * (dy[i] - dot);
    });
    const f32 = (...values: number[]) => Float32Array.from(values);
    for (const [y, dy, cols] of [
      [f32(0.9, 0.1), f32(3e38, -3e38), 2],
      [f32(0.9, 0.1, 0, 0), f32(3e38, -3e38, 0, 0), 4], // the four-lane loop
      [f32(0.5, 0.5), f32(1, 1 + 2 ** -23), 2],
      [f32(0.25, 0.25, 0.25, 0.25, 0.5 - 0.25, 0.5), f32(1, 1, 1, 1 + 2 ** -23, 1, 1 + 2 ** -22), 3],
    ] as const) {
      const expected = exact(y, dy, cols);
      expect(Array.from(api.softmaxBackward(y, dy, cols)), `${Array.from(dy)}`).toEqual(Array.from(expected));
      expect(expected.every(Number.isFinite)).toBe(true);
    }
    expect(Array.from(exact(f32(0.5, 0.5), f32(1, 1 + 2 ** -23), 2))).toEqual([-(2 ** -25), 2 ** -25]);
    for (const cols of [1, 3, 4, 5, 17, 70]) {
      const y = api.softmax(uniform(4 * cols, -3, 3, cols + 5), cols);
      const dy = uniform(4 * cols, -2, 2, cols + 6);
      const expected = exact(y, dy, cols);
      const got = api.softmaxBackward(y, dy, cols);
      got.forEach((v, i) => expect(Math.abs(v - expected[i]), `cols ${cols}, element ${i}`).toBeLessThanOrEqual(2 ** -23 * Math.abs(expected[i]) + 3e-45));
    }
  });

  it('spreads NaN, ±∞ or a huge dy over its own row only (through ⟨dy, y⟩), as the README says', async () => {
    const api = await backend(kind);
    const cols = 6, rows = 3;
    const y = api.softmax(uniform(rows * cols, -2, 2, 61), cols);
    const dy = uniform(rows * cols, -1, 1, 62);
    const clean = api.softmaxBackward(y, dy, cols);
    for (const bad of [NaN, Infinity, -Infinity, 3e38]) {
      const dirty = dy.slice();
      dirty[cols + 2] = bad;
      const dx = api.softmaxBackward(y, dirty, cols);
      expect(dx.subarray(0, cols)).toEqual(clean.subarray(0, cols));
      expect(dx.subarray(2 * cols)).toEqual(clean.subarray(2 * cols));
      const row = Array.from(dx.subarray(cols, 2 * cols));
      if (Number.isNaN(bad)) expect(row.every(Number.isNaN)).toBe(true);
      else expect(row.some((v) => !Number.isFinite(v) || Math.abs(v) > 1e37), `${bad}`).toBe(true);
    }
  });
});

describe.each(wasmKinds)('softmax family: %s against the oracle', (kind) => {
  it('matches the oracle for cols 1…70 and several row counts', async () => {
    const api = await backend(kind);
    const ref = await oracle();
    for (let cols = 1; cols <= 70; cols++) {
      for (const rows of [1, 2, 7]) {
        const x = uniform(rows * cols, -20, 20, cols * 100 + rows);
        expectProbsClose(api.softmax(x, cols), ref.softmax(x, cols));
        expectLogProbsClose(api.logSoftmax(x, cols), ref.logSoftmax(x, cols));
        expectClose(api.logSumExp(x, cols), ref.logSumExp(x, cols), REL, 2e-6);
        const dy = uniform(rows * cols, -1, 1, cols + 7);
        const y = ref.softmax(x, cols);
        expectClose(api.softmaxBackward(y, dy, cols), ref.softmaxBackward(y, dy, cols), 1e-5, 1e-7);
      }
    }
  });

  it('keeps the contract on long rows (cols = 50 001 and 10^6)', async () => {
    const api = await backend(kind);
    const ref = await oracle();
    for (const [rows, cols] of [[3, 50_001], [1, 1_000_000]]) {
      const x = uniform(rows * cols, -5, 5, cols);
      expectProbsClose(api.softmax(x, cols), ref.softmax(x, cols));
      expectLogProbsClose(api.logSoftmax(x, cols), ref.logSoftmax(x, cols));
      expectClose(api.logSumExp(x, cols), ref.logSumExp(x, cols), REL);
    }
  });
});

describe.each(wasmKinds)('fast-check: %s against the oracle', (kind) => {
  it('agrees on random shapes and values', async () => {
    const api = await backend(kind);
    const ref = await oracle();
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 33 }).chain((cols) =>
          fc.tuple(fc.constant(cols), fc.float32Array({ minLength: cols, maxLength: cols * 5, noNaN: true, min: -80, max: 80 }))),
        ([cols, raw]) => {
          const x = raw.subarray(0, raw.length - (raw.length % cols));
          if (x.length === 0) return;
          expectProbsClose(api.softmax(x, cols), ref.softmax(x, cols));
          expectLogProbsClose(api.logSoftmax(x, cols), ref.logSoftmax(x, cols));
        },
      ),
      { numRuns: 200, seed: 7 },
    );
  });
});
