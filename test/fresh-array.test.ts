// Large results come from Node's Buffer.allocUnsafeSlow, whose memory is not zero-filled
// (src/fresh-array.ts): every element must be written before the array is returned. Here that
// memory is poisoned with NaN bytes, so an element a path forgets to write shows up as NaN, and
// each result is compared bit for bit with the same call into a zeroed array of the caller's.
import { Buffer } from 'node:buffer';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { float32ArrayToOverwrite } from '../src/fresh-array.js';
import type { Api } from '../src/index.js';
import { backend, kinds } from './backends.js';
import { expectClose, randomIndices, uniform } from './util.js';

const allocUnsafeSlow = Buffer.allocUnsafeSlow;

describe('float32ArrayToOverwrite', () => {
  it('gives small arrays as new Float32Array does, large ones from Buffer.allocUnsafeSlow, each owning its buffer exactly', () => {
    const spy = vi.spyOn(Buffer, 'allocUnsafeSlow');
    try {
      for (const length of [0, 1, 320, 65535, 65536, 1 << 20]) {
        const calls = spy.mock.calls.length;
        const array = float32ArrayToOverwrite(length);
        expect(array).toBeInstanceOf(Float32Array);
        expect([array.length, array.byteOffset, array.buffer.byteLength]).toEqual([length, 0, 4 * length]);
        expect(spy.mock.calls.length - calls).toBe(length >= 65536 ? 1 : 0);
      }
    } finally {
      spy.mockRestore();
    }
  });

  it('falls back to a zeroed array when Buffer hands out a slice of a shared pool', () => {
    const pool = new ArrayBuffer(1 << 21);
    const spy = vi.spyOn(Buffer, 'allocUnsafeSlow').mockImplementation((size) => Buffer.from(pool, 8, size));
    try {
      const array = float32ArrayToOverwrite(1 << 16);
      expect(spy).toHaveBeenCalledTimes(1);
      expect(array.buffer).not.toBe(pool);
      expect(array.every((v) => v === 0)).toBe(true);
    } finally {
      spy.mockRestore();
    }
  });
});

describe.each(kinds)('large results on %s are written in full', (kind) => {
  let fresh: ReturnType<typeof vi.spyOn>;
  beforeEach(() => {
    fresh = vi.spyOn(Buffer, 'allocUnsafeSlow').mockImplementation((size) => allocUnsafeSlow(size).fill(0xff));
  });
  afterEach(() => fresh.mockRestore());

  // 65 540 rows: the per-row results (logSumExp, crossEntropy's losses) pass the 256 KiB threshold
  // too, and the row count is not a multiple of a block's.
  const rows = 65_540, cols = 3;
  const x = uniform(rows * cols, -30, 30, 11);

  /** Runs make(), checks it took the uninitialised path, and returns its result. */
  function viaFreshArray(make: () => Float32Array): Float32Array {
    const calls = fresh.mock.calls.length;
    const result = make();
    // The js backend writes into the array it is given, so it keeps zeroed ones.
    if (kind !== 'js') expect(fresh.mock.calls.length).toBeGreaterThan(calls);
    return result;
  }

  const withOut: Array<[string, (api: Api, out?: Float32Array) => Float32Array, number]> = [
    ['softmax', (api, out) => api.softmax(x, cols, out), rows * cols],
    ['logSoftmax', (api, out) => api.logSoftmax(x, cols, out), rows * cols],
    ['logSumExp', (api, out) => api.logSumExp(x, cols, out), rows],
    ['softmax of a resident x', (api, out) => {
      using t = api.tensor(rows, cols, x);
      return api.softmax(t, cols, out);
    }, rows * cols],
    // (y into an array of its own, so that only softmaxBackward's result can take the path)
    ['softmaxBackward', (api, out) => api.softmaxBackward(api.softmax(x, cols, new Float32Array(x.length)), x, cols, out), rows * cols],
    ['sigmoid', (api, out) => api.sigmoid(x, out), rows * cols],
    ['matmul', (api, out) => api.matmul(x, uniform(cols * 5, -1, 1, 12), rows, cols, 5, { out }), rows * 5],
    ['crossEntropy gradient', (api, out) => api.crossEntropy(x, randomIndices(rows, cols, 13), cols, { grad: out ?? true }).grad!, rows * cols],
  ];

  it.each(withOut)('%s: a new array equals the same call into a zeroed out, bit for bit', async (_name, call, length) => {
    const api = await backend(kind);
    const result = viaFreshArray(() => call(api));
    const out = new Float32Array(length);
    call(api, out);
    expect(result).toEqual(out);
  });

  it('crossEntropy losses (reduction none, with ignored rows) and a resident tensor\'s toArray()', async () => {
    const api = await backend(kind);
    const targets = randomIndices(rows, cols, 14);
    for (let r = 0; r < rows; r += 7) targets[r] = -100;
    const { losses, loss } = api.crossEntropy(x, targets, cols, { reduction: 'none' });
    const perRow = viaFreshArray(() => api.crossEntropy(x, targets, cols, { reduction: 'none' }).losses!);
    expect(perRow).toEqual(losses);
    expect(perRow.every((v, r) => (r % 7 === 0 ? v === 0 : v >= 0))).toBe(true);
    expectClose([perRow.reduce((s, v) => s + v, 0)], [loss], 1e-4);

    using t = api.tensor(rows, cols, x);
    expect(viaFreshArray(() => t.toArray())).toEqual(x);
  });
});
