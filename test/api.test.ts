// The module-level API, backend selection, independent instances, resident tensors and the
// scratch arena's bookkeeping.
import { describe, expect, it, vi } from 'vitest';
import * as lib from '../src/index.js';
import { WasmBackend } from '../src/wasm/backend.js';
import { kinds, wasmKinds } from './backends.js';
import { uniform } from './random.js';
import { expectClose } from './util.js';

describe('init and the module-level functions', () => {
  it('throws a clear error when a function is called before init()', () => {
    expect(() => lib.softmax(new Float32Array([1, 2]), 2)).toThrow(
      'softmax-wasm: softmax() was called before init(); call `await init()` once first');
    expect(() => lib.crossEntropy(new Float32Array([1, 2]), [0], 2)).toThrow(/crossEntropy\(\) was called before init\(\)/);
  });

  it('picks the fastest available backend by default and binds the module-level functions to it', async () => {
    const api = await lib.init();
    expect(api.kind).toBe(kinds[0]);
    expect(lib.backendKind()).toBe(kinds[0]);
    const probs = lib.softmax(new Float32Array([2, 1, 0.1]), 3);
    expect(probs[0]).toBeCloseTo(0.659001, 6);
    expect(lib.crossEntropy(new Float32Array([1, 5, 3]), [1], 3).loss).toBeCloseTo(0.142932, 6);
  });

  it.each(kinds)('can be forced to %s', async (kind) => {
    const api = await lib.init({ backend: kind });
    expect(api.kind).toBe(kind);
    expect(lib.backendKind()).toBe(kind);
  });

  it('called again, returns the same instance, so tensors made in between keep working', async () => {
    const first = await lib.init({ backend: kinds[0] });
    const t = lib.tensor(1, 3, new Float32Array([1, 2, 3]));
    expect(await lib.init()).toBe(first); // another module's plain init()
    expect(await lib.init({ backend: 'auto' })).toBe(first);
    expect(await lib.init({ backend: kinds[0] })).toBe(first);
    expect(Array.from(lib.softmax(t, 3))).toEqual(Array.from(first.softmax(t, 3)));
    const [a, b] = await Promise.all([lib.init(), lib.init()]);
    expect(a).toBe(first);
    expect(b).toBe(first);
    t.dispose();
  });

  it.runIf(kinds.length > 1)('naming another backend makes a new default; the old tensors stay with the old instance', async () => {
    const first = await lib.init({ backend: kinds[0] });
    const t = lib.tensor(1, 3, new Float32Array([1, 2, 3]));
    const second = await lib.init({ backend: kinds[1] });
    expect(second).not.toBe(first);
    expect(lib.backendKind()).toBe(second.kind);
    expect(() => lib.softmax(t, 3)).toThrow(/x is a Tensor of another backend instance; a tensor works only with the instance that made it/);
    expect(first.softmax(t, 3)[2]).toBeCloseTo(0.665241, 6);
    t.dispose();
  });

  it('when calls overlap, the last call\'s build becomes the default', async () => {
    const [forced, last] = await Promise.all([lib.init({ backend: kinds[0] }), lib.init({ backend: 'js' })]);
    expect(last.kind).toBe('js');
    expect(lib.backendKind()).toBe('js');
    if (forced.kind !== 'js') expect(forced).not.toBe(last);
    const [back] = await Promise.all([lib.init({ backend: kinds[0] }), lib.init()]);
    expect(lib.backendKind()).toBe(kinds[0]);
    expect(await lib.init()).toBe(back);
  });

  it.runIf(wasmKinds.length > 0)('a build that fails to load leaves the default instance as it was', async () => {
    const before = await lib.init({ backend: 'js' });
    const load = vi.spyOn(WasmBackend, 'create').mockRejectedValueOnce(new Error('no memory for the build'));
    try {
      await expect(lib.init({ backend: wasmKinds[0] })).rejects.toThrow('no memory for the build');
    } finally {
      load.mockRestore();
    }
    expect(await lib.init()).toBe(before);
    expect(lib.backendKind()).toBe('js');
  });

  it('rejects unknown backends and bad options', async () => {
    await expect(lib.init({ backend: 'gpu' as never })).rejects.toThrow(
      "init: options.backend must be one of 'auto', 'relaxed-simd', 'simd', 'js', got string \"gpu\"");
    await expect(lib.createBackend(3 as never)).rejects.toThrow(TypeError);
    // and a rejected init() leaves the default instance as it was
    const before = await lib.init();
    await expect(lib.init({ backend: 'gpu' as never })).rejects.toThrow(/options\.backend/);
    expect(await lib.init()).toBe(before);
  });

  it('always lists the js backend, and simd on runtimes with wasm SIMD', () => {
    expect(lib.availableBackends()).toContain('js');
    expect(lib.availableBackends().at(-1)).toBe('js');
    if (typeof WebAssembly === 'object') expect(lib.availableBackends()).toContain('simd');
  });
});

describe.each(wasmKinds)('wasm instances (%s)', (kind) => {
  it('are independent: each has its own memory', async () => {
    const a = await lib.createBackend({ backend: kind });
    const b = await lib.createBackend({ backend: kind });
    const before = b.backend.memoryBytes();
    const big = a.tensor(1024, 1024);
    expect(a.backend.memoryBytes()).toBeGreaterThan(before);
    expect(b.backend.memoryBytes()).toBe(before);
    expect(() => b.softmax(big, 1024)).toThrow('softmax: x is a Tensor of another backend instance');
    big.dispose();
  });

  it('release their scratch space after every call, also when the call throws', async () => {
    const api = await lib.createBackend({ backend: kind });
    const wasm = api.backend as WasmBackend;
    api.softmax(new Float32Array(5000), 50);
    expect(wasm.arenaState().idle).toBe(true);
    const capacity = wasm.arenaState().capacity;
    // A failure inside a scope (after inputs were copied in) must still release the arena.
    expect(() => api.backend.scoped((scope) => {
      scope.f32(new Float32Array(1000));
      throw new Error('boom');
    })).toThrow('boom');
    expect(wasm.arenaState().idle).toBe(true);
    for (let i = 0; i < 200; i++) api.crossEntropy(new Float32Array(5000), new Int32Array(100), 50, { grad: true });
    expect(wasm.arenaState().idle).toBe(true);
    expect(wasm.arenaState().capacity).toBeLessThanOrEqual(Math.max(capacity, 256 * 1024));
  });

  it('re-derive views after memory grows (no stale, detached views)', async () => {
    const api = await lib.createBackend({ backend: kind });
    const small = api.tensor(1, 3, new Float32Array([2, 1, 0.1]));
    const before = api.backend.memoryBytes();
    const big = api.tensor(4096, 1024); // forces memory.grow, detaching the old buffer
    expect(api.backend.memoryBytes()).toBeGreaterThan(before);
    expect(api.softmax(small, 3)[0]).toBeCloseTo(0.659001, 6);
    expect(small.toArray()).toEqual(new Float32Array([2, 1, 0.1]));
    big.dispose();
    small.dispose();
  });
});

describe.each(kinds)('resident tensors (%s)', (kind) => {
  it('round-trip data, chain calls without copies, and refuse use after dispose', async () => {
    const api = await lib.createBackend({ backend: kind });
    const x = api.tensor(2, 3, new Float32Array([2, 1, 0.1, 1, 5, 3]));
    const y = api.tensor(2, 3);
    expect(x.rows).toBe(2);
    expect(x.cols).toBe(3);
    api.softmax(x, 3, y);
    api.logSoftmax(y, 3, y); // log(softmax(softmax(x))) in place on the tensor
    // The first row in f64: softmax([2, 1, 0.1]) is the worked example [0.659001, 0.242433, 0.098566].
    const a = [0.659001, 0.242433, 0.098566];
    const lse = Math.log(a.reduce((sum, v) => sum + Math.exp(v), 0));
    expectClose(y.toArray().subarray(0, 3), a.map((v) => v - lse), 0, 2e-6);
    x.dispose();
    expect(x.disposed).toBe(true);
    expect(() => api.softmax(x, 3)).toThrow('softmax: x, a Tensor (2×3), was disposed and cannot be used');
    expect(() => x.toArray()).toThrow(/disposed/);
    x.dispose(); // idempotent
    y.dispose();
  });

  // Tensor to Tensor takes a path of its own (no scratch scope): it must give the bits of the
  // Float32Array calls, for the row-wise kernels' every shape kind and with a temperature.
  it.each([[1, 1], [1, 7], [5, 3], [32, 10], [9, 64], [3, 1000]])(
    'softmax, logSoftmax and logSumExp of %i × %i from Tensor to Tensor equal the Float32Array calls bit for bit',
    async (rows, cols) => {
      const api = await lib.createBackend({ backend: kind });
      const data = uniform(rows * cols, -30, 30, rows * 131 + cols);
      const x = api.tensor(rows, cols, data), out = api.tensor(rows, cols), perRow = api.tensor(rows, 1);
      for (const temperature of [undefined, 0.7]) {
        const options = temperature === undefined ? undefined : { temperature };
        expect(api.softmax(x, cols, out, options).toArray()).toEqual(api.softmax(data, cols, options));
        expect(api.logSoftmax(x, cols, out, options).toArray()).toEqual(api.logSoftmax(data, cols, options));
        expect(api.logSumExp(x, cols, perRow, options).toArray()).toEqual(api.logSumExp(data, cols, options));
      }
      out.dispose();
      expect(() => api.softmax(x, cols, out)).toThrow(/^softmax: out, a Tensor \(\d+×\d+\), was disposed/);
      x.dispose();
      perRow.dispose();
    });

  // The one-input and backward passes take the same shortcut when every argument is a Tensor.
  it.each([[1, 1], [5, 3], [32, 10], [3, 1000]])(
    'activations, sparsemax and the backward passes of %i × %i from Tensors equal the Float32Array calls bit for bit',
    async (rows, cols) => {
      const api = await lib.createBackend({ backend: kind });
      const data = uniform(rows * cols, -6, 6, rows * 17 + cols), grads = uniform(rows * cols, -1, 1, rows * 19 + cols);
      const x = api.tensor(rows, cols, data), dy = api.tensor(rows, cols, grads), out = api.tensor(rows, cols);
      for (const f of ['sigmoid', 'tanh', 'relu'] as const) {
        expect(api[f](x, out).toArray()).toEqual(api[f](data));
      }
      expect(api.sparsemax(x, cols, out).toArray()).toEqual(api.sparsemax(data, cols));
      const probs = api.softmax(data, cols), y = api.tensor(rows, cols, probs);
      expect(api.softmaxBackward(y, dy, cols, out).toArray()).toEqual(api.softmaxBackward(probs, grads, cols));
      expect(api.sparsemaxBackward(y, dy, cols, out).toArray()).toEqual(api.sparsemaxBackward(probs, grads, cols));
      expect(api.sigmoidBackward(y, dy, out).toArray()).toEqual(api.sigmoidBackward(probs, grads));
      expect(api.tanhBackward(y, dy, out).toArray()).toEqual(api.tanhBackward(probs, grads));
      for (const t of [x, dy, out, y]) t.dispose();
    });

  it('validate their shape and data', async () => {
    const api = await lib.createBackend({ backend: kind });
    expect(() => api.tensor(0, 3)).toThrow(RangeError);
    expect(() => api.tensor(2, 3, new Float32Array(5))).toThrow('tensor: data.length must be 6 (2 × 3), got 5');
    const t = api.tensor(1, 2);
    expect(() => t.write(new Float32Array(3))).toThrow(RangeError);
    expect(() => api.softmax(t, 3)).toThrow(/multiple of cols = 3, got 2/);
    t.dispose();
  });

  it('are read by their length and the cols passed, like a reshape (as the README says)', async () => {
    const api = await lib.createBackend({ backend: kind });
    const data = new Float32Array([2, 1, 0.1, 1, 5, 3]);
    using t = api.tensor(2, 3, data);
    expect(api.softmax(t, 2)).toEqual(api.softmax(data, 2));
    expect(api.logSumExp(t, 2)).toHaveLength(3);
  });
});
