// What both fuzz suites draw from: float32 limits, a seed and scale that make failures
// reproducible (FUZZ_SEED=<n> FUZZ_SCALE=<k> explore further: k × runs), and a float32 mix that
// favours ordinary logits but often picks a hostile value; and how a call with one bad argument
// is made and must fail.
import { expect } from 'vitest';
import fc from 'fast-check';
import type { Api } from '../src/index.js';
import { FLT_MIN } from './util.js';

export { FLT_MIN };
export const FLT_MAX = 3.4028234663852886e38;
// process is Node's; the browser suite runs the fuzz files too.
const env = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env ?? {};
const SEED = Number(env.FUZZ_SEED ?? 20240611);
const SCALE = Number(env.FUZZ_SCALE ?? 1);
export const runs = (n: number) => ({ numRuns: Math.round(n * SCALE), seed: SEED });

export const hostileFloat = fc.oneof(
  { arbitrary: fc.float({ min: -60, max: 60, noNaN: true }), weight: 24 },
  { arbitrary: fc.float({ min: Math.fround(1e30), max: Math.fround(FLT_MAX), noNaN: true }).chain((v) => fc.constantFrom(v, -v)), weight: 2 },
  { arbitrary: fc.float({ min: -Math.fround(FLT_MIN), max: Math.fround(FLT_MIN), noNaN: true }), weight: 2 },
  { arbitrary: fc.constantFrom(0, -0), weight: 1 },
  { arbitrary: fc.constant(-Infinity), weight: 2 },
  { arbitrary: fc.constant(Infinity), weight: 1 },
  { arbitrary: fc.constant(NaN), weight: 1 },
);

/** The mix without NaN and +∞: finite values (huge, subnormal and zero among them) and −∞ masks. */
export const maskedFloat = hostileFloat.filter((v) => !Number.isNaN(v) && v !== Infinity);

/**
 * rows × cols values, each row drawn whole from the hostile mix or the masked one, so that wide
 * rows free of NaN and +∞ are common: drawn from the hostile mix alone, a 64-column row has NaN
 * or ±∞ in all but about 3 of 10 000 draws.
 */
export function mixedRows(rows: number, cols: number): fc.Arbitrary<Float32Array> {
  const values = { minLength: cols, maxLength: cols };
  const row = fc.oneof(fc.array(hostileFloat, values), fc.array(maskedFloat, values));
  return fc.array(row, { minLength: rows, maxLength: rows }).map((r) => Float32Array.from(r.flat()));
}

/** A call of the Api method `fn` with arguments of which one is bad. */
export type Call = { fn: string; run: (api: Api) => unknown };
export const call = (fn: string, args: unknown[]): Call => ({
  fn,
  run: (api) => (api as unknown as Record<string, (...a: unknown[]) => unknown>)[fn](...args),
});

/** A call with one bad argument throws a TypeError or RangeError naming the function, and nothing else. */
export function expectArgumentError(api: Api, { fn, run }: Call): void {
  let thrown: unknown;
  try {
    run(api);
  } catch (error) {
    thrown = error;
  }
  expect(thrown instanceof TypeError || thrown instanceof RangeError, `${fn} threw ${String(thrown)}`).toBe(true);
  expect((thrown as Error).message.startsWith(`${fn}: `), (thrown as Error).message).toBe(true);
}
