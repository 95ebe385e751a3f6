// Cross-entropy fused with its gradient: one pass computes the row max, one the exponentials
// (written straight into the gradient buffer), one turns them into ∂J/∂z = a − y. The loss is
// always logsumexp(z) − z_target, never log of a clipped softmax.
//
// Semantics follow PyTorch's F.cross_entropy (see MATH.md): per-class weight w, label smoothing ε
// (target (1 − ε)·y + ε/C), ignoreIndex rows contribute nothing, optional z-loss zl·lse², and a
// temperature T applied as z/T (so every gradient carries a factor 1/T). The wrapper computes the
// reduction's normaliser and passes gradScale; kernels return the unnormalised sum of row losses.
import {
  demoteJoin, expFlushed4, f64x2Sum, hsum, madd, negAbs4, promoteHigh, rowMax, rowSum, scaleF64, scaleRow,
  setGradientTermScale, setScaleTail, SUM_BLOCK,
} from './vmath';
import {
  crossEntropyRowGroups, expShiftedRow, shortRowLog, shortRowSumExp, shortRowTermSum, sumExpShiftedRow, SHORT_ROW,
} from './softmax';

// grad_j = alpha·e_j − beta·w_j (w_j = 1 when there is no weight vector), in place over e. Without
// weights, four vectors per iteration, as vmath.ts's scaleRow (crossEntropy −2 % on long rows).
function affineGradRow(grad: usize, weight: usize, n: i32, alpha: f32, beta: f32): void {
  const av = f32x4.splat(alpha), bv = f32x4.splat(-beta);
  let i = 0;
  if (weight == 0) {
    for (; i + 16 <= n; i += 16) {
      const o = <usize>i << 2;
      const a = v128.load(grad + o), b = v128.load(grad + o, 16), c = v128.load(grad + o, 32), d = v128.load(grad + o, 48);
      v128.store(grad + o, madd(a, av, bv));
      v128.store(grad + o, madd(b, av, bv), 16);
      v128.store(grad + o, madd(c, av, bv), 32);
      v128.store(grad + o, madd(d, av, bv), 48);
    }
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

// affineGradRow in f64, for rows where alpha overflows float32 (z-loss on logits near FLT_MAX):
// there α·e_j with e_j = 0 must stay 0 rather than become ∞·0 = NaN.
function affineGradRowWide(grad: usize, weight: usize, n: i32, alpha: f64, beta: f64): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const wi: f64 = weight != 0 ? <f64>load<f32>(weight + o) : 1;
    store<f32>(grad + o, <f32>(<f64>load<f32>(grad + o) * alpha - beta * wi));
  }
}

// Σ_j w_j·(m − x_j) over a row whose maximum is m (w = 0 means all ones): label smoothing's part of
// the loss. Every term is ≥ 0 (for w ≥ 0), so unlike m·Σw − Σ w·x it does not cancel when the
// logits are large, and float32 lanes adding up to SUM_BLOCK terms into f64 keep ~1e-7 relative
// error. A row whose float32 sums overflow (a span near FLT_MAX) or meet a NaN starts again in
// f64, one column at a time, where m − x_j is exact. Rows call it before their exp pass, which
// may write the gradient over the logits.
export function rowGapSum(weight: usize, x: usize, m: f32, n: i32): f64 {
  const mv = f32x4.splat(m);
  let total: f64 = 0;
  let i = 0;
  while (i + 4 <= n) {
    const end = min(n & ~3, i + SUM_BLOCK);
    let acc = f32x4.splat(0);
    if (weight == 0) {
      for (; i < end; i += 4) acc = f32x4.add(acc, f32x4.sub(mv, v128.load(x + (<usize>i << 2))));
    } else {
      for (; i < end; i += 4) {
        const o = <usize>i << 2;
        acc = madd(v128.load(weight + o), f32x4.sub(mv, v128.load(x + o)), acc);
      }
    }
    total += <f64>hsum(acc);
  }
  if (!isFinite(total)) {
    i = 0;
    total = 0;
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const wi: f64 = weight != 0 ? <f64>load<f32>(weight + o) : 1;
    total += wi * (<f64>m - <f64>load<f32>(x + o));
  }
  return total;
}

// ---- short rows ----------------------------------------------------------------------------------
// Short rows (cols < SHORT_ROW) — a classifier's loss over a batch, with class indices or
// probabilities as targets, with or without label smoothing and class weights — go four at a time
// through softmax.ts's group code, which computes each row's max and terms e_j = e^{(z_j − m)·s}
// and sums them as softmax's short rows do; the functions below turn those into the loss and the
// gradient. A row is computed
// alike in a group and alone (crossEntropyShortRow), so its bits do not depend on the rows around
// it. Row by row, 32 × 10 took 10 ns per element, dominated by per-row calls and partial vectors.
// Label smoothing and class weights have functions of their own (…General), and probability
// targets theirs (…Prob…), chosen once per group: folded into the plain ones, label smoothing's
// extra arithmetic made rows without it 12–20 % slower.

// The call's state, set by setShortRowState for the group code's ends (and, with probability
// targets, for every row's crossEntropyProbTargetGap).
export let ceTargets: usize = 0;
let ceIgnoreIndex: i32 = 0, ceZLoss: f32 = 0, ceLosses: usize = 0;
let ceGradScale: f64 = 0; // gradScale · s: every gradient carries the temperature's factor s
let ceTotal: f64 = 0;
// The general ends (label smoothing ε > 0, class weights or probability targets; false: none of
// them), ε, 1 − ε, ε / cols per class, the class weights (0: none), their sum W (cols without
// weights), and ε/cols · W, the mass label smoothing spreads over the classes, as setShortRowState
// forms them.
export let ceGeneral = false;
// Probability targets (then ceGeneral too): ceTargets is rows × cols floats, no row is ignored.
export let ceProbs = false;
export let ceEps: f64 = 0;
let ceOneMinusEps: f64 = 1, ceEpsPerClass: f64 = 0;
export let ceWeight: usize = 0;
let ceWeightTotal: f64 = 0, ceSpreadMass: f64 = 0;

// Row r's target class weight w_t (1 without class weights; 0 for an ignored row, whose target may
// be any number).
export function crossEntropyTargetWeight(r: i32): f64 {
  const t = load<i32>(ceTargets + (<usize>r << 2));
  if (t == ceIgnoreIndex) return 0;
  return ceWeight != 0 ? <f64>load<f32>(ceWeight + (<usize>t << 2)) : 1;
}

// The end of short row r, with maximum m, target logit zt, sum = Σ_j e^{(z_j − m)·s} and logSum its
// log by logLanes: adds its loss (lse − z_t·s, as crossEntropyIndexRows with ε = 0 and w = 1) to
// ceTotal, stores it in the losses, and returns the gradient's factor α = gs·(1 + 2·zl·lse) / Σ
// (∂J/∂z_j = α·e_j − gs·[j = t]). An ignored row has loss 0 and no gradient. The general ends
// (ceGeneral; gap: the row's rowGapSum when ε > 0, wt: its crossEntropyTargetWeight), as
// the wide rows: the loss is (1 − ε)·w_t·(lse − z_t·s) + ε/C·(W·log Σ + gap·s) + zl·lse²,
// α = gs·((1 − ε)·w_t + ε/C·W + 2·zl·lse) / Σ and ∂J/∂z_j = α·e_j − gs·ε/C·w_j − gs·(1 − ε)·w_t·[j = t].
function crossEntropyShortRowEnd(r: i32, m: f32, zt: f32, sum: f64, logSum: f64, s: f32, gap: f64, wt: f64): f64 {
  const ignored = load<i32>(ceTargets + (<usize>r << 2)) == ceIgnoreIndex;
  if (ignored) {
    if (ceLosses != 0) store<f32>(ceLosses + (<usize>r << 2), 0);
    return 0;
  }
  const lse = <f64>m * scaleF64(s) + logSum;
  let loss: f64, mass: f64 = 1;
  if (ceGeneral) {
    const own = ceOneMinusEps * wt;
    // With ε = 1 the target is uniform: its own term is absent, not 0·∞ = NaN for a −∞ logit.
    loss = ceEps < 1 ? own * ((<f64>m - <f64>zt) * scaleF64(s) + logSum) : 0;
    if (ceEps > 0) loss += ceEpsPerClass * (ceWeightTotal * logSum + gap * scaleF64(s));
    mass = own + ceSpreadMass;
  } else {
    loss = (<f64>m - <f64>zt) * scaleF64(s) + logSum;
  }
  if (ceZLoss != 0) loss += <f64>ceZLoss * lse * lse;
  ceTotal += loss;
  if (ceLosses != 0) store<f32>(ceLosses + (<usize>r << 2), <f32>loss);
  return ceGradScale * (mass + 2 * <f64>ceZLoss * lse) / sum;
}

// crossEntropyShortRowEnd for the four rows r…r + 3 of a group at once, in two f64 lanes with the
// same operations in the same order (so the same bits): maxima mx and target logits zt (f32 lanes),
// the sums and their logs (f64 pairs for rows 0, 1 and 2, 3). Stores the four α (f64) at alphas.
@inline export function crossEntropyGroupEnd(
  r: i32, mx: v128, zt: v128, sum01: v128, sum23: v128, log01: v128, log23: v128, s: f32, alphas: usize,
): void {
  const sv = f64x2.splat(scaleF64(s));
  const m01 = f64x2.promote_low_f32x4(mx), m23 = promoteHigh(mx);
  const loss01 = f64x2.add(f64x2.mul(f64x2.sub(m01, f64x2.promote_low_f32x4(zt)), sv), log01);
  const loss23 = f64x2.add(f64x2.mul(f64x2.sub(m23, promoteHigh(zt)), sv), log23);
  const one = f64x2.splat(1);
  crossEntropyGroupTail(r, m01, m23, sum01, sum23, log01, log23, sv, loss01, loss23, one, one, alphas);
}

// crossEntropyGroupEnd's general form (ceGeneral): gaps holds the rows' rowGapSum (four
// f64, read when ε > 0) and weights their crossEntropyTargetWeight (four f64, read if `weighted`, a
// constant: without weights every w_t is 1, and leaving out the products by it keeps label
// smoothing's code as fast as before weights came to this path).
@inline export function crossEntropyGroupEndGeneral(
  r: i32, mx: v128, zt: v128, sum01: v128, sum23: v128, log01: v128, log23: v128, gaps: usize, weights: usize,
  s: f32, alphas: usize, weighted: bool,
): void {
  const sv = f64x2.splat(scaleF64(s));
  const m01 = f64x2.promote_low_f32x4(mx), m23 = promoteHigh(mx);
  const ownWeight = f64x2.splat(ceOneMinusEps);
  let own01 = ownWeight, own23 = ownWeight;
  if (weighted) {
    own01 = f64x2.mul(ownWeight, v128.load(weights));
    own23 = f64x2.mul(ownWeight, v128.load(weights, 16));
  }
  let loss01 = f64x2.splat(0), loss23 = loss01;
  if (ceEps < 1) {
    loss01 = f64x2.mul(own01, f64x2.add(f64x2.mul(f64x2.sub(m01, f64x2.promote_low_f32x4(zt)), sv), log01));
    loss23 = f64x2.mul(own23, f64x2.add(f64x2.mul(f64x2.sub(m23, promoteHigh(zt)), sv), log23));
  }
  if (ceEps > 0) {
    const perClass = f64x2.splat(ceEpsPerClass), w = f64x2.splat(ceWeightTotal);
    loss01 = f64x2.add(loss01, f64x2.mul(perClass, f64x2.add(f64x2.mul(w, log01), f64x2.mul(v128.load(gaps), sv))));
    loss23 = f64x2.add(loss23, f64x2.mul(perClass, f64x2.add(f64x2.mul(w, log23), f64x2.mul(v128.load(gaps, 16), sv))));
  }
  const spread = f64x2.splat(ceSpreadMass);
  crossEntropyGroupTail(
    r, m01, m23, sum01, sum23, log01, log23, sv, loss01, loss23, f64x2.add(own01, spread), f64x2.add(own23, spread), alphas,
  );
}

// The end of four short rows r…r + 3 with probability targets, in two f64 lanes with the operations
// of crossEntropyShortProbRowEnd in its order: masses holds the rows' Σ w·ỹ and gaps their
// Σ w·ỹ·(m − z) (four f64 each, from crossEntropyProbTargetGap).
@inline export function crossEntropyGroupEndProbs(
  r: i32, mx: v128, sum01: v128, sum23: v128, log01: v128, log23: v128, masses: usize, gaps: usize, s: f32, alphas: usize,
): void {
  const sv = f64x2.splat(scaleF64(s));
  const mass01 = v128.load(masses), mass23 = v128.load(masses, 16);
  const loss01 = f64x2.add(f64x2.mul(log01, mass01), f64x2.mul(v128.load(gaps), sv));
  const loss23 = f64x2.add(f64x2.mul(log23, mass23), f64x2.mul(v128.load(gaps, 16), sv));
  crossEntropyGroupTail(
    r, f64x2.promote_low_f32x4(mx), promoteHigh(mx), sum01, sum23, log01, log23, sv, loss01, loss23, mass01, mass23, alphas, true,
  );
}

// The rest of crossEntropyShortRowEnd for a group, from the rows' losses before the z-loss.
@inline function crossEntropyGroupTail(
  r: i32, m01: v128, m23: v128, sum01: v128, sum23: v128, log01: v128, log23: v128, sv: v128,
  loss01: v128, loss23: v128, mass01: v128, mass23: v128, alphas: usize, probs: bool = false,
): void {
  // Probability targets (a constant) have no ignored rows.
  const ignored = probs ? i32x4.splat(0) : i32x4.eq(v128.load(ceTargets + (<usize>r << 2)), i32x4.splat(ceIgnoreIndex));
  const ignored01 = i64x2.extend_low_i32x4_s(ignored), ignored23 = i64x2.extend_high_i32x4_s(ignored);
  const zl = f64x2.splat(<f64>ceZLoss);
  const lse01 = f64x2.add(f64x2.mul(m01, sv), log01), lse23 = f64x2.add(f64x2.mul(m23, sv), log23);
  if (ceZLoss != 0) {
    loss01 = f64x2.add(loss01, f64x2.mul(f64x2.mul(zl, lse01), lse01));
    loss23 = f64x2.add(loss23, f64x2.mul(f64x2.mul(zl, lse23), lse23));
  }
  // The sum runs on in row order, without the ignored rows.
  const skip = i32x4.bitmask(ignored);
  if (!(skip & 1)) ceTotal += f64x2.extract_lane(loss01, 0);
  if (!(skip & 2)) ceTotal += f64x2.extract_lane(loss01, 1);
  if (!(skip & 4)) ceTotal += f64x2.extract_lane(loss23, 0);
  if (!(skip & 8)) ceTotal += f64x2.extract_lane(loss23, 1);
  if (ceLosses != 0) v128.store(ceLosses + (<usize>r << 2), v128.andnot(demoteJoin(loss01, loss23), ignored));
  const gs = f64x2.splat(ceGradScale), twoZl = f64x2.mul(f64x2.splat(2), zl);
  const alpha01 = f64x2.div(f64x2.mul(gs, f64x2.add(mass01, f64x2.mul(twoZl, lse01))), sum01);
  const alpha23 = f64x2.div(f64x2.mul(gs, f64x2.add(mass23, f64x2.mul(twoZl, lse23))), sum23);
  v128.store(alphas, v128.andnot(alpha01, ignored01));
  v128.store(alphas, v128.andnot(alpha23, ignored23), 16);
}

// The gradient of a short row whose terms e_j are at g, scaled already by f32(α) unless that
// overflows float32 (then still e_j: the f64 path below keeps 0·α = 0): the target's −gs, or all
// zeros for an ignored row.
function crossEntropyShortRowGrad(g: usize, cols: i32, r: i32, alpha: f64): void {
  const t = load<i32>(ceTargets + (<usize>r << 2));
  if (t == ceIgnoreIndex) {
    memory.fill(g, 0, <usize>cols << 2);
    return;
  }
  if (abs(<f32>alpha) == Infinity) affineGradRowWide(g, 0, cols, alpha, 0);
  const gt = g + (<usize>t << 2);
  store<f32>(gt, load<f32>(gt) - <f32>ceGradScale);
}

// Whether a group's gradient ends must go row by row: some row of the four from r ignored, or its
// f32(α) (four f64 at alphas) overflowing float32. Both are rare; the rows then take the f64 path
// or all zeros.
@inline function groupEndsRowByRow(r: i32, alphas: usize): bool {
  const ignored = i32x4.eq(v128.load(ceTargets + (<usize>r << 2)), i32x4.splat(ceIgnoreIndex));
  return v128.any_true(v128.or(ignored, alphaOverflows(groupAlphas(alphas))));
}

// A group's four f32(α), by lane, from its four f64 at alphas.
@inline export function groupAlphas(alphas: usize): v128 {
  return demoteJoin(v128.load(alphas), v128.load(alphas, 16));
}

// The lanes of groupAlphas whose f32(α) overflows float32.
@inline export function alphaOverflows(alpha: v128): v128 {
  return f32x4.eq(f32x4.abs(alpha), f32x4.splat(Infinity));
}

// crossEntropyShortRowGrad for the four rows r…r + 3 of a group (row k at g + k·stride, its α at
// alphas + 8k). Where no row is ignored and no f32(α) overflows, as nearly always, each target's
// −gs is done here with the row function's operations; otherwise row by row. Four calls per group
// were 7 % of crossEntropy's short rows (design log item 42).
@inline export function crossEntropyGroupGrad(g: usize, stride: usize, cols: i32, r: i32, alphas: usize): void {
  if (groupEndsRowByRow(r, alphas)) {
    for (let k = 0; k < 4; k++) crossEntropyShortRowGrad(g + <usize>k * stride, cols, r + k, load<f64>(alphas + (<usize>k << 3)));
    return;
  }
  const gs = <f32>ceGradScale, targets = v128.load(ceTargets + (<usize>r << 2));
  const g0 = g + (<usize>i32x4.extract_lane(targets, 0) << 2);
  const g1 = g + stride + (<usize>i32x4.extract_lane(targets, 1) << 2);
  const g2 = g + 2 * stride + (<usize>i32x4.extract_lane(targets, 2) << 2);
  const g3 = g + 3 * stride + (<usize>i32x4.extract_lane(targets, 3) << 2);
  store<f32>(g0, load<f32>(g0) - gs);
  store<f32>(g1, load<f32>(g1) - gs);
  store<f32>(g2, load<f32>(g2) - gs);
  store<f32>(g3, load<f32>(g3) - gs);
}

// crossEntropyShortRowGrad's general form (ceGeneral): −gs·ε/C·w_j from every class, −gs·(1 − ε)·w_t
// from the target.
function crossEntropyShortRowGradGeneral(g: usize, cols: i32, r: i32, alpha: f64): void {
  const t = load<i32>(ceTargets + (<usize>r << 2));
  if (t == ceIgnoreIndex) {
    memory.fill(g, 0, <usize>cols << 2);
    return;
  }
  const beta = ceGradScale * ceEpsPerClass;
  // The terms are scaled already: 1·e_j − β·w_j, exact times 1, is e_j − β·w_j rounded as on every
  // path of affineGradRow. Without label smoothing β = 0 and the terms stay; the weights are not
  // read then, as a NaN or ∞ weight of a class no row targets must not reach the row (0·NaN).
  if (abs(<f32>alpha) == Infinity) affineGradRowWide(g, ceEps > 0 ? ceWeight : 0, cols, alpha, beta);
  else if (ceEps > 0) affineGradRow(g, ceWeight, cols, 1, <f32>beta);
  const gt = g + (<usize>t << 2);
  const wt: f64 = ceWeight != 0 ? <f64>load<f32>(ceWeight + (<usize>t << 2)) : 1; // crossEntropyTargetWeight
  store<f32>(gt, load<f32>(gt) - <f32>(ceGradScale * ceOneMinusEps * wt));
}

// crossEntropyShortRowGradGeneral for the four rows r…r + 3 of a group (row k at g + k·stride, its
// α at alphas + 8k and, with class weights, its crossEntropyTargetWeight at weights + 8k, as
// ceGroupGeneralStart left them). Where no row is ignored and no f32(α) overflows, one pass over
// the four rows does each row's −β·w_j with the row function's operations (e − β and, with
// weights, affineGradRow's madd on whole vectors, e − β·w on the tail columns: the same bits),
// sharing the weights' loads; then each target's −gs·(1 − ε)·w_t. Otherwise row by row. Four
// calls per group were 15–20 % of short rows' time with label smoothing (design log item 45).
@inline export function crossEntropyGroupGradGeneral(g: usize, stride: usize, cols: i32, r: i32, alphas: usize, weights: usize): void {
  if (groupEndsRowByRow(r, alphas)) {
    for (let k = 0; k < 4; k++) crossEntropyShortRowGradGeneral(g + <usize>k * stride, cols, r + k, load<f64>(alphas + (<usize>k << 3)));
    return;
  }
  const w = ceWeight;
  if (ceEps > 0) {
    const beta = <f32>(ceGradScale * ceEpsPerClass), bv = f32x4.splat(beta), negB = f32x4.splat(-beta);
    let j = 0;
    for (; j + 4 <= cols; j += 4) {
      const p = g + (<usize>j << 2);
      if (w == 0) {
        // affineGradRow's madd(e, 1, −β): e − β, rounded once either way.
        v128.store(p, f32x4.sub(v128.load(p), bv));
        v128.store(p + stride, f32x4.sub(v128.load(p + stride), bv));
        v128.store(p + 2 * stride, f32x4.sub(v128.load(p + 2 * stride), bv));
        v128.store(p + 3 * stride, f32x4.sub(v128.load(p + 3 * stride), bv));
      } else {
        const wv = v128.load(w + (<usize>j << 2));
        v128.store(p, madd(wv, negB, v128.load(p)));
        v128.store(p + stride, madd(wv, negB, v128.load(p + stride)));
        v128.store(p + 2 * stride, madd(wv, negB, v128.load(p + 2 * stride)));
        v128.store(p + 3 * stride, madd(wv, negB, v128.load(p + 3 * stride)));
      }
    }
    for (; j < cols; j++) {
      const p = g + (<usize>j << 2);
      const bw: f32 = w != 0 ? beta * load<f32>(w + (<usize>j << 2)) : beta;
      store<f32>(p, load<f32>(p) - bw);
      store<f32>(p + stride, load<f32>(p + stride) - bw);
      store<f32>(p + 2 * stride, load<f32>(p + 2 * stride) - bw);
      store<f32>(p + 3 * stride, load<f32>(p + 3 * stride) - bw);
    }
  }
  for (let k = 0; k < 4; k++) {
    const t = load<i32>(ceTargets + (<usize>(r + k) << 2));
    const wt: f64 = w != 0 ? load<f64>(weights + (<usize>k << 3)) : 1;
    const gt = g + <usize>k * stride + (<usize>t << 2);
    store<f32>(gt, load<f32>(gt) - <f32>(ceGradScale * ceOneMinusEps * wt));
  }
}

// Row r's target logit (at x, the row), 0 for an ignored row (whose target may be any number).
export function crossEntropyTargetLogit(x: usize, r: i32): f32 {
  const t = load<i32>(ceTargets + (<usize>r << 2));
  return t == ceIgnoreIndex ? 0 : load<f32>(x + (<usize>t << 2));
}

// Row r alone (logits at x, gradient at g or 0), with the result the four-row path gives it.
function crossEntropyShortRow(x: usize, g: usize, cols: i32, s: f32, r: i32): void {
  const t = load<i32>(ceTargets + (<usize>r << 2));
  if (t == ceIgnoreIndex) {
    crossEntropyShortRowEnd(r, 0, 0, 0, 0, s, 0, 0);
    if (g != 0) crossEntropyShortRowGrad(g, cols, r, 0);
    return;
  }
  const m = rowMax(x, cols);
  // Both read before g, which may be x, is written.
  const zt = crossEntropyTargetLogit(x, r);
  const gap = ceGeneral && ceEps > 0 ? rowGapSum(ceWeight, x, m, cols) : 0;
  const wt = crossEntropyTargetWeight(r);
  if (g == 0) {
    const sum = shortRowSumExp(x, cols, m, s);
    crossEntropyShortRowEnd(r, m, zt, sum, shortRowLog(sum), s, gap, wt);
    return;
  }
  expShiftedRow(x, g, cols, m, s);
  const sum = shortRowTermSum(g, cols);
  const alpha = crossEntropyShortRowEnd(r, m, zt, sum, shortRowLog(sum), s, gap, wt);
  if (abs(<f32>alpha) != Infinity) scaleRow(g, cols, <f32>alpha);
  if (ceGeneral) crossEntropyShortRowGradGeneral(g, cols, r, alpha);
  else crossEntropyShortRowGrad(g, cols, r, alpha);
}

// ε/C·W, the mass label smoothing spreads over the classes. With class indices and no label
// smoothing it is 0, not 0·W, which is NaN when a weight is NaN or ∞: PyTorch gathers each row's
// target weight, so a class no row targets does not reach the rows. Probability targets keep 0·W:
// PyTorch multiplies every weight by its target there, so such a weight makes every row NaN.
function spreadMass(eps: f64, epsPerClass: f64, weightTotal: f64, probs: bool): f64 {
  return eps > 0 || probs ? epsPerClass * weightTotal : 0;
}

// The short-row state (above) for a call of crossEntropyIndexRows or, with probs, crossEntropyProbRows.
function setShortRowState(
  probs: bool, targets: usize, weight: usize, weightTotal: f64, eps: f64, epsPerClass: f64, ignoreIndex: i32, zLoss: f32,
  s: f32, gradScale: f32, losses: usize, total: f64,
): void {
  ceProbs = probs;
  ceGeneral = probs || eps > 0 || weight != 0;
  ceEps = eps;
  ceOneMinusEps = 1 - eps;
  ceEpsPerClass = epsPerClass;
  ceWeight = weight;
  ceWeightTotal = weightTotal;
  ceSpreadMass = spreadMass(eps, epsPerClass, weightTotal, probs); // as the wide rows' α
  ceTargets = targets;
  ceIgnoreIndex = ignoreIndex;
  ceZLoss = zLoss;
  ceLosses = losses;
  ceGradScale = <f64>gradScale * scaleF64(s);
  ceTotal = total;
}

// The gradient factor for the exact exp's cutoff (vmath.ts, setGradientTermScale) of short rows,
// which share one cutoff per call: a lower bound of every row's. A row's factor is
// gs·((1 − ε)·w_t + ε/C·W) with a class index, gs·Σ_j w_j·ỹ_j with probability targets (summing to
// 1); both are at least gs·min_j w_j (gs itself without class weights). With z-loss the factor
// depends on the row's lse, known only after its exps: 1 then, softmax's cutoff.
function shortRowsGradientScale(gs: f64, weight: usize, cols: i32, zLoss: f32): f64 {
  if (zLoss != 0) return 1;
  let w: f64 = 1;
  if (weight != 0) {
    w = Infinity;
    for (let j = 0; j < cols; j++) w = min(w, <f64>load<f32>(weight + (<usize>j << 2))); // NaN stays
  }
  return gs * w;
}

// The short rows of either call, after setShortRowState: four at a time through softmax.ts's group
// code, the last rows % 4 one by one. Returns ceTotal.
function crossEntropyShortRows(logits: usize, grad: usize, rows: i32, cols: i32, s: f32, gs: f64, weight: usize, zLoss: f32): f64 {
  const stride = <usize>cols << 2;
  setGradientTermScale(grad != 0 ? shortRowsGradientScale(gs, weight, cols, zLoss) : 1);
  let r = crossEntropyRowGroups(logits, grad, rows, cols, s);
  for (; r < rows; r++) {
    const x = logits + <usize>r * stride, g = grad != 0 ? grad + <usize>r * stride : 0;
    if (ceProbs) crossEntropyShortProbRow(x, g, cols, s, r);
    else crossEntropyShortRow(x, g, cols, s, r);
  }
  setGradientTermScale(1);
  return ceTotal;
}

// Targets as class indices (i32). Returns total + Σ over rows of the row losses, added in row order
// (a call over a block of rows continues the sum of the blocks before it).
export function crossEntropyIndexRows(
  logits: usize, targets: usize, rows: i32, cols: i32,
  weight: usize, ignoreIndex: i32, labelSmoothing: f32, zLoss: f32, invTemperature: f32, invTemperatureTail: f32,
  gradScale: f32, grad: usize, losses: usize, total: f64,
): f64 {
  setScaleTail(invTemperatureTail);
  const stride = <usize>cols << 2;
  const eps = <f64>labelSmoothing;
  const epsPerClass = eps / <f64>cols;
  const weightTotal = weight != 0 ? rowSum(weight, cols) : <f64>cols;
  const spread = spreadMass(eps, epsPerClass, weightTotal, false);
  // Without label smoothing a row reads only its target's weight (as PyTorch gathers w[t]).
  const spreadWeight = eps > 0 ? weight : 0;
  const s = invTemperature;
  const gs = <f64>gradScale * scaleF64(s);
  if (cols < SHORT_ROW) {
    setShortRowState(false, targets, weight, weightTotal, eps, epsPerClass, ignoreIndex, zLoss, s, gradScale, losses, total);
    return crossEntropyShortRows(logits, grad, rows, cols, s, gs, weight, zLoss);
  }
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
    const m = rowMax(x, cols);
    const xt = <f64>load<f32>(x + (<usize>t << 2));
    const gapSum = eps > 0 ? rowGapSum(weight, x, m, cols) : 0;
    const wt = weight != 0 ? <f64>load<f32>(weight + (<usize>t << 2)) : 1.0;
    let sum: f64;
    if (g != 0) {
      // The gradient's factor off the target, for the exp's cutoff (vmath.ts, exactCutoff): α·Σ
      // below, less z-loss's part, which needs the lse (then softmax's cutoff).
      setGradientTermScale(zLoss == 0 ? gs * ((1 - eps) * wt + spread) : 1);
      sum = expShiftedRow(x, g, cols, m, s);
    } else {
      sum = sumExpShiftedRow(x, cols, m, s);
    }
    // −log a_j = lse − z_j·s = (m − z_j)·s + log Σ, with m − z_j exact in f64: forming lse and
    // z_j·s separately would cancel their rounding errors (|m·s|·6e-8) into the loss.
    const logSum = Math.log(sum);
    const lse = <f64>m * scaleF64(s) + logSum;
    // With ε = 1 the target is uniform: the class's own term is absent, not 0·∞ = NaN for a −∞ logit.
    let loss = eps < 1 ? (1 - eps) * wt * ((<f64>m - xt) * scaleF64(s) + logSum) : 0;
    if (eps > 0) loss += epsPerClass * (weightTotal * logSum + gapSum * scaleF64(s));
    if (zLoss != 0) loss += <f64>zLoss * lse * lse;
    total += loss;
    if (losses != 0) store<f32>(losses + (<usize>r << 2), <f32>loss);
    if (g != 0) {
      const alpha = gs * ((1 - eps) * wt + spread + 2 * <f64>zLoss * lse) / sum;
      if (abs(<f32>alpha) != Infinity) affineGradRow(g, spreadWeight, cols, <f32>alpha, <f32>(gs * epsPerClass));
      else affineGradRowWide(g, spreadWeight, cols, alpha, gs * epsPerClass);
      const gt = g + (<usize>t << 2);
      store<f32>(gt, load<f32>(gt) - <f32>(gs * (1 - eps) * wt));
    }
  }
  setGradientTermScale(1);
  return total;
}

// Σ_j w_j·y_j, summed by weightedTargetGap alongside its gap.
let lastTargetWeight: f64 = 0;

// Σ_j w_j·y_j·(m − z_j) over one row whose maximum is m (w = 0 means all ones), and Σ_j w_j·y_j
// into lastTargetWeight. A zero target contributes nothing even when its logit is −∞ (a mask),
// where 0·∞ would otherwise turn the loss into NaN. Every term is ≥ 0 for w, y ≥ 0, so float32
// lanes summing SUM_BLOCK terms into f64 keep ~1e-7 relative error, as the other row sums do; f64
// lanes, where every term is exact, made the whole loss take 1.1–1.4× this time on rows of 63
// columns and more (design log item 29). Two loops: one reading four unit weights in place of an
// absent vector made rows without weights up to 10 % slower (item 27).
function weightedTargetGap(weight: usize, y: usize, z: usize, m: f32, n: i32): f64 {
  const mv = f32x4.splat(m), zero = f32x4.splat(0);
  let total: f64 = 0, mass: f64 = 0;
  let i = 0;
  while (i + 4 <= n) {
    const end = min(n & ~3, i + SUM_BLOCK);
    let gapAcc = zero, massAcc = zero;
    if (weight == 0) {
      for (; i < end; i += 4) {
        const o = <usize>i << 2;
        const yv = v128.load(y + o);
        const d = v128.andnot(f32x4.sub(mv, v128.load(z + o)), f32x4.eq(yv, zero));
        gapAcc = madd(yv, d, gapAcc);
        massAcc = f32x4.add(massAcc, yv);
      }
    } else {
      for (; i < end; i += 4) {
        const o = <usize>i << 2;
        const yv = v128.load(y + o), wy = f32x4.mul(v128.load(weight + o), yv);
        const d = v128.andnot(f32x4.sub(mv, v128.load(z + o)), f32x4.eq(yv, zero));
        gapAcc = madd(wy, d, gapAcc);
        massAcc = f32x4.add(massAcc, wy);
      }
    }
    total += <f64>hsum(gapAcc);
    mass += <f64>hsum(massAcc);
  }
  // A row whose float32 sums overflowed (a span or a weighted target beyond FLT_MAX) or met a NaN
  // starts again in f64, one column at a time, where w_j·y_j and m − z_j are exact.
  if (!isFinite(total + mass)) {
    i = 0;
    total = 0;
    mass = 0;
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const yi = load<f32>(y + o);
    if (yi == 0) continue;
    const wy = <f64>(weight != 0 ? load<f32>(weight + o) : 1) * <f64>yi;
    mass += wy;
    total += wy * (<f64>m - <f64>load<f32>(z + o));
  }
  lastTargetWeight = mass;
  return total;
}

// ∂J/∂z_j = α·e_j − w_j·(β·y_j + βε) over one row with probability targets y, in place over the
// terms e_j at g (w = 0 means all ones), for an α that float32 holds; probTargetGradRowWide below
// is the f64 form for one it does not.
function probTargetGradRow(g: usize, y: usize, weight: usize, n: i32, alpha: f32, beta: f32, betaEps: f32): void {
  const av = f32x4.splat(alpha), bv = f32x4.splat(beta), bev = f32x4.splat(betaEps);
  let i = 0;
  if (weight == 0) {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(g + o, madd(v128.load(g + o), av, f32x4.neg(madd(v128.load(y + o), bv, bev))));
    }
  } else {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const target = f32x4.mul(v128.load(weight + o), madd(v128.load(y + o), bv, bev));
      v128.store(g + o, madd(v128.load(g + o), av, f32x4.neg(target)));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const wi: f32 = weight != 0 ? load<f32>(weight + o) : 1;
    store<f32>(g + o, load<f32>(g + o) * alpha - wi * (beta * load<f32>(y + o) + betaEps));
  }
}

// probTargetGradRow in f64, for an α beyond FLT_MAX (z-loss on logits near it): there α·e_j with
// e_j = 0 must stay 0 rather than become ∞·0 = NaN.
function probTargetGradRowWide(g: usize, y: usize, weight: usize, n: i32, alpha: f64, beta: f64, betaEps: f64): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const wi: f64 = weight != 0 ? <f64>load<f32>(weight + o) : 1;
    store<f32>(g + o, <f32>(<f64>load<f32>(g + o) * alpha - wi * (beta * <f64>load<f32>(y + o) + betaEps)));
  }
}

// ---- short rows with probability targets: the group code's ends, and a row alone ----------------

// Σ_j w_j·ỹ_j, left by crossEntropyProbTargetGap.
export let lastTargetMass: f64 = 0;

// Σ_j w_j·ỹ_j·(m − z_j) over a row (logits at x, probability targets at y, maximum m) with the
// smoothed target ỹ = (1 − ε)·y + ε/C, and Σ_j w_j·ỹ_j into lastTargetMass; short and wide rows
// alike. Read before the exp pass, which may write the gradient over the logits.
export function crossEntropyProbTargetGap(x: usize, y: usize, cols: i32, m: f32): f64 {
  const gapY = weightedTargetGap(ceWeight, y, x, m, cols);
  lastTargetMass = ceOneMinusEps * lastTargetWeight + ceSpreadMass;
  let gap = ceEps < 1 ? ceOneMinusEps * gapY : 0;
  if (ceEps > 0) gap += ceEpsPerClass * rowGapSum(ceWeight, x, m, cols);
  return gap;
}

// The end of short row r with probability targets (maximum m, sum = Σ_j e^{(z_j − m)·s}, logSum
// its log by logLanes, mass and gap from crossEntropyProbTargetGap): adds its loss
// log Σ·Σ w ỹ + s·Σ w ỹ (m − z) + zl·lse² to ceTotal, stores it in the losses, and returns the
// gradient's factor α = gs·(Σ w ỹ + 2·zl·lse) / Σ.
function crossEntropyShortProbRowEnd(r: i32, m: f32, sum: f64, logSum: f64, s: f32, mass: f64, gap: f64): f64 {
  const lse = <f64>m * scaleF64(s) + logSum;
  let loss = logSum * mass + gap * scaleF64(s);
  if (ceZLoss != 0) loss += <f64>ceZLoss * lse * lse;
  ceTotal += loss;
  if (ceLosses != 0) store<f32>(ceLosses + (<usize>r << 2), <f32>loss);
  return ceGradScale * (mass + 2 * <f64>ceZLoss * lse) / sum;
}

// The gradient of short row r with probability targets, its terms e_j at g scaled already by
// f32(α) unless that overflows float32 (then still e_j, and the f64 path scales them):
// α·e_j − w_j·gs·ỹ_j.
function crossEntropyShortProbRowGrad(g: usize, cols: i32, r: i32, alpha: f64): void {
  const y = ceTargets + <usize>r * (<usize>cols << 2);
  const beta = ceGradScale * ceOneMinusEps, betaEps = ceGradScale * ceEpsPerClass;
  if (abs(<f32>alpha) == Infinity) probTargetGradRowWide(g, y, ceWeight, cols, alpha, beta, betaEps);
  else probTargetGradRow(g, y, ceWeight, cols, 1, <f32>beta, <f32>betaEps);
}

// crossEntropyShortProbRowGrad for the four rows r…r + 3 of a group (row k at g + k·stride, its α
// at alphas + 8k). Where no f32(α) overflows, one pass over the four rows with probTargetGradRow's
// operations (the same bits: its madd on whole vectors, the scalar form on the tail columns),
// sharing the weights' loads; otherwise row by row.
@inline export function crossEntropyGroupProbGrad(g: usize, stride: usize, cols: i32, r: i32, alphas: usize): void {
  if (v128.any_true(alphaOverflows(groupAlphas(alphas)))) {
    for (let k = 0; k < 4; k++) crossEntropyShortProbRowGrad(g + <usize>k * stride, cols, r + k, load<f64>(alphas + (<usize>k << 3)));
    return;
  }
  const w = ceWeight, rowBytes = <usize>cols << 2, y = ceTargets + <usize>r * rowBytes;
  const beta = <f32>(ceGradScale * ceOneMinusEps), betaEps = <f32>(ceGradScale * ceEpsPerClass);
  const bv = f32x4.splat(beta), bev = f32x4.splat(betaEps);
  let j = 0;
  for (; j + 4 <= cols; j += 4) {
    const o = <usize>j << 2, p = g + o, q = y + o;
    let t0 = madd(v128.load(q), bv, bev), t1 = madd(v128.load(q + rowBytes), bv, bev);
    let t2 = madd(v128.load(q + 2 * rowBytes), bv, bev), t3 = madd(v128.load(q + 3 * rowBytes), bv, bev);
    if (w != 0) {
      const wv = v128.load(w + o);
      t0 = f32x4.mul(wv, t0);
      t1 = f32x4.mul(wv, t1);
      t2 = f32x4.mul(wv, t2);
      t3 = f32x4.mul(wv, t3);
    }
    // probTargetGradRow's madd(e, 1, −t): e − t, rounded once either way.
    v128.store(p, f32x4.sub(v128.load(p), t0));
    v128.store(p + stride, f32x4.sub(v128.load(p + stride), t1));
    v128.store(p + 2 * stride, f32x4.sub(v128.load(p + 2 * stride), t2));
    v128.store(p + 3 * stride, f32x4.sub(v128.load(p + 3 * stride), t3));
  }
  for (; j < cols; j++) {
    const o = <usize>j << 2;
    const wj: f32 = w != 0 ? load<f32>(w + o) : 1;
    for (let k = 0; k < 4; k++) {
      const p = g + <usize>k * stride + o;
      store<f32>(p, load<f32>(p) - wj * (beta * load<f32>(y + <usize>k * rowBytes + o) + betaEps));
    }
  }
}

// Row r alone (logits at x, gradient at g or 0), with the result the four-row path gives it.
function crossEntropyShortProbRow(x: usize, g: usize, cols: i32, s: f32, r: i32): void {
  const m = rowMax(x, cols);
  const gap = crossEntropyProbTargetGap(x, ceTargets + <usize>r * (<usize>cols << 2), cols, m);
  const mass = lastTargetMass;
  if (g == 0) {
    const sum = shortRowSumExp(x, cols, m, s);
    crossEntropyShortProbRowEnd(r, m, sum, shortRowLog(sum), s, mass, gap);
    return;
  }
  expShiftedRow(x, g, cols, m, s);
  const sum = shortRowTermSum(g, cols);
  const alpha = crossEntropyShortProbRowEnd(r, m, sum, shortRowLog(sum), s, mass, gap);
  if (abs(<f32>alpha) != Infinity) scaleRow(g, cols, <f32>alpha);
  crossEntropyShortProbRowGrad(g, cols, r, alpha);
}

// Targets as probabilities, one row of cols per logits row. Returns total + Σ of the row losses.
export function crossEntropyProbRows(
  logits: usize, targets: usize, rows: i32, cols: i32,
  weight: usize, labelSmoothing: f32, zLoss: f32, invTemperature: f32, invTemperatureTail: f32,
  gradScale: f32, grad: usize, losses: usize, total: f64,
): f64 {
  setScaleTail(invTemperatureTail);
  const stride = <usize>cols << 2;
  const eps = <f64>labelSmoothing;
  const epsPerClass = eps / <f64>cols;
  const weightTotal = weight != 0 ? rowSum(weight, cols) : <f64>cols;
  const s = invTemperature;
  const gs = <f64>gradScale * scaleF64(s);
  setShortRowState(true, targets, weight, weightTotal, eps, epsPerClass, 0, zLoss, s, gradScale, losses, total);
  if (cols < SHORT_ROW) return crossEntropyShortRows(logits, grad, rows, cols, s, gs, weight, zLoss);
  for (let r = 0; r < rows; r++) {
    const off = <usize>r * stride;
    const x = logits + off, y = targets + off;
    const g = grad != 0 ? grad + off : 0;
    // Smoothed target ỹ = (1 − ε)·y + ε/C; the loss is Σ w ỹ (lse − z·s), summed as
    // log Σ·Σ w ỹ + s·Σ w ỹ (m − z): terms ≥ 0, no cancellation when the logits are large. The
    // logits terms are read before the exp pass, which may overwrite the logits (grad aliasing
    // logits).
    const m = rowMax(x, cols);
    const targetGap = crossEntropyProbTargetGap(x, y, cols, m);
    const targetMass = lastTargetMass;
    let sum: f64;
    if (g != 0) {
      setGradientTermScale(zLoss == 0 ? gs * targetMass : 1); // α·Σ below, as for class indices
      sum = expShiftedRow(x, g, cols, m, s);
    } else {
      sum = sumExpShiftedRow(x, cols, m, s);
    }
    const logSum = Math.log(sum);
    const lse = <f64>m * scaleF64(s) + logSum;
    let loss = logSum * targetMass + targetGap * scaleF64(s);
    if (zLoss != 0) loss += <f64>zLoss * lse * lse;
    total += loss;
    if (losses != 0) store<f32>(losses + (<usize>r << 2), <f32>loss);
    if (g != 0) {
      const alpha = gs * (targetMass + 2 * <f64>zLoss * lse) / sum;
      const beta = gs * (1 - eps), betaEps = gs * epsPerClass;
      if (abs(<f32>alpha) != Infinity) probTargetGradRow(g, y, weight, cols, <f32>alpha, <f32>beta, <f32>betaEps);
      else probTargetGradRowWide(g, y, weight, cols, alpha, beta, betaEps);
    }
  }
  setGradientTermScale(1);
  return total;
}

// ---- other losses ---------------------------------------------------------------------------------
// Elementwise losses over n values. Each element's loss is computed in f32 lanes but summed in
// f64 lanes (f64x2.promote_low_f32x4), so the returned sum neither overflows for logits near
// ±FLT_MAX nor loses the small terms of a long vector.

// log(1 + t) for t ∈ [0, 1] as 2·atanh(s), s = t/(2 + t) ∈ [0, 1/3]: an identity, not an
// approximation, and computing s cancels nothing, so small t keep their full relative accuracy
// (log(1 + t) in f32 would round 1 + t first and lose them). The series
// atanh(s) = s·Σ_k s^{2k}/(2k + 1) is cut after s^12: the first omitted term is below 1.5e-8
// relative for s ≤ 1/3.
@inline function log1pUnit4(t: v128): v128 {
  const s = f32x4.div(t, f32x4.add(t, f32x4.splat(2)));
  const z = f32x4.mul(s, s);
  let p = madd(f32x4.splat(<f32>(1.0 / 13)), z, f32x4.splat(<f32>(1.0 / 11)));
  p = madd(p, z, f32x4.splat(<f32>(1.0 / 9)));
  p = madd(p, z, f32x4.splat(<f32>(1.0 / 7)));
  p = madd(p, z, f32x4.splat(<f32>(1.0 / 5)));
  p = madd(p, z, f32x4.splat(<f32>(1.0 / 3)));
  const twoS = f32x4.add(s, s);
  return madd(f32x4.mul(twoS, z), p, twoS);
}

// Per element: MATH.md's max(z, 0) − z·y + log(1 + e^{−|z|}), with max(z, 0) − z·y written as
// |z|·w, w = (z ≥ 0 ? 1 − y : y). For targets in [0, 1] both terms are ≥ 0, so nothing cancels
// (z − z·y would lose the loss of a confident, nearly right logit), and a zero w contributes
// exactly 0 even for an infinite z (the limit; 0·∞ would be NaN). The gradient σ(z) − y reuses
// t = e^{−|z|}.
@inline function binaryCrossEntropy4(z: v128, y: v128, t: v128): v128 {
  const w = v128.bitselect(f32x4.sub(f32x4.splat(1), y), y, f32x4.ge(z, f32x4.splat(0)));
  const margin = v128.andnot(f32x4.mul(f32x4.abs(z), w), f32x4.eq(w, f32x4.splat(0)));
  return f32x4.add(margin, log1pUnit4(t));
}

// σ(z) − y without cancelling: with u = σ(−|z|) = t/(1 + t), it is (1 − y) − u for z ≥ 0 and
// u − y below. σ(z) − y formed directly loses u's digits for a large z and y = 1: 1 − σ(z) ≈ u
// sits under 1's half ulp from z ≈ 17, which gave 0 there instead of −e^{−z}.
@inline function sigmoidMinusTarget4(z: v128, y: v128, t: v128): v128 {
  const u = f32x4.div(t, f32x4.add(t, f32x4.splat(1)));
  return v128.bitselect(f32x4.sub(f32x4.sub(f32x4.splat(1), y), u), f32x4.sub(u, y), f32x4.ge(z, f32x4.splat(0)));
}

// Σ of the per-element losses; grad_i = (σ(z_i) − y_i)·gradScale and losses_i when those
// pointers are non-zero.
export function binaryCrossEntropyWithLogits(
  logits: usize, targets: usize, n: i32, gradScale: f32, grad: usize, losses: usize,
): f64 {
  const gs = f32x4.splat(gradScale);
  let accLo = f64x2.splat(0), accHi = f64x2.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const z = v128.load(logits + o), y = v128.load(targets + o);
    const t = expFlushed4(negAbs4(z));
    const loss = binaryCrossEntropy4(z, y, t);
    accLo = f64x2.add(accLo, f64x2.promote_low_f32x4(loss));
    accHi = f64x2.add(accHi, promoteHigh(loss));
    if (losses != 0) v128.store(losses + o, loss);
    if (grad != 0) v128.store(grad + o, f32x4.mul(sigmoidMinusTarget4(z, y, t), gs));
  }
  let total = f64x2Sum(f64x2.add(accLo, accHi));
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const z = f32x4.splat(load<f32>(logits + o)), y = f32x4.splat(load<f32>(targets + o));
    const t = expFlushed4(negAbs4(z));
    const loss = f32x4.extract_lane(binaryCrossEntropy4(z, y, t), 0);
    total += <f64>loss;
    if (losses != 0) store<f32>(losses + o, loss);
    if (grad != 0) {
      store<f32>(grad + o, f32x4.extract_lane(f32x4.mul(sigmoidMinusTarget4(z, y, t), gs), 0));
    }
  }
  return total;
}

// ½ Σ (y_i − Y_i)²; grad_i = (y_i − Y_i)·gradScale when grad is non-zero. The differences are
// taken in f64 lanes, where y − Y of two floats is exact (up to a 2^−53 rounding) and its square
// cannot overflow, so the result is the oracle's up to the final rounding of each gradient.
export function squaredError(predictions: usize, targets: usize, n: i32, gradScale: f64, grad: usize): f64 {
  const gs = f64x2.splat(gradScale);
  let accLo = f64x2.splat(0), accHi = f64x2.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const p = v128.load(predictions + o), t = v128.load(targets + o);
    const dLo = f64x2.sub(f64x2.promote_low_f32x4(p), f64x2.promote_low_f32x4(t));
    const dHi = f64x2.sub(promoteHigh(p), promoteHigh(t));
    accLo = f64x2.add(accLo, f64x2.mul(dLo, dLo));
    accHi = f64x2.add(accHi, f64x2.mul(dHi, dHi));
    if (grad != 0) v128.store(grad + o, demoteJoin(f64x2.mul(dLo, gs), f64x2.mul(dHi, gs)));
  }
  let total = f64x2Sum(f64x2.add(accLo, accHi));
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const d = <f64>load<f32>(predictions + o) - <f64>load<f32>(targets + o);
    total += d * d;
    if (grad != 0) store<f32>(grad + o, <f32>(d * gradScale));
  }
  return 0.5 * total;
}
