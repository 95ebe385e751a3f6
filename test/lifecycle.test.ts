// Lifetimes and isolation: disposed tensors are refused by every function; tensors callers forget
// are reclaimed by the FinalizationRegistry (checked in a child process run with --expose-gc);
// independent instances and worker threads, each with its own instance, do not interfere.
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createBackend, type Api } from '../src/index.js';
import { WasmBackend } from '../src/wasm/backend.js';
import { kinds, wasmKinds } from './backends.js';
import { runChild } from './child-process.js';
import { randomIndices, uniform } from './util.js';

describe.each(kinds)('disposed tensors on %s', (kind) => {
  it('are refused by every function that takes data, naming the function', async () => {
    const api = await createBackend({ backend: kind });
    const t = api.tensor(2, 3, new Float32Array([1, 2, 3, 4, 5, 6]));
    const live = api.tensor(2, 3);
    t.dispose();
    const calls: Array<[string, () => unknown]> = [
      ['softmax', () => api.softmax(t, 3)],
      ['logSoftmax', () => api.logSoftmax(live, 3, t)],
      ['logSumExp', () => api.logSumExp(t, 3)],
      ['softmaxBackward', () => api.softmaxBackward(live as never, t as never, 3)],
      ['crossEntropy', () => api.crossEntropy(t, [0, 1], 3)],
      ['crossEntropy', () => api.crossEntropy(live, [0, 1], 3, { grad: t })],
      ['sigmoid', () => api.sigmoid(t)],
      ['tanhBackward', () => api.tanhBackward(live, t)],
      ['reluBackward', () => api.reluBackward(t, live)],
      ['binaryCrossEntropyWithLogits', () => api.binaryCrossEntropyWithLogits(t, live)],
      ['mse', () => api.mse(live, t)],
      ['argmax', () => api.argmax(t, 3)],
      ['sampleCategorical', () => api.sampleCategorical(t, 3, { seed: 1 })],
      ['softmaxJacobian', () => api.softmaxJacobian(t)],
      ['sparsemax', () => api.sparsemax(t, 3)],
      ['sparsemaxBackward', () => api.sparsemaxBackward(live, t, 3)],
      ['linearCrossEntropy', () => api.linearCrossEntropy(t, live, [0, 1], 2, 3, 2)],
      ['Tensor.toArray', () => t.toArray()],
      ['Tensor.view', () => t.view()],
      ['Tensor.write', () => t.write(new Float32Array(6))],
    ];
    for (const [fn, call] of calls) {
      // Functions name the argument (with several tensors, which one); the Tensor's own methods say "this Tensor".
      const which = fn.startsWith('Tensor.') ? 'this Tensor \\(2×3\\)' : '[\\w.]+, a Tensor \\(2×3\\),';
      expect(call, fn).toThrow(new RegExp(`^${fn}: ${which} was disposed and cannot be used$`));
    }
    expect(() => api.matmul(live, t, 2, 3, 2)).toThrow('matmul: b, a Tensor (2×3), was disposed and cannot be used');
    t.dispose(); // idempotent
    expect(api.softmax(live, 3)).toEqual(new Float32Array(6).fill(1 / 3));
    live.dispose();
  });

  it('are refused by another instance, whose own work is unaffected', async () => {
    const owner = 'a tensor works only with the instance that made it (createBackend(), and init() naming ' +
      'another backend, make new instances)';
    const a = await createBackend({ backend: kind });
    const b = await createBackend({ backend: kind });
    const ta = a.tensor(1, 3, new Float32Array([1, 2, 3]));
    expect(() => b.softmax(ta, 3)).toThrow(new TypeError(`softmax: x is a Tensor of another backend instance; ${owner}`));
    expect(() => b.softmax(new Float32Array(3), 3, ta)).toThrow(new TypeError(`softmax: out is a Tensor of another backend instance; ${owner}`));
    expect(b.softmax(new Float32Array([1, 2, 3]), 3)).toEqual(a.softmax(ta, 3));
    ta.dispose();
  });
});

describe.each(wasmKinds)('forgotten tensors on %s', (kind) => {
  it('and forgotten networks are reclaimed by the FinalizationRegistry after garbage collection (child process with --expose-gc)', () => {
    type Heap = { liveBlocks: number; liveBytes: number };
    const report = runChild('finalization.mjs', ['--expose-gc'], [kind]) as {
      baseline: Heap; afterForgetting: Heap; afterCollect: Heap; afterRounds: Heap; final: Heap;
      memoryAfterFirstRound: number; memoryAfterRounds: number; keptStillUsable: boolean;
      afterForgettingNetworks: Heap; afterCollectingNetworks: Heap;
    };
    const baseline = report.baseline;
    // 100 forgotten tensors of 256 KiB are live until collected …
    expect(report.afterForgetting.liveBlocks).toBe(baseline.liveBlocks + 100);
    expect(report.afterForgetting.liveBytes).toBe(baseline.liveBytes + 100 * 256 * 1024);
    // … and all freed by the registry afterwards.
    expect(report.afterCollect).toEqual(baseline);
    // 2 000 more over 20 rounds: the heap and the memory stay where they were after round one.
    expect(report.afterRounds).toEqual(baseline);
    expect(report.memoryAfterRounds).toBe(report.memoryAfterFirstRound);
    // Disposed tensors are unregistered: collection frees nothing twice.
    expect(report.keptStillUsable).toBe(true);
    expect(report.final).toEqual(baseline);
    // Forgotten networks (each ~10 buffers) likewise.
    expect(report.afterForgettingNetworks.liveBlocks).toBeGreaterThanOrEqual(baseline.liveBlocks + 30 * 9);
    expect(report.afterCollectingNetworks).toEqual(baseline);
  });
});

describe.each(wasmKinds)('independent instances on %s', (kind) => {
  it('interleave calls, memory growth, errors and disposal without affecting each other', async () => {
    const [a, b] = [await createBackend({ backend: kind }), await createBackend({ backend: kind })];
    const cols = 37;
    const xa = uniform(cols * 11, -5, 5, 1), xb = uniform(cols * 13, -5, 5, 2);
    const ta = randomIndices(11, cols, 3), tb = randomIndices(13, cols, 4);
    const alone = async (x: Float32Array, t: Int32Array) => {
      const fresh = await createBackend({ backend: kind });
      return { probs: fresh.softmax(x, cols), ce: fresh.crossEntropy(x, t, cols, { grad: true }) };
    };
    const expectedA = await alone(xa, ta), expectedB = await alone(xb, tb);
    const residentB = b.tensor(13, cols, xb);
    const viewB = () => b.backend.memoryBytes();
    const memoryB = viewB();
    for (let round = 0; round < 20; round++) {
      expect(a.softmax(xa, cols)).toEqual(expectedA.probs);
      expect(b.crossEntropy(residentB, tb, cols, { grad: true })).toEqual(expectedB.ce);
      const big = a.tensor(256 * (round + 1), 1024); // grows a's memory only
      expect(() => b.softmax(xb, 0)).toThrow(RangeError); // an error in b
      expect(a.crossEntropy(xa, ta, cols, { grad: true })).toEqual(expectedA.ce);
      expect(b.softmax(residentB, cols)).toEqual(expectedB.probs);
      big.dispose();
    }
    expect(viewB()).toBe(memoryB);
    expect((a.backend as WasmBackend).arenaState().idle).toBe(true);
    expect((b.backend as WasmBackend).arenaState().idle).toBe(true);
    residentB.dispose();
  });
});

describe.each(kinds)('worker threads on %s', (kind) => {
  it('each with its own instance compute concurrently and agree with the main thread', async () => {
    const main: Api = await createBackend({ backend: kind });
    const cols = 50;
    const jobs = [0, 1].map((i) => ({
      kind, cols, repeats: 200,
      logits: uniform(cols * (40 + i), -8, 8, 10 + i),
      targets: randomIndices(40 + i, cols, 20 + i),
    }));
    const script = fileURLToPath(new URL('./child/worker.mjs', import.meta.url));
    const results = await Promise.all(jobs.map((workerData) => new Promise<{ probs: Float32Array; loss: number; grad: Float32Array; kind: string }>((resolve, reject) => {
      const worker = new Worker(script, { workerData });
      worker.once('message', (message) => {
        resolve(message);
        void worker.terminate();
      });
      worker.once('error', reject);
    })));
    results.forEach((result, i) => {
      const { logits, targets } = jobs[i];
      expect(result.kind).toBe(kind);
      expect(result.probs).toEqual(main.softmax(logits, cols));
      const ce = main.crossEntropy(logits, targets, cols, { grad: true, labelSmoothing: 0.1 });
      expect(result.loss).toBe(ce.loss);
      expect(result.grad).toEqual(ce.grad);
    });
  });
});
