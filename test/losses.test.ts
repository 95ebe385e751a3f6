// Binary cross-entropy from logits and squared error on every backend: hand-computed values,
// reductions, wasm vs oracle on odd and large sizes, NaN/±∞/huge values, gradients against finite
// differences, argument errors.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { backend, kinds, oracle, wasmKinds } from './backends.js';
import { expectClose, finiteDifference, FLT_MIN, uniform } from './util.js';

const REL = 2e-6;

/** The textbook form −[y ln σ(z) + (1 − y) ln(1 − σ(z))], in f64, for moderate z. */
function bceTextbook(z: number, y: number): number {
  const a = 1 / (1 + Math.exp(-z));
  return -(y * Math.log(a) + (1 - y) * Math.log(1 - a));
}

describe.each(kinds)('binaryCrossEntropyWithLogits on %s', (kind) => {
  it('equals the textbook −[y ln a + (1 − y) ln(1 − a)] and its gradient a − y', async () => {
    const api = await backend(kind);
    const z = new Float32Array([0, 2, -2, 0.5, -3, 4, 1e-3, -7]);
    const y = new Float32Array([1, 1, 0, 0.25, 1, 0, 0.5, 0.9]);
    const { loss, grad, losses } = api.binaryCrossEntropyWithLogits(z, y, { reduction: 'none', grad: true });
    const expected = Array.from(z, (v, i) => bceTextbook(v, y[i]));
    expectClose(losses!, expected, REL);
    expectClose([loss], [expected.reduce((a, b) => a + b)], REL);
    expectClose(grad!, Array.from(z, (v, i) => 1 / (1 + Math.exp(-v)) - y[i]), REL, 2.5e-7);
    expect(losses![0]).toBeCloseTo(Math.LN2, 7);
  });

  it('applies the reductions: mean divides loss and gradient by n', async () => {
    const api = await backend(kind);
    const z = uniform(13, -4, 4, 1), y = uniform(13, 0, 1, 2);
    const sum = api.binaryCrossEntropyWithLogits(z, y, { reduction: 'sum', grad: true });
    const mean = api.binaryCrossEntropyWithLogits(z, y, { grad: true });
    const none = api.binaryCrossEntropyWithLogits(z, y, { reduction: 'none' });
    expectClose([mean.loss], [sum.loss / 13], 1e-12);
    expectClose(mean.grad!, Array.from(sum.grad!, (g) => g / 13), REL, 2.5e-7 / 13);
    expectClose([none.loss], [sum.loss], 1e-12);
    expect(none.grad).toBeUndefined();
    expect(sum.losses).toBeUndefined();
  });

  it('keeps the tiny losses of confident, correct logits (log1p, not log(1 + t))', async () => {
    const api = await backend(kind);
    const z = new Float32Array([10, 20, 40, 80, -10, -40, 17.5]);
    const y = new Float32Array([1, 1, 1, 1, 0, 0, 1]);
    const { losses } = api.binaryCrossEntropyWithLogits(z, y, { reduction: 'none' });
    expectClose(losses!, Array.from(z, (v) => Math.log1p(Math.exp(-Math.abs(v)))), REL);
  });

  it('handles NaN, ±∞ and ±3e38', async () => {
    const api = await backend(kind);
    const z = new Float32Array([NaN, 0, Infinity, Infinity, -Infinity, -Infinity, Infinity, 3e38, -3e38, 3e38, -3e38]);
    const y = new Float32Array([1, NaN, 1, 0, 0, 1, 0.5, 1, 0, 0, 1]);
    const { losses, grad } = api.binaryCrossEntropyWithLogits(z, y, { reduction: 'none', grad: true });
    expect(losses![0]).toBeNaN();
    expect(losses![1]).toBeNaN();
    expect(grad![0]).toBeNaN();
    expect(grad![1]).toBeNaN();
    // The limits: a saturated logit on the target's side costs 0, on the other side +∞.
    expect(Array.from(losses!.subarray(2, 7))).toEqual([0, Infinity, 0, Infinity, Infinity]);
    expect(Array.from(grad!.subarray(2, 7))).toEqual([0, 1, 0, -1, 0.5]);
    expect(Array.from(losses!.subarray(7))).toEqual([0, 0, Math.fround(3e38), Math.fround(3e38)]);
    // Their sum stays finite: it is accumulated in double precision.
    const huge = api.binaryCrossEntropyWithLogits(z.subarray(9), y.subarray(9), { reduction: 'sum' });
    expectClose([huge.loss], [2 * Math.fround(3e38)], REL);
  });

  it('matches finite differences of the summed loss', async () => {
    const api = await backend(kind);
    for (const n of [1, 6, 21]) {
      const z = uniform(n, -5, 5, n), y = uniform(n, 0, 1, n + 1);
      const { grad } = api.binaryCrossEntropyWithLogits(z, y, { reduction: 'sum', grad: true });
      const loss = (zz: Float64Array) => api.binaryCrossEntropyWithLogits(Float32Array.from(zz), y, { reduction: 'sum' }).loss;
      // h = 1e-2: truncation |ℓ‴|h²/6 ≤ 2e-6; rounding of each float32 loss ≤ 6e-7/h.
      expectClose(grad!, finiteDifference(loss, Float64Array.from(z), 1e-2), 1e-3, 1e-4);
    }
  });

  it('writes the gradient into a given array or tensor, and accepts tensors and subarrays', async () => {
    const api = await backend(kind);
    const z = uniform(10, -3, 3, 5), y = uniform(10, 0, 1, 6);
    const expected = api.binaryCrossEntropyWithLogits(z, y, { grad: true });
    const gradOut = new Float32Array(10);
    expect(api.binaryCrossEntropyWithLogits(z, y, { grad: gradOut }).grad).toBe(gradOut);
    expectClose(gradOut, expected.grad!, 0);
    using zt = api.tensor(2, 5, z);
    using yt = api.tensor(2, 5, y);
    using gt = api.tensor(2, 5);
    const viaTensors = api.binaryCrossEntropyWithLogits(zt, yt, { grad: gt });
    expect(viaTensors.grad).toBe(gt);
    expect(viaTensors.loss).toBe(expected.loss);
    expectClose(gt.toArray(), expected.grad!, 0);
    const backing = new Float32Array(11);
    backing.set(z, 1);
    expect(api.binaryCrossEntropyWithLogits(backing.subarray(1), y).loss).toBe(expected.loss);
  });

  it('rejects bad arguments before running anything', async () => {
    const api = await backend(kind);
    const fn = api.binaryCrossEntropyWithLogits.bind(api);
    expect(() => fn(new Float32Array(3), new Float32Array(2))).toThrow(/targets.length must be 3/);
    expect(() => fn(new Float32Array(0), new Float32Array(0))).toThrow(/logits.length must be at least 1/);
    expect(() => fn([1] as unknown as Float32Array, new Float32Array(1))).toThrow(TypeError);
    expect(() => fn(new Float32Array(2), new Float32Array(2), { reduction: 'avg' as 'mean' })).toThrow(/options.reduction must be one of/);
    expect(() => fn(new Float32Array(2), new Float32Array(2), { grad: new Float32Array(3) })).toThrow(/options.grad.length must be 2/);
    expect(() => fn(new Float32Array(2), new Float32Array(2), 5 as unknown as object)).toThrow(/options must be an object/);
    expect(fn(new Float32Array([0]), new Float32Array([1])).loss).toBeCloseTo(Math.LN2, 7);
  });
});

describe.each(kinds)('mse on %s', (kind) => {
  it('is ½ Σ (y − Y)² with gradient y − Y, and the reductions', async () => {
    const api = await backend(kind);
    const p = new Float32Array([1, 2, 3, -1]), t = new Float32Array([0, 2, 5, 1]);
    const sum = api.mse(p, t, { reduction: 'sum', grad: true });
    expect(sum.loss).toBe(0.5 * (1 + 0 + 4 + 4));
    expect(Array.from(sum.grad!)).toEqual([1, 0, -2, -2]);
    const mean = api.mse(p, t, { grad: true });
    expect(mean.loss).toBe(4.5 / 4);
    expect(Array.from(mean.grad!)).toEqual([0.25, 0, -0.5, -0.5]);
    const none = api.mse(p, t, { reduction: 'none' });
    expect(Array.from(none.losses!)).toEqual([0.5, 0, 2, 2]);
    expect(none.loss).toBe(4.5);
    expect(none.grad).toBeUndefined();
    const noneWithGrad = api.mse(p, t, { reduction: 'none', grad: true });
    expect(Array.from(noneWithGrad.grad!)).toEqual([1, 0, -2, -2]);
    expect(Array.from(noneWithGrad.losses!)).toEqual([0.5, 0, 2, 2]);
  });

  it('takes differences in double precision: ±3e38 give finite losses', async () => {
    const api = await backend(kind);
    const p = new Float32Array([3e38, -3e38, 1, NaN, Infinity, Infinity]);
    const t = new Float32Array([-3e38, 3e38, 1, 0, 0, Infinity]);
    const { losses, grad } = api.mse(p, t, { reduction: 'none', grad: true });
    const d = 2 * Math.fround(3e38);
    expect(api.mse(p.subarray(0, 3), t.subarray(0, 3), { reduction: 'sum' }).loss).toBe(d * d);
    expect(Array.from(grad!.subarray(0, 3))).toEqual([Infinity, -Infinity, 0]);
    expect(api.mse(p.subarray(0, 3), t.subarray(0, 3), { grad: true }).grad![0]).toBe(Math.fround(d / 3));
    expect(losses![3]).toBeNaN();
    expect(losses![4]).toBe(Infinity);
    expect(losses![5]).toBeNaN();
  });

  it('matches finite differences', async () => {
    const api = await backend(kind);
    const p = uniform(9, -3, 3, 1), t = uniform(9, -3, 3, 2);
    const { grad } = api.mse(p, t, { grad: true });
    const loss = (pp: Float64Array) => api.mse(Float32Array.from(pp), t).loss;
    expectClose(grad!, finiteDifference(loss, Float64Array.from(p), 1e-2), 1e-5, 1e-6);
  });

  it('rejects bad arguments before running anything', async () => {
    const api = await backend(kind);
    expect(() => api.mse(new Float32Array(3), new Float32Array(4))).toThrow(/mse: targets.length must be 3 \(predictions.length\), got 4/);
    expect(() => api.mse(new Float32Array(0), new Float32Array(0))).toThrow(RangeError);
    expect(() => api.mse(new Float32Array(1), null as unknown as Float32Array)).toThrow(/mse: targets must be a Float32Array or a Tensor, got null/);
    expect(api.mse(new Float32Array([3]), new Float32Array([1])).loss).toBe(2);
  });
});

describe.each(wasmKinds)('losses: %s against the oracle', (kind) => {
  it('agree for n = 1…70 and large n, with every output', async () => {
    const api = await backend(kind);
    const ref = await oracle();
    for (const n of [...Array.from({ length: 70 }, (_, i) => i + 1), 1_000_001]) {
      const z = uniform(n, -30, 30, n), y = uniform(n, 0, 1, n + 1);
      y[0] = 1;
      if (n > 2) y[1] = 0;
      const a = api.binaryCrossEntropyWithLogits(z, y, { reduction: 'none', grad: true });
      const b = ref.binaryCrossEntropyWithLogits(z, y, { reduction: 'none', grad: true });
      expectClose([a.loss], [b.loss], REL);
      expectClose(a.losses!, b.losses!, REL, FLT_MIN);
      // σ(z) carries a relative error ≤ 2e-7 of itself, so the difference σ − y keeps it as an
      // absolute error of at most 2e-7.
      expectClose(a.grad!, b.grad!, REL, 2.5e-7);
      const m = api.mse(z, y, { grad: true });
      const mr = ref.mse(z, y, { grad: true });
      expectClose([m.loss], [mr.loss], 1e-12);
      expectClose(m.grad!, mr.grad!, 0);
    }
  });

  it('agree on extreme values', async () => {
    const api = await backend(kind);
    const ref = await oracle();
    const values = [NaN, Infinity, -Infinity, 3e38, -3e38, 0, -0, 1e-30, 88, -88, 104, -104, 0.5];
    const targets = [0, 1, 0.5, 0.25];
    const z = new Float32Array(values.length * targets.length), y = new Float32Array(z.length);
    values.forEach((v, i) => targets.forEach((t, j) => {
      z[i * targets.length + j] = v;
      y[i * targets.length + j] = t;
    }));
    const a = api.binaryCrossEntropyWithLogits(z, y, { reduction: 'none', grad: true });
    const b = ref.binaryCrossEntropyWithLogits(z, y, { reduction: 'none', grad: true });
    expectClose(a.losses!, b.losses!, REL, FLT_MIN);
    expectClose(a.grad!, b.grad!, REL, 2.5e-7);
    const m = api.mse(z, y, { reduction: 'none', grad: true });
    const mr = ref.mse(z, y, { reduction: 'none', grad: true });
    expectClose(m.losses!, mr.losses!, 0);
    expectClose(m.grad!, mr.grad!, 0);
  });

  it('fast-check: agree on random logits and targets', async () => {
    const api = await backend(kind);
    const ref = await oracle();
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }).chain((n) => fc.tuple(
          fc.float32Array({ minLength: n, maxLength: n, noNaN: true }),
          fc.float32Array({ minLength: n, maxLength: n, min: 0, max: 1, noNaN: true }),
        )),
        ([z, y]) => {
          const a = api.binaryCrossEntropyWithLogits(z, y, { reduction: 'none', grad: true });
          const b = ref.binaryCrossEntropyWithLogits(z, y, { reduction: 'none', grad: true });
          expectClose(a.losses!, b.losses!, REL, FLT_MIN);
          expectClose(a.grad!, b.grad!, REL, 2.5e-7);
          const m = api.mse(z, y, { reduction: 'sum', grad: true });
          const mr = ref.mse(z, y, { reduction: 'sum', grad: true });
          expectClose([m.loss], [mr.loss], 1e-12);
          expectClose(m.grad!, mr.grad!, 0);
        },
      ),
      { numRuns: 300, seed: 5 },
    );
  });
});
