// The oracle for the activations and their derivatives, each derivative written in terms of the
// layer's output as MATH.md does: σ' = σ(1 − σ), φ' = 1 − φ².
import type { Activation } from '../backend.js';

const forward: Record<Activation, (x: number) => number> = {
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  tanh: (x) => Math.tanh(x),
  relu: (x) => (x > 0 ? x : Number.isNaN(x) ? x : 0),
  linear: (x) => x,
};

const derivativeFromOutput: Record<Activation, (y: number) => number> = {
  sigmoid: (y) => y * (1 - y),
  tanh: (y) => 1 - y * y,
  relu: (y) => (y > 0 ? 1 : 0),
  linear: () => 1,
};

export function activation(kind: Activation, x: Float32Array, out: Float32Array, n: number): void {
  const f = forward[kind];
  for (let i = 0; i < n; i++) out[i] = f(x[i]);
}

export function activationBackward(kind: Activation, y: Float32Array, dy: Float32Array, dx: Float32Array, n: number): void {
  const fPrime = derivativeFromOutput[kind];
  for (let i = 0; i < n; i++) dx[i] = dy[i] * fPrime(y[i]);
}
