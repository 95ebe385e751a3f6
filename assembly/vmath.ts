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

// c − a·b, fused in the relaxed build as madd is.
@inline export function nmadd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_nmadd(a, b, c);
  return f32x4.sub(c, f32x4.mul(a, b));
}

// ---- exp ------------------------------------------------------------------------------------
// e^x = 2^n · e^r with n = round(x / ln 2) and r = x − n·ln 2 ∈ [−ln2/2, ln2/2] (Cody & Waite
// range reduction, ln 2 split into a head with trailing zero bits and a tail so n·ln2_hi is
// exact), then a polynomial for e^r. Every exponential here has an argument ≤ 0: softmax's and
// cross-entropy's x − max, sigmoid's and binary cross-entropy's −|x|, and tanh's −2|x| (below).
//
// Rounding uses the magic-bias trick rather than nearest/trunc_sat (which V8 lowers to several
// instructions): adding 1.5·2^23 + 127 leaves round(x·log2 e) + 127 in the low mantissa bits, so
// shifting the float's bits left by 23 yields the bits of 2^n directly.
const LOG2E: f32 = 1.44269504088896341;
const MAGIC_BIAS: f32 = 12583039.0; // 0x1.8000FEp23: 1.5 · 2^23 + 127
const LN2_HI: f32 = 0.693145751953125; // 0x3F317200: 16 trailing zero bits
const LN2_LO: f32 = 1.428606765330187e-6; // ln 2 − LN2_HI
// ln FLT_MIN: below it e^x would be subnormal; expFlushed4 flushes such arguments (−∞ included)
// to exactly 0.
export const EXP_MIN: f32 = -87.33654475;

// ---- e^x for x ≤ 0: the softmax exponential -----------------------------------------------
// Softmax and cross-entropy only exponentiate shifted logits x − max ≤ 0, which allows a cheaper
// form than a general exp (clamped on both sides, degree 7, as Cephes expf), after XNNPACK's
// "rr2_p5" exp (and, in the relaxed build, "rr1_p5") in its softmax microkernels
// (f32-raddstoreexpminusmax):
// - no clamping: the magic-bias rounding is exact for every x ≥ −126·ln 2; below, lanes compute
//   garbage (−∞ gives NaN), which the flushing variant replaces by +0 and the narrow variant is
//   never given;
// - a degree-5 minimax polynomial instead of degree 7: relative error ≤ 1.85e-7 over [−87.3, 0]
//   with mul+add (baseline build), measured against Math.exp at 2·10^6 points; the relaxed
//   build's one-step reduction gives ≤ 3.9e-7 over [−86.6, 0] and ≤ 2.4e-7 over [−32, 0], the
//   narrow rows' range (4·10^6 points);
// - 2^n is applied by adding n << 23 to the bits of e^r (an integer add, which x86 can issue on a
//   third port) instead of multiplying by 2^n; so n ≥ −125 must hold (e^r ≥ 2^−½ keeps the
//   exponent field positive), which sets the flush cutoff at −125·ln 2. (The narrow rows' exp,
//   whose n ≥ −47, multiplies instead, for the same bits with one constant fewer: expNarrow4.)
// These kernels are bound by the float operations of this function (rows are in L1/L2), so each
// one removed is time saved: with mul+add it is 19 per 4 lanes (narrow) against the general exp's
// 30; with FMA and the one-step reduction, 10.
const EXPN_MAGIC: f32 = 12582912.0; // 1.5·2^23: leaves round(x·log2 e) in the low mantissa bits
const EXPN_C1: f32 = 0.99999970198; // 0x1.FFFFF6p-1
const EXPN_C2: f32 = 0.49999150634; // 0x1.FFFDC6p-2
const EXPN_C3: f32 = 0.16667652130; // 0x1.555A80p-3
const EXPN_C4: f32 = 0.041897822171; // 0x1.573A1Ap-5
const EXPN_C5: f32 = 0.0082892905921; // 0x1.0F9F9Cp-7
// −125·ln 2: the smallest argument for which the exponent add stays in range. Smaller arguments
// (results below 2.4e-38, far under the 1e-30 the contract covers) are flushed to +0.
export const EXPN_CUTOFF: f32 = -86.643397569993164;

const LN2: f32 = 0.6931471805599453; // rounds to 0x3F317218, 1.9e-9 above ln 2

// r = x + lo − n·ln 2 for an integer-valued n (|n| ≤ 128), x within n·ln 2 ± ln 2, and lo a
// rounding-error tail of x (|lo| ≤ ulp(x); only `withTail`).
// - The baseline build splits ln 2 (Cody & Waite): x − n·LN2_HI is exact (Sterbenz: x and
//   n·LN2_HI are within a factor 2 of each other, or n = 0), then lo is added and n·LN2_LO
//   subtracted.
// - The relaxed build takes one fused multiply-add with ln 2 rounded to f32, as XNNPACK's "rr1"
//   kernels do on FMA hardware: the product is not rounded, r is rounded once, and ln 2's own
//   rounding shifts r by |n|·1.9e-9 (≤ 2.4e-7 relative in e^x). One multiply-add and one
//   constant fewer: softmax's exp pass −8…−10 % in cache. expFlushed4's arguments reach
//   |n| = 126, where the shift is still ≤ 2.4e-7 (sigmoid within 3.9e-7 of the f64 result).
//   Unfused, n·ln 2 would round (softmax off by up to 3.4e-6 under V8's --no-enable-fma3, over
//   the contract's 2e-6), so the loader picks this build only where relaxed_madd fuses
//   (src/wasm/loader.ts).
@inline function reduceLn2(x: v128, n: v128, lo: v128, withTail: bool): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) {
    const r = f32x4.relaxed_madd(n, f32x4.splat(-LN2), x);
    return withTail ? f32x4.add(r, lo) : r;
  }
  let r = madd(n, f32x4.splat(-LN2_HI), x);
  if (withTail) r = f32x4.add(r, lo);
  return madd(n, f32x4.splat(-LN2_LO), r);
}

// P(r) with e^r ≈ 1 + r·P(r) for r ∈ [−ln2/2, ln2/2]: the degree-5 polynomial above.
@inline function expPolyP(r: v128): v128 {
  let p = madd(f32x4.splat(EXPN_C5), r, f32x4.splat(EXPN_C4));
  p = madd(p, r, f32x4.splat(EXPN_C3));
  p = madd(p, r, f32x4.splat(EXPN_C2));
  return madd(p, r, f32x4.splat(EXPN_C1));
}

// e^(x + lo) by the steps above, without the flush. x + lo ∈ [−125·ln 2, 0] or NaN.
@inline function expNonPositiveCore(x: v128, lo: v128, withTail: bool): v128 {
  const t = madd(x, f32x4.splat(LOG2E), f32x4.splat(EXPN_MAGIC));
  const exponent = i32x4.shl(t, 23); // n << 23
  const n = f32x4.sub(t, f32x4.splat(EXPN_MAGIC));
  const r = reduceLn2(x, n, lo, withTail);
  const er = madd(r, expPolyP(r), f32x4.splat(1.0)); // e^r ∈ [2^−½, 2^½]
  return i32x4.add(er, exponent);
}

// expNarrow4's bits where its argument is in range, computed as expNonPositiveCore does: in lanes
// of wide rows (a group of short rows that mixes narrow and wide ones computes both exps in every
// lane, then keeps one per lane), arguments near the cutoff would make expNarrow4's 2^n·r
// subnormal and slow; here the garbage those lanes compute stays normal.
@inline export function expNarrowAnyLane4(x: v128): v128 {
  return expNonPositiveCore(x, f32x4.splat(0), false);
}

// Lane-wise e^x for x ∈ [ln FLT_MIN, 0] (or NaN, which propagates); anything smaller gives garbage.
// Softmax gives it rows whose range is known to be narrow (x ≥ −32) and free of −∞, and
// expFlushed4 clamped arguments. The same bits as expNonPositiveCore where both hold,
// but 2^n is applied as a float, 2^n + (2^n·r)·P(r): the product 2^n·r is exact and scaling by
// 2^n commutes with rounding, so this rounds as 1 + r·P(r) does. The same operation count, and
// one constant (1.0) fewer, so the exp loops keep their constants and accumulators in V8's 15
// xmm registers instead of reloading three of them from the stack every iteration: a few per
// cent on softmax's long rows (bench/RESULTS.md, design log item 36). Softmax uses it only where
// n ≥ −47: near the exact path's cutoff 2^n·r is subnormal, and x86's microcode assists made
// cross-entropy on rows spanning 88 3× slower.
@inline export function expNarrow4(x: v128): v128 {
  const t = madd(x, f32x4.splat(LOG2E), f32x4.splat(MAGIC_BIAS));
  const scale = i32x4.shl(t, 23); // bits of 2^n
  const n = f32x4.sub(t, f32x4.splat(MAGIC_BIAS));
  const r = reduceLn2(x, n, f32x4.splat(0), false);
  return madd(f32x4.mul(scale, r), expPolyP(r), scale);
}

// −|x| lane-wise by setting the sign bit: one orps with a constant kept in a register, where V8
// builds the masks of f32x4.abs and f32x4.neg anew in every loop iteration (six instructions):
// sigmoid −12 % (design log item 38).
@inline export function negAbs4(x: v128): v128 {
  return v128.or(x, f32x4.splat(-0.0));
}

// Lane-wise e^x for any x ≤ 0 (or NaN, which propagates), flushed to +0 below EXP_MIN = ln FLT_MIN
// (−∞ included): the activations' and binary cross-entropy's t = e^{−|x|}, whose arguments are
// not bounded as softmax's are. expNarrow4 itself, whose steps hold down to n = −126 because 2^n is
// applied as a float (expNonPositiveCore's exponent add stops at −125); the argument is clamped
// to EXP_MIN first so that far-off lanes compute a normal number before the flush rather than
// garbage that might be subnormal, which x86 computes slowly. Near the bottom 2^n·r is itself
// subnormal, an absolute error of 2^−150 against a result ≥ 2^−126.5; only arguments below about
// −85 get there. Relative error as the softmax exp's: ≤ 1.85e-7 with mul+add, ≤ 3.9e-7 with the
// relaxed build's one-step reduction (sigmoid, against f64 at 1.7·10^7 points from −87.34 to 20:
// ≤ 2.7e-7 and ≤ 3.9e-7, where the general exp gave 2.0e-7 in both builds). In the relaxed build
// this is 13 vector operations per 4 lanes, where the general exp it replaced (clamped on both
// sides, the two-step reduction, degree 7) took 18, and the activations were bound by that exp:
// sigmoid 1.4 ns per element (item 38).
@inline export function expFlushed4(x: v128): v128 {
  // pmax returns its first operand when it is NaN.
  const e = expNarrow4(f32x4.pmax(x, f32x4.splat(EXP_MIN)));
  return v128.andnot(e, f32x4.lt(x, f32x4.splat(EXP_MIN)));
}

// (e^r − 1)/r ≈ 1 + r·(C1 + r·(C2 + …)) on [−ln2/2, ln2/2], fitted for relative error (Lawson's
// iteration on least squares, then rounded to float32): 1.3e-8 with these coefficients, 1.3e-7
// for r times it evaluated in float32 with fused multiply-adds. expPolyP's P, fitted for e^r rather
// than e^r − 1, is 3e-7 off at r = 0 (its C1 is not 1): tanh from it was off by up to 7.4e-7.
const EXPM1_C1: f32 = 0.49999997019767761; // 0x1.fffffep-2
const EXPM1_C2: f32 = 0.16666543483734131; // 0x1.5554b0p-3
const EXPM1_C3: f32 = 0.041667200624942780; // 0x1.555674p-5
const EXPM1_C4: f32 = 0.0083665139973163605; // 0x1.122768p-7
const EXPM1_C5: f32 = 0.0013882522471249104; // 0x1.6bec08p-10

// Lane-wise 1 − e^x for x ≤ 0 (or NaN, which propagates), without the cancellation of 1 − exp(x)
// for small |x|: (1 − 2^n) − (2^n·r)·P(r) with P(r) = (e^r − 1)/r as above. For n = 0
// (|x| ≤ ln2/2) the reduction leaves r = x exactly and 1 − 2^n = 0, so the result is −x·P(x), as
// accurate relative to itself as P; elsewhere 1 − 2^n is exact down to n = −24, and beyond it the
// rounding of 1 − 2^n is negligible against a result near 1. x is clamped to −20 first, where
// 1 − e^x rounds to 1, so no term ever becomes subnormal. tanh's building block.
@inline export function oneMinusExp4(x: v128): v128 {
  const xc = f32x4.pmax(x, f32x4.splat(-20)); // pmax returns its first operand when it is NaN
  const t = madd(xc, f32x4.splat(LOG2E), f32x4.splat(MAGIC_BIAS));
  const scale = i32x4.shl(t, 23); // bits of 2^n
  const n = f32x4.sub(t, f32x4.splat(MAGIC_BIAS));
  const r = reduceLn2(xc, n, f32x4.splat(0), false);
  let p = madd(f32x4.splat(EXPM1_C5), r, f32x4.splat(EXPM1_C4));
  p = madd(p, r, f32x4.splat(EXPM1_C3));
  p = madd(p, r, f32x4.splat(EXPM1_C2));
  p = madd(p, r, f32x4.splat(EXPM1_C1));
  p = madd(p, r, f32x4.splat(1));
  return nmadd(f32x4.mul(scale, r), p, f32x4.sub(f32x4.splat(1), scale));
}

// Lane-wise e^(x + lo) for x ≤ 0 (lo a rounding-error tail, |lo| ≤ ulp(x)). NaN propagates;
// x < cut (−∞ included) gives +0, for a cut ≥ EXPN_CUTOFF (exactCutoff).
@inline export function expNonPositive4c(x: v128, lo: v128, cut: v128): v128 {
  return v128.andnot(expNonPositiveCore(x, lo, true), f32x4.lt(x, cut));
}

// ln(1e−30) less a margin: probabilities from 1e−30 up are held to the contract, and a term
// e^a ≥ 1e−30 is never flushed.
const LN_CONTRACT_FLOOR: f64 = -69.6;

// exactCutoff's gradient factor g (below) for the call running; 1 outside cross-entropy calls with
// a gradient. g ≥ 1, ≤ 0 or NaN count as 1: the cutoff never falls below softmax's.
let gradientTermScale: f64 = 1;
export function setGradientTermScale(g: f64): void {
  gradientTermScale = g > 0 && g < 1 ? g : 1;
}

// Where the exact exp flushes to 0 for a row of n terms. Each term e^a ≤ 1 is later divided by
// the row's sum (1 ≤ sum ≤ n), and wasm keeps subnormal results, which x86 computes by microcode
// assists: rows whose arguments (x − max)·s reach below ≈ −84 (a temperature under 1 on a wide
// row, say) took 3× the time with a few per cent of their probabilities subnormal. So terms below
// FLT_MIN·n, whose probability might be subnormal, are flushed here already: a < ln FLT_MIN + ln n.
// Those probabilities are < FLT_MIN·n, under the 1e−30 floor of the contract up to n ≈ 5·10^7;
// beyond, the floor wins and some subnormals stay. Narrow rows never reach that far.
// Cross-entropy's gradient scales each term once more, ∂J/∂z_j = g·e_j/Σ (less the targets' part;
// g is the reduction's factor times 1/T — 1/rows for a mean — times the class weight), which is
// subnormal for terms up to FLT_MIN·n/g: with the cutoff above alone, such rows still took 1.5–3×
// their time. So a call with a gradient sets g here while it runs (setGradientTermScale, back to 1
// when it ends), and the cutoff rises by ln(1/g) where 0 < g < 1. The contract's floor still caps
// it: only terms under 1e−30 are ever flushed.
// The cutoff is formed in f64 from ln FLT_MIN itself (EXP_MIN is it rounded to float32) and
// raised by CUTOFF_MARGIN before it is rounded to float32: a term right at ln(FLT_MIN·n) still came
// out under FLT_MIN once the cutoff's two roundings (up to 7.6e-6 together), the exp's error and
// the sum's had their way (200 000 columns, a term at −75.1305: 1.17549337e−38).
const LN_FLT_MIN: f64 = -87.33654475055310898657;
const CUTOFF_MARGIN: f64 = 2e-5;
export function exactCutoff(n: i32): f32 {
  return <f32>min(max(<f64>EXPN_CUTOFF, LN_FLT_MIN + Math.log(<f64>n / gradientTermScale) + CUTOFF_MARGIN), LN_CONTRACT_FLOOR);
}

// When the exponent arguments of a row, (z − max)·s, span less than this (s = 1), rounding the
// difference z − max costs at most half an ulp of 32, 0.95e-6 relative error, and the narrow
// exp path suffices. With a temperature (s ≠ 1) the product by s rounds too: the two roundings
// cost up to 2^−23·|(z − max)·s|, so the span must stay below 8 for the same 0.95e-6.
export const NARROW_SPAN: f32 = 32;
export const NARROW_SPAN_SCALED: f32 = 8;

// Lane-wise e^(x − m) for x ≤ m, with x − m carried exactly as a head and a rounding-error tail
// (Knuth's TwoSum). For rows wider than NARROW_SPAN, where half an ulp of the rounded difference
// alone would exceed the 2e-6 relative error the contract allows. negM = −m.
@inline export function expShiftedExact4(x: v128, negM: v128, cut: v128): v128 {
  const d = f32x4.add(x, negM);
  const mPart = f32x4.sub(d, x);
  const xPart = f32x4.sub(d, mPart);
  const tail = f32x4.add(f32x4.sub(x, xPart), f32x4.sub(negM, mPart));
  return expNonPositive4c(d, tail, cut);
}

// Keeps the high 12 of a float's 24 significant bits, so products of two such halves are exact.
const HIGH_HALF: i32 = 0xfffff000;

// 1/T is handed to the kernels as a float32 s and its rounding error, the tail 1/T − s (also a
// float32, 0 when 1/T is one). s alone is off by up to 2^−24 relative, which moves an exponent
// (x − m)·s of −69 (a probability of 1e−30) by 4e−6, twice the contract's error; the exact path
// below and the f64 sums (scaleF64) add the tail. Set by each kernel entry that takes a temperature.
let scaleTail: f32 = 0;
export function setScaleTail(tail: f32): void {
  scaleTail = tail;
}
@inline export function scaleTailSplat(): v128 {
  return f32x4.splat(scaleTail);
}
// Whether 1/T is not exactly 1: s ≠ 1, or s = 1 with a tail (T within 2^−25 of 1).
@inline export function isScaled(s: f32): bool {
  return s != 1 || scaleTail != 0;
}
// s + its tail in f64: 1/T to 2^−48, for the f64 terms that scale by it.
@inline export function scaleF64(s: f32): f64 {
  return <f64>s + <f64>scaleTail;
}

// Lane-wise e^((x − m)·(s + sTail)): x − m exact by TwoSum as above, and its product by s exact
// too: in the baseline build by Dekker's TwoProduct with the operands split by masking (s = sHi +
// sLo, each half 12 bits), in the relaxed build by one fused multiply-add; (x − m)·sTail joins the
// error terms.
@inline export function expShiftedExactScaled4(x: v128, negM: v128, s: v128, sHi: v128, sLo: v128, sTail: v128, cut: v128): v128 {
  const d = f32x4.add(x, negM);
  const mPart = f32x4.sub(d, x);
  const xPart = f32x4.sub(d, mPart);
  const tail = f32x4.add(f32x4.sub(x, xPart), f32x4.sub(negM, mPart));
  const p = f32x4.mul(d, s);
  if (ASC_FEATURE_RELAXED_SIMD) {
    // A fused multiply-add gives d·s − p exactly (the relaxed build runs only where it fuses).
    const err = f32x4.relaxed_madd(d, sTail, f32x4.relaxed_madd(d, s, f32x4.neg(p)));
    return expNonPositive4c(p, f32x4.relaxed_madd(tail, s, err), cut);
  }
  const dHi = v128.and(d, i32x4.splat(HIGH_HALF)), dLo = f32x4.sub(d, dHi);
  let err = f32x4.sub(f32x4.mul(dHi, sHi), p);
  err = f32x4.add(err, f32x4.mul(dHi, sLo));
  err = f32x4.add(err, f32x4.mul(dLo, sHi));
  err = f32x4.add(err, f32x4.mul(dLo, sLo));
  err = f32x4.add(err, f32x4.mul(d, sTail));
  return expNonPositive4c(p, f32x4.add(err, f32x4.mul(tail, s)), cut);
}

// The high half of s as used by expShiftedExactScaled4 (the low half is s minus it).
@inline export function highHalf(s: f32): f32 {
  return reinterpret<f32>(reinterpret<i32>(s) & HIGH_HALF);
}

// Up to 3 floats at p as the low lanes of a vector whose other lanes are `pad`, so row tails go
// through the same vector code as the rest of the row.
@inline export function loadTail(p: usize, count: i32, pad: f32): v128 {
  let v = f32x4.splat(pad);
  v = f32x4.replace_lane(v, 0, load<f32>(p));
  if (count > 1) v = f32x4.replace_lane(v, 1, load<f32>(p, 4));
  if (count > 2) v = f32x4.replace_lane(v, 2, load<f32>(p, 8));
  return v;
}

// v with the lanes from `count` (1…3) on set to +0.
@inline export function keepLanes(v: v128, count: i32): v128 {
  return v128.and(v, i32x4(-1, count > 1 ? -1 : 0, count > 2 ? -1 : 0, 0));
}

// Stores the low `count` (1…3) lanes of v at p.
@inline export function storeTail(p: usize, v: v128, count: i32): void {
  store<f32>(p, f32x4.extract_lane(v, 0));
  if (count > 1) store<f32>(p, f32x4.extract_lane(v, 1), 4);
  if (count > 2) store<f32>(p, f32x4.extract_lane(v, 2), 8);
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
// lane at most; 8 in expRowLoop, whose two accumulators share a block), across blocks in f64, so
// a row of 10^6 terms keeps ~1e-7 relative error. A block's roundings can all go one way: with
// each term just over half an ulp of its lane's sum (255 equal terms beside the max's 1), blocks
// of 256 lost 31·2^−24 = 1.85e-6 of the sum, and the softmax 2.75e-6, over the contract's 2e-6;
// blocks of 64 keep it to 7·2^−24 (the softmax to 1.32e-6), for 2–7 % more time on rows in cache
// (design log item 47).
export const SUM_BLOCK: i32 = 64;

// The minimum seen by the last rowMax call, ignoring −∞ (masks, whose exp is 0 whatever the
// precision): with the maximum it bounds a row's exponent range, which decides whether the
// exact-shift exp path is needed.
export let lastRowMin: f32 = Infinity;
// Whether the last row scanned by rowMax held a −∞ (it then needs the exp that flushes to 0).
export let lastRowMasked: bool = false;

// Maximum of n floats at p (also leaves the minimum in lastRowMin). NaN lanes may or may not win,
// which is harmless: a NaN in a row makes the row's exp sum NaN downstream anyway. Four
// accumulators each for max and min hide the latency of maxps/minps (one pmax/pmin each, where
// f32x4.max/min need NaN and ±0 fix-ups); −∞ entries are left out of the minimum only when one
// turns up, by a second scan.
export function rowMax(p: usize, n: i32): f32 {
  let i = 0;
  let hi: f32 = -Infinity, lo: f32 = Infinity;
  if (n >= 4) {
    let max0 = f32x4.splat(-Infinity), min0 = f32x4.splat(Infinity);
    if (n >= 16) {
      let max1 = max0, max2 = max0, max3 = max0, min1 = min0, min2 = min0, min3 = min0;
      for (; i + 16 <= n; i += 16) {
        const q = p + (<usize>i << 2);
        const a = v128.load(q), b = v128.load(q, 16), c = v128.load(q, 32), d = v128.load(q, 48);
        max0 = f32x4.pmax(max0, a); min0 = f32x4.pmin(min0, a);
        max1 = f32x4.pmax(max1, b); min1 = f32x4.pmin(min1, b);
        max2 = f32x4.pmax(max2, c); min2 = f32x4.pmin(min2, c);
        max3 = f32x4.pmax(max3, d); min3 = f32x4.pmin(min3, d);
      }
      max0 = f32x4.pmax(f32x4.pmax(max0, max1), f32x4.pmax(max2, max3));
      min0 = f32x4.pmin(f32x4.pmin(min0, min1), f32x4.pmin(min2, min3));
    }
    for (; i + 4 <= n; i += 4) {
      const a = v128.load(p + (<usize>i << 2));
      max0 = f32x4.pmax(max0, a);
      min0 = f32x4.pmin(min0, a);
    }
    hi = hmax(max0);
    lo = hmin(min0);
  }
  return rowScanEnd(p, n, i, hi, lo);
}

// The end of rowMax, also used by scans fused into other loops (softmax's exp pass scans the next
// row): the scalar tail from i on, then lastRowMin and lastRowMasked. The vector part's maximum
// hi and minimum lo may come from any order of pmax/pmin with each loaded vector as the second
// operand: NaN never enters the accumulators then, so they are the max and min of the non-NaN
// entries whatever the order (only the sign of a zero maximum may differ, which no result depends
// on: x − (±0) and e^{±0} are the same).
@inline export function rowScanEnd(p: usize, n: i32, i: i32, hi: f32, lo: f32): f32 {
  for (; i < n; i++) {
    const v = load<f32>(p + (<usize>i << 2));
    hi = max(hi, v);
    lo = min(lo, v);
  }
  lastRowMasked = lo == -Infinity;
  lastRowMin = lastRowMasked ? finiteMin(p, n) : lo;
  return hi;
}

// Minimum of the entries other than −∞ (+∞ if there are none).
export function finiteMin(p: usize, n: i32): f32 {
  const negInf = f32x4.splat(-Infinity), posInf = f32x4.splat(Infinity);
  let lo = posInf;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const a = v128.load(p + (<usize>i << 2));
    lo = f32x4.pmin(lo, v128.bitselect(posInf, a, f32x4.eq(a, negInf)));
  }
  let m = hmin(lo);
  for (; i < n; i++) {
    const v = load<f32>(p + (<usize>i << 2));
    if (v != -Infinity) m = min(m, v);
  }
  return m;
}

// Σ a_i·b_i over n floats, in f64 lanes: a product of two floats is exact in f64 (24 + 24 bits),
// so the only roundings are the f64 sum's. softmaxBackward subtracts it from each dy_j: f32
// products and partial sums (blocked as above) left 1e-7 of Σ|a·b| in it, which that difference
// can cancel down to nothing (dy = [1, 1 + 2⁻²³], y = [½, ½] gave [0, 6e-8] for ±3e-8).
export function rowDot(a: usize, b: usize, n: i32): f64 {
  let lo = f64x2.splat(0), hi = lo;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const x = v128.load(a + o), y = v128.load(b + o);
    lo = f64x2.add(lo, f64x2.mul(f64x2.promote_low_f32x4(x), f64x2.promote_low_f32x4(y)));
    hi = f64x2.add(hi, f64x2.mul(promoteHigh(x), promoteHigh(y)));
  }
  let total = f64x2Sum(f64x2.add(lo, hi));
  for (; i < n; i++) total += <f64>load<f32>(a + (<usize>i << 2)) * <f64>load<f32>(b + (<usize>i << 2));
  return total;
}

// Σ x_i over n floats in f64 lanes, each term exact there: for sums whose small terms must not
// drop out of the float32 blocks below (sampleCategorical's total, where 1 + 4e-8 rounded to 1).
export function rowSumF64(p: usize, n: i32): f64 {
  let lo = f64x2.splat(0), hi = lo;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(p + (<usize>i << 2));
    lo = f64x2.add(lo, f64x2.promote_low_f32x4(v));
    hi = f64x2.add(hi, promoteHigh(v));
  }
  let total = f64x2Sum(f64x2.add(lo, hi));
  for (; i < n; i++) total += <f64>load<f32>(p + (<usize>i << 2));
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

// x_i ·= s, in place. Four vectors per iteration: with one, V8's loop overhead
// (the stack check, the compare and the branch) outweighed the load, multiply and store, and
// softmax's scale pass made up a sixth of its time on long rows (−4 % softmax, item 39).
export function scaleRow(x: usize, n: i32, s: f32): void {
  const sv = f32x4.splat(s);
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const o = <usize>i << 2;
    const a = v128.load(x + o), b = v128.load(x + o, 16), c = v128.load(x + o, 32), d = v128.load(x + o, 48);
    v128.store(x + o, f32x4.mul(a, sv));
    v128.store(x + o, f32x4.mul(b, sv), 16);
    v128.store(x + o, f32x4.mul(c, sv), 32);
    v128.store(x + o, f32x4.mul(d, sv), 48);
  }
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(x + o, f32x4.mul(v128.load(x + o), sv));
  }
  for (; i < n; i++) store<f32>(x + (<usize>i << 2), load<f32>(x + (<usize>i << 2)) * s);
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

// ln x in two f64 lanes, for the short rows' sums (four rows' logs as two calls of straight-line
// code instead of four calls of Math.log, around which V8 spills every live vector register). A
// positive normal x = 2^k·f, f ∈ [√½, √2), gives k·ln 2 + 2·atanh(u), u = (f − 1)/(f + 1), the
// series cut after u^21 (|u| ≤ 0.172: the first omitted term is below 2.5e-17 relative), within
// about 2 ulp; f − 1 is exact there, and ln 2 is split so that k·LN2_HI_F64 is exact. Other lanes (0,
// subnormals, ∞, NaN) take Math.log.
const LN2_HI_F64: f64 = 6.93147180369123816490e-01; // the high 32 bits of ln 2
const LN2_LO_F64: f64 = 1.90821492927058770002e-10; // ln 2 − LN2_HI_F64
@inline export function logLanes(x: v128): v128 {
  const normal = v128.and(f64x2.ge(x, f64x2.splat(2.2250738585072014e-308)), f64x2.lt(x, f64x2.splat(Infinity)));
  if (!i64x2.all_true(normal)) return f64x2.replace_lane(f64x2.splat(Math.log(f64x2.extract_lane(x, 0))), 1, Math.log(f64x2.extract_lane(x, 1)));
  let e = i64x2.shr_u(x, 52);
  let f = v128.or(v128.and(x, i64x2.splat(0x000FFFFFFFFFFFFF)), i64x2.splat(0x3FF0000000000000));
  const high = f64x2.gt(f, f64x2.splat(Math.SQRT2));
  f = v128.bitselect(f64x2.mul(f, f64x2.splat(0.5)), f, high);
  e = i64x2.sub(e, high); // high lanes are −1: k + 1
  const k = f64x2.convert_low_i32x4_s(i32x4.sub(v128.shuffle<i32>(e, e, 0, 2, 0, 2), i32x4.splat(1023)));
  const one = f64x2.splat(1);
  const u = f64x2.div(f64x2.sub(f, one), f64x2.add(f, one));
  const z = f64x2.mul(u, u);
  // p(z) = Σ z^i/(2i + 3), i = 0…9, by Estrin's scheme: pairs c_i + c_{i+1}·z combined with z², z⁴
  // and z⁸, a dependency chain of six multiply-add steps where Horner's took ten. A group of short
  // rows waits for its logs, so the chain's length is the time: short rows' logSumExp took 0.84–0.92
  // of their time, logSoftmax 0.89–0.93, the cross-entropy 0.92–0.95 (design log item 41). Within
  // 1 ulp of Math.log at 2·10^6 points, as Horner's was.
  const z2 = f64x2.mul(z, z);
  const z4 = f64x2.mul(z2, z2);
  const q0 = f64x2.add(f64x2.mul(z, f64x2.splat(1.0 / 5)), f64x2.splat(1.0 / 3));
  const q1 = f64x2.add(f64x2.mul(z, f64x2.splat(1.0 / 9)), f64x2.splat(1.0 / 7));
  const q2 = f64x2.add(f64x2.mul(z, f64x2.splat(1.0 / 13)), f64x2.splat(1.0 / 11));
  const q3 = f64x2.add(f64x2.mul(z, f64x2.splat(1.0 / 17)), f64x2.splat(1.0 / 15));
  const q4 = f64x2.add(f64x2.mul(z, f64x2.splat(1.0 / 21)), f64x2.splat(1.0 / 19));
  const r0 = f64x2.add(f64x2.mul(q1, z2), q0), r1 = f64x2.add(f64x2.mul(q3, z2), q2);
  const p = f64x2.add(f64x2.add(f64x2.mul(r1, z4), r0), f64x2.mul(q4, f64x2.mul(z4, z4)));
  const twoU = f64x2.add(u, u);
  // 2u + 2u·z·p, with k·ln 2's low part added to the small terms first.
  const small = f64x2.add(f64x2.mul(f64x2.mul(twoU, z), p), f64x2.mul(k, f64x2.splat(LN2_LO_F64)));
  return f64x2.add(f64x2.mul(k, f64x2.splat(LN2_HI_F64)), f64x2.add(twoU, small));
}
