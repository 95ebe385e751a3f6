// Row-wise softmax family over a rows × cols row-major f32 matrix. Every kernel first subtracts
// the row maximum (softmax(z) = softmax(z − max z)), so every exponent is ≤ 0 and nothing
// overflows; logits are divided by the temperature T through invTemperature = 1/T.
import {
  exp4, exp1, expShifted4Exact, expShifted1Exact, hsum, rowMax, rowDot, scaleRow, lastRowMin,
  EXACT_SHIFT_THRESHOLD, SUM_BLOCK,
} from './vmath';

// Whether the row just scanned by rowMax (max m) needs the exact-shift exp path at scale s.
@inline function needsExactShift(m: f32, s: f32): bool {
  return (m - lastRowMin) * s >= EXACT_SHIFT_THRESHOLD;
}

// e^{(x − m)·s} lane-wise, through the exact-shift path when the row's range needs it. `exact`
// is constant inside each loop below, so the branch is predicted perfectly.
@inline function expShifted4(x: v128, mv: v128, sv: v128, exact: bool): v128 {
  return exact ? expShifted4Exact(x, mv, sv) : exp4(f32x4.mul(f32x4.sub(x, mv), sv));
}

@inline function expShifted1(x: f32, m: f32, s: f32, exact: bool): f32 {
  return exact ? expShifted1Exact(x, m, s) : exp1((x - m) * s);
}

// out_j = e^{(x_j − m)·s} for one row just scanned by rowMax; returns Σ out_j (f64, blocked).
// out may alias x.
export function expShiftedRow(x: usize, out: usize, n: i32, m: f32, s: f32): f64 {
  const exact = needsExactShift(m, s);
  const mv = f32x4.splat(m), sv = f32x4.splat(s);
  let total: f64 = 0;
  let i = 0;
  while (i + 8 <= n) {
    const end = min(n & ~7, i + SUM_BLOCK);
    let acc0 = f32x4.splat(0), acc1 = f32x4.splat(0);
    for (; i < end; i += 8) {
      const o = <usize>i << 2;
      const e0 = expShifted4(v128.load(x + o), mv, sv, exact);
      const e1 = expShifted4(v128.load(x + o, 16), mv, sv, exact);
      v128.store(out + o, e0);
      v128.store(out + o, e1, 16);
      acc0 = f32x4.add(acc0, e0);
      acc1 = f32x4.add(acc1, e1);
    }
    total += <f64>hsum(f32x4.add(acc0, acc1));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const e = expShifted1(load<f32>(x + o), m, s, exact);
    store<f32>(out + o, e);
    total += <f64>e;
  }
  return total;
}

// Σ_j e^{(x_j − m)·s} without storing the terms, for a row just scanned by rowMax.
export function sumExpShiftedRow(x: usize, n: i32, m: f32, s: f32): f64 {
  const exact = needsExactShift(m, s);
  const mv = f32x4.splat(m), sv = f32x4.splat(s);
  let total: f64 = 0;
  let i = 0;
  while (i + 8 <= n) {
    const end = min(n & ~7, i + SUM_BLOCK);
    let acc0 = f32x4.splat(0), acc1 = f32x4.splat(0);
    for (; i < end; i += 8) {
      const o = <usize>i << 2;
      acc0 = f32x4.add(acc0, expShifted4(v128.load(x + o), mv, sv, exact));
      acc1 = f32x4.add(acc1, expShifted4(v128.load(x + o, 16), mv, sv, exact));
    }
    total += <f64>hsum(f32x4.add(acc0, acc1));
  }
  for (; i < n; i++) total += <f64>expShifted1(load<f32>(x + (<usize>i << 2)), m, s, exact);
  return total;
}

// Whether one of n floats is NaN (for rows whose maximum is +∞ only, so a plain loop).
function rowHasNaN(x: usize, n: i32): bool {
  for (let i = 0; i < n; i++) {
    const v = load<f32>(x + (<usize>i << 2));
    if (v != v) return true;
  }
  return false;
}

// log Σ_j e^{x_j·s} of one row = m·s + log Σ e^{(x_j − m)·s}, where m = max x. An infinite
// maximum is not subtracted (as in PyTorch): a row containing +∞ gives +∞ (NaN if it also holds a
// NaN), decided without exp, whose approximation is only valid for arguments ≤ ln FLT_MAX; an all
// −∞ row gives log 0 = −∞ instead of NaN from ∞ − ∞.
@inline function logSumExpRow(x: usize, n: i32, s: f32): f32 {
  let m = rowMax(x, n);
  if (m == Infinity) return rowHasNaN(x, n) ? NaN : Infinity;
  if (m == -Infinity) m = 0;
  return <f32>(<f64>(m * s) + Math.log(sumExpShiftedRow(x, n, m, s)));
}

export function softmaxRows(x: usize, out: usize, rows: i32, cols: i32, invTemperature: f32): void {
  const stride = <usize>cols << 2;
  for (let r = 0; r < rows; r++) {
    const xr = x + <usize>r * stride, yr = out + <usize>r * stride;
    const m = rowMax(xr, cols);
    const total = expShiftedRow(xr, yr, cols, m, invTemperature);
    scaleRow(yr, yr, cols, <f32>(1.0 / total));
  }
}

// log a_j of a row whose range max − min overflows float32 (logits beyond ±1.7e38): x_j − m
// would round to −∞ even where (x_j − m)·s, for s < 1, is a finite float32. Rare, so plain f64.
function logSoftmaxWideRow(xr: usize, yr: usize, cols: i32, m: f32, s: f32, logTotal: f32): void {
  for (let i = 0; i < cols; i++) {
    const o = <usize>i << 2;
    const xi = load<f32>(xr + o);
    store<f32>(yr + o, <f32>((<f64>xi - <f64>m) * <f64>s - <f64>logTotal));
  }
}

// log a_j = (x_j − m)·s − log Σ_k e^{(x_k − m)·s}: never forms log(a).
export function logSoftmaxRows(x: usize, out: usize, rows: i32, cols: i32, invTemperature: f32): void {
  const stride = <usize>cols << 2;
  const sv = f32x4.splat(invTemperature);
  for (let r = 0; r < rows; r++) {
    const xr = x + <usize>r * stride, yr = out + <usize>r * stride;
    const m = rowMax(xr, cols);
    const logTotal = <f32>Math.log(sumExpShiftedRow(xr, cols, m, invTemperature));
    if (m - lastRowMin == Infinity && abs(m) != Infinity) {
      logSoftmaxWideRow(xr, yr, cols, m, invTemperature, logTotal);
      continue;
    }
    const mv = f32x4.splat(m), lv = f32x4.splat(logTotal);
    let i = 0;
    for (; i + 4 <= cols; i += 4) {
      const o = <usize>i << 2;
      v128.store(yr + o, f32x4.sub(f32x4.mul(f32x4.sub(v128.load(xr + o), mv), sv), lv));
    }
    for (; i < cols; i++) {
      const o = <usize>i << 2;
      store<f32>(yr + o, (load<f32>(xr + o) - m) * invTemperature - logTotal);
    }
  }
}

export function logSumExpRows(x: usize, out: usize, rows: i32, cols: i32, invTemperature: f32): void {
  const stride = <usize>cols << 2;
  for (let r = 0; r < rows; r++) {
    store<f32>(out + (<usize>r << 2), logSumExpRow(x + <usize>r * stride, cols, invTemperature));
  }
}

// Vector–Jacobian product of softmax: dx = y ⊙ (dy − ⟨dy, y⟩), O(cols) per row. dx may alias dy.
export function softmaxBackwardRows(y: usize, dy: usize, dx: usize, rows: i32, cols: i32): void {
  const stride = <usize>cols << 2;
  for (let r = 0; r < rows; r++) {
    const off = <usize>r * stride;
    const yr = y + off, gr = dy + off, dr = dx + off;
    const dot = <f32>rowDot(gr, yr, cols);
    const dv = f32x4.splat(dot);
    let i = 0;
    for (; i + 4 <= cols; i += 4) {
      const o = <usize>i << 2;
      v128.store(dr + o, f32x4.mul(v128.load(yr + o), f32x4.sub(v128.load(gr + o), dv)));
    }
    for (; i < cols; i++) {
      const o = <usize>i << 2;
      store<f32>(dr + o, load<f32>(yr + o) * (load<f32>(gr + o) - dot));
    }
  }
}
