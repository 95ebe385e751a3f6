// Regressions found by test/fuzz.test.ts, each pinned as a plain example on every backend:
// infinities, logits near ±FLT_MAX, large offsets with a temperature, and ε = 1 smoothing. The
// expected values come from f64 formulas here (or PyTorch's documented behaviour), not from the
// oracle, so a bug shared by both backends would show too.
import { describe, expect, it } from 'vitest';
import { backend, kinds } from './backends.js';
import { expectClose, referenceCrossEntropy, uniform } from './util.js';

/** −log softmax(z/T)[t] in f64, max-shifted. */
function crossEntropyRow(z: ArrayLike<number>, t: number, T = 1): number {
  const s = Array.from(z, (v) => v / T);
  const m = Math.max(...s);
  return m + Math.log(s.reduce((acc, v) => acc + Math.exp(v - m), 0)) - s[t];
}

describe.each(kinds)('edge values on %s', (kind) => {
  it('logSumExp of a row holding +∞ is +∞ (NaN if it also holds NaN), whatever the range and temperature', async () => {
    const api = await backend(kind);
    const cols = 15;
    const rows = [
      [Infinity, 0, 1, 4.418813705444336], // exponents up to 88 at T = 0.05
      [Infinity, -1e30, 0, 2], // a range of 1e30: the exact-shift path
      [-Infinity, Infinity, 0, 0],
      [Infinity, NaN, 0, 0],
    ].map((r) => [...r, ...new Array(cols - r.length).fill(0)]);
    const x = Float32Array.from(rows.flat());
    for (const temperature of [1, 0.05, 3]) {
      const lse = api.logSumExp(x, cols, { temperature });
      expect(Array.from(lse)).toEqual([Infinity, Infinity, Infinity, NaN]);
    }
  });

  it('logSoftmax stays finite for a row spanning more than FLT_MAX when the temperature brings it back in range', async () => {
    const api = await backend(kind);
    const x = new Float32Array([3e38, -3e38, 0]);
    const out = api.logSoftmax(x, 3, { temperature: 4 });
    // (z − max)/T − log Σ: 0, −1.5e38 and −7.5e37 (the log term is 0 to float32 precision).
    expectClose(out, [0, -1.5e38, -7.5e37], 1e-6);
    expect(api.logSoftmax(x, 3)[1]).toBe(-Infinity); // at T = 1 the true value is below −FLT_MAX
  });

  it('crossEntropy keeps 2e-6 relative accuracy for logits far from 0 and with a temperature (index targets)', async () => {
    const api = await backend(kind);
    const cols = 10, rows = 8;
    for (const [offset, T] of [[0, 0.05], [1000, 0.05], [1e5, 1], [1e5, 0.3]]) {
      const logits = uniform(rows * cols, offset - 10, offset + 10, offset + T);
      const targets = Int32Array.from({ length: rows }, (_, r) => (r * 3) % cols);
      const { losses } = api.crossEntropy(logits, targets, cols, { temperature: T, reduction: 'none' });
      for (let r = 0; r < rows; r++) {
        const expected = crossEntropyRow(logits.subarray(r * cols, (r + 1) * cols), targets[r], T);
        expect(Math.abs(losses![r] - expected), `offset ${offset}, T ${T}, row ${r}`).toBeLessThanOrEqual(2e-6 * Math.max(1, expected));
      }
    }
  });

  it('crossEntropy keeps 2e-6 relative accuracy for logits far from 0 with probability targets and label smoothing', async () => {
    const api = await backend(kind);
    const cols = 10, rows = 8;
    for (const [offset, T, eps] of [[1000, 1, 0], [1e5, 1, 0], [1e5, 0.3, 0.1], [1000, 0.05, 0.2]]) {
      const logits = uniform(rows * cols, offset - 10, offset + 10, offset);
      const probs = api.softmax(uniform(rows * cols, -2, 2, 7), cols);
      const { losses } = api.crossEntropy(logits, probs, cols, { temperature: T, labelSmoothing: eps, reduction: 'none' });
      for (let r = 0; r < rows; r++) {
        const z = logits.subarray(r * cols, (r + 1) * cols);
        let expected = 0;
        for (let j = 0; j < cols; j++) expected += ((1 - Math.fround(eps)) * probs[r * cols + j] + Math.fround(eps) / cols) * crossEntropyRow(z, j, T);
        expect(Math.abs(losses![r] - expected), `offset ${offset}, T ${T}, ε ${eps}, row ${r}`).toBeLessThanOrEqual(2e-6 * Math.max(1, expected));
      }
    }
  });

  it.each([4, 70])('crossEntropy of tied logits far beyond 2^53 keeps the log Σ term: loss ln 2, gradient ±½ (%i columns)', async (cols) => {
    // Found by the fuzz (seed 505): the oracle formed log a_j as z_j/T − lse with lse = max/T +
    // log Σ, and at |max| = 1e30 (an f64 ulp of 1.4e14) the log Σ = ln 2 vanished from lse, so
    // the tied classes got a = 1 each and the loss 0.
    const api = await backend(kind);
    for (const M of [1e30, -1e30, 2 ** 60]) {
      const logits = new Float32Array(cols).fill(-3e38);
      logits[0] = logits[1] = M;
      for (const T of [1, 0.5, 3]) {
        const index = api.crossEntropy(logits, [0], cols, { temperature: T, reduction: 'sum', grad: true });
        expectClose([index.loss], [Math.LN2], 1e-6);
        const expected = new Array(cols).fill(0);
        expected[0] = -0.5 / T;
        expected[1] = 0.5 / T;
        expectClose(index.grad!, expected, 1e-6, 1e-7);
        const y = new Float32Array(cols);
        y[0] = 0.25;
        y[1] = 0.75;
        const probs = api.crossEntropy(logits, y, cols, { temperature: T, reduction: 'sum', grad: true });
        expectClose([probs.loss], [Math.LN2], 1e-6);
        expected[0] = 0.25 / T;
        expected[1] = -0.25 / T;
        expectClose(probs.grad!, expected, 1e-6, 1e-7);
      }
    }
  });

  it('crossEntropy with labelSmoothing = 1 and a −∞ (masked) logit: loss +∞, not NaN', async () => {
    const api = await backend(kind);
    const logits = new Float32Array([0.5, -Infinity, 1]);
    for (const targets of [[1], new Float32Array([0, 1, 0])]) {
      const { loss, grad } = api.crossEntropy(logits, targets, 3, { labelSmoothing: 1, grad: true });
      expect(loss).toBe(Infinity);
      // The gradient is still a − ỹ with ỹ uniform: finite.
      const a = [Math.exp(0.5), 0, Math.exp(1)].map((v, _, all) => v / (all[0] + all[2]));
      expectClose(grad!, a.map((v) => v - 1 / 3), 2e-6, 1e-7);
    }
  });

  it('crossEntropy of a row holding +∞ is NaN (loss and gradient), like PyTorch\'s log_softmax-based cross_entropy', async () => {
    const api = await backend(kind);
    const logits = new Float32Array([Infinity, 1, 0, /* clean row: */ 2, 1, 0.1]);
    for (const targets of [[1, 0], new Float32Array([0, 1, 0, 1, 0, 0])]) {
      for (const zLoss of [0, 1e-3]) {
        const { losses, grad } = api.crossEntropy(logits, targets, 3, { reduction: 'none', grad: true, zLoss });
        expect(losses![0]).toBeNaN();
        for (let j = 0; j < 3; j++) expect(grad![j]).toBeNaN();
        // The clean row [2, 1, 0.1] is the worked example: 0.417030, plus zl·lse² with z-loss.
        const lse = Math.log(Math.exp(2) + Math.exp(1) + Math.exp(0.1));
        expectClose([losses![1]], [crossEntropyRow([2, 1, 0.1], 0) + zLoss * lse * lse], 4e-6, 1e-6);
      }
    }
  });

  it.each([9, 70])('crossEntropy with label smoothing on logits near ±FLT_MAX stays finite where the true loss is (%i columns)', async (cols) => {
    const api = await backend(kind);
    // The smoothing gap Σ (m − z_j) ≈ 7·3.4e38 overflows float32 lanes: the rows four at a time
    // (9 columns) and one at a time (70) must both sum it in f64.
    const logits = new Float32Array(cols);
    logits.set([0, 3.4028185e38, 0, 3.38e38, 0, -5.7e30, 0, 0, 0]);
    const { losses } = api.crossEntropy(logits, [1], cols, { labelSmoothing: 1e-45, reduction: 'none' });
    // ε rounds to the smallest float32 subnormal; the target's own term is 0 (the next logit is
    // 2.8e36 below it), so the loss is ε's term alone, ε/C·Σ_j (m − z_j) ≈ 1.4e-45·(C − 2)·3.4e38/C.
    const epsilon = Math.fround(1e-45);
    expectClose([losses![0]], [referenceCrossEntropy(logits, [1], cols, false, { labelSmoothing: epsilon, reduction: 'sum' })], 1e-5);
    const { loss } = api.crossEntropy(logits, [0], cols, { labelSmoothing: 1e-45 });
    expectClose([loss], [3.4028185e38], 1e-6);
  });

  it('crossEntropy with z-loss on logits near FLT_MAX: zero-probability classes keep a finite gradient', async () => {
    const api = await backend(kind);
    const logits = new Float32Array([1e-28, 3.402821e38, 0, -Infinity, 60]);
    const { grad } = api.crossEntropy(logits, [0], 5, { temperature: 0.05, zLoss: 0.00125, grad: true });
    // ∂/∂z_j = (a_j·(1 + 2·zl·lse) − y_j)/T: a_0 = 0, so the target's entry is exactly −1/T.
    expect(grad![0]).toBeCloseTo(-20, 4);
    expect(grad![2]).toBe(0);
    expect(grad![3]).toBe(0);
    expect(grad![4]).toBe(0);
  });

  // PyTorch gathers each row's target weight for class indices, so the weight of a class no row
  // targets never reaches the result; with label smoothing every class's weight does, and with
  // probability targets every w_j·y_j is formed (NaN·0 = NaN). Row groups of four and the tail
  // rows, short rows (3, 10 columns) and long ones (70, 200).
  it.each([3, 10, 70, 200])('crossEntropy with a NaN or ∞ class weight reaches only the rows it should (%i columns)', async (cols) => {
    const api = await backend(kind);
    const rows = 6;
    const logits = uniform(rows * cols, -4, 4, cols + 11);
    const targets = Int32Array.from({ length: rows }, (_, r) => 1 + (r % (cols - 1))); // never class 0
    const finite = Float32Array.from({ length: cols }, (_, j) => 0.5 + (j % 3));
    for (const bad of [NaN, Infinity]) {
      const weight = finite.slice();
      weight[0] = bad;
      for (const reduction of ['mean', 'sum', 'none'] as const) {
        const clean = api.crossEntropy(logits, targets, cols, { weight: finite, reduction, grad: true });
        const other = api.crossEntropy(logits, targets, cols, { weight, reduction, grad: true });
        expect(other.loss, `${bad} ${reduction}`).toBe(clean.loss);
        expect(other.grad, `${bad} ${reduction}`).toEqual(clean.grad);
        expect(other.losses).toEqual(clean.losses);
      }
      // A row that targets class 0 takes the weight: that row is not finite (NaN, or ∞ where the
      // weight is ∞), the others are as before.
      const one = targets.slice();
      one[2] = 0;
      const { losses, grad } = api.crossEntropy(logits, one, cols, { weight, reduction: 'none', grad: true });
      const clean = api.crossEntropy(logits, one, cols, { weight: finite, reduction: 'none', grad: true });
      for (let r = 0; r < rows; r++) {
        const rowGrad = grad!.subarray(r * cols, (r + 1) * cols);
        if (r === 2) {
          expect(Number.isFinite(losses![r])).toBe(false);
          expect(rowGrad.some(Number.isFinite)).toBe(false);
        } else {
          expect(losses![r]).toBe(clean.losses![r]);
          expect(rowGrad).toEqual(clean.grad!.subarray(r * cols, (r + 1) * cols));
        }
      }
      // Label smoothing spreads every class's weight over every row; probability targets weigh every class.
      const smoothed = api.crossEntropy(logits, targets, cols, { weight, labelSmoothing: 0.1, reduction: 'none', grad: true });
      const probs = new Float32Array(rows * cols);
      targets.forEach((t, r) => { probs[r * cols + t] = 1; });
      const byProbs = api.crossEntropy(logits, probs, cols, { weight, reduction: 'none', grad: true });
      for (const result of [smoothed, byProbs]) {
        expect(result.losses!.some(Number.isFinite), `${bad}`).toBe(false);
        expect(result.grad!.some(Number.isFinite), `${bad}`).toBe(false);
      }
    }
  });

  it('crossEntropy: a zero class weight on a −∞ logit whose target is not 0 makes the loss NaN, as PyTorch (0·∞)', async () => {
    // Found by a property test comparing the backends: the js oracle skipped every term whose
    // weight·target was 0 (loss 2.2724 here), the wasm kernels only zero targets (NaN).
    const api = await backend(kind);
    const logits = new Float32Array([0, 1, -Infinity, 2]);
    const weight = new Float32Array([1, 1, 0, 1]);
    const smoothed = api.crossEntropy(logits, [0], 4, { weight, labelSmoothing: 0.1, reduction: 'sum' });
    expect(smoothed.loss).toBeNaN();
    const byProbs = api.crossEntropy(logits, new Float32Array([0.5, 0.25, 0.25, 0]), 4, { weight, reduction: 'sum' });
    expect(byProbs.loss).toBeNaN();
    const gathered = api.crossEntropy(new Float32Array([-Infinity, 1, 0, 2]), [0], 4, { weight: new Float32Array([0, 1, 1, 1]), reduction: 'sum' });
    expect(gathered.loss).toBeNaN();
    // A zero target at the −∞ logit is still left out: the loss stays finite.
    const zeroTarget = api.crossEntropy(logits, new Float32Array([0.5, 0.5, 0, 0]), 4, { weight, reduction: 'sum' });
    expect(zeroTarget.loss).toBeCloseTo(Math.log(1 + Math.E + Math.E ** 2) - 0.5, 5);
  });

  it('crossEntropy: a mean whose target weights sum to 0 is NaN, with NaN gradients on the counted rows and zeros on ignored ones', async () => {
    // 1/0 used to give +∞ losses, and gradients of NaN on wasm but ±∞ on js.
    const api = await backend(kind);
    const logits = new Float32Array([0, 0, 3, -1, 2, 2]);
    const weight = new Float32Array([1, 0]);
    for (const labelSmoothing of [0, 0.1]) {
      const { loss, grad } = api.crossEntropy(logits, [1, -100, 1], 2, { weight, labelSmoothing, grad: true });
      expect(loss, `ε ${labelSmoothing}`).toBeNaN();
      expect(Array.from(grad.subarray(2, 4)), `ε ${labelSmoothing}`).toEqual([0, 0]);
      for (const r of [0, 2]) expect(Array.from(grad.subarray(2 * r, 2 * r + 2)).every(Number.isNaN), `ε ${labelSmoothing} row ${r}`).toBe(true);
      const fused = api.linearCrossEntropy(logits, new Float32Array([1, 0, 0, 1]), [1, -100, 1], 3, 2, 2, { weight, labelSmoothing, grad: true });
      expect(fused.loss).toBeNaN();
      expect(Array.from(fused.dx.subarray(2, 4))).toEqual([0, 0]);
    }
    // Every row ignored: the same rule, and no counted row.
    const ignored = api.crossEntropy(logits, [-100, -100, -100], 2, { grad: true });
    expect(ignored.loss).toBeNaN();
    expect(Array.from(ignored.grad)).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('rounds scalar options to float32 for every backend alike (labelSmoothing 1e-320 is 0)', async () => {
    const api = await backend(kind);
    const logits = new Float32Array([0, 1e30, -Infinity, 2]);
    const plain = api.crossEntropy(logits, [0, 1], 2, { grad: true });
    const tiny = api.crossEntropy(logits, [0, 1], 2, { grad: true, labelSmoothing: 1e-320 });
    expect(plain.loss).toBe(Math.fround(1e30) / 2);
    expect(tiny.loss).toBe(plain.loss);
    expect(tiny.grad).toEqual(plain.grad);
  });
});
