// Row utilities over rows × cols row-major f32 matrices: argmax, sampling from softmax, row
// gathering and column sums.
import { rowMax, rowSumF64, promoteHigh, demoteJoin, setScaleTail } from './vmath';
import { expShiftedRow } from './softmax';

// Maximum of n floats at p, NaN if any is NaN: f32x4.max and f32.max propagate NaN (unlike
// pmax, which vmath's rowMax uses where a NaN makes the row NaN downstream anyway).
export function rowMaxOrNaN(p: usize, n: i32): f32 {
  let m: f32 = -Infinity;
  let i = 0;
  if (n >= 4) {
    let acc = f32x4.splat(-Infinity);
    for (; i + 4 <= n; i += 4) acc = f32x4.max(acc, v128.load(p + (<usize>i << 2)));
    m = max(max(f32x4.extract_lane(acc, 0), f32x4.extract_lane(acc, 1)),
      max(f32x4.extract_lane(acc, 2), f32x4.extract_lane(acc, 3)));
  }
  for (; i < n; i++) m = max(m, load<f32>(p + (<usize>i << 2)));
  return m;
}

// The first index j < n with x_j == m, or with x_j NaN when m is NaN (then it exists).
function firstIndexOf(p: usize, n: i32, m: f32): i32 {
  const nanRow = isNaN(m);
  const mv = f32x4.splat(m);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(p + (<usize>i << 2));
    const hits = i32x4.bitmask(nanRow ? f32x4.ne(v, v) : f32x4.eq(v, mv));
    if (hits != 0) return i + ctz(hits);
  }
  for (; i < n; i++) {
    const v = load<f32>(p + (<usize>i << 2));
    if (nanRow ? isNaN(v) : v == m) return i;
  }
  return n - 1;
}

// Index of the largest value per row: the first on ties, the first NaN if the row has one (a NaN
// compares as larger than everything, as in PyTorch and NumPy). Two passes — the maximum, then
// the first position holding it — keep each loop a plain vector loop.
export function argmaxRows(x: usize, out: usize, rows: i32, cols: i32): void {
  const stride = <usize>cols << 2;
  for (let r = 0; r < rows; r++) {
    const xr = x + <usize>r * stride;
    store<i32>(out + (<usize>r << 2), firstIndexOf(xr, cols, rowMaxOrNaN(xr, cols)));
  }
}

// One class per row from softmax(x·s) by inverse CDF: with e_j = e^{(x_j − max)·s} (the softmax
// kernels' exp path, written to scratch, cols floats) and E = Σ e_j summed in f64 (the softmax
// kernels' float32 block sums would drop a class of 4e-8 from 1 + 4e-8), the first j whose cumulative
// sum exceeds u·E, where u ∈ [0, 1) is the row's uniform, given as two floats (hi, lo) whose sum
// carries 48 bits of it (one float left classes under 6e-8 unreachable). Classes with e_j = 0 are never chosen,
// also when rounding leaves u·E at or above the total. A row with no distribution (a NaN or +∞
// logit, or all −∞: E is NaN) gives −1.
export function sampleCategoricalRows(
  x: usize, uniforms: usize, out: usize, rows: i32, cols: i32, invTemperature: f32, invTemperatureTail: f32, scratch: usize,
): void {
  setScaleTail(invTemperatureTail);
  const stride = <usize>cols << 2;
  for (let r = 0; r < rows; r++) {
    const xr = x + <usize>r * stride;
    expShiftedRow(xr, scratch, cols, rowMax(xr, cols), invTemperature);
    const total = rowSumF64(scratch, cols);
    let chosen = -1;
    if (!isNaN(total)) {
      const u = uniforms + (<usize>r << 3);
      const threshold = (<f64>load<f32>(u) + <f64>load<f32>(u, 4)) * total;
      let cumulative: f64 = 0;
      for (let j = 0; j < cols; j++) {
        const e = load<f32>(scratch + (<usize>j << 2));
        if (e == 0) continue;
        cumulative += <f64>e;
        chosen = j;
        if (cumulative > threshold) break;
      }
    }
    store<i32>(out + (<usize>r << 2), chosen);
  }
}

// dst row r = src row indices[r].
export function gatherRows(src: usize, indices: usize, dst: usize, count: i32, cols: i32): void {
  const stride = <usize>cols << 2;
  for (let r = 0; r < count; r++) {
    const from = <usize>load<i32>(indices + (<usize>r << 2));
    memory.copy(dst + <usize>r * stride, src + from * stride, stride);
  }
}

// out_j = Σ_r x[r, j] (+ out_j when accumulate), summed in f64 lanes: exact enough for any row
// count and free of overflow near ±FLT_MAX. Columns go 16 at a time (one 64-byte line per row),
// then 4 at a time, then one at a time.
export function sumRows(x: usize, out: usize, rows: i32, cols: i32, accumulate: bool): void {
  const stride = <usize>cols << 2;
  let j = 0;
  for (; j + 16 <= cols; j += 16) {
    const o = <usize>j << 2;
    let a0 = f64x2.splat(0), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
    if (accumulate) {
      const v0 = v128.load(out + o), v1 = v128.load(out + o, 16);
      const v2 = v128.load(out + o, 32), v3 = v128.load(out + o, 48);
      a0 = f64x2.promote_low_f32x4(v0); a1 = promoteHigh(v0);
      a2 = f64x2.promote_low_f32x4(v1); a3 = promoteHigh(v1);
      a4 = f64x2.promote_low_f32x4(v2); a5 = promoteHigh(v2);
      a6 = f64x2.promote_low_f32x4(v3); a7 = promoteHigh(v3);
    }
    for (let r = 0; r < rows; r++) {
      const p = x + <usize>r * stride + o;
      const v0 = v128.load(p), v1 = v128.load(p, 16), v2 = v128.load(p, 32), v3 = v128.load(p, 48);
      a0 = f64x2.add(a0, f64x2.promote_low_f32x4(v0)); a1 = f64x2.add(a1, promoteHigh(v0));
      a2 = f64x2.add(a2, f64x2.promote_low_f32x4(v1)); a3 = f64x2.add(a3, promoteHigh(v1));
      a4 = f64x2.add(a4, f64x2.promote_low_f32x4(v2)); a5 = f64x2.add(a5, promoteHigh(v2));
      a6 = f64x2.add(a6, f64x2.promote_low_f32x4(v3)); a7 = f64x2.add(a7, promoteHigh(v3));
    }
    v128.store(out + o, demoteJoin(a0, a1));
    v128.store(out + o, demoteJoin(a2, a3), 16);
    v128.store(out + o, demoteJoin(a4, a5), 32);
    v128.store(out + o, demoteJoin(a6, a7), 48);
  }
  for (; j + 4 <= cols; j += 4) {
    const o = <usize>j << 2;
    let lo = f64x2.splat(0), hi = lo;
    if (accumulate) {
      const v = v128.load(out + o);
      lo = f64x2.promote_low_f32x4(v);
      hi = promoteHigh(v);
    }
    for (let r = 0; r < rows; r++) {
      const v = v128.load(x + <usize>r * stride + o);
      lo = f64x2.add(lo, f64x2.promote_low_f32x4(v));
      hi = f64x2.add(hi, promoteHigh(v));
    }
    v128.store(out + o, demoteJoin(lo, hi));
  }
  for (; j < cols; j++) {
    const o = <usize>j << 2;
    let total: f64 = accumulate ? <f64>load<f32>(out + o) : 0;
    for (let r = 0; r < rows; r++) total += <f64>load<f32>(x + <usize>r * stride + o);
    store<f32>(out + o, <f32>total);
  }
}
