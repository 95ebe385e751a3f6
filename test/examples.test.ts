// The examples reach their targets. They import the package by name, which resolves to the
// built dist/ (npm test builds first), exactly as `npm start` runs them. MNIST runs on the wasm
// builds only: a few seconds there, minutes on the plain-TypeScript oracle.
import { describe, expect, it } from 'vitest';
import type { Example } from '../examples/example.js';
import { charlm } from '../examples/charlm.js';
import { iris } from '../examples/iris.js';
import { mnist } from '../examples/mnist.js';
import { seed } from '../examples/seed.js';
import { backend, kinds, wasmKinds } from './backends.js';

async function run(example: Example, kind: (typeof kinds)[number]) {
  return example.run({
    ...example.defaults, api: await backend(kind), seed: 1,
    onEpoch: () => {}, onBatch: () => {}, signal: new AbortController().signal,
  });
}

describe.each(kinds)('examples on %s', (kind) => {
  it('iris reaches ≥ 95 % test accuracy with its defaults', async () => {
    const result = await run(iris, kind);
    expect(result.history.epochs).toHaveLength(iris.defaults.epochs);
    expect(result.accuracy).toBeGreaterThanOrEqual(0.95);
  });

  it('the seed network\'s cost falls at every 1 000-epoch mark and ends below 0.07', async () => {
    const result = await run(seed, kind);
    const marks = result.history.epochs.filter((e) => e.epoch % 1000 === 0).map((e) => e.loss);
    expect(marks).toHaveLength(10);
    for (let i = 1; i < marks.length; i++) expect(marks[i]).toBeLessThan(marks[i - 1]);
    expect(result.loss).toBeLessThan(0.07);
    expect(result.accuracy).toBeGreaterThanOrEqual(0.95);
  });
});

describe.each(wasmKinds)('the MNIST example on %s', (kind) => {
  it('reaches ≥ 94 % test accuracy in its 15 epochs', async () => {
    const result = await run(mnist, kind);
    expect(mnist.defaults.epochs).toBeLessThanOrEqual(15);
    expect(result.history.epochs).toHaveLength(mnist.defaults.epochs);
    expect(result.accuracy).toBeGreaterThanOrEqual(0.94);
  });
});

describe.each(wasmKinds)('the charlm example on %s', (kind) => {
  it('learns the next character and writes a sample from its vocabulary', async () => {
    const result = await charlm.run({
      ...charlm.defaults, epochs: 3, api: await backend(kind), seed: 1,
      onEpoch: () => {}, onBatch: () => {}, signal: new AbortController().signal,
    });
    const losses = result.history.epochs.map((e) => e.loss);
    expect(losses[2]).toBeLessThan(losses[0]);
    // Far better than guessing uniformly among ~100 characters (ln 100 ≈ 4.6 nats).
    expect(losses[2]).toBeLessThan(2.6);
    const sample = result.notes!.split('\n').slice(1).join('\n');
    expect(sample.startsWith('The softmax')).toBe(true);
    expect(sample.length).toBe('The softmax'.length + 280);
  });
});

