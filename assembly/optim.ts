// Optimiser steps over flat parameter buffers: SGD with momentum and the squared norm used for
// gradient clipping by global norm.
import { SUM_BLOCK, hsum, madd } from './vmath';

// Σ x_i² over n floats. Accumulated as vmath's rowSum: f32 lanes within blocks of SUM_BLOCK
// floats, f64 across blocks, so 10^6 terms keep ~1e-7 relative error. Two accumulators per block
// halve the add-latency chain.
export function sumSquares(x: usize, n: i32): f64 {
  let total: f64 = 0;
  let i = 0;
  const n8 = n & ~7;
  while (i < n8) {
    const end = min(n8, i + SUM_BLOCK);
    let acc0 = f32x4.splat(0), acc1 = acc0;
    for (; i < end; i += 8) {
      const p = x + (<usize>i << 2);
      const v0 = v128.load(p), v1 = v128.load(p, 16);
      acc0 = madd(v0, v0, acc0);
      acc1 = madd(v1, v1, acc1);
    }
    total += <f64>hsum(f32x4.add(acc0, acc1));
  }
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
