// Seeded random inputs, shared by the tests (through test/util.ts) and the benchmarks (through
// bench/data.ts). It imports no vitest, so the benchmark build (bench/tsconfig.json) can compile it.
import { seededRandom } from '../src/index.js';

/** Seeded uniform numbers in [0, 1): the library's own generator (Mulberry32); any integer seeds it. */
export const rng = (seed: number): (() => number) => seededRandom(seed >>> 0);

/** n uniform values in [lo, hi). */
export function uniform(n: number, lo: number, hi: number, seed: number): Float32Array {
  const next = rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * next();
  return out;
}

/** n class indices, each uniform in [0, classes). */
export function randomIndices(n: number, classes: number, seed: number): Int32Array {
  const next = rng(seed);
  return Int32Array.from({ length: n }, () => Math.floor(next() * classes));
}
