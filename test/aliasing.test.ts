// `out` sharing memory with an input. The JS backend computes directly on the caller's arrays and
// the wasm kernels run in place on resident tensors, so what a kernel allows depends on its read
// and write order: the row-wise softmax kernels read a whole row before writing it (out may be
// the input itself); cross-entropy reads all it needs from a row of logits before writing the
// gradient over it (grad may be the logits), but reads probability targets and weights while it
// writes (grad may not share their memory). Partial overlap — out a shifted view of the input's
// buffer — is refused everywhere.
import { describe, expect, it } from 'vitest';
import type { Api } from '../src/index.js';
import { JsF32Buffer } from '../src/js/backend.js';
import { backend, kinds } from './backends.js';
import { uniform } from './util.js';

const rows = 3, cols = 5, n = rows * cols;
const x = uniform(n, -3, 3, 1);
const dy = uniform(n, -1, 1, 2);

/** A copy of data placed at element `offset` of a larger buffer (to build overlapping views). */
function placed(data: Float32Array, offset: number, spare = 4): { buffer: Float32Array; view: Float32Array } {
  const buffer = new Float32Array(data.length + spare);
  buffer.set(data, offset);
  return { buffer, view: buffer.subarray(offset, offset + data.length) };
}

/**
 * A backward pass may write its result over dy or over y itself: either way it gives what it gives
 * into a new array, which is returned.
 */
function expectBackwardOverYOrDy(api: Api, fn: 'softmaxBackward' | 'sparsemaxBackward', y: Float32Array): Float32Array {
  const expected = api[fn](y, dy, cols);
  const inDy = dy.slice();
  api[fn](y, inDy, cols, inDy);
  expect(inDy).toEqual(expected);
  const inY = y.slice();
  api[fn](inY, dy, cols, inY);
  expect(inY).toEqual(expected);
  return expected;
}

describe.each(kinds)('aliasing on %s', (kind) => {
  it.each(['softmax', 'logSoftmax'] as const)('%s: out may be x itself (same array, another view of it, the same tensor)', async (fn) => {
    const api = await backend(kind);
    const expected = api[fn](x, cols);
    const same = x.slice();
    expect(api[fn](same, cols, same)).toBe(same);
    expect(same).toEqual(expected);
    const other = x.slice();
    const sameMemory = new Float32Array(other.buffer, other.byteOffset, other.length);
    api[fn](other, cols, sameMemory);
    expect(other).toEqual(expected);
    using t = api.tensor(rows, cols, x);
    api[fn](t, cols, t);
    expect(t.toArray()).toEqual(expected);
    using u = api.tensor(rows, cols, x);
    api[fn](u.view(), cols, u); // the tensor's own view as input, the tensor as out
    expect(u.toArray()).toEqual(expected);
  });

  it.each(['softmax', 'logSoftmax'] as const)('%s: refuses out shifted against x within one buffer', async (fn) => {
    const api = await backend(kind);
    for (const shift of [1, -1, cols, -cols, 3]) {
      const { buffer, view } = placed(x, 8, 16);
      const out = buffer.subarray(8 + shift, 8 + shift + n);
      const snapshot = buffer.slice();
      expect(() => api[fn](view, cols, out)).toThrow(RangeError);
      expect(() => api[fn](view, cols, out)).toThrow(new RegExp(`^${fn}: out partly overlaps x \\(byte offsets .* of one buffer\\); pass x itself to work in place, or an array that does not share memory with it$`));
      expect(buffer).toEqual(snapshot); // nothing was written
    }
  });

  it('logSumExp: out may be x when there is one value per row (cols = 1), never a prefix of x', async () => {
    const api = await backend(kind);
    const column = uniform(7, -3, 3, 5);
    const expected = api.logSumExp(column, 1);
    const same = column.slice();
    api.logSumExp(same, 1, same);
    expect(same).toEqual(expected);
    const wide = x.slice();
    expect(() => api.logSumExp(wide, cols, wide.subarray(0, rows))).toThrow(/^logSumExp: out partly overlaps x/);
  });

  it('softmaxBackward: out may be y or dy itself, not a shifted view of either', async () => {
    const api = await backend(kind);
    const y = api.softmax(x, cols);
    const expected = expectBackwardOverYOrDy(api, 'softmaxBackward', y);
    const both = y.slice();
    expect(api.softmaxBackward(both, both, cols)).toEqual(api.softmaxBackward(y, y.slice(), cols));
    using yt = api.tensor(rows, cols, y);
    using dyt = api.tensor(rows, cols, dy);
    api.softmaxBackward(yt, dyt, cols, dyt);
    expect(dyt.toArray()).toEqual(expected);
    const { buffer, view } = placed(dy, 2);
    expect(() => api.softmaxBackward(y, view, cols, buffer.subarray(3, 3 + n))).toThrow(/^softmaxBackward: out partly overlaps dy/);
    const placedY = placed(y, 0);
    expect(() => api.softmaxBackward(placedY.view, dy, cols, placedY.buffer.subarray(1, 1 + n))).toThrow(/^softmaxBackward: out partly overlaps y/);
  });

  it('crossEntropy: grad may be the logits themselves (a − y in place), never a shifted view of them', async () => {
    const api = await backend(kind);
    const targets = [0, 4, 2];
    const probs = api.softmax(uniform(n, -1, 1, 9), cols);
    for (const t of [targets, probs]) {
      for (const options of [{}, { labelSmoothing: 0.1, weight: uniform(cols, 0.5, 2, 4), temperature: 0.7 }]) {
        const expected = api.crossEntropy(x, t, cols, { ...options, grad: true, reduction: 'none' });
        const logits = x.slice();
        const inPlace = api.crossEntropy(logits, t, cols, { ...options, grad: logits, reduction: 'none' });
        expect(inPlace.grad).toBe(logits);
        expect(logits).toEqual(expected.grad);
        expect(inPlace.losses).toEqual(expected.losses);
        using tensor = api.tensor(rows, cols, x);
        const resident = api.crossEntropy(tensor, t, cols, { ...options, grad: tensor, reduction: 'none' });
        expect(tensor.toArray()).toEqual(expected.grad);
        expect(resident.losses).toEqual(expected.losses);
      }
    }
    const { buffer, view } = placed(x, 4);
    expect(() => api.crossEntropy(view, targets, cols, { grad: buffer.subarray(0, n) })).toThrow(
      /^crossEntropy: options\.grad partly overlaps logits \(byte offsets .*\); pass logits itself to work in place, or an array that does not share memory with it$/);
  });

  it('crossEntropy: grad may not share memory with the probability targets or the weights', async () => {
    const api = await backend(kind);
    const probs = api.softmax(uniform(n, -1, 1, 9), cols);
    const snapshot = probs.slice();
    expect(() => api.crossEntropy(x, probs, cols, { grad: probs })).toThrow(new RangeError(
      'crossEntropy: options.grad is the same memory as targets, and this function cannot work in place (it reads targets after writing options.grad); pass a separate array'));
    expect(probs).toEqual(snapshot);
    const weightAndGrad = new Float32Array(n + cols);
    const weight = weightAndGrad.subarray(n - 2, n - 2 + cols).fill(1);
    expect(() => api.crossEntropy(x, [0, 4, 2], cols, { weight, grad: weightAndGrad.subarray(0, n) })).toThrow(
      /^crossEntropy: options\.grad partly overlaps options\.weight/);
  });

  it('crossEntropy: class-index targets may share memory with grad (read before the gradient is written, on every backend)', async () => {
    const api = await backend(kind);
    const logits = new Float32Array([0, 3, 0, 3, 0, 3, 0, 3]);
    const expected = api.crossEntropy(logits, [1, 1, 1, 1], 2, { grad: true, reduction: 'none' });
    // grad's 4 × 2 floats with the four Int32 indices inside its rows 1–2: the js backend wrote
    // gradient bits over index 2 and 3 before reading them, and gave row 3 a loss of 0.
    const buffer = new ArrayBuffer(32);
    const grad = new Float32Array(buffer);
    const targets = new Int32Array(buffer, 8, 4).fill(1);
    const shared = api.crossEntropy(logits, targets, 2, { grad, reduction: 'none' });
    expect(Array.from(shared.losses!)).toEqual(Array.from(expected.losses!));
    expect(Array.from(grad)).toEqual(Array.from(expected.grad!));
  });

  it('crossEntropy: inputs may share memory with each other (they are only read)', async () => {
    const api = await backend(kind);
    const square = uniform(16, 0, 1, 3);
    const expected = api.crossEntropy(square, square.slice(), 4, { weight: square.slice(0, 4), grad: true });
    const shared = api.crossEntropy(square, square, 4, { weight: square.subarray(0, 4), grad: true });
    expect(shared.loss).toBe(expected.loss);
    expect(shared.grad).toEqual(expected.grad);
  });
});

describe('why partial overlap is refused: the JS backend would compute on the overlapping arrays', () => {
  it('gives wrong numbers when run unchecked on a shifted out', async () => {
    const api: Api = await backend('js');
    const expected = api.softmax(x, cols);
    const { buffer, view } = placed(x, 0);
    const out = buffer.subarray(1, 1 + n);
    api.backend.softmax(new JsF32Buffer(view), new JsF32Buffer(out), rows, cols, 1);
    let worst = 0;
    for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(out[i] - expected[i]));
    expect(worst).toBeGreaterThan(1e-3);
  });
});

describe.each(kinds)('aliasing of the activations, elementwise losses, sparsemax and linearCrossEntropy on %s', (kind) => {
  it('elementwise functions may write over an input exactly', async () => {
    const api = await backend(kind);
    const y = api.sigmoid(x);
    for (const fn of ['sigmoid', 'tanh', 'relu'] as const) {
      const expected = api[fn](x);
      const inPlace = x.slice();
      api[fn](inPlace, inPlace);
      expect(inPlace).toEqual(expected);
    }
    const expectedBack = api.sigmoidBackward(y, dy);
    const inDy = dy.slice();
    api.sigmoidBackward(y, inDy, inDy);
    expect(inDy).toEqual(expectedBack);
    const targets = api.sigmoid(dy);
    const bce = api.binaryCrossEntropyWithLogits(x, targets, { grad: true });
    for (const into of ['logits', 'targets'] as const) {
      const logits = x.slice(), t = targets.slice();
      const grad = into === 'logits' ? logits : t;
      expect(api.binaryCrossEntropyWithLogits(logits, t, { grad }).loss).toBe(bce.loss);
      expect(grad).toEqual(bce.grad);
    }
    const sq = api.mse(x, dy, { grad: true, reduction: 'none' });
    const predictions = x.slice();
    const inPlaceSq = api.mse(predictions, dy, { grad: predictions, reduction: 'none' });
    expect(predictions).toEqual(sq.grad);
    expect(inPlaceSq.losses).toEqual(sq.losses);
  });

  it('sparsemax may work in place; sparsemaxBackward may write over y or dy', async () => {
    const api = await backend(kind);
    const expected = api.sparsemax(x, cols);
    const inPlace = x.slice();
    api.sparsemax(inPlace, cols, inPlace);
    expect(inPlace).toEqual(expected);
    expectBackwardOverYOrDy(api, 'sparsemaxBackward', expected);
  });

  it('linearCrossEntropy refuses gradients that share memory with an input, whose later chunks still read it', async () => {
    const api = await backend(kind);
    const n = 4, h = 3, v = 5;
    const xs = uniform(n * h, -1, 1, 1), w = uniform(h * v, -1, 1, 2), bias = uniform(v, -1, 1, 3);
    const targets = [0, 4, 2, 1];
    const options = { bias, chunkBytes: 4 * v }; // one row per chunk
    const expected = api.linearCrossEntropy(xs, w, targets, n, h, v, { ...options, grad: true });
    expect(() => api.linearCrossEntropy(xs, w, targets, n, h, v, { ...options, grad: { db: bias } })).toThrow(
      /^linearCrossEntropy: options\.grad\.db is the same memory as options\.bias/);
    const shared = new Float32Array(n * h + h * v);
    expect(() => api.linearCrossEntropy(xs, w, targets, n, h, v, { ...options, grad: { dx: shared.subarray(0, n * h), dw: shared.subarray(n * h - 1, n * h - 1 + h * v) } })).toThrow(
      /^linearCrossEntropy: options\.grad\.dw partly overlaps options\.grad\.dx/);
    // Separate arrays are fine and give the same result.
    const dx = new Float32Array(n * h), dw = new Float32Array(h * v), db = new Float32Array(v);
    const given = api.linearCrossEntropy(xs, w, targets, n, h, v, { ...options, grad: { dx, dw, db } });
    expect(given.loss).toBe(expected.loss);
    expect(dx).toEqual(expected.dx);
    expect(dw).toEqual(expected.dw);
    expect(db).toEqual(expected.db);
  });
});

describe.each(kinds)('aliasing of matmul on %s', (kind) => {
  it('refuses out sharing memory with a, b or the bias, judged by memory (a tensor and its view are one)', async () => {
    const api = await backend(kind);
    const a = uniform(6, -1, 1, 1), b = uniform(6, -1, 1, 2);
    using t = api.tensor(2, 3, a);
    expect(() => api.matmul(t, b, 2, 3, 2, { out: t.view().subarray(2, 6) })).toThrow(/^matmul: out partly overlaps a \(byte offsets \d+–\d+ and \d+–\d+ of one buffer\); pass an array that does not share memory with it$/);
    using u = api.tensor(2, 2);
    expect(() => api.matmul(a, b, 2, 3, 2, { bias: u.view().subarray(0, 2), out: u })).toThrow(/^matmul: out partly overlaps options\.bias \(byte offsets/);
    const expected = api.matmul(a, b, 2, 3, 2);
    expect(api.matmul(t, b, 2, 3, 2, { out: u })).toBe(u);
    expect(u.toArray()).toEqual(expected);
  });
});

describe.each(kinds)('disjoint memory on %s', (kind) => {
  it('accepts out and x in two halves of one buffer, and tensors side by side', async () => {
    const api = await backend(kind);
    const expected = api.softmax(x, cols);
    const shared = new Float32Array(2 * n);
    shared.set(x);
    expect(Array.from(api.softmax(shared.subarray(0, n), cols, shared.subarray(n)))).toEqual(Array.from(expected));
    expect(Array.from(shared.subarray(0, n))).toEqual(Array.from(x)); // x untouched
    const xt = api.tensor(rows, cols, x), yt = api.tensor(rows, cols);
    expect(Array.from(api.softmax(xt, cols, yt).toArray())).toEqual(Array.from(expected));
    xt.dispose();
    yt.dispose();
  });
});
