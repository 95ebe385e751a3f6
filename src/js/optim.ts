// The oracle's optimiser steps.

export function sumSquares(x: Float32Array, n: number): number {
  let total = 0;
  for (let i = 0; i < n; i++) total += x[i] * x[i];
  return total;
}

export function sgdStep(
  param: Float32Array, grad: Float32Array, velocity: Float32Array | null, n: number,
  learningRate: number, momentum: number, gradScale: number,
): void {
  for (let i = 0; i < n; i++) {
    let step = gradScale * grad[i];
    if (velocity) step = velocity[i] = momentum * velocity[i] + step;
    param[i] -= learningRate * step;
  }
}
