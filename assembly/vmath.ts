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

// Lane-wise e^x. NaN propagates; −∞ and x < EXP_MIN give +0; x > EXP_MAX gives +∞.
@inline export function exp4(x: v128): v128 {
  // pmin/pmax (one minps/maxps each) return their first operand when it is NaN.
  const xc = f32x4.pmin(f32x4.pmax(x, f32x4.splat(EXP_MIN)), f32x4.splat(EXP_MAX));
  const t = madd(xc, f32x4.splat(LOG2E), f32x4.splat(MAGIC_BIAS));
  const scale = i32x4.shl(t, 23); // bits of 2^n
  const n = f32x4.sub(t, f32x4.splat(MAGIC_BIAS));
  let r = madd(n, f32x4.splat(-LN2_HI), xc);
  r = madd(n, f32x4.splat(-LN2_LO), r);
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

// Scalar e^x with the same algorithm, for the tail lanes, so a row's result does not depend on
// where the vector loop ends.
@inline export function exp1(x: f32): f32 {
  return f32x4.extract_lane(exp4(f32x4.splat(x)), 0);
}

// ---- reductions -----------------------------------------------------------------------------
@inline export function hsum(v: v128): f32 {
  const s = f32x4.add(v, v128.shuffle<f32>(v, v, 2, 3, 0, 1));
  return f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1);
}

@inline export function hmax(v: v128): f32 {
  const m = f32x4.pmax(v, v128.shuffle<f32>(v, v, 2, 3, 0, 1));
  return max(f32x4.extract_lane(m, 0), f32x4.extract_lane(m, 1));
}

// Float sums of long rows are accumulated in blocks: within a block in f32 lanes (16 adds per
// lane at most), across blocks in f64, so a row of 10^6 terms keeps ~1e-7 relative error.
export const SUM_BLOCK: i32 = 256;

// Maximum of n floats at p. NaN lanes may or may not win, which is harmless: a NaN in a row makes
// the row's exp sum NaN downstream anyway.
export function rowMax(p: usize, n: i32): f32 {
  let i = 0;
  let m: f32 = -Infinity;
  if (n >= 16) {
    let m0 = v128.load(p), m1 = v128.load(p, 16), m2 = v128.load(p, 32), m3 = v128.load(p, 48);
    for (i = 16; i + 16 <= n; i += 16) {
      const q = p + (<usize>i << 2);
      m0 = f32x4.pmax(m0, v128.load(q));
      m1 = f32x4.pmax(m1, v128.load(q, 16));
      m2 = f32x4.pmax(m2, v128.load(q, 32));
      m3 = f32x4.pmax(m3, v128.load(q, 48));
    }
    m = hmax(f32x4.pmax(f32x4.pmax(m0, m1), f32x4.pmax(m2, m3)));
  }
  for (; i + 4 <= n; i += 4) m = max(m, hmax(v128.load(p + (<usize>i << 2))));
  for (; i < n; i++) m = max(m, load<f32>(p + (<usize>i << 2)));
  return m;
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
