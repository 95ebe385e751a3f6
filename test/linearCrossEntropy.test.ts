// linearCrossEntropy against the composition it replaces (logits = x·W + b → crossEntropy →
// dx = g·Wᵀ, dW = xᵀ·g, db = Σ g), chunking invariance, finite differences and memory use.
import { describe, expect, it } from 'vitest';
import type { Api, CrossEntropyOptions } from '../src/index.js';
import { matmul as oracleMatmul } from '../src/js/gemm.js';
import { backend, kinds, wasmKinds } from './backends.js';
import { expectClose, finiteDifference, randomIndices, uniform } from './util.js';

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

  it('gradients match finite differences', async () => {
    const api = await backend(kind);
    const n = 3, h = 4, v = 6;
    const x = uniform(n * h, -1, 1, 8), w = uniform(h * v, -1, 1, 9), bias = uniform(v, -1, 1, 10);
    const targets = randomIndices(n, v, 11);
    const options = { labelSmoothing: 0.05, chunkBytes: 2 * 4 * v };
    const { dx, dw, db } = api.linearCrossEntropy(x, w, targets, n, h, v, { ...options, bias, grad: true });
    const lossOf = (xx: Float32Array, ww: Float32Array, bb: Float32Array) =>
      api.linearCrossEntropy(xx, ww, targets, n, h, v, { ...options, bias: bb }).loss;
    expectClose(dx as Float32Array, finiteDifference((p) => lossOf(Float32Array.from(p), w, bias), Float64Array.from(x)), 1e-2, 2e-3);
    expectClose(dw as Float32Array, finiteDifference((p) => lossOf(x, Float32Array.from(p), bias), Float64Array.from(w)), 1e-2, 2e-3);
    expectClose(db as Float32Array, finiteDifference((p) => lossOf(x, w, Float32Array.from(p)), Float64Array.from(bias)), 1e-2, 2e-3);
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
