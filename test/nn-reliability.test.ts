// The MLP under bad arguments, disposal, full memory and forgetful callers: every method refuses
// bad input with a TypeError or RangeError naming it, a disposed network refuses every use, a
// network whose buffers cannot grow keeps working (no freed buffer stays in use), every training
// or inference call reserves its scratch before copying anything.
import { describe, expect, it } from 'vitest';
import { createBackend, MLP, type Api } from '../src/index.js';
import { WasmBackend } from '../src/wasm/backend.js';
import { backend, kinds, wasmKinds } from './backends.js';
import { runChild } from './child-process.js';

const rows = 6, inputs = 4;
const x = Float32Array.from({ length: rows * inputs }, (_, i) => Math.sin(i));
const labels = Int32Array.from({ length: rows }, (_, r) => r % 3);

type ErrorClass = typeof TypeError | typeof RangeError;
type Case = [string, (api: Api, net: MLP) => unknown, ErrorClass, string | RegExp];

const cases: Case[] = [
  ['sizes not an array', (api) => new MLP(4 as never, { backend: api }), TypeError, /^MLP: sizes must be an array of layer sizes/],
  ['a single layer size', (api) => new MLP([4], { backend: api }), RangeError, 'MLP: sizes needs at least 2 entries (inputs and classes), got 1'],
  ['a zero layer size', (api) => new MLP([4, 0, 3], { backend: api }), RangeError, 'MLP: sizes[1] must be in [1, 2147483647], got 0'],
  ['a fractional layer size', (api) => new MLP([4, 2.5, 3], { backend: api }), TypeError, 'MLP: sizes[1] must be an integer, got number 2.5'],
  ['a misspelt option', (api) => new MLP([4, 3], { backend: api, activation: 'relu' } as never), TypeError,
    "MLP: unknown option 'activation' (known: hidden, seed, init, backend, fusedOutput)"],
  ['an unknown hidden activation', (api) => new MLP([4, 3], { backend: api, hidden: 'softmax' as never }), RangeError, /^MLP: options\.hidden must be one of/],
  // 2^40 weights: beyond a wasm block and beyond a JS typed array, refused before anything is touched.
  ['a network larger than memory', (api) => new MLP([1 << 20, 1 << 20, 3], { backend: api }), RangeError,
    /^MLP: cannot allocate the parameters of a 1048576→1048576→3 network: /],
  ['x as a Float64Array', (_api, net) => net.predict(new Float64Array(8) as never), TypeError,
    'MLP.predict: x must be a Float32Array, got Float64Array(8) (convert with Float32Array.from(x))'],
  ['x of partial rows', (_api, net) => net.predictClass(new Float32Array(7)), RangeError,
    'MLP.predictClass: x.length must be a positive multiple of inputs = 4, got 7'],
  ['labels as a Float32Array', (_api, net) => net.evaluate(x, new Float32Array(rows) as never), TypeError,
    'MLP.evaluate: labels must be class indices (number[] or an integer typed array), got Float32Array(6) (convert with Int32Array.from(labels, Number))'],
  ['a label out of range', (_api, net) => net.trainBatch(x, [0, 1, 2, 3, 0, 1]), RangeError, 'MLP.trainBatch: labels[3] = 3 is outside [0, 3)'],
  ['a fractional label', (_api, net) => net.trainBatch(x, [0, 1, 2, 1.5, 0, 1]), RangeError, 'MLP.trainBatch: labels[3] = 1.5 is not an integer class index'],
  ['a label given as a string', (_api, net) => net.lossAndGradients(x, [0, '1', 2, 0, 0, 1] as never), TypeError,
    'MLP.lossAndGradients: labels[1] must be an integer class index, got string "1"'],
  ['x as a resident Tensor', (api, net) => { using t = api.tensor(rows, inputs, x); return net.predict(t as never); }, TypeError,
    'MLP.predict: x must be a Float32Array, got a Tensor (6×4); the network copies rows into its own buffers from Float32Arrays only: pass x.toArray()'],
  ['too few labels', (_api, net) => net.trainBatch(x, [0, 1]), RangeError, 'MLP.trainBatch: labels.length must be 6 (one class index per row of x), got 2'],
  ['a misspelt step option', (_api, net) => net.trainBatch(x, labels, { learning_rate: 0.5 } as never), TypeError,
    "MLP.trainBatch: unknown option 'learning_rate' (known: learningRate, momentum, clipNorm)"],
  ['momentum 1', (_api, net) => net.trainBatch(x, labels, { momentum: 1 }), RangeError, 'MLP.trainBatch: options.momentum must be in [0, 1) (below 1 as a float32, too), got 1'],
  ['momentum negative, with the same range', (_api, net) => net.trainBatch(x, labels, { momentum: -0.1 }), RangeError,
    'MLP.trainBatch: options.momentum must be in [0, 1) (below 1 as a float32, too), got -0.1'],
  ['a momentum that rounds to 1 as a float32', (_api, net) => net.trainBatch(x, labels, { momentum: 0.99999999999 }), RangeError,
    'MLP.trainBatch: options.momentum must be in [0, 1) (below 1 as a float32, too), got 0.99999999999'],
  ['a learning rate that rounds to 0 as a float32', (_api, net) => net.trainBatch(x, labels, { learningRate: 1e-46 }), RangeError,
    'MLP.trainBatch: options.learningRate must be at least the smallest float32, 1.4e-45 (the update takes it as one), got 1e-46'],
  ['a learning rate beyond float32', (_api, net) => net.trainBatch(x, labels, { learningRate: 1e39 }), RangeError,
    'MLP.trainBatch: options.learningRate must be in (0, 3.4028234663852886e+38], got 1e+39'],
  ['a learning rate of 0', (_api, net) => net.trainBatch(x, labels, { learningRate: 0 }), RangeError, /^MLP\.trainBatch: options\.learningRate must be in \(0, /],
];

const fitCases: Array<[string, (net: MLP) => Promise<unknown>, ErrorClass, string | RegExp]> = [
  ['validation labels of the wrong length, named against the validation rows', (net) => net.fit(x, labels, { validation: { x, labels: [0, 1] } }), RangeError,
    'MLP.fit: options.validation.labels.length must be 6 (one class index per row of options.validation.x), got 2'],
  ['a misspelt fit option', (net) => net.fit(x, labels, { epoch: 3 } as never), TypeError, /^MLP\.fit: unknown option 'epoch' \(known: learningRate, momentum, clipNorm, epochs, /],
  ['zero epochs', (net) => net.fit(x, labels, { epochs: 0 }), RangeError, 'MLP.fit: options.epochs must be in [1, 2147483647], got 0'],
  ['a zero batch size', (net) => net.fit(x, labels, { batchSize: 0 }), RangeError, 'MLP.fit: options.batchSize must be in [1, 2147483647], got 0'],
  ['validation labels out of range', (net) => net.fit(x, labels, { validation: { x, labels: [9, 0, 0, 0, 0, 0] } }), RangeError,
    'MLP.fit: options.validation.labels[0] = 9 is outside [0, 3)'],
];

function fingerprint(api: Api, net: MLP) {
  const wasm = api.backend instanceof WasmBackend ? api.backend : null;
  return { predictions: Array.from(net.predict(x)), heap: wasm?.heapState(), arena: wasm?.arenaState() };
}

describe.each(kinds)('MLP argument validation on %s', (kind) => {
  it.each(cases)('refuses %s, and the network and instance are unchanged', async (_what, call, errorClass, message) => {
    const api = await createBackend({ backend: kind });
    using net = new MLP([inputs, 5, 3], { seed: 2, backend: api });
    net.trainBatch(x, labels);
    const before = fingerprint(api, net);
    let thrown: unknown;
    try {
      call(api, net);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(errorClass);
    if (typeof message === 'string') expect((thrown as Error).message).toBe(message);
    else expect((thrown as Error).message).toMatch(message);
    api.softmax(new Float32Array(4), 4); // a refused allocation may have given the arena's idle block back
    expect(fingerprint(api, net)).toEqual(before);
  });

  it.each(fitCases)('fit refuses %s (the promise rejects, nothing trains)', async (_what, call, errorClass, message) => {
    const api = await createBackend({ backend: kind });
    using net = new MLP([inputs, 5, 3], { seed: 2, backend: api });
    const before = net.predict(x);
    const rejection = call(net);
    await expect(rejection).rejects.toThrow(errorClass);
    await expect(call(net)).rejects.toThrow(message);
    expect(net.predict(x)).toEqual(before);
  });
});

describe.each(kinds)('disposed networks on %s', (kind) => {
  it('refuse every use, naming the method', async () => {
    const api = await createBackend({ backend: kind });
    const net = new MLP([inputs, 5, 3], { backend: api });
    net.dispose();
    expect(net.disposed).toBe(true);
    const uses: Array<[string, () => unknown]> = [
      ['MLP.predict', () => net.predict(x)],
      ['MLP.predictClass', () => net.predictClass(x)],
      ['MLP.evaluate', () => net.evaluate(x, labels)],
      ['MLP.trainBatch', () => net.trainBatch(x, labels)],
      ['MLP.lossAndGradients', () => net.lossAndGradients(x, labels)],
      ['MLP.toJSON', () => net.toJSON()],
    ];
    for (const [fn, use] of uses) expect(use, fn).toThrow(`${fn}: this MLP (4→5→3) was disposed and cannot be used`);
    await expect(net.fit(x, labels)).rejects.toThrow('MLP.fit: this MLP (4→5→3) was disposed and cannot be used');
    await expect(net.toONNX()).rejects.toThrow('MLP.toONNX: this MLP (4→5→3) was disposed and cannot be used');
    net.dispose(); // idempotent
  });

  it('refuse further batches when disposed during fit', async () => {
    const api = await createBackend({ backend: kind });
    const net = new MLP([inputs, 5, 3], { backend: api });
    const training = net.fit(x, labels, { epochs: 5, batchSize: 2, onBatch: ({ batch }) => { if (batch === 2) net.dispose(); } });
    await expect(training).rejects.toThrow('MLP.fit: this MLP (4→5→3) was disposed and cannot be used');
  });
});

describe.each(kinds)('fit and what its callbacks do on %s', (kind) => {
  it('refuses to go on when disposed from the last batch of an epoch, before validating', async () => {
    const api = await createBackend({ backend: kind });
    const net = new MLP([inputs, 5, 3], { backend: api });
    const training = net.fit(x, labels, {
      epochs: 2, batchSize: 3, validation: { x, labels },
      onBatch: ({ batch, batches }) => { if (batch === batches) net.dispose(); },
    });
    // It read the freed buffers: "Cannot read properties of null (reading 'ptr')".
    await expect(training).rejects.toThrow('MLP.fit: this MLP (4→5→3) was disposed and cannot be used');
  });

  it('awaits an async onBatch, so that its rejection rejects fit (it went unhandled and ended the process)', async () => {
    const api = await createBackend({ backend: kind });
    using net = new MLP([inputs, 5, 3], { backend: api });
    const seen: number[] = [];
    const training = net.fit(x, labels, {
      epochs: 2, batchSize: 2,
      onBatch: async ({ batch }) => {
        await new Promise((resolve) => setTimeout(resolve, 1));
        seen.push(batch);
        if (batch === 2) throw new Error('progress bar broke');
      },
    });
    await expect(training).rejects.toThrow('progress bar broke');
    expect(seen).toEqual([1, 2]);
  });

  it('gives onEpoch a copy of the epoch\'s figures, so a callback that rounds them for display leaves the history alone', async () => {
    const api = await createBackend({ backend: kind });
    using net = new MLP([inputs, 5, 3], { backend: api, seed: 2 });
    const seen: number[] = [];
    const { epochs } = await net.fit(x, labels, {
      epochs: 2, batchSize: 2,
      onEpoch: (stats) => { seen.push(stats.loss); stats.loss = Number(stats.loss.toFixed(1)); },
    });
    expect(epochs.map((e) => e.loss)).toEqual(seen);
    expect(seen.every((loss) => loss !== Number(loss.toFixed(1)))).toBe(true); // the rounding would show
  });

  it('draws nothing from the seeded stream when its signal was aborted before it started', async () => {
    const api = await createBackend({ backend: kind });
    using twin = new MLP([inputs, 5, 3], { backend: api, seed: 4 });
    using net = new MLP([inputs, 5, 3], { backend: api, seed: 4 });
    const aborted = await net.fit(x, labels, { signal: AbortSignal.abort() });
    expect(aborted).toEqual({ epochs: [], aborted: true });
    await net.fit(x, labels, { epochs: 3, batchSize: 2 });
    await twin.fit(x, labels, { epochs: 3, batchSize: 2 });
    expect(Array.from(net.predict(x))).toEqual(Array.from(twin.predict(x)));
  });
});

describe.each(kinds)('saving a network on %s', (kind) => {
  it('refuses one whose training diverged, which could not be loaded back', async () => {
    const api = await createBackend({ backend: kind });
    using net = new MLP([inputs, 5, 3], { backend: api, seed: 1 });
    const saved = net.toJSON();
    using diverged = MLP.fromJSON(JSON.stringify(net), { backend: api });
    // A NaN learning step: the weights themselves go NaN, as a diverging fit leaves them.
    const nanX = x.slice();
    nanX[0] = NaN;
    diverged.trainBatch(nanX, labels);
    const message = /^MLP\.toJSON: layer 0's weight\[\d+\] is NaN: the network's training diverged \(a NaN or ±∞ in the training data, which clipNorm does not stop, or too high a learningRate\), and a file of it could not be loaded back$/;
    expect(() => diverged.toJSON()).toThrow(message);
    expect(() => JSON.stringify(diverged)).toThrow(message);
    await expect(diverged.toONNX()).rejects.toThrow(/^MLP\.toONNX: layer 0's weight\[\d+\] is NaN/);
    // And a JSON weight beyond float32 would load as Infinity.
    saved.layers[1].weight[4] = 1e39;
    expect(() => MLP.fromJSON(saved, { backend: api })).toThrow(
      'MLP.fromJSON: json.layers[1].weight[4] must be a finite float32 (|v| ≤ 3.4028234663852886e+38), got 1e+39');
  });
});

describe.each(wasmKinds)('a call during fit that cannot grow the buffers on %s', (kind) => {
  it('leaves fit training on buffers it grows again, not on the freed ones', async () => {
    const api = await createBackend({ backend: kind });
    using twin = new MLP([inputs, 4096, 3], { backend: api, seed: 2 });
    using net = new MLP([inputs, 4096, 3], { backend: api, seed: 2 });
    let refused = '';
    const history = await net.fit(x, labels, {
      epochs: 3, batchSize: 2,
      onBatch: ({ epoch, batch }) => {
        if (epoch !== 1 || batch !== 1) return;
        // 100 000 rows of 4096 activations: a buffer larger than one wasm block. The layers
        // freed theirs before the allocation failed.
        try {
          net.lossAndGradients(new Float32Array(100_000 * inputs), new Int32Array(100_000));
        } catch (error) {
          refused = (error as Error).message;
        }
      },
    });
    expect(refused).toMatch(/^MLP\.lossAndGradients: cannot allocate the activations of 100000 rows/);
    const expected = await twin.fit(x, labels, { epochs: 3, batchSize: 2 });
    expect(history.epochs.map((e) => e.loss)).toEqual(expected.epochs.map((e) => e.loss));
    expect(Array.from(net.predict(x))).toEqual(Array.from(twin.predict(x)));
  });
});

describe.each(wasmKinds)('MLP buffers beyond one wasm block on %s', (kind) => {
  it('are refused with advice that fits the call (fewer layers, a smaller batch, fewer rows), and training goes on', async () => {
    const api = await createBackend({ backend: kind });
    expect(() => new MLP([1 << 20, 1 << 20, 3], { backend: api })).toThrow(
      /^MLP: cannot allocate the parameters of a 1048576→1048576→3 network: a buffer of .* is larger than one wasm memory block can hold .*; use fewer or narrower layers, or the 'js' backend$/);
    const net = new MLP([4, 4096, 3], { backend: api, seed: 1 });
    const rows = 100_000;
    await expect(net.fit(new Float32Array(rows * 4), new Int32Array(rows), { batchSize: rows })).rejects.toThrow(
      /^MLP\.fit: cannot allocate the activations of 100000 rows: a buffer of .* is larger than one wasm memory block can hold .*; use a smaller options\.batchSize, or the 'js' backend$/);
    expect(() => net.trainBatch(new Float32Array(rows * 4), new Int32Array(rows))).toThrow(
      /^MLP\.trainBatch: cannot allocate the activations of 100000 rows: .*; pass fewer rows per call, or the 'js' backend$/);
    // predict works in chunks of 256 rows, so only a layer too wide for 256 rows fails, and only
    // narrower layers help.
    using wide = new MLP([4, 1 << 20, 3], { backend: api, seed: 1 });
    expect(() => wide.predict(new Float32Array(300 * 4))).toThrow(
      /^MLP\.predict: cannot allocate the activations of 256 rows: .*; use narrower layers, or the 'js' backend$/);
    const history = await net.fit(new Float32Array(64 * 4), new Int32Array(64), { epochs: 1, batchSize: 32 });
    expect(history.epochs).toHaveLength(1);
    net.dispose();
  });
});

describe.each(wasmKinds)('MLP under a memory limit on %s', (kind) => {
  it('refuses what cannot fit and keeps working, writing into no memory it gave back (child process capped at 16 MiB)', () => {
    const report = runChild('mlp-memory-limit.mjs', ['--wasm-max-mem-pages=256'], [kind]);
    expect(report.fitError).toEqual({ name: 'RangeError', message: expect.stringMatching(/^MLP\.fit: cannot allocate the activations of 20000 rows: out of wasm memory/) });
    expect(report.predictionsUnchanged).toBe(true);
    expect(report.tensorsUntouched).toBe(true);
    expect(report.trainsAfter).toBe(true);
    expect(report.hugeError).toEqual({ name: 'RangeError', message: expect.stringMatching(/^MLP: cannot allocate the parameters of a 4→2048→2048→3 network: out of wasm memory/) });
    expect(report.hugeLeftNothing).toBe(true);
    expect(report.momentumError).toEqual({ name: 'RangeError', message: expect.stringMatching(/^MLP\.trainBatch: cannot allocate the momentum \(one velocity per parameter\): out of wasm memory/) });
    expect(report.momentumChanged).toBe(0);
    expect(report.trainsWithoutMomentum).toBe(true);
    expect(report.trainsWithMomentumAfter).toBe(true);
    expect(report.heapBack).toBe(true);
  });
});

describe.each(wasmKinds)('MLP scratch reservation on %s', (kind) => {
  // As for the functions (test/memory.test.ts): each call's scratch — the copied batch, its
  // labels, the products' packing space — is reserved before the first copy, never after.
  const big = Float32Array.from({ length: 300 * inputs }, (_, i) => Math.cos(i));
  const bigLabels = Int32Array.from({ length: 300 }, (_, r) => r % 3);
  const uses: Array<[string, (net: MLP) => unknown]> = [
    ['trainBatch', (net) => net.trainBatch(big, bigLabels)],
    ['lossAndGradients', (net) => net.lossAndGradients(big, bigLabels)],
    ['predict', (net) => net.predict(big)],
    ['predictClass', (net) => net.predictClass(big)],
    ['evaluate', (net) => net.evaluate(big, bigLabels)],
    ['fit', (net) => net.fit(big, bigLabels, { epochs: 1, batchSize: 300, validation: { x: big, labels: bigLabels } })],
  ];
  it.each(uses)('%s', async (_name, use) => {
    const api = await createBackend({ backend: kind });
    const wasm = api.backend as WasmBackend;
    using net = new MLP([inputs, 600, 3], { backend: api });
    const internals = wasm as unknown as { arena: { reserve(...a: unknown[]): void; depth: number }; memory: { alloc(...a: unknown[]): number } };
    const { arena, memory } = internals;
    let reservedInScope = false, allocatedAfterReserve = 0, reserves = 0;
    const reserve = arena.reserve.bind(arena), alloc = memory.alloc.bind(memory);
    arena.reserve = (...args) => {
      reserve(...args);
      reserves++;
      reservedInScope = true;
    };
    memory.alloc = (...args) => {
      // Resident buffers are allocated outside any scope; inside one, only reserve() may allocate.
      if (arena.depth === 0) reservedInScope = false;
      else if (reservedInScope) allocatedAfterReserve++;
      return alloc(...args);
    };
    await use(net);
    expect(reserves).toBeGreaterThan(0);
    expect(allocatedAfterReserve).toBe(0);
    expect(wasm.arenaState().idle).toBe(true);
  });
});

describe('MLP training edge cases', () => {
  it('refuses to train a 1-class network, whose softmax is constant', async () => {
    for (const kind of kinds) {
      const net = new MLP([2, 3, 1], { backend: await backend(kind) });
      await expect(net.fit(new Float32Array(4), [0, 0])).rejects.toThrow(/1 output class/);
      expect(() => net.trainBatch(new Float32Array(4), [0, 0])).toThrow(/1 output class/);
      expect(net.predict(new Float32Array(2))[0]).toBe(1);
      net.dispose();
    }
  });
  it('takes a batch size of Infinity, or any integer past the rows, as full-batch training', async () => {
    const api = await backend('js');
    const data = new Float32Array([0, 0, 0, 1, 1, 0, 1, 1]), labels = [0, 1, 1, 0];
    const weightsAfter = async (batchSize: number) => {
      using net = new MLP([2, 3, 2], { backend: api, seed: 3 });
      await net.fit(data, labels, { epochs: 3, batchSize, shuffle: false });
      return net.toJSON().layers.flatMap((layer) => [...layer.weight, ...layer.bias]);
    };
    const full = await weightsAfter(4);
    expect(await weightsAfter(Infinity)).toEqual(full);
    expect(await weightsAfter(1e10)).toEqual(full);
    expect(await weightsAfter(2)).not.toEqual(full);
  });

  it('awaits a thenable returned by onBatch, and rejects fit with its rejection', async () => {
    for (const kind of kinds) {
      const net = new MLP([2, 3, 2], { backend: await backend(kind) });
      const thenable = { then: (_: unknown, reject: (e: Error) => void) => reject(new Error('thenable')) };
      await expect(net.fit(new Float32Array(4), [0, 1], { epochs: 1, onBatch: () => thenable as unknown as Promise<void> })).rejects.toThrow('thenable');
      net.dispose();
    }
  });
});
