// Shared test helpers: seeded random data and comparisons that report the worst element.
import { expect } from 'vitest';
import type { CrossEntropyOptions } from '../src/index.js';

// The seeded data helpers live in random.ts, which the benchmarks share.
export { rng, uniform, randomIndices } from './random.js';

/** The smallest normal float32; below it, values are subnormal. */
export const FLT_MIN = 1.1754943508222875e-38;

/**
 * Element-wise |actual − expected| ≤ abs + rel·|expected|, with NaN matching NaN and infinities
 * matching exactly. Fails with the index and values of the worst element.
 */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rel: number, abs = 0): void {
  expect(actual.length).toBe(expected.length);
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i], e = expected[i];
    if (Number.isNaN(e) || Number.isNaN(a) || !Number.isFinite(e) || !Number.isFinite(a)) {
      if (!Object.is(a, e) && !(Number.isNaN(a) && Number.isNaN(e)) && !(a === e)) {
        worst = i;
        worstExcess = Infinity;
        break;
      }
      continue;
    }
    const excess = Math.abs(a - e) - (abs + rel * Math.abs(e));
    if (excess > worstExcess) {
      worstExcess = excess;
      worst = i;
    }
  }
  if (worst >= 0) {
    expect.fail(`element ${worst}: got ${actual[worst]}, expected ${expected[worst]} (rel ${rel}, abs ${abs})`);
  }
}

/** Central finite difference of f at x along each coordinate listed, in f64. */
export function finiteDifference(f: (x: Float64Array) => number, x: Float64Array, h = 1e-3): Float64Array {
  const g = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const saved = x[i];
    x[i] = saved + h;
    const up = f(x);
    x[i] = saved - h;
    const down = f(x);
    x[i] = saved;
    g[i] = (up - down) / (2 * h);
  }
  return g;
}

/**
 * DESIGN.md's contract for probabilities: relative error ≤ rel where the expected value is at
 * least 1e-30 (or NaN, which must match); below, only that the result is tiny too.
 */
export function expectProbsClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rel = 2e-6): void {
  const a: number[] = [], e: number[] = [];
  for (let i = 0; i < expected.length; i++) {
    if (expected[i] >= 1e-30 || Number.isNaN(expected[i])) {
      a.push(actual[i]);
      e.push(expected[i]);
    } else {
      expect(actual[i]).toBeLessThan(1e-29);
    }
  }
  expectClose(a, e, rel);
}

/**
 * Cross-entropy with every option in f64, written from PyTorch's documented F.cross_entropy and
 * the README's definitions of temperature and z-loss, not from the oracle's code: per
 * row −Σ_j w_j ỹ_j log softmax(z/T)_j + zl·logsumexp(z/T)², with ỹ = (1 − ε)·y + ε/C (y one-hot
 * for a class index, which gathers w_t; probabilities as given), ignored rows left out, 'mean'
 * divided by Σ w_t over counted rows (class indices) or by the rows (probabilities).
 */
export function referenceCrossEntropy(
  logits: ArrayLike<number>, targets: ArrayLike<number>, cols: number, probabilities: boolean,
  { weight, ignoreIndex = -100, labelSmoothing = 0, temperature = 1, zLoss = 0, reduction = 'mean' }: CrossEntropyOptions,
): number {
  const rows = logits.length / cols;
  const w = (j: number) => (weight ? weight[j] : 1);
  let total = 0;
  let normaliser = 0;
  for (let r = 0; r < rows; r++) {
    const t = targets[r];
    if (!probabilities && t === ignoreIndex) continue;
    const s = Array.from({ length: cols }, (_, j) => logits[r * cols + j] / temperature);
    const max = Math.max(...s);
    const lse = max + Math.log(s.reduce((sum, v) => sum + Math.exp(v - max), 0));
    let loss = zLoss * lse * lse;
    for (let j = 0; j < cols; j++) {
      const y = probabilities ? targets[r * cols + j] : j === t ? 1 : 0;
      const smoothed = (1 - labelSmoothing) * y + labelSmoothing / cols;
      if (smoothed !== 0) loss += w(j) * smoothed * (lse - s[j]);
    }
    total += loss;
    normaliser += probabilities ? 1 : w(t);
  }
  return reduction === 'mean' ? total / normaliser : total;
}
