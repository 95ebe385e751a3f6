// linearCrossEntropy against the composition it replaces (logits = x·W + b → crossEntropy →
// dx = g·Wᵀ, dW = xᵀ·g, db = Σ g), chunking invariance, an f64 reference and its finite
// differences, non-finite input rows, and memory use.
import { describe, expect, it } from 'vitest';
import type { Api, CrossEntropyOptions } from '../src/index.js';
import { matmul as oracleMatmul } from '../src/js/gemm.js';
import { backend, kinds, wasmKinds } from './backends.js';
import { expectClose, finiteDifference, randomIndices, referenceCrossEntropy, uniform } from './util.js';

/** The loss in f64 from scratch: logits = x·W + b, then the cross-entropy reference. */
function referenceLoss(
  x: ArrayLike<number>, w: ArrayLike<number>, bias: ArrayLike<number> | undefined, targets: ArrayLike<number>,
  n: number, h: number, v: number, options: CrossEntropyOptions,
): number {
  const logits = new Float64Array(n * v);
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < v; j++) {
      let z = bias ? bias[j] : 0;
      for (let i = 0; i < h; i++) z += x[r * h + i] * w[i * v + j];
      logits[r * v + j] = z;
    }
  }
  return referenceCrossEntropy(logits, targets, v, false, options);
}

function composition(
  api: Api, x: Float32Array, w: Float32Array, bias: Float32Array | undefined, targets: Int32Array,
  n: number, h: number, v: number, options: CrossEntropyOptions,
) {
  const logits = new Float32Array(n * v);
  oracleMatmul(x, w, logits, n, h, v, false, false, 1, false, bias ?? null);
  const { loss, grad, losses } = api.crossEntropy(logits, targets, v, { ...options, grad: true });
  const dx = new Float32Array(n * h), dw = new Float32Array(h * v), db = new Float32Array(v);
  oracleMatmul(grad!, w, dx, n, v, h, false, true, 1, false, null);
  oracleMatmul(x, grad!, dw, h, n, v, true, false, 1, false, null);
  for (let r = 0; r < n; r++) for (let j = 0; j < v; j++) db[j] += grad![r * v + j];
  return { loss, losses, dx, dw, db };
}

const optionSets: Array<[string, CrossEntropyOptions]> = [
  ['defaults', {}],
  ['sum', { reduction: 'sum' }],
  ['none', { reduction: 'none' }],
  ['ignoreIndex + labelSmoothing + zLoss', { ignoreIndex: 2, labelSmoothing: 0.1, zLoss: 1e-3 }],
  ['weight', { weight: uniform(37, 0.5, 2, 1) }],
];

describe.each(kinds)('linearCrossEntropy on %s', (kind) => {
  it.each(optionSets)('equals the composition, whatever the chunk size: %s', async (_name, options) => {
    const api = await backend(kind);
    const n = 23, h = 9, v = 37;
    const x = uniform(n * h, -1, 1, 1), w = uniform(h * v, -1, 1, 2), bias = uniform(v, -0.5, 0.5, 3);
    const targets = randomIndices(n, v, 4);
    targets[5] = 2; // exercised by ignoreIndex: 2
    const expected = composition(api, x, w, bias, targets, n, h, v, options);
    // One row per chunk, an uneven split (5 rows: 5+5+5+5+3), and everything in one chunk.
    for (const chunkBytes of [4 * v, 5 * 4 * v, 1 << 24]) {
      const got = api.linearCrossEntropy(x, w, targets, n, h, v, { ...options, bias, grad: true, chunkBytes });
      expectClose([got.loss], [expected.loss], 1e-5, 1e-6);
      expectClose(got.dx as Float32Array, expected.dx, 1e-4, 1e-6);
      expectClose(got.dw as Float32Array, expected.dw, 1e-4, 1e-6);
      expectClose(got.db as Float32Array, expected.db, 1e-4, 1e-6);
      if (options.reduction === 'none') expectClose(got.losses!, expected.losses!, 1e-5, 1e-6);
    }
  });

  // x·I is x exactly, and dx = grad·Iᵀ is grad: the fused call must give crossEntropy's bits. On
  // js 7 of 15 differed in the last bit, crossEntropy's 1/rows rounded to float32 (as the wasm
  // kernels take it) and linearCrossEntropy's not.
  it('with w = I gives crossEntropy\'s gradient bits', async () => {
    const api = await backend(kind);
    const n = 3, v = 5;
    const x = Float32Array.from({ length: n * v }, (_, i) => Math.sin(i * 1.7) * 3);
    const eye = new Float32Array(v * v);
    for (let i = 0; i < v; i++) eye[i * v + i] = 1;
    const expected = api.crossEntropy(x, [1, 4, 2], v, { grad: true });
    const got = api.linearCrossEntropy(x, eye, [1, 4, 2], n, v, v, { grad: { dx: true } });
    expect(Array.from(got.dx as Float32Array)).toEqual(Array.from(expected.grad!));
    expect(got.loss).toBe(expected.loss);
  });

  it('computes only the gradients asked for, into given arrays', async () => {
    const api = await backend(kind);
    const n = 4, h = 3, v = 5;
    const x = uniform(n * h, -1, 1, 5), w = uniform(h * v, -1, 1, 6);
    const targets = randomIndices(n, v, 7);
    const dw = new Float32Array(h * v);
    const got = api.linearCrossEntropy(x, w, targets, n, h, v, { grad: { dw } });
    expect(got.dw).toBe(dw);
    expect(got.dx).toBeUndefined();
    expect(got.db).toBeUndefined();
    expectClose(dw, composition(api, x, w, undefined, targets, n, h, v, {}).dw, 1e-4, 1e-6);
    expect(api.linearCrossEntropy(x, w, targets, n, h, v).dx).toBeUndefined();
  });

  // n, h or v of 1, odd sizes, a long row, and every option with a temperature: the loss against
  // the f64 reference, each gradient against that reference's finite differences.
  it.each([[1, 1, 1], [1, 5, 3], [4, 1, 7], [3, 4, 1], [5, 3, 70], [2, 6, 130]])(
    'matches the f64 reference and its finite differences at n × h × v = %i × %i × %i',
    async (n, h, v) => {
      const api = await backend(kind);
      const x = uniform(n * h, -1, 1, n + h), w = uniform(h * v, -1, 1, h + v), bias = uniform(v, -0.5, 0.5, v);
      const targets = randomIndices(n, v, n * v);
      const options: CrossEntropyOptions = { weight: uniform(v, 0.5, 2, v + 1), labelSmoothing: 0.1, zLoss: 1e-3, temperature: 0.7 };
      const got = api.linearCrossEntropy(x, w, targets, n, h, v, { ...options, bias, grad: true, chunkBytes: 2 * 4 * v });
      const loss = (xx: ArrayLike<number>, ww: ArrayLike<number>, bb: ArrayLike<number>) =>
        referenceLoss(xx, ww, bb, targets, n, h, v, options);
      expectClose([got.loss], [loss(x, w, bias)], 1e-5, 1e-6);
      expectClose(got.dx as Float32Array, finiteDifference((p) => loss(p, w, bias), Float64Array.from(x), 1e-4), 1e-4, 2e-6);
      expectClose(got.dw as Float32Array, finiteDifference((p) => loss(x, p, bias), Float64Array.from(w), 1e-4), 1e-4, 2e-6);
      expectClose(got.db as Float32Array, finiteDifference((p) => loss(x, w, p), Float64Array.from(bias), 1e-4), 1e-4, 2e-6);
    });

  it('keeps a NaN or ∞ input row to its own loss; the other rows\' losses keep their bits', async () => {
    const api = await backend(kind);
    const n = 6, h = 5, v = 11;
    const x = uniform(n * h, -1, 1, 31), w = uniform(h * v, -1, 1, 32);
    const targets = randomIndices(n, v, 33);
    const clean = api.linearCrossEntropy(x, w, targets, n, h, v, { reduction: 'none', chunkBytes: 2 * 4 * v });
    // 1e30: logits of ±1e30 on that row, a finite loss of the same order.
    for (const bad of [NaN, Infinity, 1e30]) {
      const dirty = x.slice();
      dirty[2 * h + 1] = bad;
      const { loss, losses } = api.linearCrossEntropy(dirty, w, targets, n, h, v, { reduction: 'none', chunkBytes: 2 * 4 * v });
      expect(Number.isFinite(losses![2]), `${bad}`).toBe(Number.isFinite(bad));
      for (let r = 0; r < n; r++) if (r !== 2) expect(losses![r]).toBe(clean.losses![r]);
      if (!Number.isFinite(bad)) expect(Number.isFinite(loss)).toBe(false);
    }
  });

  it('refuses bad arguments, naming them', async () => {
    const api = await backend(kind);
    const x = new Float32Array(6), w = new Float32Array(12);
    expect(() => api.linearCrossEntropy(x, w, [0, 1], 2, 3, 5)).toThrow('linearCrossEntropy: w.length must be 15 (h × v = 3 × 5), got 12');
    expect(() => api.linearCrossEntropy(x, w, [0, 1], 2, 4, 3)).toThrow(/x.length must be 8/);
    expect(() => api.linearCrossEntropy(x, w, [0, 4], 2, 3, 4)).toThrow('linearCrossEntropy: targets[1] = 4 is outside [0, 4)');
    expect(() => api.linearCrossEntropy(x, w, [0, 1], 2, 3, 4, { grad: { db: true } })).toThrow(/grad.db needs options.bias/);
    expect(() => api.linearCrossEntropy(x, w, [0, 1], 2, 3, 4, { bias: new Float32Array(3) })).toThrow(/bias.length must be 4/);
    expect(() => api.linearCrossEntropy(x, w, [0, 1], 0, 3, 4)).toThrow(RangeError);
  });
});

describe.each(wasmKinds)('linearCrossEntropy memory on %s', (kind) => {
  it('grows wasm memory by O(chunk × v), not O(n × v)', async () => {
    const { createBackend } = await import('../src/index.js');
    const api = await createBackend({ backend: kind });
    const n = 1024, h = 8, v = 4096; // the logits alone would be 16 MiB
    const x = uniform(n * h, -1, 1, 12), w = uniform(h * v, -1, 1, 13);
    const targets = randomIndices(n, v, 14);
    const before = api.backend.memoryBytes();
    api.linearCrossEntropy(x, w, targets, n, h, v, { grad: { dw: true }, chunkBytes: 256 * 1024 });
    const growth = api.backend.memoryBytes() - before;
    // Inputs (x 32 KiB, w 128 KiB), dW (128 KiB) and one 256 KiB chunk: far below the 16 MiB of logits.
    expect(growth).toBeLessThan(4 * 1024 * 1024);
  });
});
