// f32x4 building blocks shared by every kernel family: the exp approximation, fused
// multiply-add that becomes relaxed_madd in the relaxed-SIMD build, and exact-enough
// reductions.

// ---- fused multiply-add -------------------------------------------------------------------
// The baseline build must give the same bits everywhere, so it rounds twice (mul, then add).
// The relaxed build lets the engine emit a hardware FMA where it has one.
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

// ---- exp ------------------------------------------------------------------------------------
// e^x = 2^n · e^r with n = round(x / ln 2) and r = x − n·ln 2 ∈ [−ln2/2, ln2/2] (Cody & Waite
// range reduction, ln 2 split into a head with trailing zero bits and a tail so n·ln2_hi is
// exact), then a degree-5 polynomial for e^r (Cephes expf coefficients, relative error ≈ 1e-7).
//
// Rounding uses the magic-bias trick rather than nearest/trunc_sat (which V8 lowers to several
// instructions): adding 1.5·2^23 + 127 leaves round(x·log2 e) + 127 in the low mantissa bits, so
// shifting the float's bits left by 23 yields the bits of 2^n directly.
const LOG2E: f32 = 1.44269504088896341;
const MAGIC_BIAS: f32 = 12583039.0; // 0x1.8000FEp23: 1.5 · 2^23 + 127
const LN2_HI: f32 = 0.693145751953125; // 0x3F317200: 16 trailing zero bits
const LN2_LO: f32 = 1.428606765330187e-6; // ln 2 − LN2_HI
const EXP_C2: f32 = 5.0000001201e-1;
const EXP_C3: f32 = 1.6666665459e-1;
const EXP_C4: f32 = 4.1665795894e-2;
const EXP_C5: f32 = 8.3334519073e-3;
const EXP_C6: f32 = 1.3981999507e-3;
const EXP_C7: f32 = 1.9875691500e-4;
// Below ln(FLT_MIN) the result would be subnormal; such inputs (far below a row's max in
// softmax, −∞ masks) are flushed to exactly 0.
export const EXP_MIN: f32 = -87.33654475;
// Above ln(FLT_MAX) the scale 2^n becomes +∞, which is the right answer.
const EXP_MAX: f32 = 88.72283905;

// Lane-wise e^(x + lo), where lo is a small correction to x (|lo| ≤ ulp(x)) carried separately
// so that arguments which are differences of floats lose nothing to rounding. NaN propagates;
// −∞ and x < EXP_MIN give +0; x > EXP_MAX gives +∞.
@inline export function exp4c(x: v128, lo: v128): v128 {
  // pmin/pmax (one minps/maxps each) return their first operand when it is NaN.
  const xc = f32x4.pmin(f32x4.pmax(x, f32x4.splat(EXP_MIN)), f32x4.splat(EXP_MAX));
  const t = madd(xc, f32x4.splat(LOG2E), f32x4.splat(MAGIC_BIAS));
  const scale = i32x4.shl(t, 23); // bits of 2^n
  const n = f32x4.sub(t, f32x4.splat(MAGIC_BIAS));
  // x − n·ln2_hi is exact (Sterbenz: x and n·ln2_hi are within a factor 2, or n = 0).
  let r = madd(n, f32x4.splat(-LN2_HI), xc);
  r = madd(n, f32x4.splat(-LN2_LO), f32x4.add(r, lo));
  let p = madd(f32x4.splat(EXP_C7), r, f32x4.splat(EXP_C6));
  p = madd(p, r, f32x4.splat(EXP_C5));
  p = madd(p, r, f32x4.splat(EXP_C4));
  p = madd(p, r, f32x4.splat(EXP_C3));
  p = madd(p, r, f32x4.splat(EXP_C2));
  // e^r ≈ 1 + r + r²·p, evaluated as 2^n·(1 + r·(1 + r·p)) = s + (s·r)·(1 + r·p)
  p = madd(p, r, f32x4.splat(1.0));
  const sr = f32x4.mul(scale, r);
  const e = madd(sr, p, scale);
  return v128.andnot(e, f32x4.lt(x, f32x4.splat(EXP_MIN)));
}

// Lane-wise e^x.
@inline export function exp4(x: v128): v128 {
  return exp4c(x, f32x4.splat(0));
}

// Lane-wise e^((x − m)·s), where x − m is carried exactly as a head and a rounding-error tail
// (Knuth's TwoSum). Needed once |x − m| ≥ 32: there half an ulp of the rounded difference
// (≥ 1.9e-6) alone would exceed the 2e-6 relative error the contract allows. The product by s is
// not compensated (exact for s = 1).
@inline export function expShifted4Exact(x: v128, m: v128, s: v128): v128 {
  const negM = f32x4.neg(m);
  const d = f32x4.add(x, negM);
  const mPart = f32x4.sub(d, x);
  const xPart = f32x4.sub(d, mPart);
  const tail = f32x4.add(f32x4.sub(x, xPart), f32x4.sub(negM, mPart));
  return exp4c(f32x4.mul(d, s), f32x4.mul(tail, s));
}

// Below this, a row's exponent arguments z − max (scaled by 1/T) are short enough that rounding
// the difference costs at most 0.95e-6 relative error and the plain exp path suffices.
export const EXACT_SHIFT_THRESHOLD: f32 = 32;

// Scalar e^x with the same algorithm, for the tail lanes, so a row's result does not depend on
// where the vector loop ends.
@inline export function exp1(x: f32): f32 {
  return f32x4.extract_lane(exp4(f32x4.splat(x)), 0);
}

@inline export function expShifted1Exact(x: f32, m: f32, s: f32): f32 {
  return f32x4.extract_lane(expShifted4Exact(f32x4.splat(x), f32x4.splat(m), f32x4.splat(s)), 0);
}

// ---- reductions -----------------------------------------------------------------------------
@inline export function hsum(v: v128): f32 {
  const s = f32x4.add(v, v128.shuffle<f32>(v, v, 2, 3, 0, 1));
  return f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1);
}

@inline export function hmin(v: v128): f32 {
  const m = f32x4.pmin(v, v128.shuffle<f32>(v, v, 2, 3, 0, 1));
  return min(f32x4.extract_lane(m, 0), f32x4.extract_lane(m, 1));
}

@inline export function hmax(v: v128): f32 {
  const m = f32x4.pmax(v, v128.shuffle<f32>(v, v, 2, 3, 0, 1));
  return max(f32x4.extract_lane(m, 0), f32x4.extract_lane(m, 1));
}

// Float sums of long rows are accumulated in blocks: within a block in f32 lanes (16 adds per
// lane at most), across blocks in f64, so a row of 10^6 terms keeps ~1e-7 relative error.
export const SUM_BLOCK: i32 = 256;

// The minimum seen by the last rowMax call, ignoring −∞ (masks, whose exp is 0 whatever the
// precision): with the maximum it bounds a row's exponent range, which decides whether the
// exact-shift exp path is needed.
export let lastRowMin: f32 = Infinity;

// Maximum of n floats at p (also leaves the minimum in lastRowMin). NaN lanes may or may not win,
// which is harmless: a NaN in a row makes the row's exp sum NaN downstream anyway.
export function rowMax(p: usize, n: i32): f32 {
  let i = 0;
  let hi: f32 = -Infinity, lo: f32 = Infinity;
  if (n >= 8) {
    const negInf = f32x4.splat(-Infinity), posInf = f32x4.splat(Infinity);
    let max0 = negInf, max1 = negInf, min0 = posInf, min1 = posInf;
    for (; i + 8 <= n; i += 8) {
      const q = p + (<usize>i << 2);
      const a = v128.load(q), b = v128.load(q, 16);
      max0 = f32x4.pmax(max0, a);
      max1 = f32x4.pmax(max1, b);
      min0 = f32x4.pmin(min0, v128.bitselect(posInf, a, f32x4.eq(a, negInf)));
      min1 = f32x4.pmin(min1, v128.bitselect(posInf, b, f32x4.eq(b, negInf)));
    }
    hi = hmax(f32x4.pmax(max0, max1));
    lo = hmin(f32x4.pmin(min0, min1));
  }
  for (; i < n; i++) {
    const v = load<f32>(p + (<usize>i << 2));
    hi = max(hi, v);
    if (v != -Infinity) lo = min(lo, v);
  }
  lastRowMin = lo;
  return hi;
}

// Σ a_i·b_i over n floats, blocked as above.
export function rowDot(a: usize, b: usize, n: i32): f64 {
  let total: f64 = 0;
  let i = 0;
  while (i + 4 <= n) {
    const end = min(n & ~3, i + SUM_BLOCK);
    let acc = f32x4.splat(0);
    for (; i < end; i += 4) {
      const o = <usize>i << 2;
      acc = madd(v128.load(a + o), v128.load(b + o), acc);
    }
    total += <f64>hsum(acc);
  }
  for (; i < n; i++) total += <f64>load<f32>(a + (<usize>i << 2)) * <f64>load<f32>(b + (<usize>i << 2));
  return total;
}

// Σ x_i over n floats.
export function rowSum(p: usize, n: i32): f64 {
  let total: f64 = 0;
  let i = 0;
  while (i + 4 <= n) {
    const end = min(n & ~3, i + SUM_BLOCK);
    let acc = f32x4.splat(0);
    for (; i < end; i += 4) acc = f32x4.add(acc, v128.load(p + (<usize>i << 2)));
    total += <f64>hsum(acc);
  }
  for (; i < n; i++) total += <f64>load<f32>(p + (<usize>i << 2));
  return total;
}

// out_i = x_i · s, in place allowed.
export function scaleRow(x: usize, out: usize, n: i32, s: f32): void {
  const sv = f32x4.splat(s);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, f32x4.mul(v128.load(x + o), sv));
  }
  for (; i < n; i++) store<f32>(out + (<usize>i << 2), load<f32>(x + (<usize>i << 2)) * s);
}

// ---- f64 lanes ------------------------------------------------------------------------------
// Kernels whose sums must not overflow near ±FLT_MAX, or whose differences must be exact (the
// elementwise losses, column sums, sparsemax's threshold), work in f64x2 pairs of f32 lanes.

// Lanes 2 and 3 of v as f64x2 (f64x2.promote_low_f32x4 gives lanes 0 and 1).
@inline export function promoteHigh(v: v128): v128 {
  return f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 2, 3));
}

// Four floats from two f64x2 halves (lanes 0, 1 and 2, 3), each rounded once to f32.
@inline export function demoteJoin(lo: v128, hi: v128): v128 {
  return v128.shuffle<f32>(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 4, 5);
}

@inline export function f64x2Sum(v: v128): f64 {
  return f64x2.extract_lane(v, 0) + f64x2.extract_lane(v, 1);
}
