// The oracle for cross-entropy, following MATH.md and PyTorch's F.cross_entropy literally:
// build the (smoothed, weighted) target, take log a = (z − max)/T − log Σ e^{(z − max)/T}, and
// the gradient a − y scaled by the weights, the reduction and 1/T. Slow and plain on purpose.
import type { CrossEntropyParams } from '../backend.js';
import { rowMax } from './softmax.js';

/**
 * log Σ_j e^{(z_j − m)·s} for the row's maximum m, the way log_softmax (and so PyTorch's
 * cross_entropy) computes it: m is subtracted even when infinite, so a row containing +∞ (or only
 * −∞) gives NaN — unlike logsumexp itself, which keeps +∞ for a row with +∞.
 */
function logSumShifted(logits: Float32Array, start: number, cols: number, m: number, s: number): number {
  let total = 0;
  for (let j = 0; j < cols; j++) total += Math.exp((logits[start + j] - m) * s);
  return Math.log(total);
}

export interface CrossEntropyArrays {
  weight: Float32Array | null;
  grad: Float32Array | null;
  losses: Float32Array | null;
}

type Params = Omit<CrossEntropyParams, 'weight' | 'grad' | 'losses'>;

/**
 * One row: given the (already smoothed) target distribution `target` and its weights, loss =
 * −Σ_j w_j ỹ_j log a_j + zl·lse², gradient ∂/∂z_j = (a_j Σ_k w_k ỹ_k − w_j ỹ_j + 2 zl lse a_j)/T.
 * With class indices (`gathered`) a class of target 0 is absent, as in PyTorch, which gathers the
 * target's weight: a NaN or ∞ weight of another class does not reach the row (w·0 would be NaN).
 * Probability targets take every w_j·ỹ_j, as PyTorch does.
 */
function row(
  logits: Float32Array, start: number, cols: number, target: Float64Array, gathered: boolean,
  p: Params, arrays: CrossEntropyArrays, r: number,
): number {
  const s = p.invTemperature;
  const m = rowMax(logits, start, cols);
  const logTotal = logSumShifted(logits, start, cols, m, s);
  // log a_j with the maximum taken out first. Formed as z_j·s − lse, with lse = m·s + log Σ, it
  // carried lse's rounding, about |m·s|·1e-16, as an absolute error: 2e-6 at |m·s| = 1e10, and
  // all of log Σ from about 1e16 (two tied logits of 1e30 got a = 1 each and a loss of 0).
  const logA = (j: number) => (logits[start + j] - m) * s - logTotal;
  const lse = m * s + logTotal;
  const weighted = (j: number) => (gathered && target[j] === 0 ? 0 : (arrays.weight ? arrays.weight[j] : 1) * target[j]);
  let loss = 0;
  let mass = 0;
  for (let j = 0; j < cols; j++) {
    const wy = weighted(j);
    // A zero target's term is left out (so a masked, −∞ logit there costs nothing) unless its
    // weight is NaN or ∞ (wy is NaN then, as in PyTorch). A zero weight on a non-zero target is
    // kept: at a −∞ logit 0·∞ is NaN, as in PyTorch and the wasm kernels.
    if (target[j] !== 0 || wy !== 0) loss -= wy * logA(j);
    mass += wy;
  }
  loss += p.zLoss * lse * lse;
  if (arrays.losses) arrays.losses[r] = loss;
  if (arrays.grad) {
    for (let j = 0; j < cols; j++) {
      const a = Math.exp(logA(j));
      arrays.grad[start + j] = p.gradScale * s * (a * mass - weighted(j) + 2 * p.zLoss * lse * a);
    }
  }
  return loss;
}

/** total + the row losses, added in row order (the running sum of Backend.crossEntropyIndex). */
export function crossEntropyIndex(
  logits: Float32Array, targets: Int32Array, rows: number, cols: number,
  ignoreIndex: number, p: Params, arrays: CrossEntropyArrays, total: number,
): number {
  const target = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    const t = targets[r];
    if (t === ignoreIndex) {
      if (arrays.losses) arrays.losses[r] = 0;
      if (arrays.grad) arrays.grad.fill(0, r * cols, (r + 1) * cols);
      continue;
    }
    target.fill(p.labelSmoothing / cols);
    target[t] += 1 - p.labelSmoothing;
    total += row(logits, r * cols, cols, target, true, p, arrays, r);
  }
  return total;
}

/** total + the row losses, added in row order. */
export function crossEntropyProb(
  logits: Float32Array, targets: Float32Array, rows: number, cols: number,
  p: Params, arrays: CrossEntropyArrays, total: number,
): number {
  const target = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < cols; j++) {
      target[j] = (1 - p.labelSmoothing) * targets[r * cols + j] + p.labelSmoothing / cols;
    }
    total += row(logits, r * cols, cols, target, false, p, arrays, r);
  }
  return total;
}

// ---- other losses -----------------------------------------------------------------------------

/**
 * Binary cross-entropy from logits, per element MATH.md's max(z, 0) − z·y + log(1 + e^{−|z|}),
 * with the first two terms written as |z|·w, w = (z ≥ 0 ? 1 − y : y): the same value for finite z,
 * and a zero w contributes exactly 0 even when z is infinite (the limit: a saturated logit on the
 * target's side costs nothing), as a zero target does in cross-entropy. Gradient (σ(z) − y)·gradScale.
 */
export function binaryCrossEntropyWithLogits(
  logits: Float32Array, targets: Float32Array, n: number, gradScale: number,
  grad: Float32Array | null, losses: Float32Array | null,
): number {
  let total = 0;
  for (let i = 0; i < n; i++) {
    const z = logits[i], y = targets[i];
    const w = z >= 0 ? 1 - y : y;
    const t = Math.exp(-Math.abs(z));
    const loss = (w === 0 ? 0 : Math.abs(z) * w) + Math.log1p(t);
    total += loss;
    if (losses) losses[i] = loss;
    if (grad) {
      // σ(z) − y as (1 − y) − σ(−|z|) for z ≥ 0: σ(z) − 1 formed directly is 0 in f64 from z ≈ 37.
      const u = t / (1 + t);
      grad[i] = (z >= 0 ? 1 - y - u : u - y) * gradScale;
    }
  }
  return total;
}

/** E = ½ Σ (y − Y)², ∂E/∂y = (y − Y)·gradScale. */
export function mse(
  predictions: Float32Array, targets: Float32Array, n: number, gradScale: number, grad: Float32Array | null,
): number {
  let total = 0;
  for (let i = 0; i < n; i++) {
    const d = predictions[i] - targets[i];
    total += 0.5 * d * d;
    if (grad) grad[i] = d * gradScale;
  }
  return total;
}
