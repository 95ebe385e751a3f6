// Cross-entropy fused with its gradient: one pass computes the row max, one the exponentials
// (written straight into the gradient buffer), one turns them into ∂J/∂z = a − y. The loss is
// always logsumexp(z) − z_target, never log of a clipped softmax.
//
// Semantics follow PyTorch's F.cross_entropy (see MATH.md): per-class weight w, label smoothing ε
// (target (1 − ε)·y + ε/C), ignoreIndex rows contribute nothing, optional z-loss zl·lse², and a
// temperature T applied as z/T (so every gradient carries a factor 1/T). The wrapper computes the
// reduction's normaliser and passes gradScale; kernels return the unnormalised sum of row losses.
import { madd, rowMax, rowSum, rowDot } from './vmath';
import { expShiftedRow, sumExpShiftedRow } from './softmax';

// grad_j = alpha·e_j − beta·w_j (w_j = 1 when there is no weight vector), in place over e.
function affineGradRow(grad: usize, weight: usize, n: i32, alpha: f32, beta: f32): void {
  const av = f32x4.splat(alpha), bv = f32x4.splat(-beta);
  let i = 0;
  if (weight == 0) {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(grad + o, madd(v128.load(grad + o), av, bv));
    }
    for (; i < n; i++) {
      const o = <usize>i << 2;
      store<f32>(grad + o, load<f32>(grad + o) * alpha - beta);
    }
  } else {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(grad + o, madd(v128.load(weight + o), bv, f32x4.mul(v128.load(grad + o), av)));
    }
    for (; i < n; i++) {
      const o = <usize>i << 2;
      store<f32>(grad + o, load<f32>(grad + o) * alpha - beta * load<f32>(weight + o));
    }
  }
}

// Targets as class indices (i32). Returns Σ over rows of the row losses.
export function crossEntropyIndexRows(
  logits: usize, targets: usize, rows: i32, cols: i32,
  weight: usize, ignoreIndex: i32, labelSmoothing: f32, zLoss: f32, invTemperature: f32,
  gradScale: f32, grad: usize, losses: usize,
): f64 {
  const stride = <usize>cols << 2;
  const eps = <f64>labelSmoothing;
  const epsPerClass = eps / <f64>cols;
  const weightTotal = weight != 0 ? rowSum(weight, cols) : <f64>cols;
  const s = invTemperature;
  let total: f64 = 0;
  for (let r = 0; r < rows; r++) {
    const x = logits + <usize>r * stride;
    const g = grad != 0 ? grad + <usize>r * stride : 0;
    const t = load<i32>(targets + (<usize>r << 2));
    if (t == ignoreIndex) {
      if (g != 0) memory.fill(g, 0, stride);
      if (losses != 0) store<f32>(losses + (<usize>r << 2), 0);
      continue;
    }
    // Everything read from the logits is read before the exp pass, which may overwrite them
    // (grad may alias logits: the fused linear cross-entropy computes a − y in place).
    const zt = <f64>(load<f32>(x + (<usize>t << 2)) * s);
    const weightedLogits = eps > 0 ? (weight != 0 ? rowDot(weight, x, cols) : rowSum(x, cols)) * <f64>s : 0;
    const m = rowMax(x, cols);
    const sum = g != 0 ? expShiftedRow(x, g, cols, m, s) : sumExpShiftedRow(x, cols, m, s);
    const lse = <f64>(m * s) + Math.log(sum);
    const wt = weight != 0 ? <f64>load<f32>(weight + (<usize>t << 2)) : 1.0;
    let loss = (1 - eps) * wt * (lse - zt);
    if (eps > 0) loss += epsPerClass * (weightTotal * lse - weightedLogits);
    if (zLoss != 0) loss += <f64>zLoss * lse * lse;
    total += loss;
    if (losses != 0) store<f32>(losses + (<usize>r << 2), <f32>loss);
    if (g != 0) {
      const gs = <f64>gradScale * <f64>s;
      const alpha = gs * ((1 - eps) * wt + epsPerClass * weightTotal + 2 * <f64>zLoss * lse) / sum;
      affineGradRow(g, weight, cols, <f32>alpha, <f32>(gs * epsPerClass));
      const gt = g + (<usize>t << 2);
      store<f32>(gt, load<f32>(gt) - <f32>(gs * (1 - eps) * wt));
    }
  }
  return total;
}

// Σ_j w_j·y_j·z_j over one row (w = 0 means all ones). A zero target contributes nothing even when
// its logit is −∞ (a mask), where 0·(−∞) would otherwise turn the loss into NaN.
function weightedTargetDot(weight: usize, y: usize, z: usize, n: i32): f64 {
  let total: f64 = 0;
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const yi = load<f32>(y + o);
    if (yi == 0) continue;
    const wi: f32 = weight != 0 ? load<f32>(weight + o) : 1;
    total += <f64>wi * <f64>yi * <f64>load<f32>(z + o);
  }
  return total;
}

// Targets as probabilities, one row of cols per logits row. Returns Σ of the row losses.
export function crossEntropyProbRows(
  logits: usize, targets: usize, rows: i32, cols: i32,
  weight: usize, labelSmoothing: f32, zLoss: f32, invTemperature: f32,
  gradScale: f32, grad: usize, losses: usize,
): f64 {
  const stride = <usize>cols << 2;
  const eps = <f64>labelSmoothing;
  const epsPerClass = eps / <f64>cols;
  const weightTotal = weight != 0 ? rowSum(weight, cols) : <f64>cols;
  const s = invTemperature;
  let total: f64 = 0;
  for (let r = 0; r < rows; r++) {
    const off = <usize>r * stride;
    const x = logits + off, y = targets + off;
    const g = grad != 0 ? grad + off : 0;
    // Smoothed target ỹ = (1 − ε)·y + ε/C; the loss is lse·Σ w ỹ − Σ w ỹ z/T. The logits terms
    // are read before the exp pass, which may overwrite the logits (grad aliasing logits).
    const wy = weight != 0 ? rowDot(weight, y, cols) : rowSum(y, cols);
    const targetMass = (1 - eps) * wy + epsPerClass * weightTotal;
    let targetLogit = (1 - eps) * weightedTargetDot(weight, y, x, cols);
    if (eps > 0) targetLogit += epsPerClass * (weight != 0 ? rowDot(weight, x, cols) : rowSum(x, cols));
    const m = rowMax(x, cols);
    const sum = g != 0 ? expShiftedRow(x, g, cols, m, s) : sumExpShiftedRow(x, cols, m, s);
    const lse = <f64>(m * s) + Math.log(sum);
    let loss = lse * targetMass - targetLogit * <f64>s;
    if (zLoss != 0) loss += <f64>zLoss * lse * lse;
    total += loss;
    if (losses != 0) store<f32>(losses + (<usize>r << 2), <f32>loss);
    if (g != 0) {
      const gs = <f64>gradScale * <f64>s;
      const alpha = <f32>(gs * (targetMass + 2 * <f64>zLoss * lse) / sum);
      const beta = <f32>(gs * (1 - eps)), betaEps = <f32>(gs * epsPerClass);
      // grad_j = alpha·e_j − w_j·(beta·y_j + betaEps)
      for (let i = 0; i < cols; i++) {
        const o = <usize>i << 2;
        const wj: f32 = weight != 0 ? load<f32>(weight + o) : 1;
        store<f32>(g + o, load<f32>(g + o) * alpha - wj * (beta * load<f32>(y + o) + betaEps));
      }
    }
  }
  return total;
}
