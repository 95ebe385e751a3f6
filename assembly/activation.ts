// Elementwise activations and their derivatives, the derivatives written in terms of the
// output as MATH.md does: σ' = σ(1 − σ), φ' = 1 − φ², relu' = [y > 0], linear' = 1.
//
// One exported entry per direction takes the activation as an int code (below; mirrored by
// src/wasm/activation.ts). Each code runs its own loop: the per-kind helpers are inlined with a
// constant kind, so the choice is made once per call, never per element. Tails run the same
// vector function on a splat, so an element's result does not depend on where the vector loop
// ends.
import { expFlushed4, negAbs4, oneMinusExp4 } from './vmath';

export const ACTIVATION_SIGMOID: i32 = 0;
export const ACTIVATION_TANH: i32 = 1;
export const ACTIVATION_RELU: i32 = 2;
export const ACTIVATION_LINEAR: i32 = 3;

// ---- sigmoid ------------------------------------------------------------------------------------
// σ(x) = 1 / (1 + e^{−x}) for x ≥ 0 and e^{x} / (1 + e^{x}) for x < 0: both use t = e^{−|x|} ≤ 1,
// which never overflows, and neither subtracts, so the relative error stays a few ulp for every
// x (σ(x) for x < ln FLT_MIN ≈ −87.3 flushes to 0, as expFlushed4 does). ±∞ give 1 and 0; NaN
// stays NaN.

// σ(x) given t = e^{−|x|}; shared with the binary cross-entropy kernel, which needs t anyway.
// The numerator (1 or t) is picked before the one division, rather than t·(1/(1 + t)) picked
// after it: a multiply off the chain each element waits on, and t/(1 + t) is rounded once
// (sigmoid −8 %, design log item 38).
@inline export function sigmoidFromExpNegAbs4(x: v128, t: v128): v128 {
  const one = f32x4.splat(1);
  return f32x4.div(v128.bitselect(one, t, f32x4.ge(x, f32x4.splat(0))), f32x4.add(t, one));
}

@inline export function sigmoid4(x: v128): v128 {
  return sigmoidFromExpNegAbs4(x, expFlushed4(negAbs4(x)));
}

// ---- tanh ---------------------------------------------------------------------------------------
// tanh is odd, so it is computed on |x| and the sign restored (keeping tanh(−0) = −0):
// tanh|x| = (1 − t)/(1 + t) = d/(2 − d) with t = e^{−2|x|} and d = 1 − t from oneMinusExp4, which
// keeps small |x| to full relative accuracy (d ≈ 2|x| without cancelling 1 against t). One form for
// every x, where there were two: Cephes tanhf's odd polynomial below |x| = 0.625, since 1 − t
// computed after t cancelled there, and the quotient above, both computed for every lane and one
// picked; tanh now takes 0.51–0.57 of that time (design log item 40). d rounds to 1 from |x| = 10
// on, giving ±1 (±∞ too); NaN propagates.
@inline export function tanh4(x: v128): v128 {
  const na = negAbs4(x);
  const d = oneMinusExp4(f32x4.add(na, na)); // 1 − e^{−2|x|} ∈ [0, 1]
  const magnitude = f32x4.div(d, f32x4.sub(f32x4.splat(2), d));
  return v128.or(magnitude, v128.and(x, f32x4.splat(-0.0)));
}

// ---- relu ---------------------------------------------------------------------------------------
// x where x > 0 or x is NaN, else +0 (so relu(−0) = +0, as the oracle's x > 0 ? x : 0).
@inline function relu4(x: v128): v128 {
  return v128.and(x, v128.or(f32x4.gt(x, f32x4.splat(0)), f32x4.ne(x, x)));
}

// ---- the loops ----------------------------------------------------------------------------------

@inline function forward4(kind: i32, x: v128): v128 {
  if (kind == ACTIVATION_SIGMOID) return sigmoid4(x);
  if (kind == ACTIVATION_TANH) return tanh4(x);
  return relu4(x);
}

// f'(x) from the output y = f(x). 1 − φ² is formed as (1 − φ)(1 + φ): near |φ| = 1 the product
// is exact to two roundings, while 1 − φ·φ would cancel away the rounding error of φ·φ.
@inline function derivative4(kind: i32, y: v128): v128 {
  const one = f32x4.splat(1);
  if (kind == ACTIVATION_SIGMOID) return f32x4.mul(y, f32x4.sub(one, y));
  if (kind == ACTIVATION_TANH) return f32x4.mul(f32x4.sub(one, y), f32x4.add(one, y));
  // [y > 0] as 1 or 0, multiplied (not selected) like the oracle's dy·f'(y), so an infinite or
  // NaN dy where y ≤ 0 still gives NaN.
  return v128.and(one, f32x4.gt(y, f32x4.splat(0)));
}

@inline function forwardLoop(kind: i32, x: usize, out: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, forward4(kind, v128.load(x + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, f32x4.extract_lane(forward4(kind, f32x4.splat(load<f32>(x + o))), 0));
  }
}

@inline function backwardLoop(kind: i32, y: usize, dy: usize, dx: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(dx + o, f32x4.mul(v128.load(dy + o), derivative4(kind, v128.load(y + o))));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const d = f32x4.extract_lane(derivative4(kind, f32x4.splat(load<f32>(y + o))), 0);
    store<f32>(dx + o, load<f32>(dy + o) * d);
  }
}

// out = f(x) over n floats; out may alias x.
export function activationForward(kind: i32, x: usize, out: usize, n: i32): void {
  if (kind == ACTIVATION_SIGMOID) forwardLoop(ACTIVATION_SIGMOID, x, out, n);
  else if (kind == ACTIVATION_TANH) forwardLoop(ACTIVATION_TANH, x, out, n);
  else if (kind == ACTIVATION_RELU) forwardLoop(ACTIVATION_RELU, x, out, n);
  else if (out != x) memory.copy(out, x, <usize>n << 2);
}

// dx = dy ⊙ f'(x), f' computed from the output y; dx may alias y or dy.
export function activationBackward(kind: i32, y: usize, dy: usize, dx: usize, n: i32): void {
  if (kind == ACTIVATION_SIGMOID) backwardLoop(ACTIVATION_SIGMOID, y, dy, dx, n);
  else if (kind == ACTIVATION_TANH) backwardLoop(ACTIVATION_TANH, y, dy, dx, n);
  else if (kind == ACTIVATION_RELU) backwardLoop(ACTIVATION_RELU, y, dy, dx, n);
  else if (dx != dy) memory.copy(dx, dy, <usize>n << 2);
}
