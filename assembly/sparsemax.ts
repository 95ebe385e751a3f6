// Sparsemax (Martins & Astudillo, 2016, "From Softmax to Sparsemax"): per row the Euclidean
// projection onto the probability simplex, y_j = max(z_j − τ, 0) with Σ y = 1, and its
// vector–Jacobian product.
//
// τ without sorting: f(τ) = Σ_j max(z_j − τ, 0) − 1 is convex, decreasing and piecewise linear,
// and Newton's method on it from the left is Michelot's (1986) algorithm: with S the support
// {j : z_j > τ}, the step τ ← (Σ_S z_j − 1)/|S| lands on the linear piece's root, never beyond τ*,
// and the support only shrinks. When a pass finds the same support again, τ is the exact
// threshold of that support, the result the sort-based Algorithm 1 of the paper computes. From
// τ₀ = max z − 1 (a lower bound: the maximum alone already gives f ≥ 0) this takes a few O(cols)
// passes on typical rows; at most one per support size.
//
// The passes run in f64 lanes on d_j = z_j − max z (the shift keeps τ ∈ [−1, 0) resolvable next
// to huge logits), so τ carries no float32 rounding and no sum can overflow.
// Each output is then rounded once, y_j = f32(max(d_j − τ, 0)), exactly zero off the support.
import { promoteHigh, demoteJoin, f64x2Sum } from './vmath';
import { rowMaxOrNaN } from './rows';

// The support {d_j > tau} of one row, with d_j = x_j − m: its size and Σ (d_j − tau) over it.
let supportSize: i32 = 0;

function supportExcess(x: usize, n: i32, m: f64, tau: f64): f64 {
  const mv = f64x2.splat(m), tv = f64x2.splat(tau);
  let excessLo = f64x2.splat(0), excessHi = excessLo;
  let count = i64x2.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(x + (<usize>i << 2));
    const lo = f64x2.sub(f64x2.sub(f64x2.promote_low_f32x4(v), mv), tv);
    const hi = f64x2.sub(f64x2.sub(promoteHigh(v), mv), tv);
    const inLo = f64x2.gt(lo, f64x2.splat(0)), inHi = f64x2.gt(hi, f64x2.splat(0));
    excessLo = f64x2.add(excessLo, v128.and(lo, inLo));
    excessHi = f64x2.add(excessHi, v128.and(hi, inHi));
    count = i64x2.sub(i64x2.sub(count, inLo), inHi);
  }
  let excess = f64x2Sum(f64x2.add(excessLo, excessHi));
  let size = <i32>(i64x2.extract_lane(count, 0) + i64x2.extract_lane(count, 1));
  for (; i < n; i++) {
    const e = <f64>load<f32>(x + (<usize>i << 2)) - m - tau;
    if (e > 0) {
      excess += e;
      size++;
    }
  }
  supportSize = size;
  return excess;
}

// out_j = f32(max(x_j − m − tau, 0)); out may alias x.
function writeProjection(x: usize, out: usize, n: i32, m: f64, tau: f64): void {
  const mv = f64x2.splat(m), tv = f64x2.splat(tau), zero = f64x2.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const v = v128.load(x + o);
    const lo = f64x2.pmax(zero, f64x2.sub(f64x2.sub(f64x2.promote_low_f32x4(v), mv), tv));
    const hi = f64x2.pmax(zero, f64x2.sub(f64x2.sub(promoteHigh(v), mv), tv));
    v128.store(out + o, demoteJoin(lo, hi));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const e = <f64>load<f32>(x + o) - m - tau;
    store<f32>(out + o, <f32>(e > 0 ? e : 0));
  }
}

// A row with a NaN or +∞, or with every entry −∞, becomes all NaN (as softmax); −∞ entries of
// other rows get exactly 0.
export function sparsemaxRows(x: usize, out: usize, rows: i32, cols: i32): void {
  const stride = <usize>cols << 2;
  for (let r = 0; r < rows; r++) {
    const xr = x + <usize>r * stride, yr = out + <usize>r * stride;
    const max = rowMaxOrNaN(xr, cols);
    if (!isFinite(max)) {
      for (let j = 0; j < cols; j++) store<f32>(yr + (<usize>j << 2), NaN);
      continue;
    }
    const m = <f64>max;
    let tau: f64 = -1;
    let excess = supportExcess(xr, cols, m, tau);
    let size = supportSize;
    while (true) {
      tau += (excess - 1) / <f64>size;
      excess = supportExcess(xr, cols, m, tau);
      // The same support again (or, by a last-bit rounding of τ, one that grew): τ is its exact
      // threshold. Otherwise the support shrank and Newton continues.
      if (supportSize >= size) break;
      size = supportSize;
    }
    writeProjection(xr, yr, cols, m, tau);
  }
}

// dx_j = [y_j > 0]·(dy_j − v̂), v̂ = mean of dy over the support (the Jacobian is
// diag(s) − s sᵀ/|S|, s the support indicator). Off-support entries get exactly 0 whatever dy
// holds there; dx may alias y or dy.
export function sparsemaxBackwardRows(y: usize, dy: usize, dx: usize, rows: i32, cols: i32): void {
  const stride = <usize>cols << 2;
  const zero = f32x4.splat(0);
  for (let r = 0; r < rows; r++) {
    const off = <usize>r * stride;
    const yr = y + off, gr = dy + off, dr = dx + off;
    let sumLo = f64x2.splat(0), sumHi = sumLo;
    let count = i32x4.splat(0);
    let i = 0;
    for (; i + 4 <= cols; i += 4) {
      const o = <usize>i << 2;
      const inSupport = f32x4.gt(v128.load(yr + o), zero);
      const g = v128.and(v128.load(gr + o), inSupport);
      sumLo = f64x2.add(sumLo, f64x2.promote_low_f32x4(g));
      sumHi = f64x2.add(sumHi, promoteHigh(g));
      count = i32x4.sub(count, inSupport);
    }
    let total = f64x2Sum(f64x2.add(sumLo, sumHi));
    let size = i32x4.extract_lane(count, 0) + i32x4.extract_lane(count, 1)
      + i32x4.extract_lane(count, 2) + i32x4.extract_lane(count, 3);
    for (let j = i; j < cols; j++) {
      const o = <usize>j << 2;
      if (load<f32>(yr + o) > 0) {
        total += <f64>load<f32>(gr + o);
        size++;
      }
    }
    const mean = total / <f64>size;
    const mv = f64x2.splat(mean);
    i = 0;
    for (; i + 4 <= cols; i += 4) {
      const o = <usize>i << 2;
      const inSupport = f32x4.gt(v128.load(yr + o), zero);
      const g = v128.load(gr + o);
      const centred = demoteJoin(
        f64x2.sub(f64x2.promote_low_f32x4(g), mv), f64x2.sub(promoteHigh(g), mv),
      );
      v128.store(dr + o, v128.and(centred, inSupport));
    }
    for (; i < cols; i++) {
      const o = <usize>i << 2;
      store<f32>(dr + o, load<f32>(yr + o) > 0 ? <f32>(<f64>load<f32>(gr + o) - mean) : 0);
    }
  }
}
