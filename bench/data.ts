// Seeded inputs, so every run and every contender sees the same numbers, and the checks that a
// contender did the same work as ours.
import { seededRandom } from '../src/index.js';

/** Seeded uniform numbers in [0, 1): the library's own generator (Mulberry32); any integer seeds it. */
export const rng = (seed: number): (() => number) => seededRandom(seed >>> 0);

export function uniform(n: number, lo: number, hi: number, seed: number): Float32Array {
  const next = rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * next();
  return out;
}

export function classIndices(n: number, classes: number, seed: number): Int32Array {
  const next = rng(seed);
  return Int32Array.from({ length: n }, () => Math.floor(next() * classes));
}

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
