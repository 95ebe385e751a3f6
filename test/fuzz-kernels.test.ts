// Property-based fuzzing of the activations, elementwise losses, row utilities and sparsemax over
// the same hostile values as test/fuzz.test.ts: wasm agrees with the oracle, non-finite values
// stay in their element or row, valid calls never throw, bad arguments throw only documented
// TypeErrors and RangeErrors naming the function.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { backend, kinds, oracle, wasmKinds } from './backends.js';
import { expectClose } from './util.js';
import { call, expectArgumentError, FLT_MAX, FLT_MIN, mixedRows, runs, type Call } from './fuzz-shared.js';

const REL = 2e-6;
const unitFloat = fc.oneof(
  { arbitrary: fc.float({ min: 0, max: 1, noNaN: true }), weight: 10 },
  { arbitrary: fc.constantFrom(0, 1, NaN), weight: 1 },
);

const matrix = fc
  .record({ cols: fc.oneof(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 30, max: 70 })), rows: fc.integer({ min: 1, max: 5 }) })
  .chain(({ rows, cols }) => fc.record({
    rows: fc.constant(rows),
    cols: fc.constant(cols),
    x: mixedRows(rows, cols),
    other: mixedRows(rows, cols),
    unit: fc.array(unitFloat, { minLength: rows * cols, maxLength: rows * cols }).map((v) => Float32Array.from(v)),
  }));

/** Holds NaN or +∞, which the row's results may carry; −∞ masks are ordinary input. */
const poisoned = (row: Float32Array) => row.some((v) => Number.isNaN(v) || v === Infinity);

describe.each(wasmKinds)('fuzz: %s kernels against the oracle on hostile values', (kind) => {
  it('activations and their backward passes', async () => {
    const api = await backend(kind);
    const ref = await oracle();
    fc.assert(fc.property(matrix, ({ x, other: dy }) => {
      for (const fn of ['sigmoid', 'tanh', 'relu'] as const) {
        const y = ref[fn](x);
        expectClose(api[fn](x), y, REL, FLT_MIN);
        if (fn === 'relu') continue;
        const back = fn === 'sigmoid' ? 'sigmoidBackward' : 'tanhBackward';
        expectClose(api[back](y, dy), ref[back](y, dy), REL, FLT_MIN);
      }
    }), runs(300));
  });

  it('binaryCrossEntropyWithLogits and mse', async () => {
    const api = await backend(kind);
    const ref = await oracle();
    fc.assert(fc.property(matrix, fc.constantFrom<'mean' | 'sum' | 'none'>('mean', 'sum', 'none'), ({ x, other, unit }, reduction) => {
      const n = x.length;
      const bce = api.binaryCrossEntropyWithLogits(x, unit, { reduction, grad: true });
      const bceRef = ref.binaryCrossEntropyWithLogits(x, unit, { reduction, grad: true });
      expectClose([bce.loss], [bceRef.loss], REL, 1e-6);
      expectClose(bce.grad!, bceRef.grad!, REL, 2.5e-7 / (reduction === 'mean' ? n : 1));
      if (reduction === 'none') expectClose(bce.losses!, bceRef.losses!, REL, 1e-7);
      const sq = api.mse(x, other, { reduction, grad: true });
      const sqRef = ref.mse(x, other, { reduction, grad: true });
      expectClose([sq.loss], [sqRef.loss], REL);
      expectClose(sq.grad!, sqRef.grad!, REL, FLT_MIN);
      if (reduction === 'none') expectClose(sq.losses!, sqRef.losses!, REL, FLT_MIN);
    }), runs(300));
  });

  it('argmax (exactly), sparsemax and sparsemaxBackward', async () => {
    const api = await backend(kind);
    const ref = await oracle();
    fc.assert(fc.property(matrix, ({ cols, x, other: dy }) => {
      expect(api.argmax(x, cols)).toEqual(ref.argmax(x, cols));
      const y = ref.sparsemax(x, cols);
      expectClose(api.sparsemax(x, cols), y, REL, 1e-12);
      expectClose(api.sparsemaxBackward(y, dy, cols), ref.sparsemaxBackward(y, dy, cols), REL, 1e-6);
    }), runs(300));
  });

  it('sampleCategorical draws only classes of positive probability, -1 exactly for rows without a distribution', async () => {
    const api = await backend(kind);
    const ref = await oracle();
    fc.assert(fc.property(matrix, fc.integer({ min: 0, max: 2 ** 32 - 1 }), ({ rows, cols, x }, seed) => {
      const drawn = api.sampleCategorical(x, cols, { seed });
      const probs = ref.softmax(x, cols);
      for (let r = 0; r < rows; r++) {
        const row = probs.subarray(r * cols, (r + 1) * cols);
        if (row.some(Number.isNaN)) expect(drawn[r]).toBe(-1);
        else expect(row[drawn[r]], `row ${r} drew ${drawn[r]}`).toBeGreaterThan(0);
      }
    }), runs(300));
  });
});

// Products of values up to 1e18 stay below FLT_MAX even summed 20 times, so float32 and the
// oracle's f64 agree on which entries are NaN or infinite; beyond that float32 overflow is the
// expected difference, not an error.
const productFloat = fc.oneof(
  { arbitrary: fc.float({ min: -60, max: 60, noNaN: true }), weight: 24 },
  { arbitrary: fc.float({ min: Math.fround(1e10), max: Math.fround(1e18), noNaN: true }).chain((v) => fc.constantFrom(v, -v)), weight: 2 },
  { arbitrary: fc.float({ min: -Math.fround(FLT_MIN), max: Math.fround(FLT_MIN), noNaN: true }), weight: 2 },
  { arbitrary: fc.constantFrom(0, -0), weight: 2 },
  { arbitrary: fc.constantFrom(Infinity, -Infinity, NaN), weight: 1 },
);
const product = fc.record({
  m: fc.integer({ min: 1, max: 20 }), k: fc.integer({ min: 1, max: 20 }), n: fc.integer({ min: 1, max: 20 }),
  transA: fc.boolean(), transB: fc.boolean(), withBias: fc.boolean(), alpha: fc.constantFrom(1, -0.5, 3),
}).chain((shape) => fc.record({
  shape: fc.constant(shape),
  a: fc.array(productFloat, { minLength: shape.m * shape.k, maxLength: shape.m * shape.k }).map((v) => Float32Array.from(v)),
  b: fc.array(productFloat, { minLength: shape.k * shape.n, maxLength: shape.k * shape.n }).map((v) => Float32Array.from(v)),
  bias: fc.array(productFloat, { minLength: shape.n, maxLength: shape.n }).map((v) => Float32Array.from(v)),
}));

describe.each(wasmKinds)('fuzz: %s matmul against the oracle on hostile values', (kind) => {
  it('agrees entry by entry within k float32 roundings of Σ|a·b|, with the same NaN and infinities', async () => {
    const api = await backend(kind);
    const ref = await oracle();
    fc.assert(fc.property(product, ({ shape: { m, k, n, transA, transB, withBias, alpha }, a, b, bias }) => {
      const options = { transA, transB, alpha, bias: withBias ? bias : undefined };
      const ours = api.matmul(a, b, m, k, n, options);
      const theirs = ref.matmul(a, b, m, k, n, options);
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let scale = withBias ? Math.abs(bias[j]) : 0;
          for (let p = 0; p < k; p++) {
            scale += Math.abs(alpha * (transA ? a[p * m + i] : a[i * k + p]) * (transB ? b[j * k + p] : b[p * n + j]));
          }
          const o = ours[i * n + j], t = theirs[i * n + j];
          if (!Number.isFinite(t)) expect(Object.is(o, t) || (Number.isNaN(o) && Number.isNaN(t)), `C[${i}][${j}] = ${o}, oracle ${t}`).toBe(true);
          else expect(Math.abs(o - t), `C[${i}][${j}] = ${o}, oracle ${t}`).toBeLessThanOrEqual((k + 2) * 1.2e-7 * scale + FLT_MIN);
        }
      }
    }), runs(300));
  });
});

describe.each(kinds)('fuzz: non-finite values stay in their row on %s (kernels)', (kind) => {
  it('argmax, sparsemax and the elementwise functions give clean rows the same bits as alone', async () => {
    const api = await backend(kind);
    fc.assert(fc.property(matrix, ({ rows, cols, x, other, unit }) => {
      const rowOf = (a: ArrayLike<number>, r: number) => Array.from(a).slice(r * cols, (r + 1) * cols);
      const am = api.argmax(x, cols);
      const sp = api.sparsemax(x, cols);
      const sg = api.sigmoid(x);
      const bce = api.binaryCrossEntropyWithLogits(x, unit, { reduction: 'none', grad: true });
      const sq = api.mse(x, other, { reduction: 'none' });
      for (let r = 0; r < rows; r++) {
        const xr = x.slice(r * cols, (r + 1) * cols);
        if (poisoned(xr)) continue;
        expect(am[r]).toBe(api.argmax(xr, cols)[0]);
        expect(rowOf(sp, r)).toEqual(Array.from(api.sparsemax(xr, cols)));
        expect(rowOf(sg, r)).toEqual(Array.from(api.sigmoid(xr)));
        const ur = unit.slice(r * cols, (r + 1) * cols);
        if (!poisoned(ur)) {
          const alone = api.binaryCrossEntropyWithLogits(xr, ur, { reduction: 'none', grad: true });
          expect(rowOf(bce.losses!, r)).toEqual(Array.from(alone.losses!));
        }
        const or = other.slice(r * cols, (r + 1) * cols);
        if (!poisoned(or)) expect(rowOf(sq.losses!, r)).toEqual(Array.from(api.mse(xr, or, { reduction: 'none' }).losses!));
      }
    }), runs(150));
  });
});

// ---- calls with one bad argument --------------------------------------------------------------

const x6 = new Float32Array([1, 2, 3, -Infinity, 0, 5]);
const badArrays = [undefined, null, 3, 'x', [1, 2, 3], new Float64Array(6), new Int32Array(6), {}, new Float32Array(5)];
const badCols = [0, -1, 1.5, NaN, Infinity, '3', null, undefined, 2 ** 31, 4];
const badLossOptions = [5, null, 'mean', { reduction: 'avg' }, { grad: 'yes' }, { grad: new Float32Array(5) }, { gard: true }];
const badSampleOptions = [
  5, { temperature: 0 }, { temperature: -1 }, { seed: -1 }, { seed: 1.5 }, { seed: 2 ** 32 }, { random: 3 },
  { random: () => 1 }, { random: () => NaN }, { random: () => -0.5 }, { random: () => '0.5' }, { seed: 1, random: Math.random },
  { out: new Int32Array(3) }, { out: new Float32Array(2) }, { out: [0, 0] }, { tempreature: 1 },
];

const badCall: fc.Arbitrary<Call> = fc.oneof(
  fc.tuple(fc.constantFrom('sigmoid', 'tanh', 'relu'), fc.constantFrom(...badArrays.slice(0, 8))).map(([fn, x]) => call(fn, [x])),
  fc.tuple(fc.constantFrom('sigmoid', 'tanh', 'relu'), fc.constantFrom(...badArrays.slice(3))).map(([fn, out]) => call(fn, [x6, out])),
  fc.tuple(fc.constantFrom('sigmoidBackward', 'tanhBackward'), fc.constantFrom(...badArrays), fc.boolean())
    .map(([fn, bad, first]) => call(fn, first ? [bad, x6] : [x6, bad])),
  fc.tuple(fc.constantFrom('binaryCrossEntropyWithLogits', 'mse'), fc.constantFrom(...badArrays), fc.boolean())
    .map(([fn, bad, first]) => call(fn, first ? [bad, x6] : [x6, bad])),
  fc.tuple(fc.constantFrom('binaryCrossEntropyWithLogits', 'mse'), fc.constantFrom(...badLossOptions)).map(([fn, o]) => call(fn, [x6, x6, o])),
  fc.tuple(fc.constantFrom('argmax', 'sparsemax'), fc.constantFrom(...badArrays)).map(([fn, x]) => call(fn, [x, 3])),
  fc.tuple(fc.constantFrom('argmax', 'sparsemax', 'sampleCategorical'), fc.constantFrom(...badCols)).map(([fn, cols]) => call(fn, [x6, cols])),
  fc.constantFrom(...badArrays.slice(3), new Int32Array(3)).map((out) => call('argmax', [x6, 3, out])),
  fc.constantFrom(...badSampleOptions).map((o) => call('sampleCategorical', [x6, 3, o])),
  fc.tuple(fc.constantFrom(...badArrays), fc.boolean()).map(([bad, first]) => call('sparsemaxBackward', first ? [bad, x6, 3] : [x6, bad, 3])),
  fc.constantFrom(...badArrays.slice(0, 8), new Float32Array(0)).map((a) => call('softmaxJacobian', [a])),
  fc.tuple(fc.constantFrom(...badArrays), fc.boolean()).map(([bad, first]) => call('matmul', first ? [bad, x6, 2, 3, 2] : [x6, bad, 2, 3, 2])),
  fc.tuple(fc.constantFrom(...badCols), fc.integer({ min: 0, max: 2 })).map(([bad, at]) => call('matmul', [x6, x6, ...[2, 3, 2].map((d, i) => (i === at ? bad : d))])),
  fc.constantFrom<unknown>(
    5, { transA: 1 }, { alpha: NaN }, { alpha: 1e39 }, { bias: new Float32Array(3) }, { out: new Float32Array(3) },
    { accumulate: true }, { out: x6.subarray(0, 4) }, { trans_b: true },
  ).map((o) => call('matmul', [x6, x6.slice(), 2, 3, 2, o])),
);

describe.each(kinds)('fuzz: argument errors on %s (kernels)', (kind) => {
  it('a call with one bad argument throws a TypeError or RangeError naming the function, and nothing else', async () => {
    const api = await backend(kind);
    const reference = api.sigmoid(x6);
    fc.assert(fc.property(badCall, (bad) => {
      expectArgumentError(api, bad);
      expect(api.sigmoid(x6)).toEqual(reference);
    }), runs(400));
  });

  it('valid calls with hostile data never throw', async () => {
    const api = await backend(kind);
    fc.assert(fc.property(matrix, fc.boolean(), ({ cols, x, other, unit }, inPlace) => {
      const out = inPlace ? x.slice() : undefined;
      api.tanh(out ?? x, out);
      api.sigmoidBackward(x, other, inPlace ? other.slice() : undefined);
      api.binaryCrossEntropyWithLogits(x, unit, { grad: true, reduction: 'none' });
      api.mse(x, other, { grad: inPlace ? x.slice() : true });
      api.argmax(x, cols);
      api.sampleCategorical(x, cols, { seed: 1, temperature: 0.5 });
      api.sparsemaxBackward(api.sparsemax(x, cols), other, cols);
      api.softmaxJacobian(x.subarray(0, cols));
      api.matmul(x, other, x.length / cols, cols, x.length / cols, { transB: true });
    }), runs(150));
  });
});
