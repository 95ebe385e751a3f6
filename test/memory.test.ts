// Memory limits and leaks: requests larger than 32-bit wasm memory can hold, or a memory.grow the
// engine refuses, end in a RangeError that says so, thrown before anything is copied; afterwards
// the instance computes as before and holds no more heap or scratch space than before.
import { describe, expect, it } from 'vitest';
import { createBackend } from '../src/index.js';
import type { Api } from '../src/index.js';
import { WasmBackend } from '../src/wasm/backend.js';
import { MAX_BLOCK_BYTES } from '../src/wasm/memory.js';
import { kinds, wasmKinds } from './backends.js';
import { runChild } from './child-process.js';

async function wasmInstance(kind: string): Promise<{ api: Api; wasm: WasmBackend }> {
  const api = await createBackend({ backend: kind as 'simd' });
  return { api, wasm: api.backend as WasmBackend };
}

describe.each(wasmKinds)('memory limits on %s', (kind) => {
  it('refuses an array larger than one wasm block before copying it, and stays usable', async () => {
    const { api, wasm } = await wasmInstance(kind);
    const small = api.softmax(new Float32Array([2, 1, 0.1]), 3);
    const memory = wasm.memoryBytes();
    const heap = wasm.heapState();
    // 2^28 floats = 1 GiB: the JS array is lazily zeroed virtual memory, never touched here.
    const huge = new Float32Array(2 ** 28);
    // (softmax, logSoftmax, logSumExp and crossEntropy with Float32Array results stream
    // Float32Arrays through a 128 KiB block, so they take arrays of any size; the others copy
    // their arguments in whole.)
    expect(() => api.softmaxBackward(huge, huge, 2 ** 14)).toThrow(new RangeError(
      `softmaxBackward: a buffer of 1073741824 bytes (1 GiB) is larger than one wasm memory block can hold (1 GiB − 16 bytes = ${MAX_BLOCK_BYTES} bytes); split the data or use the 'js' backend`));
    expect(wasm.memoryBytes()).toBe(memory);
    expect(wasm.heapState()).toEqual(heap);
    expect(wasm.arenaState().idle).toBe(true);
    expect(api.softmax(new Float32Array([2, 1, 0.1]), 3)).toEqual(small);
  });

  it('refuses a call whose scratch exceeds 4 GiB in total without allocating anything', async () => {
    const { wasm } = await wasmInstance(kind);
    const heap = wasm.heapState();
    const block = MAX_BLOCK_BYTES / 4;
    expect(() => wasm.scoped((scope) => scope.reserve('matmul', [block, block, block, block, block]))).toThrow(
      /^matmul: needs 5368709040 bytes \(5 GiB\) of scratch memory, more than 32-bit wasm memory can hold \(4 GiB\)/);
    expect(wasm.heapState()).toEqual(heap);
  });

  it('reserves scratch larger than one block across several blocks', async () => {
    const { wasm } = await wasmInstance(kind);
    // Two buffers of 600 MiB: too much for one block, fine for two. Reserving touches no pages.
    const lengths = [600 * 2 ** 18, 600 * 2 ** 18];
    const pointers = wasm.scoped((scope) => {
      scope.reserve('test', lengths);
      const blocks = wasm.heapState().liveBlocks;
      const taken = lengths.map((n) => (scope.f32Empty(n) as unknown as { ptr: number }).ptr);
      expect(wasm.heapState().liveBlocks).toBe(blocks); // nothing allocated after reserve
      return taken;
    });
    expect(Math.abs(pointers[1] - pointers[0])).toBeGreaterThanOrEqual(600 * 2 ** 20);
    // More than one block can hold: the blocks stay as they are for the next such call.
    expect(wasm.arenaState().capacity).toBeGreaterThanOrEqual(1200 * 2 ** 20);
  });

  it('hands a failed memory.grow back as a RangeError, before copying, with the heap intact (child process capped at 16 MiB)', () => {
    const report = runChild('memory-limit.mjs', ['--wasm-max-mem-pages=256'], [kind]);
    const outOfMemory = /out of wasm memory: .* and the engine refused to grow it/;
    expect(report.bigTensor).toEqual({ name: 'RangeError', message: expect.stringMatching(/^tensor: cannot allocate 1024 × 8192 floats: out of wasm memory/) });
    expect(report.bigTensorHeapUnchanged).toBe(true);
    expect(report.usableAfterBigTensor).toBe(true);
    // y and dy (6 MB each) would fit; with the result (another 6 MB) they do not.
    expect(report.tooLargeCall).toEqual({ name: 'RangeError', message: expect.stringMatching(/^softmaxBackward: out of wasm memory: 18000000 bytes/) });
    expect(report.sentinelsInMemory).toBe(0); // nothing was copied in
    expect(report.memoryGrewBy).toBe(0);
    expect(report.heapUnchangedAfterCall).toBe(true);
    expect(report.usableAfterTooLargeCall).toBe(true);
    expect(report.tooLargeSample).toEqual({ name: 'RangeError', message: expect.stringMatching(/^sampleCategorical: out of wasm memory: 200000\d\d bytes/) });
    expect(report.sampleSentinelsInMemory).toBe(0);
    expect(report.usableAfterTooLargeSample).toBe(true);
    // TLSF traps (`unreachable`) when memory.grow fails; its free lists are untouched by then.
    expect((report.trapError as { message: string }).message).toMatch(outOfMemory);
    // The arena held 12 MB of idle scratch from a large call; a full heap takes it back.
    expect(report.largeCallOk).toBe(true);
    expect(report.arenaAfterLargeCall).toBeGreaterThanOrEqual(12_000_000);
    expect(report.tensorsFirstFill).toBeGreaterThanOrEqual(14);
    expect(report.usableWhileFull).toBe(true);
    expect(report.heapAfterDispose).toEqual(report.heapBefore);
    expect(report.tensorsSecondFill).toBeGreaterThanOrEqual(report.tensorsFirstFill as number);
    expect(report.usableAtEnd).toBe(true);
    expect(report.finalHeap).toEqual(report.heapBefore);
  });

  it('refuses to free a block twice instead of corrupting the heap', async () => {
    const { api } = await wasmInstance(kind);
    const buffer = api.backend.allocF32(16);
    api.backend.release(buffer);
    expect(() => api.backend.release(buffer)).toThrow(/not a live block \(double free\?\)/);
    expect(api.softmax(new Float32Array([1, 1]), 2)).toEqual(new Float32Array([0.5, 0.5]));
  });
});

describe.each(wasmKinds)('scratch reservation on %s', (kind) => {
  // Every call must take all its scratch (copied inputs, results, kernel workspace) in the one
  // reserve() that precedes its first copy: an allocation after it would be a failure after
  // copying. Each call runs on a fresh instance, whose empty arena must allocate.
  const n = 3, h = 300, v = 600;
  const x = new Float32Array(n * v).fill(0.5), y = new Float32Array(n * v).fill(0.25);
  const square = new Float32Array(v * v).fill(0.125); // big enough that gemm's packing scratch (516 KiB) counts
  const calls: Array<[string, (api: Api) => unknown]> = [
    ['softmax', (api) => api.softmax(x, v)],
    ['logSumExp', (api) => api.logSumExp(x, v, new Float32Array(n))],
    ['softmaxBackward', (api) => api.softmaxBackward(x, y, v)],
    ['crossEntropy (indices)', (api) => api.crossEntropy(x, [0, 1, 2], v, { grad: true, reduction: 'none', weight: new Float32Array(v).fill(1) })],
    ['crossEntropy (probabilities)', (api) => api.crossEntropy(x, y, v, { grad: new Float32Array(n * v) })],
    ['sigmoid', (api) => api.sigmoid(x)],
    ['tanhBackward', (api) => api.tanhBackward(x, y)],
    ['reluBackward', (api) => api.reluBackward(x, y)],
    ['binaryCrossEntropyWithLogits', (api) => api.binaryCrossEntropyWithLogits(x, y, { grad: true, reduction: 'none' })],
    ['mse', (api) => api.mse(x, y, { reduction: 'none' })],
    ['argmax', (api) => api.argmax(x, v)],
    ['sampleCategorical', (api) => api.sampleCategorical(x, v, { seed: 1 })],
    ['sparsemax', (api) => api.sparsemax(x, v)],
    ['sparsemaxBackward', (api) => api.sparsemaxBackward(x, y, v)],
    ['matmul', (api) => api.matmul(x, square, n, v, v, { transB: true, bias: new Float32Array(v) })],
    ['linearCrossEntropy', (api) => api.linearCrossEntropy(x.subarray(0, n * h), square.subarray(0, h * v), [0, 1, 2], n, h, v, { grad: true, chunkBytes: 4 * v })],
  ];
  it.each(calls)('%s', async (_name, call) => {
    const { api, wasm } = await wasmInstance(kind);
    const internals = wasm as unknown as { arena: { reserve(...a: unknown[]): void }; memory: { alloc(...a: unknown[]): number } };
    const { arena, memory } = internals;
    let reserved = 0, allocatedAfterReserve = 0;
    const reserve = arena.reserve.bind(arena), alloc = memory.alloc.bind(memory);
    arena.reserve = (...args) => {
      reserve(...args);
      reserved++;
    };
    memory.alloc = (...args) => {
      if (reserved > 0) allocatedAfterReserve++;
      return alloc(...args);
    };
    call(api);
    expect(reserved).toBe(1);
    expect(allocatedAfterReserve).toBe(0);
    expect(wasm.arenaState().idle).toBe(true);
  });
});

describe.each(wasmKinds)('views of wasm memory on %s', (kind) => {
  it('work as arguments while valid, and are refused with a clear error once memory growth detached them', async () => {
    const { api } = await wasmInstance(kind);
    const ones = new Float32Array(1 << 19).fill(1);
    const t = api.tensor(512, 1024, ones);
    // Valid when passed, detached when the call's own scratch (6 MiB) grows memory. (softmaxBackward
    // copies its arguments in whole; softmax would stream them through a 128 KiB block.)
    expect(() => api.softmaxBackward(t.view(), ones, 1024)).toThrow(new TypeError(
      "softmaxBackward: y is a view of this instance's wasm memory from before the memory grew (a Tensor.view() kept across a call that allocates, this one included), so it reads as empty; pass the Tensor itself or a copy (Tensor.toArray())"));
    const grown = api.tensor(2048, 1024);
    const big = new Float32Array(1 << 21);
    expect(() => api.softmaxBackward(big, big, 1024, grown.view())).toThrow(new TypeError(
      "softmaxBackward: out is a view of this instance's wasm memory from before the memory grew (a Tensor.view() kept across a call that allocates, this one included), so it reads as empty; pass the Tensor itself or a copy (Tensor.toArray())"));
    // Once memory is large enough, views are ordinary arrays: as input and as out.
    const probs = api.softmax(t.view(), 1024);
    expect(probs[0]).toBeCloseTo(1 / 1024, 9);
    const out = t.view();
    expect(api.softmax(ones, 1024, out)).toBe(out);
    expect(t.toArray()).toEqual(probs);
    // A view detached long before the call is simply empty.
    const stale = t.view();
    const bigger = api.tensor(8192, 1024);
    expect(() => api.softmax(stale, 1024)).toThrow(new TypeError("softmax: x is a view of this instance's wasm memory from before the memory grew (a Tensor.view() kept across a call that allocates, this one included), so it reads as empty; pass the Tensor itself or a copy (Tensor.toArray())"));
    for (const x of [t, grown, bigger]) x.dispose();
  });

  it('are refused by every function when stale before the call, with the function and argument named', async () => {
    const { api, wasm } = await wasmInstance(kind);
    const t = api.tensor(1, 4, new Float32Array([1, 2, 3, 4]));
    const stale = t.view();
    const staleIndices = new Int32Array(stale.buffer, stale.byteOffset, 1); // class indices over the same memory
    using grown = api.tensor(4096, 4096); // 64 MiB: a fresh instance grows its memory for it
    expect(stale.length).toBe(0);
    const four = new Float32Array([0.5, 1, 1.5, 2]);
    const calls: Array<[string, string, () => unknown]> = [
      ['softmax', 'x', () => api.softmax(stale, 4)],
      ['softmax', 'out', () => api.softmax(four, 4, stale)],
      ['logSoftmax', 'x', () => api.logSoftmax(stale, 4)],
      ['logSumExp', 'x', () => api.logSumExp(stale, 4)],
      ['softmaxBackward', 'dy', () => api.softmaxBackward(four, stale, 4)],
      ['crossEntropy', 'logits', () => api.crossEntropy(stale, [0], 4)],
      ['crossEntropy', 'targets', () => api.crossEntropy(four, stale, 4)],
      ['crossEntropy', 'targets', () => api.crossEntropy(four, staleIndices, 4)],
      ['crossEntropy', 'options.weight', () => api.crossEntropy(four, [0], 4, { weight: stale })],
      ['linearCrossEntropy', 'w', () => api.linearCrossEntropy(four, stale, [0], 1, 4, 1)],
      ['argmax', 'x', () => api.argmax(stale, 4)],
      ['sparsemax', 'x', () => api.sparsemax(stale, 4)],
      ['sampleCategorical', 'logits', () => api.sampleCategorical(stale, 4)],
      ['softmaxJacobian', 'a', () => api.softmaxJacobian(stale)],
      ['sigmoid', 'x', () => api.sigmoid(stale)],
      ['mse', 'targets', () => api.mse(four, stale)],
      ['matmul', 'b', () => api.matmul(four, stale, 1, 4, 1)],
      ['argmax', 'out', () => api.argmax(four, 4, staleIndices)],
      ['sampleCategorical', 'options.out', () => api.sampleCategorical(four, 4, { seed: 1, out: staleIndices })],
      ['tensor', 'data', () => api.tensor(1, 4, stale)],
      ['Tensor.write', 'src', () => t.write(stale)],
    ];
    for (const [fn, name, call] of calls) {
      expect(call, `${fn} ${name}`).toThrow(new TypeError(`${fn}: ${name} is a view of this instance's wasm memory from before ` +
        "the memory grew (a Tensor.view() kept across a call that allocates, this one included), so it reads as empty; pass the Tensor itself or a copy (Tensor.toArray())"));
      expect(wasm.arenaState().idle).toBe(true);
    }
    // An array that is empty by construction is not a stale view: the usual length error.
    expect(() => api.softmax(new Float32Array(0), 4)).toThrow('softmax: x.length must be a positive multiple of cols = 4, got 0');
    t.dispose();
  });

  it('are refused by argmax and sampleCategorical as out once the call\'s own copy detached them', async () => {
    // One row of 2^20 columns: its copy in makes a fresh instance grow its memory, after the
    // tensor whose memory out views took what it had. The engine's error named nothing.
    const cols = 1 << 20;
    const x = new Float32Array(cols).fill(0.5);
    const calls: Array<[string, (api: Api, out: Int32Array) => unknown]> = [
      ['argmax: out', (api, out) => api.argmax(x, cols, out)],
      ['sampleCategorical: options.out', (api, out) => api.sampleCategorical(x, cols, { seed: 1, out })],
    ];
    for (const [what, call] of calls) {
      const { api, wasm } = await wasmInstance(kind);
      using t = api.tensor(1, 4);
      const view = t.view();
      expect(() => call(api, new Int32Array(view.buffer, view.byteOffset, 1))).toThrow(new TypeError(
        `${what} is a view of this instance's wasm memory from before the memory grew (a Tensor.view() kept across a call that allocates, this one included), so it reads as empty; pass the Tensor itself or a copy (Tensor.toArray())`));
      expect(wasm.arenaState().idle).toBe(true);
    }
  });

  it('are refused by crossEntropy, which streams them in blocks, once its scratch detached them', async () => {
    // One row of 2^20 columns: a block is that row, 4 MiB of scratch a fresh instance must grow
    // memory for, after the tensor took what it had.
    const cols = 1 << 20;
    const logits = new Float32Array(cols).fill(0.5);
    // Named as every other argument is (they were "softmax-wasm: an argument (Float32Array(0))").
    const stale = (name: string) => `crossEntropy: ${name} is a view of this instance's wasm memory from before the memory grew (a Tensor.view() kept across a call that allocates, this one included), so it reads as empty; pass the Tensor itself or a copy (Tensor.toArray())`;
    const calls: Array<[(api: Api, view: Float32Array) => unknown, string]> = [
      [(api, view) => api.crossEntropy(view, [0], cols, { grad: true }), stale('logits')],
      [(api, view) => api.crossEntropy(logits, view, cols), stale('targets')],
      // Class indices read from the tensor's memory (its first float, 0, is class 0).
      [(api, view) => api.crossEntropy(logits, new Int32Array(view.buffer, view.byteOffset, 1), cols), stale('targets')],
      [(api, view) => api.crossEntropy(logits, [0], cols, { grad: view }), stale('options.grad')],
    ];
    for (const [call, message] of calls) {
      const { api, wasm } = await wasmInstance(kind);
      const probs = new Float32Array(cols).fill(1 / (cols - 1));
      probs[0] = 0;
      using t = api.tensor(1, cols, probs);
      expect(() => call(api, t.view())).toThrow(new TypeError(message));
      expect(wasm.arenaState().idle).toBe(true);
      // The memory is large enough now: a view taken after the growth is an ordinary array.
      const expected = api.crossEntropy(t, [0], cols, { grad: true });
      expect(api.crossEntropy(t.view(), [0], cols, { grad: true })).toEqual(expected);
    }
  });
});

describe.each(kinds)('no leaks after errors on %s', (kind) => {
  it('leaves scratch and heap exactly as they were after every kind of refused call', async () => {
    const api = await createBackend({ backend: kind });
    const wasm = api.backend instanceof WasmBackend ? api.backend : null;
    const x = new Float32Array(4096).fill(0.5);
    api.softmax(x, 64);
    api.crossEntropy(x, new Int32Array(64), 64, { grad: true });
    const state = () => ({ memory: api.backend.memoryBytes(), arena: wasm?.arenaState(), heap: wasm?.heapState() });
    const before = state();
    const failing: Array<() => unknown> = [
      () => api.softmax(x, 0),
      () => api.softmax(x, 64, new Float32Array(5)),
      () => api.crossEntropy(x, new Int32Array(64).fill(99), 64, { grad: true }),
      () => api.crossEntropy(x, x, 64, { grad: x }),
      () => api.softmaxBackward(x, x.subarray(1), 64),
      () => api.backend.scoped((scope) => {
        scope.f32(x);
        throw new Error('failure inside a call, after copying in');
      }),
    ];
    for (let round = 0; round < 50; round++) {
      for (const call of failing) expect(call).toThrow();
    }
    expect(state()).toEqual(before);
    expect(api.softmax(new Float32Array([2, 1, 0.1]), 3)[0]).toBeCloseTo(0.659001, 6);
  });
});

describe.each(wasmKinds)('kept views of wasm memory on %s', (kind) => {
  // LinearMemory.f32At keeps the last views by address; a kept view must never outlive the
  // memory it shows (growth detaches it) nor show a region of another length.
  it('hands out views with the right data across growth, reuse of a region and many regions', async () => {
    const { api } = await wasmInstance(kind);
    const data = Float32Array.from({ length: 12 }, (_, i) => i + 0.5);
    const t = api.tensor(3, 4, data);
    const before = t.view();
    expect(t.view()).toBe(before); // kept
    const grown = api.tensor(4096, 4096); // 64 MiB: memory grows, every old view detaches
    expect(before.length).toBe(0);
    expect(Array.from(t.view())).toEqual(Array.from(data));
    grown.dispose();
    t.dispose();
    // The freed region again, with another length: a view of that length, not the kept one.
    const u = api.tensor(2, 3, new Float32Array([1, 2, 3, 4, 5, 6]));
    expect(u.view().length).toBe(6);
    expect(Array.from(u.view())).toEqual([1, 2, 3, 4, 5, 6]);
    // More regions than kept slots, each read back twice.
    const many = Array.from({ length: 40 }, (_, i) => api.tensor(1, i + 1, new Float32Array(i + 1).fill(i)));
    for (let round = 0; round < 2; round++) {
      many.forEach((m, i) => expect(Array.from(m.view())).toEqual(new Array(i + 1).fill(i)));
    }
    for (const m of many) m.dispose();
    u.dispose();
  });
});
