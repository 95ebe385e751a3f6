// Seeded inputs, so every run and every contender sees the same numbers, and the checks that a
// contender did the same work as ours.

/** Mulberry32. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

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
