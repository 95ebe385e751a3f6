// Optimiser steps over flat parameter buffers: SGD with momentum and the squared norm used for
// gradient clipping by global norm.
import { madd } from './vmath';

// Σ x_i² over n floats. Squares of float32 values reach 1.2e77, far past float32's range, so the
// lanes are widened to f64 (f64x2.promote_low_f32x4) before squaring: each square is then exact
// (24-bit significands give 48-bit products) and only the f64 additions round, so even 10^6 terms
// of any magnitude keep ~1e-10 relative error and never overflow where the oracle does not.
export function sumSquares(x: usize, n: i32): f64 {
  let acc0 = f64x2.splat(0), acc1 = acc0;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(x + (<usize>i << 2));
    const lo = f64x2.promote_low_f32x4(v);
    const hi = f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 2, 3));
    acc0 = f64x2.add(acc0, f64x2.mul(lo, lo));
    acc1 = f64x2.add(acc1, f64x2.mul(hi, hi));
  }
  const sum = f64x2.add(acc0, acc1);
  let total = f64x2.extract_lane(sum, 0) + f64x2.extract_lane(sum, 1);
  for (; i < n; i++) {
    const v = <f64>load<f32>(x + (<usize>i << 2));
    total += v * v;
  }
  return total;
}

// SGD with momentum on n parameters (PyTorch's formulation): v = momentum·v + gradScale·g;
// p −= learningRate·v. velocity is 0 when momentum is 0, and then p −= learningRate·gradScale·g.
export function sgdStep(
  param: usize, grad: usize, velocity: usize, n: i32,
  learningRate: f32, momentum: f32, gradScale: f32,
): void {
  const negLr = f32x4.splat(-learningRate), mom = f32x4.splat(momentum), gs = f32x4.splat(gradScale);
  const n4 = n & ~3;
  let i = 0;
  if (velocity == 0) {
    for (; i < n4; i += 4) {
      const o = <usize>i << 2;
      const step = f32x4.mul(gs, v128.load(grad + o));
      v128.store(param + o, madd(negLr, step, v128.load(param + o)));
    }
    for (; i < n; i++) {
      const o = <usize>i << 2;
      store<f32>(param + o, load<f32>(param + o) - learningRate * (gradScale * load<f32>(grad + o)));
    }
    return;
  }
  for (; i < n4; i += 4) {
    const o = <usize>i << 2;
    const v = madd(mom, v128.load(velocity + o), f32x4.mul(gs, v128.load(grad + o)));
    v128.store(velocity + o, v);
    v128.store(param + o, madd(negLr, v, v128.load(param + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const v = momentum * load<f32>(velocity + o) + gradScale * load<f32>(grad + o);
    store<f32>(velocity + o, v);
    store<f32>(param + o, load<f32>(param + o) - learningRate * v);
  }
}
