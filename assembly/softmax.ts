// Row-wise softmax family over a rows × cols row-major f32 matrix. Every kernel first subtracts
// the row maximum (softmax(z) = softmax(z − max z)), so every exponent is ≤ 0 and nothing
// overflows; logits are divided by the temperature T through invTemperature = 1/T.
//
// A row is three passes: its max (pass 1), e^{(x − max)/T} stored and summed (pass 2), a scale
// (pass 3). Pass 2 dominates — it is bound by the float operations of the exponential — and
// every later pass re-reads a row from L1/L2, so fusing passes (online softmax) would only
// trade cheap re-reads for a second exponential per element.
import {
  demoteJoin, exactCutoff, expNarrow4, f64x2Sum, expNarrowAnyLane4, expShiftedExact4, expShiftedExactScaled4, finiteMin,
  highHalf, hmax, hmin, hsum, isScaled, keepLanes, lastRowMasked, lastRowMin, loadTail, logLanes, madd, promoteHigh,
  rowDot, rowMax, rowScanEnd, scaleF64, scaleRow, scaleTailSplat, setScaleTail, storeTail, NARROW_SPAN, NARROW_SPAN_SCALED, SUM_BLOCK,
} from './vmath';
import {
  alphaOverflows, ceEps, ceGeneral, ceProbs, ceTargets, ceWeight, crossEntropyGroupEnd,
  crossEntropyGroupEndGeneral, crossEntropyGroupEndProbs, crossEntropyGroupGrad, crossEntropyGroupGradGeneral,
  crossEntropyGroupProbGrad, crossEntropyProbTargetGap, crossEntropyTargetLogit, crossEntropyTargetWeight,
  groupAlphas, lastTargetMass, rowGapSum,
} from './loss';

// How a row is exponentiated, chosen per row (or group of four rows) from its span: two bits,
// SCALED (a temperature, s ≠ 1 or a tail: one more multiply) and EXACT (the span is too wide for the
// rounded difference x − max, or −∞ masks need flushing to 0: the exact-shift exp). The narrow
// exp without either is the common case and the cheapest.
const SCALED = 1, EXACT = 2;

@inline function spanMode(span: f32, s: f32): i32 {
  const scaled = isScaled(s);
  // NaN spans (NaN in the row) take the exact path too: it propagates NaN like every other.
  const limit = scaled ? NARROW_SPAN_SCALED : NARROW_SPAN;
  const narrow = span * s < limit;
  return (scaled ? SCALED : 0) | (narrow ? 0 : EXACT);
}

// The mode for the row just scanned by rowMax (max m).
@inline function rowMode(m: f32, s: f32): i32 {
  return lastRowMasked ? (isScaled(s) ? SCALED : 0) | EXACT : spanMode(m - lastRowMin, s);
}

// e^{(x − m)·s} lane-wise in `mode` (a constant wherever this is inlined). negM = −m; sHi, sLo
// split s for the exact product; cut = exactCutoff(row length), where the exact modes flush to 0.
@inline function expShifted4(x: v128, negM: v128, sv: v128, sHi: v128, sLo: v128, sTl: v128, cut: v128, mode: i32): v128 {
  if (mode == (EXACT | SCALED)) return expShiftedExactScaled4(x, negM, sv, sHi, sLo, sTl, cut);
  if (mode == EXACT) return expShiftedExact4(x, negM, cut);
  const d = f32x4.add(x, negM);
  const a = mode & SCALED ? f32x4.mul(d, sv) : d;
  // MIXED: the narrow exp of every lane of a group whose other rows are wide (groupExp4).
  return mode & MIXED ? expNarrowAnyLane4(a) : expNarrow4(a);
}

// The maximum of the row scanned by the last exp pass with a `next` row (see expRowLoop).
let nextRowMax: f32 = 0;

// What expRowLoop stores at out: nothing (a sum only), the terms e^{(x − m)·s}, or the shifted
// logits (x − m)·s that logSoftmax's output is made from (logSoftmaxRows).
const STORE_NOTHING = 0, STORE_TERMS = 1, STORE_SHIFTED = 2;

// (x − m)·s as logSoftmaxRowBody rounds it: the same two roundings, so a value stored by
// STORE_SHIFTED and then reduced by logTotal is the bits logSoftmaxRowBody gives.
@inline function shifted4(x: v128, negM: v128, sv: v128, mode: i32): v128 {
  const d = f32x4.add(x, negM);
  return mode & SCALED ? f32x4.mul(d, sv) : d;
}

// The loop of expShiftedRow / sumExpShiftedRow. Inlined with constant `mode`, `store` and `scan`,
// so each call site compiles to its own branch-free loop. With `scan`, the loop also does
// rowMax's scan of the row at `next` (n floats) — max in nextRowMax, min and masks in lastRowMin
// and lastRowMasked, the values rowMax(next, n) gives (see rowScanEnd) — so a
// matrix bigger than the caches fetches the next row from memory while this row's exponentials
// are computed, and one in cache saves rowMax's pass (1024 × 4096 −23 %, 128 × 1000 −5 %).
// The f32 partial sums go to f64 every SUM_BLOCK elements, lane by lane (two f64x2 totals, no
// horizontal f32 adds: blocks of 64 then cost 2–7 % instead of 5–9 %). Two vectors per iteration, each with
// its own accumulator, halve the loop-carried add chain (−10 % in cache); with the narrow exp's
// small constant set, the constants, both accumulators and the temporaries still fit in the 16
// xmm registers V8 allocates. A one-vector loop takes the block's last vector.
@inline function expRowLoop(x: usize, out: usize, n: i32, m: f32, s: f32, mode: i32, store: i32, scan: bool, next: usize): f64 {
  const negM = f32x4.splat(-m), sv = f32x4.splat(s);
  const sHi = f32x4.splat(highHalf(s)), sLo = f32x4.splat(s - highHalf(s)), sTl = scaleTailSplat();
  const cut = f32x4.splat(mode & EXACT ? exactCutoff(n) : 0); // a log only for exact rows
  let nextMax = f32x4.splat(-Infinity), nextMin = f32x4.splat(Infinity);
  let total01 = f64x2.splat(0), total23 = f64x2.splat(0);
  let i = 0;
  while (i + 4 <= n) {
    const end = min(n & ~3, i + SUM_BLOCK);
    let acc = f32x4.splat(0), acc1 = f32x4.splat(0);
    for (; i + 8 <= end; i += 8) {
      const o = <usize>i << 2;
      const x0 = v128.load(x + o), x1 = v128.load(x + o, 16);
      const e0 = expShifted4(x0, negM, sv, sHi, sLo, sTl, cut, mode);
      const e1 = expShifted4(x1, negM, sv, sHi, sLo, sTl, cut, mode);
      if (store == STORE_TERMS) {
        v128.store(out + o, e0);
        v128.store(out + o, e1, 16);
      } else if (store == STORE_SHIFTED) {
        v128.store(out + o, shifted4(x0, negM, sv, mode));
        v128.store(out + o, shifted4(x1, negM, sv, mode), 16);
      }
      acc = f32x4.add(acc, e0);
      acc1 = f32x4.add(acc1, e1);
      if (scan) {
        const a = v128.load(next + o), b = v128.load(next + o, 16);
        nextMax = f32x4.pmax(f32x4.pmax(nextMax, a), b);
        nextMin = f32x4.pmin(f32x4.pmin(nextMin, a), b);
      }
    }
    for (; i < end; i += 4) {
      const o = <usize>i << 2;
      const xv = v128.load(x + o);
      const e = expShifted4(xv, negM, sv, sHi, sLo, sTl, cut, mode);
      if (store == STORE_TERMS) v128.store(out + o, e);
      else if (store == STORE_SHIFTED) v128.store(out + o, shifted4(xv, negM, sv, mode));
      acc = f32x4.add(acc, e);
      if (scan) {
        const a = v128.load(next + o);
        nextMax = f32x4.pmax(nextMax, a);
        nextMin = f32x4.pmin(nextMin, a);
      }
    }
    const block = f32x4.add(acc, acc1);
    total01 = f64x2.add(total01, f64x2.promote_low_f32x4(block));
    total23 = f64x2.add(total23, promoteHigh(block));
  }
  let total = f64x2Sum(f64x2.add(total01, total23));
  // 1…3 left: padded with m (a harmless argument), the padding's terms dropped from the sum.
  if (i < n) {
    const o = <usize>i << 2;
    const xv = loadTail(x + o, n - i, m);
    const e = keepLanes(expShifted4(xv, negM, sv, sHi, sLo, sTl, cut, mode), n - i);
    if (store == STORE_TERMS) storeTail(out + o, e, n - i);
    else if (store == STORE_SHIFTED) storeTail(out + o, shifted4(xv, negM, sv, mode), n - i);
    total += <f64>hsum(e);
  }
  if (scan) nextRowMax = rowScanEnd(next, n, n & ~3, hmax(nextMax), hmin(nextMin));
  return total;
}

// One function per mode and pass, each its own branch-free loop. (Selecting the mode inside one
// function let Binaryen's code folding merge the loops back into one with a per-vector branch.)
function expRowUnscaled(x: usize, out: usize, n: i32, m: f32, s: f32): f64 { return expRowLoop(x, out, n, m, s, 0, STORE_TERMS, false, 0); }
function expRowScaled(x: usize, out: usize, n: i32, m: f32, s: f32): f64 { return expRowLoop(x, out, n, m, s, SCALED, STORE_TERMS, false, 0); }
function expRowExact(x: usize, out: usize, n: i32, m: f32, s: f32): f64 { return expRowLoop(x, out, n, m, s, EXACT, STORE_TERMS, false, 0); }
function expRowExactScaled(x: usize, out: usize, n: i32, m: f32, s: f32): f64 { return expRowLoop(x, out, n, m, s, EXACT | SCALED, STORE_TERMS, false, 0); }
function sumExpRowUnscaled(x: usize, n: i32, m: f32, s: f32): f64 { return expRowLoop(x, 0, n, m, s, 0, STORE_NOTHING, false, 0); }
function sumExpRowScaled(x: usize, n: i32, m: f32, s: f32): f64 { return expRowLoop(x, 0, n, m, s, SCALED, STORE_NOTHING, false, 0); }
function sumExpRowExact(x: usize, n: i32, m: f32, s: f32): f64 { return expRowLoop(x, 0, n, m, s, EXACT, STORE_NOTHING, false, 0); }
function sumExpRowExactScaled(x: usize, n: i32, m: f32, s: f32): f64 { return expRowLoop(x, 0, n, m, s, EXACT | SCALED, STORE_NOTHING, false, 0); }
function expRowNextUnscaled(x: usize, out: usize, n: i32, m: f32, s: f32, next: usize): f64 {
  return expRowLoop(x, out, n, m, s, 0, STORE_TERMS, true, next);
}
function expRowNextScaled(x: usize, out: usize, n: i32, m: f32, s: f32, next: usize): f64 {
  return expRowLoop(x, out, n, m, s, SCALED, STORE_TERMS, true, next);
}
function expRowNextExact(x: usize, out: usize, n: i32, m: f32, s: f32, next: usize): f64 {
  return expRowLoop(x, out, n, m, s, EXACT, STORE_TERMS, true, next);
}
function expRowNextExactScaled(x: usize, out: usize, n: i32, m: f32, s: f32, next: usize): f64 {
  return expRowLoop(x, out, n, m, s, EXACT | SCALED, STORE_TERMS, true, next);
}
function sumExpRowNextUnscaled(x: usize, n: i32, m: f32, s: f32, next: usize): f64 {
  return expRowLoop(x, 0, n, m, s, 0, STORE_NOTHING, true, next);
}
function sumExpRowNextScaled(x: usize, n: i32, m: f32, s: f32, next: usize): f64 {
  return expRowLoop(x, 0, n, m, s, SCALED, STORE_NOTHING, true, next);
}
function sumExpRowNextExact(x: usize, n: i32, m: f32, s: f32, next: usize): f64 {
  return expRowLoop(x, 0, n, m, s, EXACT, STORE_NOTHING, true, next);
}
function sumExpRowNextExactScaled(x: usize, n: i32, m: f32, s: f32, next: usize): f64 {
  return expRowLoop(x, 0, n, m, s, EXACT | SCALED, STORE_NOTHING, true, next);
}

function shiftedSumExpRowNextUnscaled(x: usize, out: usize, n: i32, m: f32, s: f32, next: usize): f64 {
  return expRowLoop(x, out, n, m, s, 0, STORE_SHIFTED, true, next);
}
function shiftedSumExpRowNextScaled(x: usize, out: usize, n: i32, m: f32, s: f32, next: usize): f64 {
  return expRowLoop(x, out, n, m, s, SCALED, STORE_SHIFTED, true, next);
}
function shiftedSumExpRowNextExact(x: usize, out: usize, n: i32, m: f32, s: f32, next: usize): f64 {
  return expRowLoop(x, out, n, m, s, EXACT, STORE_SHIFTED, true, next);
}
function shiftedSumExpRowNextExactScaled(x: usize, out: usize, n: i32, m: f32, s: f32, next: usize): f64 {
  return expRowLoop(x, out, n, m, s, EXACT | SCALED, STORE_SHIFTED, true, next);
}

// out_j = e^{(x_j − m)·s} for one row just scanned by rowMax; returns Σ out_j (f64, blocked).
// out may alias x.
export function expShiftedRow(x: usize, out: usize, n: i32, m: f32, s: f32): f64 {
  const mode = rowMode(m, s);
  if (mode == 0) return expRowUnscaled(x, out, n, m, s);
  if (mode == SCALED) return expRowScaled(x, out, n, m, s);
  if (mode == EXACT) return expRowExact(x, out, n, m, s);
  return expRowExactScaled(x, out, n, m, s);
}

// expShiftedRow that also scans the row at `next` as rowMax would, for the same n: returns the sum,
// leaves next's maximum in nextRowMax and its minimum and masks for its own exp mode in
// lastRowMin and lastRowMasked. `next` must not be written by this row's output.
function expShiftedRowNext(x: usize, out: usize, n: i32, m: f32, s: f32, next: usize): f64 {
  const mode = rowMode(m, s);
  if (mode == 0) return expRowNextUnscaled(x, out, n, m, s, next);
  if (mode == SCALED) return expRowNextScaled(x, out, n, m, s, next);
  if (mode == EXACT) return expRowNextExact(x, out, n, m, s, next);
  return expRowNextExactScaled(x, out, n, m, s, next);
}

// Σ_j e^{(x_j − m)·s} without storing the terms, for a row just scanned by rowMax.
export function sumExpShiftedRow(x: usize, n: i32, m: f32, s: f32): f64 {
  const mode = rowMode(m, s);
  if (mode == 0) return sumExpRowUnscaled(x, n, m, s);
  if (mode == SCALED) return sumExpRowScaled(x, n, m, s);
  if (mode == EXACT) return sumExpRowExact(x, n, m, s);
  return sumExpRowExactScaled(x, n, m, s);
}

// sumExpShiftedRow that also scans the row at `next` as expShiftedRowNext does.
function sumExpShiftedRowNext(x: usize, n: i32, m: f32, s: f32, next: usize): f64 {
  const mode = rowMode(m, s);
  if (mode == 0) return sumExpRowNextUnscaled(x, n, m, s, next);
  if (mode == SCALED) return sumExpRowNextScaled(x, n, m, s, next);
  if (mode == EXACT) return sumExpRowNextExact(x, n, m, s, next);
  return sumExpRowNextExactScaled(x, n, m, s, next);
}

// sumExpShiftedRowNext that also stores the row's (x_j − m)·s at out, for logSoftmaxRows. out may
// alias x; it must not overlap next.
function shiftedSumExpRowNext(x: usize, out: usize, n: i32, m: f32, s: f32, next: usize): f64 {
  const mode = rowMode(m, s);
  if (mode == 0) return shiftedSumExpRowNextUnscaled(x, out, n, m, s, next);
  if (mode == SCALED) return shiftedSumExpRowNextScaled(x, out, n, m, s, next);
  if (mode == EXACT) return shiftedSumExpRowNextExact(x, out, n, m, s, next);
  return shiftedSumExpRowNextExactScaled(x, out, n, m, s, next);
}

// Whether one of n floats is NaN (for rows whose maximum is +∞ only, so a plain loop).
function rowHasNaN(x: usize, n: i32): bool {
  for (let i = 0; i < n; i++) {
    const v = load<f32>(x + (<usize>i << 2));
    if (v != v) return true;
  }
  return false;
}

// log Σ_j e^{x_j·s} of one row = m·s + log Σ e^{(x_j − m)·s}, where m = max x as rowMax gives it,
// for the row just scanned (lastRowMin and lastRowMasked are its). An infinite maximum is not
// subtracted (as in PyTorch): a row containing +∞ gives +∞ (NaN if it also holds a NaN), decided
// without exp, whose approximation is only valid for arguments ≤ ln FLT_MAX; an all −∞ row gives
// log 0 = −∞ instead of NaN from ∞ − ∞. With `next` (0 for none), the row there is scanned as by
// sumExpShiftedRowNext, its maximum left in nextRowMax.
@inline function logSumExpRow(x: usize, n: i32, m: f32, s: f32, next: usize): f32 {
  if (m == Infinity) {
    if (next) nextRowMax = rowMax(next, n);
    return rowHasNaN(x, n) ? NaN : Infinity;
  }
  if (m == -Infinity) m = 0;
  const total = next ? sumExpShiftedRowNext(x, n, m, s, next) : sumExpShiftedRow(x, n, m, s);
  return <f32>(<f64>m * scaleF64(s) + Math.log(total));
}

// ---- short rows -------------------------------------------------------------------------------
// Rows shorter than this (10 classes, say) are dominated by per-row work — horizontal max and
// sum, a partial vector at each row's end, calls — rather than by the exponentials. They are
// done four rows at a time with the rows in the lanes: a 4×4 transpose turns four rows' columns
// j…j+3 into four vectors, each holding one column of the four rows, so the maxima, the sums and
// the reciprocals of four rows are plain vertical vector operations. 32 × 10 takes 0.45 µs this
// way against 1.0 µs row by row.
//
// A row's result must not depend on the rows around it (the same bits alone or in any batch), so
// a short row has one definition, computed alike by the four-row path and, for the rows left
// over, by softmaxShortRow: e_j by the row's own exp mode; Σ e_j in f64, adding each block of four
// columns summed in f32 as (e0 + e2) + (e1 + e3) (hsum's order), then the remaining columns one by
// one; out_j = e_j · f32(1 / Σ). Beyond 64 columns the row-wise path is as fast.
export const SHORT_ROW = 64;
// A four-row group whose rows need different exp modes computes both and picks per lane.
const MIXED = 4;
// What the group code computes (a compile-time constant, each kind its own copies of the loops):
// SOFTMAX stores the terms e^{(x − max)·s} and scales them into probabilities, CE into the
// cross-entropy's gradient (loss.ts); LOG only sums them, and its end is a run-time argument,
// looked at once per group: LOG_SOFTMAX, LSE (logSumExp) or CE_LOSS (the cross-entropy's losses
// without a gradient). (A run-time end for SOFTMAX and CE made softmax 5 % slower at 32 × 10: its
// group loop then holds calls, even though they are never taken.)
const SOFTMAX = 0, LOG = 1, CE = 2;
const LOG_SOFTMAX = 0, LSE = 1, CE_LOSS = 2;

@inline function zipLo(a: v128, b: v128): v128 { return v128.shuffle<f32>(a, b, 0, 4, 1, 5); }
@inline function zipHi(a: v128, b: v128): v128 { return v128.shuffle<f32>(a, b, 2, 6, 3, 7); }
@inline function lowHalves(a: v128, b: v128): v128 { return v128.shuffle<f32>(a, b, 0, 1, 4, 5); }
@inline function highHalves(a: v128, b: v128): v128 { return v128.shuffle<f32>(a, b, 2, 3, 6, 7); }

// The t = cols mod 4 columns after the last full 4×4 block (1…3) are transposed like a block from
// partial rows: row k's t floats at p in the low lanes of one vector (zero lanes above), with one
// or two loads, rather than gathered lane by lane (four loads and four shuffles per column).
@inline function loadRowTail(p: usize, t: i32): v128 {
  if (t == 1) return v128.load32_zero(p);
  const v = v128.load64_zero(p);
  return t == 2 ? v : v128.load32_lane(p, v, 2, 8);
}

// Column c (0…2) of four partial rows from loadRowTail, as one vector (lane k = row k).
@inline function tailColumn(a0: v128, a1: v128, a2: v128, a3: v128, c: i32): v128 {
  if (c == 0) return lowHalves(zipLo(a0, a1), zipLo(a2, a3));
  if (c == 1) return highHalves(zipLo(a0, a1), zipLo(a2, a3));
  return lowHalves(zipHi(a0, a1), zipHi(a2, a3));
}

// Stores lane k of v at p + k·stride.
@inline function scatterColumn(p: usize, stride: usize, v: v128): void {
  store<f32>(p, f32x4.extract_lane(v, 0));
  store<f32>(p + stride, f32x4.extract_lane(v, 1));
  store<f32>(p + 2 * stride, f32x4.extract_lane(v, 2));
  store<f32>(p + 3 * stride, f32x4.extract_lane(v, 3));
}

// One column of a group: e^{(x − max)·s} lane by lane in `mode`; with MIXED, the narrow exp in
// the lanes of narrowLanes and the exact one elsewhere (each lane as its row alone would get).
@inline function groupExp4(c: v128, negM: v128, sv: v128, sHi: v128, sLo: v128, sTl: v128, cut: v128, narrowLanes: v128, mode: i32): v128 {
  if (mode & MIXED) {
    const scaled = mode & SCALED;
    return v128.bitselect(
      expShifted4(c, negM, sv, sHi, sLo, sTl, cut, scaled | MIXED), expShifted4(c, negM, sv, sHi, sLo, sTl, cut, scaled | EXACT), narrowLanes);
  }
  return expShifted4(c, negM, sv, sHi, sLo, sTl, cut, mode);
}

// Two copies of the group loops, by the shape of the rows: BLOCKS, whole blocks of four columns
// only (cols = 4, 8, …), and TAIL, 1…3 columns after the blocks. In either, every loop or block
// that uses the exp's constants is entered on every path (do-while block loops for BLOCKS; the
// tail unconditional for TAIL), so V8 hoists the constants out of the loops: where their only uses
// may be skipped, it materialises them in the loop instead, three instructions each per iteration.
const BLOCKS = 0, TAIL = 1;

// Pass 1 of a group (row k at x + k·stride): the four rows' maxima, returned, and minima, left in
// groupMin (a global, as rowMax leaves lastRowMin, so the pass has one definition for both callers
// below). It also leaves the group transposed in groupColumns, column j of the four rows as one
// vector at groupColumns + 16·j (the tail's columns too, zero lanes and all), where groupRest's
// exp pass reads them. Loading and transposing the rows a second time cost that pass 22 shuffles
// per group at 10 columns; without them softmax's short rows take 0.87–0.93 of the time they took
// (design log item 41).
let groupMin: v128 = f32x4.splat(Infinity);
const groupColumns = memory.data(16 * SHORT_ROW, 16);
@inline function groupMax(x: usize, stride: usize, cols: i32, shape: i32): v128 {
  let mx = f32x4.splat(-Infinity), mn = f32x4.splat(Infinity);
  let j = 0;
  for (; j + 4 <= cols; j += 4) {
    const o = <usize>j << 2;
    const a0 = v128.load(x + o), a1 = v128.load(x + stride + o);
    const a2 = v128.load(x + 2 * stride + o), a3 = v128.load(x + 3 * stride + o);
    const p = zipLo(a0, a1), q = zipLo(a2, a3), u = zipHi(a0, a1), w = zipHi(a2, a3);
    const c0 = lowHalves(p, q), c1 = highHalves(p, q), c2 = lowHalves(u, w), c3 = highHalves(u, w);
    const col = groupColumns + (<usize>j << 4);
    v128.store(col, c0);
    v128.store(col, c1, 16);
    v128.store(col, c2, 32);
    v128.store(col, c3, 48);
    mx = f32x4.pmax(mx, f32x4.pmax(f32x4.pmax(c0, c1), f32x4.pmax(c2, c3)));
    mn = f32x4.pmin(mn, f32x4.pmin(f32x4.pmin(c0, c1), f32x4.pmin(c2, c3)));
  }
  if (shape == TAIL) {
    const t = cols & 3, o = <usize>j << 2;
    const a0 = loadRowTail(x + o, t), a1 = loadRowTail(x + stride + o, t);
    const a2 = loadRowTail(x + 2 * stride + o, t), a3 = loadRowTail(x + 3 * stride + o, t);
    const c0 = tailColumn(a0, a1, a2, a3, 0);
    const col = groupColumns + (<usize>j << 4);
    v128.store(col, c0);
    mx = f32x4.pmax(mx, c0);
    mn = f32x4.pmin(mn, c0);
    if (t > 1) {
      const c1 = tailColumn(a0, a1, a2, a3, 1);
      v128.store(col, c1, 16);
      mx = f32x4.pmax(mx, c1);
      mn = f32x4.pmin(mn, c1);
    }
    if (t > 2) {
      const c2 = tailColumn(a0, a1, a2, a3, 2);
      v128.store(col, c2, 32);
      mx = f32x4.pmax(mx, c2);
      mn = f32x4.pmin(mn, c2);
    }
  }
  groupMin = mn;
  return mx;
}

// The lanes (rows) of a group whose exp mode is narrow, as rowMode would decide for each row
// alone: span·s below the limit (a −∞ minimum makes the span +∞, a NaN makes the test false: both
// exact).
@inline function narrowLanesOf(mx: v128, mn: v128, s: f32): v128 {
  const limit = isScaled(s) ? NARROW_SPAN_SCALED : NARROW_SPAN;
  return f32x4.lt(f32x4.mul(f32x4.sub(mx, mn), f32x4.splat(s)), f32x4.splat(limit));
}

// The mode that does a group with these narrow lanes: one of the four row modes when its rows
// agree, else MIXED (with SCALED for a temperature).
@inline function groupMode(narrowLanes: v128, s: f32): i32 {
  const narrowRows = i32x4.bitmask(narrowLanes);
  const scaled = isScaled(s) ? SCALED : 0;
  if (narrowRows == 0b1111) return scaled;
  if (narrowRows == 0) return scaled | EXACT;
  return scaled | MIXED;
}

// Passes 2 and 3 for four rows whose maxima are −negM, their columns in groupColumns (where the
// group's groupMax left them: nothing may run groupMax between the two). SOFTMAX: out =
// e^{(x − max)·s}, summed per row as softmaxShortRow sums it, then every row times f32(1 / its
// sum). CE: the same terms times the cross-entropy's factor per row (ceGroupScale), then the
// targets subtracted (ceGroupFinish). LOG: the same sums, not stored, handed to logGroupEnd with
// the rest of the arguments (mx, the maxima as groupMax gave them; end, which log kernel).
@inline function groupRest(
  x: usize, out: usize, stride: usize, cols: i32, negM: v128, sv: v128, sHi: v128, sLo: v128, sTl: v128, cut: v128, narrowLanes: v128, mode: i32,
  shape: i32, kind: i32, mx: v128, s: f32, end: i32,
): void {
  // Rows 0, 1 in sum01, rows 2, 3 in sum23.
  let sum01 = f64x2.splat(0), sum23 = f64x2.splat(0);
  let j = 0;
  // for (; j + 4 <= cols; j += 4) as a do-while, which BLOCKS always enters (see BLOCKS).
  if (shape == BLOCKS || cols >= 4) do {
    const o = <usize>j << 2;
    const col = groupColumns + (<usize>j << 4);
    const e0 = groupExp4(v128.load(col), negM, sv, sHi, sLo, sTl, cut, narrowLanes, mode);
    const e1 = groupExp4(v128.load(col, 16), negM, sv, sHi, sLo, sTl, cut, narrowLanes, mode);
    const e2 = groupExp4(v128.load(col, 32), negM, sv, sHi, sLo, sTl, cut, narrowLanes, mode);
    const e3 = groupExp4(v128.load(col, 48), negM, sv, sHi, sLo, sTl, cut, narrowLanes, mode);
    // The block's four terms in f32 as hsum pairs them, (e0 + e2) + (e1 + e3), then into f64.
    const block = f32x4.add(f32x4.add(e0, e2), f32x4.add(e1, e3));
    sum01 = f64x2.add(sum01, f64x2.promote_low_f32x4(block));
    sum23 = f64x2.add(sum23, promoteHigh(block));
    if (kind != LOG) {
      const pe = zipLo(e0, e1), qe = zipLo(e2, e3), ue = zipHi(e0, e1), we = zipHi(e2, e3);
      v128.store(out + o, lowHalves(pe, qe));
      v128.store(out + stride + o, highHalves(pe, qe));
      v128.store(out + 2 * stride + o, lowHalves(ue, we));
      v128.store(out + 3 * stride + o, highHalves(ue, we));
    }
    j += 4;
  } while (j + 4 <= cols);
  // The tail columns' terms stay in registers (lane k = row k) until pass 3 scales them by the
  // same lanes of factor, and are stored once.
  const t = cols & 3, tail = <usize>(cols & ~3) << 2;
  let e0 = f32x4.splat(0), e1 = e0, e2 = e0;
  if (shape == TAIL) {
    const col = groupColumns + (<usize>tail << 2);
    e0 = groupExp4(v128.load(col), negM, sv, sHi, sLo, sTl, cut, narrowLanes, mode);
    sum01 = f64x2.add(sum01, f64x2.promote_low_f32x4(e0));
    sum23 = f64x2.add(sum23, promoteHigh(e0));
    if (t > 1) {
      e1 = groupExp4(v128.load(col, 16), negM, sv, sHi, sLo, sTl, cut, narrowLanes, mode);
      sum01 = f64x2.add(sum01, f64x2.promote_low_f32x4(e1));
      sum23 = f64x2.add(sum23, promoteHigh(e1));
    }
    if (t > 2) {
      e2 = groupExp4(v128.load(col, 32), negM, sv, sHi, sLo, sTl, cut, narrowLanes, mode);
      sum01 = f64x2.add(sum01, f64x2.promote_low_f32x4(e2));
      sum23 = f64x2.add(sum23, promoteHigh(e2));
    }
  }
  if (kind == LOG) {
    logGroupEnd(x, out, stride, cols, mx, s, sum01, sum23, end);
    return;
  }
  const one = f64x2.splat(1);
  const factor = kind == CE ? ceGroupScale(mx, sum01, sum23, s) : demoteJoin(f64x2.div(one, sum01), f64x2.div(one, sum23));
  const factor0 = v128.shuffle<f32>(factor, factor, 0, 0, 0, 0), factor1 = v128.shuffle<f32>(factor, factor, 1, 1, 1, 1);
  const factor2 = v128.shuffle<f32>(factor, factor, 2, 2, 2, 2), factor3 = v128.shuffle<f32>(factor, factor, 3, 3, 3, 3);
  j = 0;
  for (; j + 4 <= cols; j += 4) {
    const o = <usize>j << 2;
    v128.store(out + o, f32x4.mul(v128.load(out + o), factor0));
    v128.store(out + stride + o, f32x4.mul(v128.load(out + stride + o), factor1));
    v128.store(out + 2 * stride + o, f32x4.mul(v128.load(out + 2 * stride + o), factor2));
    v128.store(out + 3 * stride + o, f32x4.mul(v128.load(out + 3 * stride + o), factor3));
  }
  if (shape == TAIL) {
    if (t == 1) {
      scatterColumn(out + tail, stride, f32x4.mul(e0, factor));
    } else {
      // Columns 0 and 1 back into rows as 64-bit pairs (row k in half k of lo, then of hi).
      e0 = f32x4.mul(e0, factor);
      e1 = f32x4.mul(e1, factor);
      const lo = zipLo(e0, e1), hi = zipHi(e0, e1);
      v128.store64_lane(out + tail, lo, 0);
      v128.store64_lane(out + stride + tail, lo, 1);
      v128.store64_lane(out + 2 * stride + tail, hi, 0);
      v128.store64_lane(out + 3 * stride + tail, hi, 1);
      if (t > 2) scatterColumn(out + tail + 8, stride, f32x4.mul(e2, factor));
    }
  }
  if (kind == CE) ceGroupFinish(out, stride, cols);
}

// The cross-entropy group in progress (CE, CE_LOSS; the rows' arithmetic is loss.ts's): its
// first row, and per row k the target's logit (f32 at 4k), the gradient's factor α (f64 at
// 16 + 8k) and, for the general ends (label smoothing or class weights), the row's
// rowGapSum (f64 at 48 + 8k, with label smoothing) and crossEntropyTargetWeight (f64 at
// 80 + 8k). With probability targets: crossEntropyProbTargetGap's gap (f64 at 48 + 8k) and mass
// (f64 at 80 + 8k), and no target logits.
let ceGroupRow: i32 = 0;
const ceGroupLanes = memory.data(112);

// Before a group's exp pass (which may write the gradient over the logits): the group's first row
// r, at x with rows stride bytes apart and maxima mx, its targets' logits and, for the general
// ends, their weights and gaps; or, with probability targets, each row's gap and target mass.
function ceGroupStart(x: usize, stride: usize, r: i32, cols: i32, mx: v128): void {
  ceGroupRow = r;
  // ceProbs implies ceGeneral: testing ceGeneral first leaves the plain rows one test of a flag.
  if (ceGeneral && ceProbs) {
    ceGroupProbStart(x, stride, r, cols, mx);
    return;
  }
  for (let k = 0; k < 4; k++) store<f32>(ceGroupLanes + (<usize>k << 2), crossEntropyTargetLogit(x + <usize>k * stride, r + k));
  if (ceGeneral) ceGroupGeneralStart(x, stride, r, cols, mx);
}

function ceGroupGeneralStart(x: usize, stride: usize, r: i32, cols: i32, mx: v128): void {
  const lanes = ceGroupLanes;
  // Without weights ceGroupScaleGeneral leaves the lanes of w_t unread.
  if (ceWeight != 0) for (let k = 0; k < 4; k++) store<f64>(lanes + (<usize>k << 3), crossEntropyTargetWeight(r + k), 80);
  if (ceEps == 0) return;
  if (groupGapSums(cols, mx, lanes + 48)) return;
  store<f64>(lanes, rowGapSum(ceWeight, x, f32x4.extract_lane(mx, 0), cols), 48);
  store<f64>(lanes, rowGapSum(ceWeight, x + stride, f32x4.extract_lane(mx, 1), cols), 56);
  store<f64>(lanes, rowGapSum(ceWeight, x + 2 * stride, f32x4.extract_lane(mx, 2), cols), 64);
  store<f64>(lanes, rowGapSum(ceWeight, x + 3 * stride, f32x4.extract_lane(mx, 3), cols), 72);
}

// rowGapSum of the group's four rows (maxima mx) from the columns groupMax left in groupColumns,
// lane k for row k, stored as f64 at dst + 8k. Each row gets its lone bits: the operations are
// rowGapSum's in its order — the blocks of four columns summed in f32, column j into accumulator
// j mod 4 (a row under 64 columns is one SUM_BLOCK), the four added as hsum adds lanes, then the
// tail columns in f64. Where some row's f32 sum is not finite (a NaN, a −∞ mask, a span near
// FLT_MAX), rowGapSum starts that row again in f64: then this returns false, stores nothing, and
// the caller goes row by row. Four calls of rowGapSum were 15–18 % of short rows' time with label
// smoothing (design log item 44).
@inline function groupGapSums(cols: i32, mx: v128, dst: usize): bool {
  const w = ceWeight;
  let a0 = f32x4.splat(0), a1 = a0, a2 = a0, a3 = a0;
  let j = 0;
  for (; j + 4 <= cols; j += 4) {
    const col = groupColumns + (<usize>j << 4);
    const d0 = f32x4.sub(mx, v128.load(col)), d1 = f32x4.sub(mx, v128.load(col, 16));
    const d2 = f32x4.sub(mx, v128.load(col, 32)), d3 = f32x4.sub(mx, v128.load(col, 48));
    if (w == 0) {
      a0 = f32x4.add(a0, d0);
      a1 = f32x4.add(a1, d1);
      a2 = f32x4.add(a2, d2);
      a3 = f32x4.add(a3, d3);
    } else {
      const wj = w + (<usize>j << 2);
      a0 = madd(v128.load32_splat(wj), d0, a0);
      a1 = madd(v128.load32_splat(wj, 4), d1, a1);
      a2 = madd(v128.load32_splat(wj, 8), d2, a2);
      a3 = madd(v128.load32_splat(wj, 12), d3, a3);
    }
  }
  const blocks = f32x4.add(f32x4.add(a0, a2), f32x4.add(a1, a3));
  if (!i32x4.all_true(f32x4.lt(f32x4.abs(blocks), f32x4.splat(Infinity)))) return false;
  let sum01 = f64x2.splat(0), sum23 = sum01;
  if (cols >= 4) {
    sum01 = f64x2.add(sum01, f64x2.promote_low_f32x4(blocks));
    sum23 = f64x2.add(sum23, promoteHigh(blocks));
  }
  const m01 = f64x2.promote_low_f32x4(mx), m23 = promoteHigh(mx);
  for (; j < cols; j++) {
    const c = v128.load(groupColumns + (<usize>j << 4));
    let d01 = f64x2.sub(m01, f64x2.promote_low_f32x4(c)), d23 = f64x2.sub(m23, promoteHigh(c));
    if (w != 0) {
      const wj = f64x2.splat(<f64>load<f32>(w + (<usize>j << 2)));
      d01 = f64x2.mul(wj, d01);
      d23 = f64x2.mul(wj, d23);
    }
    sum01 = f64x2.add(sum01, d01);
    sum23 = f64x2.add(sum23, d23);
  }
  v128.store(dst, sum01);
  v128.store(dst, sum23, 16);
  return true;
}

function ceGroupProbStart(x: usize, stride: usize, r: i32, cols: i32, mx: v128): void {
  const lanes = ceGroupLanes, targetStride = <usize>cols << 2;
  v128.store(lanes, mx); // the maxima by row, where index targets keep their logits
  for (let k = 0; k < 4; k++) {
    const y = ceTargets + <usize>(r + k) * targetStride, m = load<f32>(lanes + (<usize>k << 2));
    store<f64>(lanes + (<usize>k << 3), crossEntropyProbTargetGap(x + <usize>k * stride, y, cols, m), 48);
    store<f64>(lanes + (<usize>k << 3), lastTargetMass, 80);
  }
}

// The group's rows' ends (maxima in mx, sums in sum01:sum23): their f32(α) by lane, or 1 where α
// overflows float32.
function ceGroupScale(mx: v128, sum01: v128, sum23: v128, s: f32): v128 {
  if (ceGeneral) return ceGroupScaleGeneral(mx, sum01, sum23, s);
  const lanes = ceGroupLanes;
  crossEntropyGroupEnd(ceGroupRow, mx, v128.load(lanes), sum01, sum23, logLanes(sum01), logLanes(sum23), s, lanes + 16);
  return ceGroupFactors();
}

// ceGroupScale with label smoothing, class weights or probability targets (apart, so that rows
// without them keep their code).
function ceGroupScaleGeneral(mx: v128, sum01: v128, sum23: v128, s: f32): v128 {
  const lanes = ceGroupLanes;
  const log01 = logLanes(sum01), log23 = logLanes(sum23);
  if (ceProbs) {
    crossEntropyGroupEndProbs(ceGroupRow, mx, sum01, sum23, log01, log23, lanes + 80, lanes + 48, s, lanes + 16);
    return ceGroupFactors();
  }
  const zt = v128.load(lanes);
  if (ceWeight != 0) crossEntropyGroupEndGeneral(ceGroupRow, mx, zt, sum01, sum23, log01, log23, lanes + 48, lanes + 80, s, lanes + 16, true);
  else crossEntropyGroupEndGeneral(ceGroupRow, mx, zt, sum01, sum23, log01, log23, lanes + 48, lanes + 80, s, lanes + 16, false);
  return ceGroupFactors();
}

@inline function ceGroupFactors(): v128 {
  const alpha = groupAlphas(ceGroupLanes + 16);
  return v128.bitselect(f32x4.splat(1), alpha, alphaOverflows(alpha));
}

// After the group's terms were scaled by ceGroupScale's factors (rows at g, stride bytes apart).
function ceGroupFinish(g: usize, stride: usize, cols: i32): void {
  const r = ceGroupRow, lanes = ceGroupLanes;
  if (ceGeneral && ceProbs) crossEntropyGroupProbGrad(g, stride, cols, r, lanes + 16);
  else if (ceGeneral) crossEntropyGroupGradGeneral(g, stride, cols, r, lanes + 16, lanes + 80);
  else crossEntropyGroupGrad(g, stride, cols, r, lanes + 16);
}

// Groups r, r + 4, … of the rows × cols matrix as long as they need `mode`, starting with group r,
// whose pass 1 the caller has done (maxima mx, narrowLanes). Returns the first row not done: the
// end of the whole groups, or a group needing another mode (its pass 1 is then done again by the
// caller, once per change of mode). One call per run of groups rather than per group: the exp's
// constants are set up once per run (V8 materialises each splat constant with three instructions
// and spills most of them, on every call). `kind` SOFTMAX, CE or LOG (a constant); `end` for LOG.
@inline function groupRun(
  x: usize, out: usize, stride: usize, rows: i32, cols: i32, s: f32, r: i32, mx: v128, narrowLanes: v128, mode: i32,
  shape: i32, kind: i32, end: i32,
): i32 {
  const sv = f32x4.splat(s);
  const sHi = f32x4.splat(highHalf(s)), sLo = f32x4.splat(s - highHalf(s)), sTl = scaleTailSplat();
  const cut = f32x4.splat(mode & (EXACT | MIXED) ? exactCutoff(cols) : 0);
  while (true) {
    const offset = <usize>r * stride;
    // logSumExp sums an all −∞ row with max 0 (see logSumExpRow) and writes one float per row.
    const lse = kind == LOG && end == LSE;
    const shift = lse ? v128.bitselect(f32x4.splat(0), mx, f32x4.eq(mx, f32x4.splat(-Infinity))) : mx;
    const outGroup = lse ? out + (<usize>r << 2) : out + offset;
    if (kind == CE || (kind == LOG && end == CE_LOSS)) ceGroupStart(x + offset, stride, r, cols, mx);
    groupRest(x + offset, outGroup, stride, cols, f32x4.neg(shift), sv, sHi, sLo, sTl, cut, narrowLanes, mode, shape, kind, mx, s, end);
    r += 4;
    if (r + 4 > rows) return r;
    const next = <usize>r * stride;
    mx = groupMax(x + next, stride, cols, shape);
    narrowLanes = narrowLanesOf(mx, groupMin, s);
    if (groupMode(narrowLanes, s) != mode) return r;
  }
}
// One function per mode and kernel kind (see expRowUnscaled), each with a copy per shape.
@inline function groupRunShaped(
  x: usize, out: usize, stride: usize, rows: i32, cols: i32, s: f32, r: i32, mx: v128, narrowLanes: v128, mode: i32,
  kind: i32, end: i32,
): i32 {
  return cols & 3 ? groupRun(x, out, stride, rows, cols, s, r, mx, narrowLanes, mode, TAIL, kind, end)
    : groupRun(x, out, stride, rows, cols, s, r, mx, narrowLanes, mode, BLOCKS, kind, end);
}
function groupRunUnscaled(x: usize, out: usize, stride: usize, rows: i32, cols: i32, s: f32, r: i32, mx: v128, narrowLanes: v128): i32 {
  return groupRunShaped(x, out, stride, rows, cols, s, r, mx, narrowLanes, 0, SOFTMAX, 0);
}
function groupRunScaled(x: usize, out: usize, stride: usize, rows: i32, cols: i32, s: f32, r: i32, mx: v128, narrowLanes: v128): i32 {
  return groupRunShaped(x, out, stride, rows, cols, s, r, mx, narrowLanes, SCALED, SOFTMAX, 0);
}
function groupRunExact(x: usize, out: usize, stride: usize, rows: i32, cols: i32, s: f32, r: i32, mx: v128, narrowLanes: v128): i32 {
  return groupRunShaped(x, out, stride, rows, cols, s, r, mx, narrowLanes, EXACT, SOFTMAX, 0);
}
function groupRunExactScaled(x: usize, out: usize, stride: usize, rows: i32, cols: i32, s: f32, r: i32, mx: v128, narrowLanes: v128): i32 {
  return groupRunShaped(x, out, stride, rows, cols, s, r, mx, narrowLanes, EXACT | SCALED, SOFTMAX, 0);
}
function groupRunMixed(x: usize, out: usize, stride: usize, rows: i32, cols: i32, s: f32, r: i32, mx: v128, narrowLanes: v128): i32 {
  return groupRunShaped(x, out, stride, rows, cols, s, r, mx, narrowLanes, MIXED, SOFTMAX, 0);
}
function groupRunMixedScaled(x: usize, out: usize, stride: usize, rows: i32, cols: i32, s: f32, r: i32, mx: v128, narrowLanes: v128): i32 {
  return groupRunShaped(x, out, stride, rows, cols, s, r, mx, narrowLanes, MIXED | SCALED, SOFTMAX, 0);
}
function ceGroupRunUnscaled(x: usize, out: usize, stride: usize, rows: i32, cols: i32, s: f32, r: i32, mx: v128, narrowLanes: v128): i32 {
  return groupRunShaped(x, out, stride, rows, cols, s, r, mx, narrowLanes, 0, CE, 0);
}
function ceGroupRunScaled(x: usize, out: usize, stride: usize, rows: i32, cols: i32, s: f32, r: i32, mx: v128, narrowLanes: v128): i32 {
  return groupRunShaped(x, out, stride, rows, cols, s, r, mx, narrowLanes, SCALED, CE, 0);
}
function ceGroupRunExact(x: usize, out: usize, stride: usize, rows: i32, cols: i32, s: f32, r: i32, mx: v128, narrowLanes: v128): i32 {
  return groupRunShaped(x, out, stride, rows, cols, s, r, mx, narrowLanes, EXACT, CE, 0);
}
function ceGroupRunExactScaled(x: usize, out: usize, stride: usize, rows: i32, cols: i32, s: f32, r: i32, mx: v128, narrowLanes: v128): i32 {
  return groupRunShaped(x, out, stride, rows, cols, s, r, mx, narrowLanes, EXACT | SCALED, CE, 0);
}
function ceGroupRunMixed(x: usize, out: usize, stride: usize, rows: i32, cols: i32, s: f32, r: i32, mx: v128, narrowLanes: v128): i32 {
  return groupRunShaped(x, out, stride, rows, cols, s, r, mx, narrowLanes, MIXED, CE, 0);
}
function ceGroupRunMixedScaled(x: usize, out: usize, stride: usize, rows: i32, cols: i32, s: f32, r: i32, mx: v128, narrowLanes: v128): i32 {
  return groupRunShaped(x, out, stride, rows, cols, s, r, mx, narrowLanes, MIXED | SCALED, CE, 0);
}
function logGroupRunUnscaled(
  x: usize, out: usize, stride: usize, rows: i32, cols: i32, s: f32, r: i32, mx: v128, narrowLanes: v128, end: i32,
): i32 {
  return groupRunShaped(x, out, stride, rows, cols, s, r, mx, narrowLanes, 0, LOG, end);
}
function logGroupRunScaled(
  x: usize, out: usize, stride: usize, rows: i32, cols: i32, s: f32, r: i32, mx: v128, narrowLanes: v128, end: i32,
): i32 {
  return groupRunShaped(x, out, stride, rows, cols, s, r, mx, narrowLanes, SCALED, LOG, end);
}
function logGroupRunExact(
  x: usize, out: usize, stride: usize, rows: i32, cols: i32, s: f32, r: i32, mx: v128, narrowLanes: v128, end: i32,
): i32 {
  return groupRunShaped(x, out, stride, rows, cols, s, r, mx, narrowLanes, EXACT, LOG, end);
}
function logGroupRunExactScaled(
  x: usize, out: usize, stride: usize, rows: i32, cols: i32, s: f32, r: i32, mx: v128, narrowLanes: v128, end: i32,
): i32 {
  return groupRunShaped(x, out, stride, rows, cols, s, r, mx, narrowLanes, EXACT | SCALED, LOG, end);
}
function logGroupRunMixed(
  x: usize, out: usize, stride: usize, rows: i32, cols: i32, s: f32, r: i32, mx: v128, narrowLanes: v128, end: i32,
): i32 {
  return groupRunShaped(x, out, stride, rows, cols, s, r, mx, narrowLanes, MIXED, LOG, end);
}
function logGroupRunMixedScaled(
  x: usize, out: usize, stride: usize, rows: i32, cols: i32, s: f32, r: i32, mx: v128, narrowLanes: v128, end: i32,
): i32 {
  return groupRunShaped(x, out, stride, rows, cols, s, r, mx, narrowLanes, MIXED | SCALED, LOG, end);
}

// The whole groups of four rows (shorter than SHORT_ROW) of a rows × cols matrix, by `kind` and
// `end`; returns the number of rows done (rows rounded down to a multiple of 4).
@inline function rowGroups(x: usize, out: usize, rows: i32, cols: i32, s: f32, kind: i32, end: i32): i32 {
  if (cols == 0) return rows; // nothing to write (and BLOCKS assumes cols ≥ 4; logSumExp has cols > 0)
  const stride = <usize>cols << 2;
  let r = 0;
  while (r + 4 <= rows) {
    const mx = groupMax(x + <usize>r * stride, stride, cols, cols & 3 ? TAIL : BLOCKS);
    const narrowLanes = narrowLanesOf(mx, groupMin, s);
    const mode = groupMode(narrowLanes, s);
    if (kind == SOFTMAX) {
      if (mode == 0) r = groupRunUnscaled(x, out, stride, rows, cols, s, r, mx, narrowLanes);
      else if (mode == SCALED) r = groupRunScaled(x, out, stride, rows, cols, s, r, mx, narrowLanes);
      else if (mode == EXACT) r = groupRunExact(x, out, stride, rows, cols, s, r, mx, narrowLanes);
      else if (mode == (EXACT | SCALED)) r = groupRunExactScaled(x, out, stride, rows, cols, s, r, mx, narrowLanes);
      else if (mode == MIXED) r = groupRunMixed(x, out, stride, rows, cols, s, r, mx, narrowLanes);
      else r = groupRunMixedScaled(x, out, stride, rows, cols, s, r, mx, narrowLanes);
    } else if (kind == CE) {
      if (mode == 0) r = ceGroupRunUnscaled(x, out, stride, rows, cols, s, r, mx, narrowLanes);
      else if (mode == SCALED) r = ceGroupRunScaled(x, out, stride, rows, cols, s, r, mx, narrowLanes);
      else if (mode == EXACT) r = ceGroupRunExact(x, out, stride, rows, cols, s, r, mx, narrowLanes);
      else if (mode == (EXACT | SCALED)) r = ceGroupRunExactScaled(x, out, stride, rows, cols, s, r, mx, narrowLanes);
      else if (mode == MIXED) r = ceGroupRunMixed(x, out, stride, rows, cols, s, r, mx, narrowLanes);
      else r = ceGroupRunMixedScaled(x, out, stride, rows, cols, s, r, mx, narrowLanes);
    } else {
      if (mode == 0) r = logGroupRunUnscaled(x, out, stride, rows, cols, s, r, mx, narrowLanes, end);
      else if (mode == SCALED) r = logGroupRunScaled(x, out, stride, rows, cols, s, r, mx, narrowLanes, end);
      else if (mode == EXACT) r = logGroupRunExact(x, out, stride, rows, cols, s, r, mx, narrowLanes, end);
      else if (mode == (EXACT | SCALED)) r = logGroupRunExactScaled(x, out, stride, rows, cols, s, r, mx, narrowLanes, end);
      else if (mode == MIXED) r = logGroupRunMixed(x, out, stride, rows, cols, s, r, mx, narrowLanes, end);
      else r = logGroupRunMixedScaled(x, out, stride, rows, cols, s, r, mx, narrowLanes, end);
    }
  }
  return r;
}
function softmaxRowGroups(x: usize, out: usize, rows: i32, cols: i32, s: f32): i32 {
  return rowGroups(x, out, rows, cols, s, SOFTMAX, 0);
}
function logRowGroups(x: usize, out: usize, rows: i32, cols: i32, s: f32, lse: bool): i32 {
  return rowGroups(x, out, rows, cols, s, LOG, lse ? LSE : LOG_SOFTMAX);
}
// The cross-entropy's short rows (see loss.ts), the gradient into grad (or the losses alone for
// grad = 0), four at a time; returns the number of rows done.
export function crossEntropyRowGroups(x: usize, grad: usize, rows: i32, cols: i32, s: f32): i32 {
  return grad != 0 ? rowGroups(x, grad, rows, cols, s, CE, 0) : rowGroups(x, 0, rows, cols, s, LOG, CE_LOSS);
}

// Σ of a short row's stored terms e_j (at p) in the four-row path's order: each block of four in
// f32 as hsum adds it, then into f64, then the last columns one by one.
export function shortRowTermSum(p: usize, cols: i32): f64 {
  let total: f64 = 0;
  let j = 0;
  for (; j + 4 <= cols; j += 4) total += <f64>hsum(v128.load(p + (<usize>j << 2)));
  for (; j < cols; j++) total += <f64>load<f32>(p + (<usize>j << 2));
  return total;
}

// One short row, with the result the four-row path gives it.
function softmaxShortRow(x: usize, out: usize, cols: i32, s: f32): void {
  const m = rowMax(x, cols);
  expShiftedRow(x, out, cols, m, s);
  scaleRow(out, cols, <f32>(1.0 / shortRowTermSum(out, cols)));
}

// Short rows of logSoftmax and logSumExp have one definition too: the row's maximum m and exp mode
// as above (logSumExp takes m = 0 for an all −∞ row, as logSumExpRow does), Σ e in f64 summed as
// softmax's short rows sum it, log Σ by logLanes (two rows per call), and from there the long rows'
// arithmetic (logShortRowEnd). The cross-entropy's short rows are defined alike (loss.ts).

// e^{(x − m)·s} in a mode known only at run time (for the rows left over from the groups).
@inline function expShiftedAnyMode4(x: v128, negM: v128, sv: v128, sHi: v128, sLo: v128, sTl: v128, cut: v128, mode: i32): v128 {
  if (mode == 0) return expShifted4(x, negM, sv, sHi, sLo, sTl, cut, 0);
  if (mode == SCALED) return expShifted4(x, negM, sv, sHi, sLo, sTl, cut, SCALED);
  if (mode == EXACT) return expShifted4(x, negM, sv, sHi, sLo, sTl, cut, EXACT);
  return expShifted4(x, negM, sv, sHi, sLo, sTl, cut, EXACT | SCALED);
}

// Σ_j e^{(x_j − m)·s} of a short row just scanned by rowMax, in the order of the four-row path:
// each block of four in f32 as hsum adds it, then into f64, then the last columns one by one.
export function shortRowSumExp(x: usize, n: i32, m: f32, s: f32): f64 {
  const mode = rowMode(m, s);
  const negM = f32x4.splat(-m), sv = f32x4.splat(s);
  const sHi = f32x4.splat(highHalf(s)), sLo = f32x4.splat(s - highHalf(s)), sTl = scaleTailSplat();
  const cut = f32x4.splat(mode & EXACT ? exactCutoff(n) : 0);
  let total: f64 = 0;
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    total += <f64>hsum(expShiftedAnyMode4(v128.load(x + (<usize>j << 2)), negM, sv, sHi, sLo, sTl, cut, mode));
  }
  if (j < n) {
    const t = n - j;
    const e = expShiftedAnyMode4(loadTail(x + (<usize>j << 2), t, m), negM, sv, sHi, sLo, sTl, cut, mode);
    total += <f64>f32x4.extract_lane(e, 0);
    if (t > 1) total += <f64>f32x4.extract_lane(e, 1);
    if (t > 2) total += <f64>f32x4.extract_lane(e, 2);
  }
  return total;
}

// A log kernel's result for one row (at xr) with maximum m, minimum lo (−∞ if the row holds one:
// then the finite entries' minimum is looked up) and logTotal = log Σ e^{(x − m)·s} (m = 0 for an
// all −∞ row for lse) as logLanes gives it. lse: out is the row's one float, log Σ e^{x·s}; else
// out is the row, log-softmax.
function logShortRowEnd(xr: usize, out: usize, cols: i32, m: f32, lo: f32, s: f32, logTotal: f64, lse: bool): void {
  if (lse) {
    let value: f32;
    if (m == Infinity) value = rowHasNaN(xr, cols) ? NaN : Infinity;
    else value = <f32>(<f64>(m == -Infinity ? 0 : m) * scaleF64(s) + logTotal);
    store<f32>(out, value);
    return;
  }
  const wide = m - lo == Infinity && abs(m) != Infinity && rangeOverflows(xr, cols, m, lo);
  logSoftmaxRowOut(xr, out, cols, m, s, <f32>logTotal, wide);
}

// log x by logLanes, for one short row's sum: the four-row path's value.
export function shortRowLog(x: f64): f64 {
  return f64x2.extract_lane(logLanes(f64x2.splat(x)), 0);
}

// One short row of logSoftmax (out: the row) or logSumExp (out: its float), as the groups do it.
function logShortRow(xr: usize, out: usize, cols: i32, s: f32, lse: bool): void {
  const m = rowMax(xr, cols);
  const lo = lastRowMin;
  logShortRowEnd(xr, out, cols, m, lo, s, shortRowLog(shortRowSumExp(xr, cols, lse && m == -Infinity ? 0 : m, s)), lse);
}

// Whether a row of the group (maxima mx, minima mn as groupMax gave them) has a range that
// overflows float32, as logShortRowEnd decides it row by row.
@inline function groupHasWideRow(x: usize, stride: usize, cols: i32, mx: v128, mn: v128): bool {
  const inf = f32x4.splat(Infinity);
  const candidates = i32x4.bitmask(v128.andnot(f32x4.eq(f32x4.sub(mx, mn), inf), f32x4.eq(f32x4.abs(mx), inf)));
  if (candidates == 0) return false;
  return (candidates & 1 && rangeOverflows(x, cols, f32x4.extract_lane(mx, 0), f32x4.extract_lane(mn, 0)))
    || (candidates & 2 && rangeOverflows(x + stride, cols, f32x4.extract_lane(mx, 1), f32x4.extract_lane(mn, 1)))
    || (candidates & 4 && rangeOverflows(x + 2 * stride, cols, f32x4.extract_lane(mx, 2), f32x4.extract_lane(mn, 2)))
    || (candidates & 8 && rangeOverflows(x + 3 * stride, cols, f32x4.extract_lane(mx, 3), f32x4.extract_lane(mn, 3)));
}

// For a row (at xr) whose max − min (m, lo) is +∞ with m finite: whether its range overflows
// float32, or only a −∞ mask made it infinite (then the finite entries' range decides).
function rangeOverflows(xr: usize, cols: i32, m: f32, lo: f32): bool {
  return lo != -Infinity || m - finiteMin(xr, cols) == Infinity;
}

// The t (1…3) floats of v's low lanes at p, as loadRowTail reads them.
@inline function storeRowTail(p: usize, v: v128, t: i32): void {
  if (t == 1) v128.store32_lane(p, v, 0);
  else v128.store64_lane(p, v, 0);
  if (t == 3) v128.store32_lane(p, v, 2, 8);
}

// logSoftmax's output for a group of four short rows, none wide: row k (at x + k·stride) is
// (x_j − m)·s − logTotal with lane k of mx and of logTotal (f32), as logSoftmaxRowOut writes it.
@inline function logSoftmaxGroupOut(x: usize, out: usize, stride: usize, cols: i32, mx: v128, logTotal: v128, s: f32): void {
  const sv = f32x4.splat(s);
  logSoftmaxRowBody(x, out, cols, v128.shuffle<f32>(mx, mx, 0, 0, 0, 0), sv, v128.shuffle<f32>(logTotal, logTotal, 0, 0, 0, 0));
  logSoftmaxRowBody(
    x + stride, out + stride, cols, v128.shuffle<f32>(mx, mx, 1, 1, 1, 1), sv, v128.shuffle<f32>(logTotal, logTotal, 1, 1, 1, 1));
  logSoftmaxRowBody(
    x + 2 * stride, out + 2 * stride, cols, v128.shuffle<f32>(mx, mx, 2, 2, 2, 2), sv,
    v128.shuffle<f32>(logTotal, logTotal, 2, 2, 2, 2));
  logSoftmaxRowBody(
    x + 3 * stride, out + 3 * stride, cols, v128.shuffle<f32>(mx, mx, 3, 3, 3, 3), sv,
    v128.shuffle<f32>(logTotal, logTotal, 3, 3, 3, 3));
}
// (x_j − m)·s − logTotal over one row with m, s and logTotal splatted (mv, sv, lv), the tail as one
// partial vector: logSoftmax's output for a row whose range does not overflow float32. Four
// vectors per iteration, as scaleRow (vmath.ts) and for the same reason (−5 % on long rows).
@inline function logSoftmaxRowBody(xr: usize, yr: usize, cols: i32, mv: v128, sv: v128, lv: v128): void {
  let j = 0;
  for (; j + 16 <= cols; j += 16) {
    const o = <usize>j << 2;
    const a = v128.load(xr + o), b = v128.load(xr + o, 16), c = v128.load(xr + o, 32), d = v128.load(xr + o, 48);
    v128.store(yr + o, f32x4.sub(f32x4.mul(f32x4.sub(a, mv), sv), lv));
    v128.store(yr + o, f32x4.sub(f32x4.mul(f32x4.sub(b, mv), sv), lv), 16);
    v128.store(yr + o, f32x4.sub(f32x4.mul(f32x4.sub(c, mv), sv), lv), 32);
    v128.store(yr + o, f32x4.sub(f32x4.mul(f32x4.sub(d, mv), sv), lv), 48);
  }
  for (; j + 4 <= cols; j += 4) {
    const o = <usize>j << 2;
    v128.store(yr + o, f32x4.sub(f32x4.mul(f32x4.sub(v128.load(xr + o), mv), sv), lv));
  }
  const t = cols & 3, o = <usize>j << 2;
  if (t) storeRowTail(yr + o, f32x4.sub(f32x4.mul(f32x4.sub(loadRowTail(xr + o, t), mv), sv), lv), t);
}

// logSumExp's results for a group of four short rows (at x + k·stride), logShortRowEnd's arithmetic
// in two f64 lanes: f32(m·s + log Σ) with m = 0 for an all −∞ row, the four floats stored at out;
// then the rows whose maximum is +∞ (+∞, or NaN if they hold one) row by row.
@inline function logSumExpGroupOut(x: usize, out: usize, stride: usize, cols: i32, mx: v128, s: f32, log01: v128, log23: v128): void {
  const m = v128.bitselect(f32x4.splat(0), mx, f32x4.eq(mx, f32x4.splat(-Infinity)));
  const sv = f64x2.splat(scaleF64(s));
  v128.store(out, demoteJoin(
    f64x2.add(f64x2.mul(f64x2.promote_low_f32x4(m), sv), log01), f64x2.add(f64x2.mul(promoteHigh(m), sv), log23)));
  const infinite = i32x4.bitmask(f32x4.eq(mx, f32x4.splat(Infinity)));
  if (infinite == 0) return;
  for (let k = 0; k < 4; k++) {
    if (infinite & (1 << k)) store<f32>(out + (<usize>k << 2), rowHasNaN(x + <usize>k * stride, cols) ? NaN : Infinity);
  }
}

// The end of a group of four short rows for logSoftmax, logSumExp or the cross-entropy's losses
// (`end`): row k (at x + k·stride) has maximum lane k of mx, minimum lane k of groupMin and Σ e in
// lane k of sum01:sum23.
function logGroupEnd(x: usize, out: usize, stride: usize, cols: i32, mx: v128, s: f32, sum01: v128, sum23: v128, end: i32): void {
  if (end == CE_LOSS) {
    ceGroupScale(mx, sum01, sum23, s);
    return;
  }
  const mn = groupMin;
  const log01 = logLanes(sum01), log23 = logLanes(sum23);
  if (end == LSE) {
    logSumExpGroupOut(x, out, stride, cols, mx, s, log01, log23);
    return;
  }
  if (!groupHasWideRow(x, stride, cols, mx, mn)) {
    logSoftmaxGroupOut(x, out, stride, cols, mx, demoteJoin(log01, log23), s);
    return;
  }
  logShortRowEnd(x, out, cols, f32x4.extract_lane(mx, 0), f32x4.extract_lane(mn, 0), s, f64x2.extract_lane(log01, 0), false);
  logShortRowEnd(
    x + stride, out + stride, cols, f32x4.extract_lane(mx, 1), f32x4.extract_lane(mn, 1), s, f64x2.extract_lane(log01, 1), false,
  );
  logShortRowEnd(
    x + 2 * stride, out + 2 * stride, cols, f32x4.extract_lane(mx, 2), f32x4.extract_lane(mn, 2), s,
    f64x2.extract_lane(log23, 0), false,
  );
  logShortRowEnd(
    x + 3 * stride, out + 3 * stride, cols, f32x4.extract_lane(mx, 3), f32x4.extract_lane(mn, 3), s,
    f64x2.extract_lane(log23, 1), false,
  );
}

// ---- kernels ----------------------------------------------------------------------------------

export function softmaxRows(x: usize, out: usize, rows: i32, cols: i32, invTemperature: f32, invTemperatureTail: f32): void {
  setScaleTail(invTemperatureTail);
  const stride = <usize>cols << 2;
  if (cols < SHORT_ROW) {
    let r = softmaxRowGroups(x, out, rows, cols, invTemperature);
    for (; r < rows; r++) softmaxShortRow(x + <usize>r * stride, out + <usize>r * stride, cols, invTemperature);
    return;
  }
  // Each row's exp pass also scans the next row for its maximum (the same values as rowMax).
  let m = rows > 0 ? rowMax(x, cols) : 0;
  for (let r = 0; r < rows; r++) {
    const xr = x + <usize>r * stride, yr = out + <usize>r * stride;
    let total: f64;
    if (r + 1 < rows) {
      total = expShiftedRowNext(xr, yr, cols, m, invTemperature, xr + stride);
      m = nextRowMax;
    } else {
      total = expShiftedRow(xr, yr, cols, m, invTemperature);
    }
    scaleRow(yr, cols, <f32>(1.0 / total));
  }
}

// log a_j of a row whose range max − min overflows float32 (logits beyond ±1.7e38): x_j − m
// would round to −∞ even where (x_j − m)·s, for s < 1, is a finite float32. Rare, so plain f64.
function logSoftmaxWideRow(xr: usize, yr: usize, cols: i32, m: f32, s: f32, logTotal: f32): void {
  for (let i = 0; i < cols; i++) {
    const o = <usize>i << 2;
    const xi = load<f32>(xr + o);
    store<f32>(yr + o, <f32>((<f64>xi - <f64>m) * scaleF64(s) - <f64>logTotal));
  }
}

// log a_j = (x_j − m)·s − log Σ_k e^{(x_k − m)·s} for a row with maximum m and logTotal =
// f32(log Σ): never forms log(a). wide: the row's range max − min overflows float32.
function logSoftmaxRowOut(xr: usize, yr: usize, cols: i32, m: f32, s: f32, logTotal: f32, wide: bool): void {
  if (wide) {
    logSoftmaxWideRow(xr, yr, cols, m, s, logTotal);
    return;
  }
  logSoftmaxRowBody(xr, yr, cols, f32x4.splat(m), f32x4.splat(s), f32x4.splat(logTotal));
}

// Matrices larger than this (about L2) have each row's sum-of-exp pass also scan the next row for
// its maximum, as softmaxRows does: the next row then streams from memory during the exponentials
// (1024 × 4096 −13 %). In cache the sum-only loop, with the scan's two accumulators, spills and
// lost 3–11 % (logSumExp 128 × 1000), so smaller ones (and every block of a Float32Array call) scan
// each row with rowMax. Both give the same values (see expRowLoop).
const SCAN_NEXT_BYTES: u64 = 1 << 20;

// Short rows go four at a time (see logShortRowEnd); longer ones row by row.
export function logSoftmaxRows(x: usize, out: usize, rows: i32, cols: i32, invTemperature: f32, invTemperatureTail: f32): void {
  setScaleTail(invTemperatureTail);
  const stride = <usize>cols << 2;
  if (cols < SHORT_ROW) {
    let r = logRowGroups(x, out, rows, cols, invTemperature, false);
    for (; r < rows; r++) logShortRow(x + <usize>r * stride, out + <usize>r * stride, cols, invTemperature, false);
    return;
  }
  const scanNext = <u64>rows * <u64>stride > SCAN_NEXT_BYTES;
  let m = rows > 0 ? rowMax(x, cols) : 0;
  for (let r = 0; r < rows; r++) {
    const xr = x + <usize>r * stride, yr = out + <usize>r * stride;
    // The next row's scan replaces lastRowMin: this row's is needed after the sum.
    const wide = m - lastRowMin == Infinity && abs(m) != Infinity;
    const rowM = m;
    let total: f64;
    if (scanNext && r + 1 < rows && !wide) {
      // Beyond the caches the output row is also stored in the sum pass, as (x_j − m)·s, so its
      // lines are fetched while the exponentials run; the output pass then subtracts log Σ in
      // place in L1 ((t − 0)·1 is t: the bits logSoftmaxRowOut gives). 1024 × 4096 −12…−17 %
      // (design log item 43). Wide rows keep the sum-only pass: their output is recomputed from x.
      total = shiftedSumExpRowNext(xr, yr, cols, m, invTemperature, xr + stride);
      m = nextRowMax;
      logSoftmaxRowBody(yr, yr, cols, f32x4.splat(0), f32x4.splat(1), f32x4.splat(<f32>Math.log(total)));
      continue;
    }
    if (scanNext && r + 1 < rows) {
      total = sumExpShiftedRowNext(xr, cols, m, invTemperature, xr + stride);
      m = nextRowMax;
    } else {
      total = sumExpShiftedRow(xr, cols, m, invTemperature);
      if (r + 1 < rows) m = rowMax(xr + stride, cols);
    }
    logSoftmaxRowOut(xr, yr, cols, rowM, invTemperature, <f32>Math.log(total), wide);
  }
}

export function logSumExpRows(x: usize, out: usize, rows: i32, cols: i32, invTemperature: f32, invTemperatureTail: f32): void {
  setScaleTail(invTemperatureTail);
  const stride = <usize>cols << 2;
  if (cols > 0 && cols < SHORT_ROW) {
    let r = logRowGroups(x, out, rows, cols, invTemperature, true);
    for (; r < rows; r++) logShortRow(x + <usize>r * stride, out + (<usize>r << 2), cols, invTemperature, true);
    return;
  }
  const scanNext = <u64>rows * <u64>stride > SCAN_NEXT_BYTES;
  let m = rows > 0 ? rowMax(x, cols) : 0;
  for (let r = 0; r < rows; r++) {
    const xr = x + <usize>r * stride;
    const next = scanNext && r + 1 < rows ? xr + stride : 0;
    store<f32>(out + (<usize>r << 2), logSumExpRow(xr, cols, m, invTemperature, next));
    if (r + 1 < rows) m = next ? nextRowMax : rowMax(xr + stride, cols);
  }
}

// Vector–Jacobian product of softmax: dx = y ⊙ (dy − ⟨dy, y⟩), O(cols) per row. dx may alias dy.
// The dot, the difference and the product are taken in f64 and rounded once to f32: in f32,
// dy_j − ⟨dy, y⟩ overflowed for dy = [3e38, −3e38] (giving −∞ for a finite −5.4e37), and its
// cancellation kept the dot's rounding (4e-6 relative on ordinary rows).
export function softmaxBackwardRows(y: usize, dy: usize, dx: usize, rows: i32, cols: i32): void {
  const stride = <usize>cols << 2;
  for (let r = 0; r < rows; r++) {
    const off = <usize>r * stride;
    const yr = y + off, gr = dy + off, dr = dx + off;
    const dot = rowDot(gr, yr, cols);
    const dv = f64x2.splat(dot);
    let i = 0;
    for (; i + 4 <= cols; i += 4) {
      const o = <usize>i << 2;
      const p = v128.load(yr + o), g = v128.load(gr + o);
      v128.store(dr + o, demoteJoin(
        f64x2.mul(f64x2.promote_low_f32x4(p), f64x2.sub(f64x2.promote_low_f32x4(g), dv)),
        f64x2.mul(promoteHigh(p), f64x2.sub(promoteHigh(g), dv)),
      ));
    }
    for (; i < cols; i++) {
      const o = <usize>i << 2;
      store<f32>(dr + o, <f32>(<f64>load<f32>(yr + o) * (<f64>load<f32>(gr + o) - dot)));
    }
  }
}
