// What the copy-in / copy-out convenience costs: the same softmax (and matmul) called with plain
// Float32Arrays (a new result each call, or into a caller-owned `out`), with a resident input
// (copy out only), and on resident tensors that live in wasm memory. tfjs pays the same kinds of
// cost: creating a tensor from a Float32Array copies in, dataSync() copies out.
import type { Case, Contender } from '../harness.js';
import { asArray, compare, uniform } from '../data.js';
import { label, ours, wasmKinds, type Tensor } from '../ours.js';
import { tf, tfjsContenders } from '../peers/tfjs.js';

export async function softmaxCopiesCase(rows: number, cols: number): Promise<Case> {
  const n = rows * cols;
  const kind = wasmKinds[0];
  const api = await ours(kind);
  const x = uniform(n, -5, 5, rows * 7919 + cols);
  const reference = (await ours('js')).softmax(x, cols);
  const out = new Float32Array(n);
  let xt: Tensor | null = null, yt: Tensor | null = null;
  const before = () => { xt = api.tensor(rows, cols, x); yt = api.tensor(rows, cols); };
  const after = () => { xt?.dispose(); yt?.dispose(); };
  const contenders: Contender[] = [
    { name: `${label(kind)} new array`, side: 'ours', does: 'softmax(x, cols): copy in, kernel, copy out into a new Float32Array', run: () => api.softmax(x, cols) },
    { name: `${label(kind)} into out`, side: 'ours', does: 'softmax(x, cols, out): copy in, kernel, copy out into the caller\'s array', run: () => api.softmax(x, cols, out) },
    { name: `${label(kind)} resident x`, side: 'ours', does: 'softmax(xTensor, cols): kernel, copy out into a new Float32Array', before, after, run: () => api.softmax(xt!, cols) },
    { name: `${label(kind)} resident`, side: 'ours', does: 'softmax(xTensor, cols, yTensor): no copies', before, after, run: () => api.softmax(xt!, cols, yt!) },
    ...tfjsContenders({
      backend: 'wasm',
      call: 'tf.softmax(x)',
      inputs: () => [tf.tensor2d(x, [rows, cols])],
      op: (inputs) => [tf.softmax(inputs[0])],
      read: (outputs) => outputs[0].dataSync(),
    }),
  ];
  return {
    id: `copies softmax ${rows}x${cols}`,
    family: 'copies',
    title: `copies: softmax ${rows}×${cols}`,
    elements: n,
    bytes: 8 * n,
    flops: 0,
    baseline: `${label(kind)} new array`,
    contenders,
    check: (result) => compare(asArray(result), reference, 2e-5, 1e-9),
  };
}

export async function matmulCopiesCase(size: number): Promise<Case> {
  const kind = wasmKinds[0];
  const api = await ours(kind);
  const a = uniform(size * size, -1, 1, 11), b = uniform(size * size, -1, 1, 12);
  const out = new Float32Array(size * size);
  let at: Tensor | null = null, bt: Tensor | null = null, ct: Tensor | null = null;
  const contenders: Contender[] = [
    { name: `${label(kind)} new array`, side: 'ours', does: 'matmul(a, b, n, n, n) → new Float32Array', run: () => api.matmul(a, b, size, size, size) },
    { name: `${label(kind)} into out`, side: 'ours', does: 'matmul(a, b, n, n, n, { out })', run: () => api.matmul(a, b, size, size, size, { out }) },
    {
      name: `${label(kind)} resident`, side: 'ours', does: 'matmul on resident tensors into a resident out',
      before: () => { at = api.tensor(size, size, a); bt = api.tensor(size, size, b); ct = api.tensor(size, size); },
      after: () => { at?.dispose(); bt?.dispose(); ct?.dispose(); },
      run: () => api.matmul(at!, bt!, size, size, size, { out: ct! }),
    },
  ];
  return {
    id: `copies matmul ${size}`,
    family: 'copies',
    title: `copies: matmul A·B ${size}³`,
    elements: 0,
    bytes: 12 * size * size,
    flops: 2 * size ** 3,
    baseline: `${label(kind)} new array`,
    contenders,
  };
}
