// The overloads' result types, checked twice: by `tsc --noEmit` (part of `npm test`), which
// fails on a wrong expectTypeOf or an unused @ts-expect-error, and at run time, where the value
// must be what the type says. Each case is a call form a user writes without a cast.
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  crossEntropy, linearCrossEntropy, MLP, softmaxBackward, Tensor, type Api, type CrossEntropyOptions,
  type ElementwiseLossOptions, type EpochStats, type LinearCrossEntropyOptions, type MatmulOptions, type SoftmaxOptions,
} from '../src/index.js';
import { oracle } from './backends.js';

const rows = 2, cols = 3;
const logits = new Float32Array([1, 2, 3, -1, 0, 1]);
const targets = [2, 0];

describe('result types of the overloads', () => {
  it('the module-level functions have the methods\' types (overloads and all)', () => {
    expectTypeOf(crossEntropy).toEqualTypeOf<Api['crossEntropy']>();
    expectTypeOf(softmaxBackward).toEqualTypeOf<Api['softmaxBackward']>();
    expectTypeOf(linearCrossEntropy).toEqualTypeOf<Api['linearCrossEntropy']>();
  });

  it('crossEntropy: the gradient is there when asked for (a Tensor where one was given), losses with reduction none', async () => {
    const api = await oracle();
    const plain = api.crossEntropy(logits, targets, cols);
    expectTypeOf(plain.grad).toEqualTypeOf<Float32Array | undefined>();
    expect(plain.grad).toBeUndefined();

    // Indexable without a `!`: the README's Usage example destructures it.
    const asked = api.crossEntropy(logits, targets, cols, { grad: true });
    expectTypeOf(asked.grad).toEqualTypeOf<Float32Array>();
    expect(asked.grad).toBeInstanceOf(Float32Array);
    expectTypeOf(asked.losses).toEqualTypeOf<Float32Array | undefined>();

    const perRow = api.crossEntropy(logits, targets, cols, { reduction: 'none', grad: new Float32Array(rows * cols) });
    expectTypeOf(perRow.losses).toEqualTypeOf<Float32Array>();
    expectTypeOf(perRow.grad).toEqualTypeOf<Float32Array>();
    expect(perRow.losses).toHaveLength(rows);

    // Options whose grad is only known as a boolean: the gradient may be missing.
    const options: { grad: boolean } = { grad: targets.length > 5 };
    const maybe = api.crossEntropy(logits, targets, cols, options);
    expectTypeOf(maybe.grad).toEqualTypeOf<Float32Array | undefined>();
    expect(maybe.grad).toBeUndefined();

    using into = api.tensor(rows, cols);
    const resident = api.crossEntropy(logits, targets, cols, { grad: into });
    expectTypeOf(resident.grad).toEqualTypeOf<Tensor>();
    expect(resident.grad).toBe(into);
  });

  it('softmax, logSoftmax, logSumExp: a Tensor given as options.out comes back typed as a Tensor', async () => {
    const api = await oracle();
    using into = api.tensor(rows, cols);
    const viaOptions = api.softmax(logits, cols, { out: into, temperature: 2 });
    expectTypeOf(viaOptions).toEqualTypeOf<Tensor>();
    expect(viaOptions).toBe(into);
    expectTypeOf(api.logSoftmax(logits, cols, { out: into })).toEqualTypeOf<Tensor>();
    using lse = api.tensor(rows, 1);
    expectTypeOf(api.logSumExp(logits, cols, { out: lse })).toEqualTypeOf<Tensor>();
    expectTypeOf(api.softmax(logits, cols, { temperature: 2 })).toEqualTypeOf<Float32Array>();
    // out twice, as the third argument and in the options, is refused by the types too.
    // @ts-expect-error out given twice
    expect(() => api.softmax(logits, cols, into, { out: into })).toThrow(/out is given twice/);
  });

  it('softmaxBackward takes resident y and dy and gives a Float32Array without out', async () => {
    const api = await oracle();
    using y = api.tensor(rows, cols, api.softmax(logits, cols));
    using dy = api.tensor(rows, cols, logits);
    const dx = api.softmaxBackward(y, dy, cols);
    expectTypeOf(dx).toEqualTypeOf<Float32Array>();
    expect(dx).toBeInstanceOf(Float32Array);
    expect(Array.from(dx)).toEqual(Array.from(api.softmaxBackward(y.toArray(), dy.toArray(), cols)));
  });

  it('linearCrossEntropy: each gradient asked for is there, a Float32Array unless a Tensor was given for it', async () => {
    const api = await oracle();
    const n = rows, h = 2, v = cols;
    const x = new Float32Array([0.5, -1, 2, 0.25]);
    const w = new Float32Array([1, 0, -1, 0.5, 2, -0.5]);
    const bias = new Float32Array([0, 0.1, -0.1]);

    const lossOnly = api.linearCrossEntropy(x, w, targets, n, h, v);
    expectTypeOf(lossOnly.dx).toEqualTypeOf<Float32Array | undefined>();
    expect(lossOnly.dx).toBeUndefined();

    const all = api.linearCrossEntropy(x, w, targets, n, h, v, { bias, grad: true });
    expectTypeOf(all.dx).toEqualTypeOf<Float32Array>();
    expectTypeOf(all.dw).toEqualTypeOf<Float32Array>();
    expectTypeOf(all.db).toEqualTypeOf<Float32Array | undefined>(); // only with a bias
    expect(all.dx[0]).toBeTypeOf('number'); // indexable without a cast
    expect(all.db).toBeInstanceOf(Float32Array);

    using dw = api.tensor(h, v);
    const some = api.linearCrossEntropy(x, w, targets, n, h, v, { bias, grad: { dx: true, dw, db: new Float32Array(v) } });
    expectTypeOf(some.dx).toEqualTypeOf<Float32Array>();
    expectTypeOf(some.dw).toEqualTypeOf<Tensor>();
    expectTypeOf(some.db).toEqualTypeOf<Float32Array>();
    const onlyDw = api.linearCrossEntropy(x, w, targets, n, h, v, { grad: { dw: true, dx: false } });
    expectTypeOf(onlyDw.dw).toEqualTypeOf<Float32Array>();
    expectTypeOf(onlyDw.dx).toEqualTypeOf<Float32Array | undefined>();
    expect(onlyDw.dx).toBeUndefined();
    expect(some.dx).toBeInstanceOf(Float32Array);
    expect(some.dw).toBe(dw);
    expect(Array.from(dw.toArray())).toEqual(Array.from(all.dw));

    // The options stay checked for misspelt keys (at compile time here, at run time as well).
    // @ts-expect-error chunkBytez is not an option
    expect(() => api.linearCrossEntropy(x, w, targets, n, h, v, { chunkBytez: 64 })).toThrow(/chunkBytez/);
  });

  // Options held in a variable of the exported options type may carry a Tensor for out / grad, so
  // the result is typed as either: the overloads used to promise a Float32Array, which compiled
  // and then failed at run time (r.fill, grad.subarray) when the options did hold a Tensor.
  it('options typed with the exported options types give Float32Array | Tensor results, not a promised Float32Array', async () => {
    const api = await oracle();
    using into = api.tensor(rows, cols);
    const softmaxOptions: SoftmaxOptions = { out: into };
    const y = api.softmax(logits, cols, softmaxOptions);
    expectTypeOf(y).toEqualTypeOf<Float32Array | Tensor>();
    expect(y).toBe(into);
    expectTypeOf(api.logSoftmax(logits, cols, softmaxOptions)).toEqualTypeOf<Float32Array | Tensor>();
    using lse = api.tensor(rows, 1);
    expectTypeOf(api.logSumExp(logits, cols, { out: lse } as SoftmaxOptions)).toEqualTypeOf<Float32Array | Tensor>();

    const ceOptions: CrossEntropyOptions = { grad: into };
    const ce = api.crossEntropy(logits, targets, cols, ceOptions);
    expectTypeOf(ce.grad).toEqualTypeOf<Float32Array | Tensor | undefined>();
    expect(ce.grad).toBe(into);

    using product = api.tensor(rows, rows);
    const matmulOptions: MatmulOptions = { transB: true, out: product };
    const c = api.matmul(logits, logits, rows, cols, rows, matmulOptions);
    expectTypeOf(c).toEqualTypeOf<Float32Array | Tensor>();
    expect(c).toBe(product);

    const lossOptions: ElementwiseLossOptions = { grad: into };
    const bce = api.binaryCrossEntropyWithLogits(logits, new Float32Array(rows * cols), lossOptions);
    expectTypeOf(bce.grad).toEqualTypeOf<Float32Array | Tensor | undefined>();
    expect(bce.grad).toBe(into);
    expectTypeOf(api.mse(logits, new Float32Array(rows * cols), lossOptions).grad).toEqualTypeOf<Float32Array | Tensor | undefined>();

    const n = rows, h = 3, v = 2;
    using dw = api.tensor(h, v);
    const lceOptions: LinearCrossEntropyOptions = { grad: { dw } };
    const lce = api.linearCrossEntropy(logits, new Float32Array(h * v), targets.map((t) => t % v), n, h, v, lceOptions);
    expectTypeOf(lce.dw).toEqualTypeOf<Float32Array | Tensor | undefined>();
    expect(lce.dw).toBe(dw);

    // The README's advice: `satisfies` keeps what the options hold in their type.
    const kept = { out: into, temperature: 2 } satisfies SoftmaxOptions;
    expectTypeOf(api.softmax(logits, cols, kept)).toEqualTypeOf<Tensor>();
    const keptGrad = { grad: true, reduction: 'sum' } satisfies CrossEntropyOptions;
    expectTypeOf(api.crossEntropy(logits, targets, cols, keptGrad).grad).toEqualTypeOf<Float32Array>();

    // Options without out / grad, or with a Float32Array there, still give a Float32Array.
    const plainOptions: { temperature: number } = { temperature: 2 };
    expectTypeOf(api.softmax(logits, cols, plainOptions)).toEqualTypeOf<Float32Array>();
    expectTypeOf(api.matmul(logits, logits, rows, cols, rows, { transB: true })).toEqualTypeOf<Float32Array>();
    expectTypeOf(api.crossEntropy(logits, targets, cols, { grad: new Float32Array(rows * cols) }).grad).toEqualTypeOf<Float32Array>();
  });

  it('MLP.fit: valLoss and valAccuracy are numbers, not maybe-undefined, when validation is given', async () => {
    const api = await oracle();
    using net = new MLP([3, 3], { backend: api, seed: 1 });
    const seen: number[] = [];
    const validated = await net.fit(logits, targets, {
      epochs: 2,
      validation: { x: logits, labels: targets },
      onEpoch: (stats) => {
        expectTypeOf(stats.valLoss).toEqualTypeOf<number>();
        seen.push(stats.valLoss + stats.valAccuracy); // no `!` needed
      },
    });
    expectTypeOf(validated.epochs[0].valAccuracy).toEqualTypeOf<number>();
    expect(seen).toHaveLength(2);
    expect(validated.epochs[1].valLoss).toBe(net.evaluate(logits, targets).loss);

    const plain = await net.fit(logits, targets, { epochs: 1, onEpoch: (stats) => { expectTypeOf(stats).toEqualTypeOf<EpochStats>(); } });
    expectTypeOf(plain.epochs[0].valLoss).toEqualTypeOf<number | undefined>();
    expect(plain.epochs[0].valLoss).toBeUndefined();

    // A validation that may be absent gives the plain stats.
    const maybe = seen.length > 0 ? undefined : { x: logits, labels: targets };
    const either = await net.fit(logits, targets, { epochs: 1, validation: maybe });
    expectTypeOf(either.epochs[0].valLoss).toEqualTypeOf<number | undefined>();
  });
});
