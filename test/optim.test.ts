// The optimiser kernels (Backend.sgdStep, Backend.sumSquares) on every backend against the step
// and the sum written out here in f64 (PyTorch's SGD: v ← μ·v + g, p ← p − η·v, with g scaled by
// the reduction's factor), on lengths around the vector width and the summation block, with and
// without momentum. The oracle's own src/js/optim.ts is one of the backends checked.
import { describe, expect, it } from 'vitest';
import type { Backend } from '../src/index.js';
import { backend, kinds } from './backends.js';
import { expectClose, uniform } from './util.js';

/** One SGD step in f64, rounded to float32 where the arrays store it. */
function referenceStep(
  param: Float32Array, grad: Float32Array, velocity: Float32Array | null,
  learningRate: number, momentum: number, gradScale: number,
): void {
  for (let i = 0; i < param.length; i++) {
    const g = gradScale * grad[i];
    const v = velocity ? momentum * velocity[i] + g : g;
    if (velocity) velocity[i] = v;
    param[i] -= learningRate * v;
  }
}

const referenceSumSquares = (x: Float32Array) => x.reduce((total, v) => total + v * v, 0);

const LENGTHS = [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 255, 256, 257, 1000, 4099];

async function backendOf(kind: Parameters<typeof backend>[0]): Promise<Backend> {
  return (await backend(kind)).backend;
}

/** Runs sgdStep on copies of the arrays in backend memory and returns the updated copies. */
function sgd(
  b: Backend, param: Float32Array, grad: Float32Array, velocity: Float32Array | null,
  learningRate: number, momentum: number, gradScale: number,
): { param: Float32Array; velocity: Float32Array | null } {
  return b.scoped((scope) => {
    const p = scope.f32(param.slice()), g = scope.f32(grad);
    const v = velocity ? scope.f32(velocity.slice()) : null;
    b.sgdStep(p, g, v, param.length, learningRate, momentum, gradScale);
    return { param: p.view().slice(), velocity: v ? v.view().slice() : null };
  });
}

describe.each(kinds)('optimiser kernels on %s', (kind) => {
  it('sgdStep without momentum matches p −= lr·gradScale·g', async () => {
    const b = await backendOf(kind);
    for (const n of LENGTHS) {
      const param = uniform(n, -2, 2, n), grad = uniform(n, -5, 5, n + 1);
      const expected = param.slice();
      referenceStep(expected, grad, null, 0.1, 0, 0.25);
      // Two float32 roundings per step (the scaled gradient, then the update) against the
      // f64 step rounded once: a few ulps of |p| + |lr·gs·g|.
      expectClose(sgd(b, param, grad, null, 0.1, 0, 0.25).param, expected, 4e-7, 1e-7);
    }
  });

  it('sgdStep with momentum updates the velocity and the parameters', async () => {
    const b = await backendOf(kind);
    for (const n of LENGTHS) {
      const param = uniform(n, -2, 2, 3 * n), grad = uniform(n, -5, 5, 3 * n + 1), velocity = uniform(n, -1, 1, 3 * n + 2);
      const expectedParam = param.slice(), expectedVelocity = velocity.slice();
      referenceStep(expectedParam, grad, expectedVelocity, 0.05, 0.9, 0.5);
      const got = sgd(b, param, grad, velocity, 0.05, 0.9, 0.5);
      expectClose(got.velocity!, expectedVelocity, 4e-7, 4e-7);
      expectClose(got.param, expectedParam, 4e-7, 1e-7);
    }
  });

  it('sgdStep repeated 100 times tracks the f64 reference (momentum 0.9)', async () => {
    const b = await backendOf(kind);
    const n = 37;
    let param = uniform(n, -1, 1, 7), velocity: Float32Array | null = new Float32Array(n);
    const expectedParam = param.slice(), expectedVelocity = new Float32Array(n);
    for (let step = 0; step < 100; step++) {
      const grad = uniform(n, -1, 1, 100 + step);
      referenceStep(expectedParam, grad, expectedVelocity, 0.01, 0.9, 1);
      ({ param, velocity } = sgd(b, param, grad, velocity, 0.01, 0.9, 1));
    }
    expectClose(param, expectedParam, 1e-5, 1e-6);
  });

  it('sumSquares matches the f64 sum, also over 10^6 values', async () => {
    const b = await backendOf(kind);
    for (const n of [...LENGTHS, 1_000_000]) {
      const x = uniform(n, -3, 3, 11 * n);
      const expected = referenceSumSquares(x);
      // Exact squares summed in f64 (in another order than the backend): n positive terms, so the
      // two sums differ by at most 2·n·2^-53 relative.
      const got = b.scoped((scope) => b.sumSquares(scope.f32(x), n));
      expect(Math.abs(got - expected)).toBeLessThanOrEqual(2 * n * 2 ** -53 * expected);
    }
  });

  it('sumSquares propagates NaN and infinity and does not overflow on ±3e38', async () => {
    const b = await backendOf(kind);
    const run = (x: number[]) => b.scoped((scope) => b.sumSquares(scope.f32(new Float32Array(x)), x.length));
    expect(run([1, 2, NaN, 4, 5, 6, 7, 8, 9])).toBeNaN();
    expect(run([1, 2, 3, 4, 5, 6, 7, 8, -Infinity])).toBe(Infinity);
    expect(run([-Infinity, 2, 3, 4, 5, 6, 7, 8, 9])).toBe(Infinity);
    const huge = Math.fround(3e38);
    expect(run(Array(9).fill(huge).map((v, i) => (i % 2 ? -v : v)))).toBe(9 * huge * huge);
  });
});
