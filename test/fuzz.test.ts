// Property-based fuzzing (fast-check) over random shapes and hostile values: subnormals, ±0, huge
// magnitudes up to ±FLT_MAX, −∞ masks, +∞ and NaN, with random options. Properties:
//   1. wasm agrees with the oracle (DESIGN.md's tolerances on finite results; the same NaN and
//      infinities otherwise) — PyTorch's propagation rules are what the oracle implements;
//   2. a row's non-finite values never leak into another row;
//   3. valid calls never throw; calls with one bad argument throw only the documented TypeError
//      or RangeError, naming the function.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { CrossEntropyOptions } from '../src/index.js';
import { backend, kinds, oracle, wasmKinds } from './backends.js';
import { expectClose } from './util.js';
import { call, expectArgumentError, FLT_MAX, mixedRows, runs, type Call } from './fuzz-shared.js';

const matrix = fc
  .record({
    cols: fc.oneof(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 30, max: 70 })),
    rows: fc.integer({ min: 1, max: 5 }),
  })
  .chain(({ rows, cols }) =>
    fc.record({
      rows: fc.constant(rows),
      cols: fc.constant(cols),
      x: mixedRows(rows, cols),
    }));

const temperature = fc.option(fc.double({ min: 0.05, max: 20, noNaN: true }), { nil: undefined });

/** Row indices free of NaN and +∞ (−∞ masks allowed): rows that a poisoned row must not reach. */
function unpoisonedRows(x: Float32Array, rows: number, cols: number): number[] {
  const clean: number[] = [];
  for (let r = 0; r < rows; r++) {
    if (x.subarray(r * cols, (r + 1) * cols).every((v) => !Number.isNaN(v) && v !== Infinity)) clean.push(r);
  }
  return clean;
}

// DESIGN.md: relative 2e-6 on probabilities ≥ 1e-30; with a temperature the scaled exponent
// (z − max)/T is rounded once more in float32, adding up to |z − max|/T · 2^-24 ≤ 87 · 6e-8 of
// relative error before e^x underflows: 5.2e-6 in all.
function expectProbsClose(actual: Float32Array, expected: Float32Array, rel: number): void {
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i], e = expected[i];
    if (Number.isNaN(e)) expect(a, `element ${i}`).toBeNaN();
    else if (e >= 1e-30) expect(Math.abs(a - e), `element ${i}: ${a} vs ${e}`).toBeLessThanOrEqual(rel * e);
    else expect(a, `element ${i}: ${a} vs ${e}`).toBeLessThan(1e-29);
  }
}

describe.each(wasmKinds)('fuzz: %s against the oracle on hostile values', (kind) => {
  it('softmax, logSoftmax, logSumExp', async () => {
    const api = await backend(kind);
    const ref = await oracle();
    fc.assert(
      fc.property(matrix, temperature, ({ cols, x }, t) => {
        const options = { temperature: t };
        const rel = t === undefined || t === 1 ? 2e-6 : 5.3e-6;
        expectProbsClose(api.softmax(x, cols, options), ref.softmax(x, cols, options), rel);
        expectClose(api.logSoftmax(x, cols, options), ref.logSoftmax(x, cols, options), rel, 2e-6);
        expectClose(api.logSumExp(x, cols, options), ref.logSumExp(x, cols, options), rel, 2e-6);
      }),
      runs(400),
    );
  });

  it('softmaxBackward', async () => {
    const api = await backend(kind);
    const ref = await oracle();
    fc.assert(
      fc.property(matrix, fc.integer(), ({ rows, cols, x }, seed) => {
        const y = ref.softmax(x, cols);
        const dy = Float32Array.from(x, (_, i) => Math.fround(Math.sin(seed + i) * 2));
        // Both round y_j·(dy_j − ⟨dy, y⟩) once from f64 (⟨dy, y⟩ summed in another order): within
        // an ulp of each other, apart from the dot's f64 rounding under cancellation.
        const ours = api.softmaxBackward(y, dy, cols);
        const theirs = ref.softmaxBackward(y, dy, cols);
        for (let r = 0; r < rows; r++) {
          let scale = 0;
          for (let j = 0; j < cols; j++) scale += Math.abs(dy[r * cols + j] * y[r * cols + j]);
          for (let j = 0; j < cols; j++) {
            const i = r * cols + j;
            if (Number.isNaN(theirs[i])) expect(ours[i]).toBeNaN();
            else expect(Math.abs(ours[i] - theirs[i]), `element ${i}`).toBeLessThanOrEqual(2 ** -23 * Math.abs(theirs[i]) + 1e-14 * y[i] * (Math.abs(dy[i]) + scale) + 3e-45);
          }
        }
      }),
      runs(300),
    );
  });

  const ceOptions = (cols: number) => fc.record({
    reduction: fc.constantFrom<'mean' | 'sum' | 'none'>('mean', 'sum', 'none'),
    labelSmoothing: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 1, noNaN: true })),
    temperature,
    zLoss: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 0.01, noNaN: true })),
    weight: fc.option(fc.array(fc.float({ min: Math.fround(0.25), max: 4, noNaN: true }), { minLength: cols, maxLength: cols }).map((w) => Float32Array.from(w)), { nil: undefined }),
  });

  it('crossEntropy with class indices (and ignoreIndex) and with probabilities', async () => {
    const api = await backend(kind);
    const ref = await oracle();
    fc.assert(
      fc.property(
        matrix.chain((m) => fc.record({
          m: fc.constant(m),
          options: ceOptions(m.cols),
          targets: fc.array(fc.oneof({ arbitrary: fc.integer({ min: 0, max: m.cols - 1 }), weight: 5 }, { arbitrary: fc.constant(-100), weight: 1 }), { minLength: m.rows, maxLength: m.rows }),
          probs: fc.array(fc.float({ min: 0, max: 1, noNaN: true }), { minLength: m.rows * m.cols, maxLength: m.rows * m.cols }),
        })),
        ({ m: { rows, cols, x }, options, targets, probs }) => {
          const opts = { ...options, grad: true } satisfies CrossEntropyOptions;
          const w = (j: number) => (options.weight ? options.weight[j] : 1);
          const maxWeight = options.weight ? Math.max(...options.weight) : 1;
          const invT = 1 / (options.temperature ?? 1);
          const lse = ref.logSumExp(x, cols, { temperature: options.temperature });
          for (const t of [targets, Float32Array.from(probs)]) {
            const ours = api.crossEntropy(x, t, cols, opts);
            const theirs = ref.crossEntropy(x, t, cols, opts);
            // Losses: sums of weighted log-probabilities (weights ≤ 4) plus z-loss terms.
            expectClose([ours.loss], [theirs.loss], 2e-5, 2e-5);
            if (ours.losses) expectClose(ours.losses, theirs.losses!, 2e-5, 2e-5);
            // Gradient entries: gs·(a_j·(Σ w ỹ + 2 zl lse) − w_j ỹ_j) with gs = gradScale/T; each
            // term is formed in float32, so the absolute error scales with the terms' size.
            const normaliser = options.reduction !== 'mean' ? 1
              : t instanceof Float32Array ? rows : t.reduce((sum, c) => sum + (c === -100 ? 0 : w(c)), 0);
            const gs = invT / normaliser;
            for (let r = 0; r < rows; r++) {
              const size = gs * (maxWeight * (t instanceof Float32Array ? cols : 1) + 2 * options.zLoss * Math.abs(lse[r]));
              const slice = (g: Float32Array) => g.subarray(r * cols, (r + 1) * cols);
              expectClose(slice(ours.grad!), slice(theirs.grad!), 2e-5, 1e-6 + 4e-7 * size);
            }
          }
        },
      ),
      runs(300),
    );
  });
});

describe.each(kinds)('fuzz: non-finite values stay in their row on %s', (kind) => {
  it('every function gives the clean rows the same bits as when they are computed alone', async () => {
    const api = await backend(kind);
    fc.assert(
      fc.property(matrix, ({ rows, cols, x }) => {
        const clean = unpoisonedRows(x, rows, cols);
        const alone = (r: number) => x.slice(r * cols, (r + 1) * cols);
        const row = (a: Float32Array, r: number, width = cols) => Array.from(a.subarray(r * width, (r + 1) * width));
        const y = api.softmax(x, cols);
        const ls = api.logSoftmax(x, cols);
        const lse = api.logSumExp(x, cols);
        const back = api.softmaxBackward(y, ls, cols);
        const targets = Array.from({ length: rows }, (_, r) => r % cols);
        const ce = api.crossEntropy(x, targets, cols, { reduction: 'none', grad: true, labelSmoothing: 0.1 });
        for (const r of clean) {
          const xr = alone(r);
          const yr = api.softmax(xr, cols);
          expect(row(y, r)).toEqual(Array.from(yr));
          expect(row(ls, r)).toEqual(Array.from(api.logSoftmax(xr, cols)));
          expect(lse[r]).toBe(api.logSumExp(xr, cols)[0]);
          expect(row(back, r)).toEqual(Array.from(api.softmaxBackward(yr, api.logSoftmax(xr, cols), cols)));
          const ceRow = api.crossEntropy(xr, [targets[r]], cols, { reduction: 'none', grad: true, labelSmoothing: 0.1 });
          expect(ce.losses![r]).toBe(ceRow.losses![0]);
          expect(row(ce.grad!, r)).toEqual(Array.from(ceRow.grad!));
          // A row without NaN or +∞, and not all −∞, gives probabilities that sum to 1.
          if (xr.some((v) => v > -Infinity)) {
            let total = 0;
            for (const p of yr) total += p;
            expect(Math.abs(total - 1)).toBeLessThan(1e-5);
          }
        }
      }),
      runs(200),
    );
  });
});

// ---- calls with one bad argument --------------------------------------------------------------

const badArrays = [undefined, null, 3, 'x', [1, 2, 3], new Float64Array(6), new Int32Array(6), {}, new ArrayBuffer(24)];
const badCols = [0, -1, 1.5, NaN, Infinity, -Infinity, '3', null, undefined, 2 ** 31, 7];
const badOptions = [
  5, 'mean', null, [], { temperature: 0 }, { temperature: -2 }, { temperature: NaN }, { temperature: '1' },
  { temperature: 1e-40 }, { bogus: 1 }, { out: new Float64Array(6) }, { out: new Float32Array(5) },
];
const badCeOptions = [
  5, null, { reduction: 'avg' }, { labelSmoothing: 2 }, { labelSmoothing: NaN }, { zLoss: -1 }, { zLoss: Infinity },
  { ignoreIndex: 1.5 }, { weight: [1, 1, 1] }, { weight: new Float32Array(2) }, { grad: 'yes' },
  { grad: new Float32Array(5) }, { temperature: 0 }, { ignore_index: 0 },
];
const badTargets = [undefined, null, 'abc', [0, 5], [0, 3], [0, -1], [0, 1.5], [0, NaN], ['0', 1], new Float64Array(2), new Float32Array(2), new Float32Array(5)];

const x6 = new Float32Array([1, 2, 3, -Infinity, 0, 5]);

const badCall: fc.Arbitrary<Call> = fc.oneof(
  fc.tuple(fc.constantFrom('softmax', 'logSoftmax', 'logSumExp'), fc.constantFrom(...badArrays)).map(([fn, x]) => call(fn, [x, 3])),
  fc.tuple(fc.constantFrom('softmax', 'logSoftmax', 'logSumExp'), fc.constantFrom(...badCols)).map(([fn, cols]) => call(fn, [x6, cols])),
  fc.tuple(fc.constantFrom('softmax', 'logSoftmax'), fc.constantFrom(...badOptions)).map(([fn, o]) => call(fn, [x6, 3, undefined, o])),
  fc.tuple(fc.constantFrom(...badArrays), fc.boolean()).map(([bad, first]) => call('softmaxBackward', first ? [bad, x6, 3] : [x6, bad, 3])),
  fc.constantFrom(...badCols).map((cols) => call('softmaxBackward', [x6, x6, cols])),
  fc.constantFrom(...badTargets).map((t) => call('crossEntropy', [x6, t, 3])),
  fc.constantFrom(...badCeOptions).map((o) => call('crossEntropy', [x6, [0, 2], 3, o])),
  fc.constantFrom(...badArrays).map((z) => call('crossEntropy', [z, [0, 2], 3])),
  fc.constantFrom(...badCols).map((cols) => call('crossEntropy', [x6, [0, 2], cols])),
);

describe.each(kinds)('fuzz: argument errors on %s', (kind) => {
  it('a call with one bad argument throws a TypeError or RangeError naming the function, and nothing else', async () => {
    const api = await backend(kind);
    const reference = api.softmax(x6, 3);
    fc.assert(
      fc.property(badCall, (bad) => {
        expectArgumentError(api, bad);
        expect(api.softmax(x6, 3)).toEqual(reference);
      }),
      runs(400),
    );
  });

  it('valid calls with hostile data never throw', async () => {
    const api = await backend(kind);
    fc.assert(
      fc.property(matrix, temperature, fc.boolean(), ({ rows, cols, x }, t, inPlace) => {
        const out = inPlace ? x.slice() : undefined;
        api.softmax(inPlace ? out! : x, cols, out, { temperature: t });
        api.logSumExp(x, cols, { temperature: t });
        api.softmaxBackward(x, x, cols);
        api.crossEntropy(x, new Int32Array(rows), cols, { temperature: t, grad: true, reduction: 'none' });
        api.crossEntropy(x, x, cols, { labelSmoothing: 0.5, grad: true });
      }),
      runs(200),
    );
  });
});
