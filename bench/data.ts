// Seeded inputs, so every run and every contender sees the same numbers, and the checks that a
// contender did the same work as ours.

// The seeded generators are the tests' own: test/random.ts imports no vitest, so this build can
// compile it.
export { rng, uniform, randomIndices } from '../test/random.js';

export function oneHot(targets: Int32Array, classes: number): Float32Array {
  const out = new Float32Array(targets.length * classes);
  targets.forEach((t, r) => { out[r * classes + t] = 1; });
  return out;
}

/** Largest |a − e| − (abs + rel·|e|) over the arrays; ≤ 0 means close. Message when not. */
export function compare(actual: ArrayLike<number>, expected: ArrayLike<number>, rel: number, abs: number): string | null {
  if (actual.length !== expected.length) return `length ${actual.length}, expected ${expected.length}`;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i], e = expected[i];
    if (!(Math.abs(a - e) <= abs + rel * Math.abs(e))) return `element ${i}: ${a}, expected ${e}`;
  }
  return null;
}

/** A Float32Array from whatever a contender returned (a Float32Array or a resident Tensor). */
export function asArray(value: unknown): Float32Array {
  if (value instanceof Float32Array) return value;
  const withToArray = value as { toArray?: () => Float32Array };
  if (withToArray && typeof withToArray.toArray === 'function') return withToArray.toArray();
  throw new TypeError(`expected a Float32Array or Tensor, got ${Object.prototype.toString.call(value)}`);
}
