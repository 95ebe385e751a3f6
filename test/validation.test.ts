// Every public function refuses bad arguments before any kernel runs, with a TypeError or
// RangeError that names the function, the argument, what was expected and what was given — and
// the instance is unchanged afterwards: same results, no scratch or heap space leaked.
import { describe, expect, it } from 'vitest';
import type { Api } from '../src/index.js';
import { WasmBackend } from '../src/wasm/backend.js';
import { backend, kinds } from './backends.js';
import { expectClose } from './util.js';

type ErrorClass = typeof TypeError | typeof RangeError;
/** [what is wrong, the call, the error class, the exact message or a pattern it must match]. */
type Case = [string, (api: Api) => unknown, ErrorClass, string | RegExp];

const x6 = new Float32Array([2, 1, 0.1, 1, 5, 3]);

const softmaxFamily = (fn: 'softmax' | 'logSoftmax' | 'logSumExp'): Case[] => {
  const call = (api: Api, ...args: unknown[]) => (api[fn] as (...a: unknown[]) => unknown)(...args);
  const outLength = fn === 'logSumExp' ? 2 : 6;
  return [
    ['x as a plain array', (api) => call(api, [1, 2, 3], 3), TypeError,
      `${fn}: x must be a Float32Array or a Tensor, got Array(3) (convert with Float32Array.from(x))`],
    ['x as a Float64Array', (api) => call(api, new Float64Array(6), 3), TypeError,
      `${fn}: x must be a Float32Array or a Tensor, got Float64Array(6) (convert with Float32Array.from(x))`],
    ['x missing', (api) => call(api, undefined, 3), TypeError, `${fn}: x must be a Float32Array or a Tensor, got undefined`],
    ['x a string', (api) => call(api, 'abc', 3), TypeError, `${fn}: x must be a Float32Array or a Tensor, got string "abc"`],
    ['cols = 0 (would loop forever)', (api) => call(api, x6, 0), RangeError, `${fn}: cols must be in [1, 2147483647], got 0`],
    ['cols negative', (api) => call(api, x6, -3), RangeError, `${fn}: cols must be in [1, 2147483647], got -3`],
    ['cols fractional', (api) => call(api, x6, 1.5), TypeError, `${fn}: cols must be an integer, got number 1.5`],
    ['cols NaN', (api) => call(api, x6, NaN), TypeError, `${fn}: cols must be an integer, got NaN`],
    ['cols Infinity', (api) => call(api, x6, Infinity), TypeError, `${fn}: cols must be an integer, got number Infinity`],
    ['cols a string', (api) => call(api, x6, '3'), TypeError, `${fn}: cols must be an integer, got string "3"`],
    ['cols above int32', (api) => call(api, x6, 2 ** 31), RangeError, `${fn}: cols must be in [1, 2147483647], got 2147483648`],
    ['x.length not a multiple of cols', (api) => call(api, x6, 4), RangeError,
      `${fn}: x.length must be a positive multiple of cols = 4, got 6`],
    ['x empty', (api) => call(api, new Float32Array(0), 3), RangeError,
      `${fn}: x.length must be a positive multiple of cols = 3, got 0`],
    ['out of the wrong length', (api) => call(api, x6, 3, new Float32Array(outLength + 1)), RangeError,
      new RegExp(`^${fn}: out\\.length must be ${outLength} \\(.*\\), got ${outLength + 1}$`)],
    ['out a Float64Array', (api) => call(api, x6, 3, new Float64Array(outLength)), TypeError,
      `${fn}: out must be a Float32Array or a Tensor, got Float64Array(${outLength}) (convert with Float32Array.from(out))`],
    ['out a plain array', (api) => call(api, x6, 3, [0, 0]), TypeError,
      `${fn}: out must be a Float32Array or a Tensor, got Array(2) (convert with Float32Array.from(out))`],
    ['out given twice', (api) => call(api, x6, 3, new Float32Array(outLength), { out: new Float32Array(outLength) }), TypeError,
      `${fn}: out is given twice, as the third argument and as options.out`],
    ['options not an object', (api) => call(api, x6, 3, 5), TypeError, `${fn}: options must be an object, got number 5`],
    ['options null', (api) => call(api, x6, 3, undefined, null), TypeError, `${fn}: options must be an object, got null`],
    ['a misspelt option', (api) => call(api, x6, 3, { temprature: 2 }), TypeError,
      `${fn}: unknown option 'temprature' (known: temperature, out)`],
    ['temperature 0', (api) => call(api, x6, 3, { temperature: 0 }), RangeError, new RegExp(`^${fn}: options\\.temperature must be in \\(0, .*, got 0$`)],
    ['temperature negative', (api) => call(api, x6, 3, { temperature: -1 }), RangeError, new RegExp(`^${fn}: options\\.temperature must be in \\(0, .*, got -1$`)],
    ['temperature ∞', (api) => call(api, x6, 3, { temperature: Infinity }), RangeError, new RegExp(`got Infinity$`)],
    ['temperature so small 1/T overflows float32', (api) => call(api, x6, 3, { temperature: 1e-39 }), RangeError,
      new RegExp(`^${fn}: options\\.temperature must be .*1/options\\.temperature rounding to a finite float32.*, got 1e-39$`)],
    // NaN is a wrong value, not a wrong type.
    ['temperature NaN', (api) => call(api, x6, 3, { temperature: NaN }), RangeError, `${fn}: options.temperature must be in (0, 3.4028234663852886e+38] with 1/options.temperature rounding to a finite float32 (options.temperature > 2.9387359646368754e-39), got NaN`],
    // Just above 2^-128 but 1/T still rounds to ∞ in float32: the message's bound is the real one.
    ['temperature 2.9387359e-39', (api) => call(api, x6, 3, { temperature: 2.9387359e-39 }), RangeError, /options\.temperature > 2\.9387359646368754e-39\), got 2\.9387359e-39$/],
    ['temperature a string', (api) => call(api, x6, 3, { temperature: '2' }), TypeError, `${fn}: options.temperature must be a number, got string "2"`],
  ];
};

const y6 = new Float32Array([0.2, 0.3, 0.5, 0.1, 0.1, 0.8]);
const backwardCases: Case[] = [
  ['y a plain array', (api) => api.softmaxBackward([0.5, 0.5] as never, y6, 3), TypeError,
    'softmaxBackward: y must be a Float32Array or a Tensor, got Array(2) (convert with Float32Array.from(y))'],
  ['dy a Float64Array', (api) => api.softmaxBackward(y6, new Float64Array(6) as never, 3), TypeError,
    'softmaxBackward: dy must be a Float32Array or a Tensor, got Float64Array(6) (convert with Float32Array.from(dy))'],
  ['cols = 0', (api) => api.softmaxBackward(y6, y6, 0), RangeError, 'softmaxBackward: cols must be in [1, 2147483647], got 0'],
  ['y.length not a multiple of cols', (api) => api.softmaxBackward(y6, y6, 5), RangeError,
    'softmaxBackward: y.length must be a positive multiple of cols = 5, got 6'],
  ['dy of another length', (api) => api.softmaxBackward(y6, new Float32Array(3), 3), RangeError,
    'softmaxBackward: dy.length must be 6 (y.length), got 3'],
  ['out of another length', (api) => api.softmaxBackward(y6, y6, 3, new Float32Array(7)), RangeError,
    'softmaxBackward: out.length must be 6 (y.length), got 7'],
];

const logits12 = new Float32Array(12);
const ce = (api: Api, targets: unknown, cols: unknown, options?: unknown) =>
  api.crossEntropy(logits12, targets as never, cols as never, options as never);
const crossEntropyCases: Case[] = [
  ['logits a Float64Array', (api) => api.crossEntropy(new Float64Array(12) as never, [0, 1, 2], 4), TypeError,
    'crossEntropy: logits must be a Float32Array or a Tensor, got Float64Array(12) (convert with Float32Array.from(logits))'],
  ['targets a string', (api) => ce(api, 'abc', 4), TypeError,
    'crossEntropy: targets must be class indices (number[] or an integer typed array) or probabilities (Float32Array), got string "abc"'],
  ['targets a Float64Array', (api) => ce(api, new Float64Array(3), 4), TypeError, /^crossEntropy: targets must be class indices .*got Float64Array\(3\)$/],
  ['an index past the last class', (api) => ce(api, [0, 1, 4], 4), RangeError, 'crossEntropy: targets[2] = 4 is outside [0, 4)'],
  ['a negative index', (api) => ce(api, [0, -1, 2], 4), RangeError, 'crossEntropy: targets[1] = -1 is outside [0, 4)'],
  ['a negative index with a custom ignoreIndex', (api) => ce(api, [0, -1, 2], 4, { ignoreIndex: -2 }), RangeError,
    'crossEntropy: targets[1] = -1 is outside [0, 4) and is not ignoreIndex = -2'],
  ['a fractional index', (api) => ce(api, [0, 1.5, 2], 4), RangeError, 'crossEntropy: targets[1] = 1.5 is not an integer class index'],
  ['a NaN index', (api) => ce(api, [0, NaN, 2], 4), RangeError, 'crossEntropy: targets[1] = NaN is not an integer class index'],
  ['an index given as a string', (api) => ce(api, [0, '1', 2], 4), TypeError, 'crossEntropy: targets[1] must be an integer class index, got string "1"'],
  ['a hole in a sparse index array', (api) => ce(api, [0, , 2], 4), TypeError, 'crossEntropy: targets[1] must be an integer class index, got undefined'],
  ['a Uint32Array index that would wrap to ignoreIndex as int32', (api) => ce(api, new Uint32Array([0, 2 ** 32 - 100, 1]), 4), RangeError,
    'crossEntropy: targets[1] = 4294967196 is outside [0, 4)'],
  ['too few indices', (api) => ce(api, [0, 1], 4), RangeError, 'crossEntropy: targets.length must be 3 (one class index per row: logits.length / cols = 12 / 4), got 2'],
  // A wrong cols shows up as a wrong targets length; the message shows the division that gave the rows.
  ['cols too large for the logits', (api) => ce(api, [0, 1, 2], 6), RangeError, 'crossEntropy: targets.length must be 2 (one class index per row: logits.length / cols = 12 / 6), got 3'],
  ['indices passed as a Float32Array', (api) => ce(api, new Float32Array([0, 1, 2]), 4), RangeError,
    'crossEntropy: targets.length must be 12 (probabilities: the logits\' length), got 3: class indices must be integers (Int32Array or number[]), not a Float32Array'],
  ['probabilities of the wrong length', (api) => ce(api, new Float32Array(8), 4), RangeError,
    'crossEntropy: targets.length must be 12 (probabilities: the logits\' length), got 8'],
  ['cols = 0', (api) => ce(api, [0, 1, 2], 0), RangeError, 'crossEntropy: cols must be in [1, 2147483647], got 0'],
  ['logits.length not a multiple of cols', (api) => ce(api, [0, 1, 2], 5), RangeError,
    'crossEntropy: logits.length must be a positive multiple of cols = 5, got 12'],
  ['options not an object', (api) => ce(api, [0, 1, 2], 4, 'mean'), TypeError, 'crossEntropy: options must be an object, got string "mean"'],
  ['a misspelt option', (api) => ce(api, [0, 1, 2], 4, { ignore_index: 1 }), TypeError,
    "crossEntropy: unknown option 'ignore_index' (known: reduction, weight, ignoreIndex, labelSmoothing, temperature, zLoss, grad)"],
  ['an unknown reduction', (api) => ce(api, [0, 1, 2], 4, { reduction: 'avg' }), RangeError,
    "crossEntropy: options.reduction must be one of 'mean', 'sum', 'none', got string \"avg\""],
  ['labelSmoothing above 1', (api) => ce(api, [0, 1, 2], 4, { labelSmoothing: 1.5 }), RangeError,
    'crossEntropy: options.labelSmoothing must be in [0, 1], got 1.5'],
  ['labelSmoothing negative', (api) => ce(api, [0, 1, 2], 4, { labelSmoothing: -0.1 }), RangeError,
    'crossEntropy: options.labelSmoothing must be in [0, 1], got -0.1'],
  ['labelSmoothing NaN', (api) => ce(api, [0, 1, 2], 4, { labelSmoothing: NaN }), RangeError,
    'crossEntropy: options.labelSmoothing must be in [0, 1], got NaN'],
  ['zLoss negative', (api) => ce(api, [0, 1, 2], 4, { zLoss: -1 }), RangeError,
    'crossEntropy: options.zLoss must be in [0, 3.4028234663852886e+38], got -1'],
  ['zLoss beyond float32', (api) => ce(api, [0, 1, 2], 4, { zLoss: 1e39 }), RangeError,
    'crossEntropy: options.zLoss must be in [0, 3.4028234663852886e+38], got 1e+39'],
  // float32's maximum as numpy prints it is just above FLOAT32_MAX as a double; it rounds to it.
  ['zLoss 3.4028236e38 (past float32)', (api) => ce(api, [0, 1, 2], 4, { zLoss: 3.4028236e38 }), RangeError,
    'crossEntropy: options.zLoss must be in [0, 3.4028234663852886e+38], got 3.4028236e+38'],
  ['temperature 0', (api) => ce(api, [0, 1, 2], 4, { temperature: 0 }), RangeError,
    /^crossEntropy: options\.temperature must be in \(0, 3\.4028234663852886e\+38\] .*, got 0$/],
  ['ignoreIndex fractional', (api) => ce(api, [0, 1, 2], 4, { ignoreIndex: 0.5 }), TypeError,
    'crossEntropy: options.ignoreIndex must be an integer, got number 0.5'],
  ['ignoreIndex beyond int32', (api) => ce(api, [0, 1, 2], 4, { ignoreIndex: 2 ** 31 }), RangeError,
    'crossEntropy: options.ignoreIndex must be in [-2147483648, 2147483647], got 2147483648'],
  ['weight a plain array', (api) => ce(api, [0, 1, 2], 4, { weight: [1, 1, 1, 1] }), TypeError,
    'crossEntropy: options.weight must be a Float32Array, got Array(4) (convert with Float32Array.from(options.weight))'],
  ['weight of the wrong length', (api) => ce(api, [0, 1, 2], 4, { weight: new Float32Array(3) }), RangeError,
    'crossEntropy: options.weight.length must be 4 (one weight per class, cols), got 3'],
  ['grad of the wrong type', (api) => ce(api, [0, 1, 2], 4, { grad: 'yes' }), TypeError,
    'crossEntropy: options.grad must be a Float32Array or a Tensor, got string "yes"'],
  ['grad of the wrong length', (api) => ce(api, [0, 1, 2], 4, { grad: new Float32Array(4) }), RangeError,
    'crossEntropy: options.grad.length must be 12 (logits.length), got 4'],
];

const tensorCases: Case[] = [
  ['rows = 0', (api) => api.tensor(0, 3), RangeError, 'tensor: rows must be in [1, 2147483647], got 0'],
  ['cols fractional', (api) => api.tensor(2, 2.5), TypeError, 'tensor: cols must be an integer, got number 2.5'],
  ['data a Float64Array', (api) => api.tensor(2, 3, new Float64Array(6) as never), TypeError,
    'tensor: data must be a Float32Array, got Float64Array(6) (convert with Float32Array.from(data))'],
  ['data of the wrong length', (api) => api.tensor(2, 3, new Float32Array(5)), RangeError, 'tensor: data.length must be 6 (2 × 3), got 5'],
  ['more floats than memory can hold', (api) => api.tensor(2 ** 20, 2 ** 20), RangeError, /^tensor: cannot allocate 1048576 × 1048576 floats: /],
];

const kernelCases: Case[] = [
  ['sigmoid of a Float64Array', (api) => api.sigmoid(new Float64Array(3) as never), TypeError,
    'sigmoid: x must be a Float32Array or a Tensor, got Float64Array(3) (convert with Float32Array.from(x))'],
  ['relu into a shifted view of x', (api) => { const b = new Float32Array(8); return api.relu(b.subarray(0, 6), b.subarray(2, 8)); }, RangeError,
    /^relu: out partly overlaps x \(byte offsets 8–32 and 0–24 of one buffer\)/],
  // One value per row: with 3 columns out cannot be x, so the message must not suggest it.
  ['logSumExp into a shifted view of x', (api) => { const b = new Float32Array(7); return api.logSumExp(b.subarray(0, 6), 3, b.subarray(1, 3)); }, RangeError,
    /^logSumExp: out partly overlaps x \(byte offsets 4–12 and 0–24 of one buffer\); pass an array that does not share memory with it$/],
  ['tanhBackward into a shifted view of dy', (api) => { const b = new Float32Array(8); return api.tanhBackward(x6, b.subarray(0, 6), b.subarray(1, 7)); }, RangeError,
    /^tanhBackward: out partly overlaps dy/],
  ['a misspelt loss option', (api) => api.binaryCrossEntropyWithLogits(x6, y6, { gard: true } as never), TypeError,
    "binaryCrossEntropyWithLogits: unknown option 'gard' (known: reduction, grad)"],
  ['mse grad shifted over the predictions', (api) => { const b = new Float32Array(8); return api.mse(b.subarray(0, 6), y6, { grad: b.subarray(1, 7) }); }, RangeError,
    /^mse: options\.grad partly overlaps predictions/],
  ['argmax into a Float32Array', (api) => api.argmax(x6, 3, new Float32Array(2) as never), TypeError, 'argmax: out must be an Int32Array, got Float32Array(2)'],
  ['argmax into the memory of x', (api) => api.argmax(x6, 3, new Int32Array(x6.buffer, 0, 2)), RangeError,
    /^argmax: out is the same memory as x|^argmax: out partly overlaps x/],
  ['argmax with cols = 0', (api) => api.argmax(x6, 0), RangeError, 'argmax: cols must be in [1, 2147483647], got 0'],
  ['a misspelt sampling option', (api) => api.sampleCategorical(x6, 3, { tempreature: 2 } as never), TypeError,
    "sampleCategorical: unknown option 'tempreature' (known: temperature, seed, random, out)"],
  ['sampling temperature so small 1/T overflows', (api) => api.sampleCategorical(x6, 3, { temperature: 1e-39 }), RangeError,
    /^sampleCategorical: options\.temperature must be in \(0, /],
  ['sparsemax into a shifted view of x', (api) => { const b = new Float32Array(8); return api.sparsemax(b.subarray(0, 6), 3, b.subarray(2, 8)); }, RangeError,
    /^sparsemax: out partly overlaps x/],
  ['a Jacobian too large to build', (api) => api.softmaxJacobian(new Float32Array(20_000)), RangeError,
    /^softmaxJacobian: a\.length = 20000 would make a 20000 × 20000 Jacobian of 400000000 floats/],
  ['a misspelt linearCrossEntropy option', (api) => api.linearCrossEntropy(x6, x6, [0, 1], 2, 3, 2, { chunk_bytes: 64 } as never), TypeError,
    /^linearCrossEntropy: unknown option 'chunk_bytes' \(known: .*chunkBytes\)$/],
  ['a misspelt linearCrossEntropy gradient (it asked for nothing)', (api) => api.linearCrossEntropy(x6, x6, [0, 1], 2, 3, 2, { grad: { dX: true } as never }), TypeError,
    "linearCrossEntropy: unknown option 'options.grad.dX' (known: dx, dw, db)"],
  // It said to pass what it refuses: "… or probabilities (Float32Array), got Float32Array(2)".
  ['linearCrossEntropy targets as probabilities', (api) => api.linearCrossEntropy(x6, x6, new Float32Array(2) as never, 2, 3, 2), TypeError,
    'linearCrossEntropy: targets must be class indices (number[] or an integer typed array), got Float32Array(2)'],
  ['linearCrossEntropy grad neither a boolean nor an object', (api) => api.linearCrossEntropy(x6, x6, [0, 1], 2, 3, 2, { grad: 'yes' as never }), TypeError,
    'linearCrossEntropy: options.grad must be an object, got string "yes"'],
  ['linearCrossEntropy dw of the wrong size', (api) => api.linearCrossEntropy(x6, x6, [0, 1], 2, 3, 2, { grad: { dw: new Float32Array(4) } }), RangeError,
    'linearCrossEntropy: options.grad.dw.length must be 6 (dw: h × v = 3 × 2), got 4'],
  ['linearCrossEntropy writing dx over x', (api) => api.linearCrossEntropy(x6, x6, [0, 1], 2, 3, 2, { grad: { dx: x6 } }), RangeError,
    'linearCrossEntropy: options.grad.dx is the same memory as x, and this function cannot work in place (it reads x after writing options.grad.dx); pass a separate array'],
  ['linearCrossEntropy writing dw over w', (api) => { const w = x6.slice(); return api.linearCrossEntropy(x6, w, [0, 1], 2, 3, 2, { grad: { dw: w } }); }, RangeError,
    /^linearCrossEntropy: options\.grad\.dw is the same memory as w/],
  ['linearCrossEntropy writing dw over dx', (api) => { const g = new Float32Array(6); return api.linearCrossEntropy(x6, y6, [0, 1], 2, 3, 2, { grad: { dx: g, dw: g } }); }, RangeError,
    /^linearCrossEntropy: options\.grad\.dw is the same memory as options\.grad\.dx/],
  ['a misspelt matmul option', (api) => api.matmul(x6, y6, 2, 3, 2, { transposeB: true } as never), TypeError,
    "matmul: unknown option 'transposeB' (known: transA, transB, bias, accumulate, alpha, out)"],
  ['matmul writing into the view of a tensor it reads', (api) => {
    const a = api.tensor(2, 3, x6);
    try {
      return api.matmul(a, y6, 2, 3, 2, { out: a.view().subarray(0, 4) });
    } finally {
      a.dispose();
    }
  }, RangeError, /^matmul: out partly overlaps a \(byte offsets \d+–\d+ and \d+–\d+ of one buffer\); pass an array that does not share memory with it$/],
];

const allCases: Array<[string, Case[]]> = [
  ['softmax', softmaxFamily('softmax')],
  ['logSoftmax', softmaxFamily('logSoftmax')],
  ['logSumExp', softmaxFamily('logSumExp')],
  ['softmaxBackward', backwardCases],
  ['crossEntropy', crossEntropyCases],
  ['tensor', tensorCases],
  ['activations, losses, row utilities, sparsemax, linearCrossEntropy', kernelCases],
];

/** What an instance computes and holds: it must be the same before and after a refused call. */
function fingerprint(api: Api) {
  const probs = Array.from(api.softmax(x6, 3));
  const loss = api.crossEntropy(x6, [0, 2], 3).loss;
  const wasm = api.backend instanceof WasmBackend ? api.backend : null;
  return {
    probs, loss,
    memory: api.backend.memoryBytes(),
    arena: wasm?.arenaState(),
    heap: wasm?.heapState(),
  };
}

describe.each(kinds)('argument validation on %s', (kind) => {
  describe.each(allCases)('%s', (_fn, cases) => {
    it.each(cases)('refuses %s', async (_what, call, errorClass, message) => {
      const api = await backend(kind);
      const before = fingerprint(api);
      let thrown: unknown;
      try {
        call(api);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(errorClass);
      if (typeof message === 'string') expect((thrown as Error).message).toBe(message);
      else expect((thrown as Error).message).toMatch(message);
      expect(fingerprint(api)).toEqual(before);
    });
  });

  it('accepts every integer typed array and number[] as class indices, and -100 as the default ignoreIndex', async () => {
    const api = await backend(kind);
    const logits = new Float32Array([2, 1, 0.1, 1, 5, 3, 0, 0, 0]);
    const expected = api.crossEntropy(logits, new Int32Array([0, 1, -100]), 3).loss;
    expect(expected).toBeCloseTo((0.41703 + 0.142932) / 2, 5);
    for (const targets of [
      [0, 1, -100], new Int8Array([0, 1, -100]), new Int16Array([0, 1, -100]),
    ]) expect(api.crossEntropy(logits, targets, 3).loss).toBe(expected);
    const noIgnore = api.crossEntropy(logits, new Int32Array([0, 1, 2]), 3).loss;
    for (const targets of [new Uint8Array([0, 1, 2]), new Uint8ClampedArray([0, 1, 2]), new Uint16Array([0, 1, 2]), new Uint32Array([0, 1, 2])]) {
      expect(api.crossEntropy(logits, targets, 3).loss).toBe(noIgnore);
    }
  });

  // The temperature is used in f64 (1/T to the kernels as a float32 and its error), so it stays the
  // slightly larger temperature it is; zLoss and alpha are rounded to float32, to the maximum itself.
  it('accepts 3.4028235e38, float32\'s maximum as numpy prints it (temperature; zLoss and alpha as that maximum)', async () => {
    const api = await backend(kind);
    const x = new Float32Array([3e38, 1e38, -2e38, 0, 1, 2]);
    const printed = 3.4028235e38, exact = 3.4028234663852886e38;
    expect(printed).toBeGreaterThan(exact); // as a double; Math.fround(printed) === exact
    expectClose(api.softmax(x, 3, { temperature: printed }), api.softmax(x, 3, { temperature: exact }), 1e-6);
    expect(api.crossEntropy(x, [0, 2], 3, { zLoss: printed }).loss).toBe(api.crossEntropy(x, [0, 2], 3, { zLoss: exact }).loss);
    const one = new Float32Array([1e-38]);
    expect(api.matmul(one, one, 1, 1, 1, { alpha: -printed })).toEqual(api.matmul(one, one, 1, 1, 1, { alpha: -exact }));
  });

  it('accepts subclasses of Float32Array and arrays over SharedArrayBuffer', async () => {
    const api = await backend(kind);
    class Logits extends Float32Array {}
    const expected = api.softmax(x6, 3);
    expect(api.softmax(Logits.from(x6), 3)).toEqual(expected);
    // Pages that are not cross-origin isolated have no SharedArrayBuffer.
    if (typeof SharedArrayBuffer === 'undefined') return;
    const shared = new Float32Array(new SharedArrayBuffer(24));
    shared.set(x6);
    expect(api.softmax(shared, 3)).toEqual(expected);
  });
});
