// The MLP on every backend: gradients against finite differences of an independent f64 forward
// pass, wasm training steps against the oracle's, fit's semantics (reproducibility, abort,
// validation, callbacks), serialisation, disposal, argument errors and allocation-free steps.
import { describe, expect, it } from 'vitest';
import { MLP, type Api, type HiddenActivation, type LayerActivation, type MLPJSON } from '../src/index.js';
import { VERSION } from '../src/version.js';
import type { WasmBackend } from '../src/wasm/backend.js';
import { backend, kinds, oracle, wasmKinds } from './backends.js';
import { expectClose, finiteDifference, randomIndices, uniform } from './util.js';

const HIDDEN: HiddenActivation[] = ['sigmoid', 'tanh', 'relu'];

// ---- an independent f64 reference of the network's loss ------------------------------------

const f64Activation: Record<LayerActivation, (z: number) => number> = {
  sigmoid: (z) => 1 / (1 + Math.exp(-z)),
  tanh: (z) => Math.tanh(z),
  relu: (z) => Math.max(z, 0),
  linear: (z) => z,
  softmax: (z) => z,
};

/** Every parameter of json in one vector: per layer the weights (row-major), then the biases. */
function flatten(json: MLPJSON): Float64Array {
  return Float64Array.from(json.layers.flatMap((layer) => [...layer.weight, ...layer.bias]));
}

/** Mean softmax cross-entropy of the network with parameters `params`, all in f64. */
function referenceLoss(json: MLPJSON, params: Float64Array, x: Float32Array, labels: Int32Array): number {
  const { sizes } = json;
  const rows = labels.length;
  let total = 0;
  for (let r = 0; r < rows; r++) {
    let a = Array.from(x.subarray(r * sizes[0], (r + 1) * sizes[0]));
    let offset = 0;
    json.layers.forEach((layer, l) => {
      const [inputs, outputs] = [sizes[l], sizes[l + 1]];
      const z = new Array<number>(outputs);
      for (let j = 0; j < outputs; j++) {
        let sum = params[offset + inputs * outputs + j];
        for (let i = 0; i < inputs; i++) sum += a[i] * params[offset + i * outputs + j];
        z[j] = sum;
      }
      offset += inputs * outputs + outputs;
      a = z.map(f64Activation[layer.activation]);
    });
    const max = Math.max(...a);
    const logSumExp = max + Math.log(a.reduce((s, z) => s + Math.exp(z - max), 0));
    total += logSumExp - a[labels[r]];
  }
  return total / rows;
}

function flattenGradients(gradients: { weight: Float32Array; bias: Float32Array }[]): Float64Array {
  return Float64Array.from(gradients.flatMap((g) => [...g.weight, ...g.bias]));
}

function weightsOf(net: MLP): Float64Array {
  return flatten(net.toJSON());
}

/** A small classification problem: classes separated along a random direction, plus noise. */
function problem(rows: number, inputs: number, classes: number, seed: number): { x: Float32Array; labels: Int32Array } {
  const x = uniform(rows * inputs, -1, 1, seed);
  const labels = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let i = 0; i < inputs; i++) s += x[r * inputs + i] * (i % 2 ? 1 : -0.7);
    labels[r] = Math.min(classes - 1, Math.max(0, Math.floor((s + 1.5) / 3 * classes)));
  }
  return { x, labels };
}

// ---- gradients ------------------------------------------------------------------------------

describe.each(kinds)('MLP gradients on %s', (kind) => {
  // The network's float32 gradients against central differences (h = 1e-6) of the f64
  // reference: f32 rounding of activations and sums is ~1e-7 relative, a wrong term is ≫ 1e-3.
  const check = async (json: MLPJSON, seed: number) => {
    const api = await backend(kind);
    const net = MLP.fromJSON(json, { backend: api });
    const inputs = json.sizes[0];
    const classes = json.sizes[json.sizes.length - 1];
    const x = uniform(5 * inputs, -1.5, 1.5, seed);
    const labels = randomIndices(5, classes, seed + 1);
    const { loss, gradients } = net.lossAndGradients(x, labels);
    const params = flatten(json);
    expect(loss).toBeCloseTo(referenceLoss(json, params, x, labels), 5);
    const numeric = finiteDifference((p) => referenceLoss(json, p, x, labels), params, 1e-6);
    const analytic = flattenGradients(gradients);
    expect(analytic.length).toBe(params.length);
    expectClose(analytic, numeric, 1e-4, 2e-6);
    net.dispose();
  };

  it.each(HIDDEN)('matches finite differences for every parameter of a 3→4→3 %s net', async (hidden) => {
    const api = await backend(kind);
    const net = new MLP([3, 4, 3], { hidden, seed: 11, init: 'uniform', backend: api });
    const json = net.toJSON();
    net.dispose();
    await check(json, 21);
  });

  it('matches finite differences through mixed hidden layers and a linear output (fromJSON)', async () => {
    const api = await backend(kind);
    const net = new MLP([3, 4, 4, 5, 3], { seed: 5, init: 'uniform', backend: api });
    const json = net.toJSON();
    net.dispose();
    const activations: LayerActivation[] = ['tanh', 'linear', 'relu', 'linear'];
    json.layers.forEach((layer, l) => (layer.activation = activations[l]));
    await check(json, 31);
  });
});

// ---- wasm against the oracle ------------------------------------------------------------------

describe.each(wasmKinds)('MLP training on %s against the oracle', (kind) => {
  // A 20→16→5 net on batches of 32 with momentum and clipping. The wasm kernels round in float32
  // where the oracle sums in f64. Calibrated with a simulated backend (4-lane float32 matmul
  // sums, activations perturbed by 3e-7 relative): after 1 step the weights differ by ≤ 3e-8,
  // after 100 steps by ≤ 1e-6 (weights up to 3.8), probabilities by ≤ 8e-7. The tolerances
  // leave 10–30× headroom for the real kernels' approximations and are still far below a real
  // bug (a wrong step moves weights by η·|g| ~ 1e-2).
  const run = async (api: Api, hidden: HiddenActivation, steps: number) => {
    const net = new MLP([20, 16, 5], { hidden, seed: 3, backend: api });
    const losses: number[] = [];
    for (let s = 0; s < steps; s++) {
      const { x, labels } = problem(32, 20, 5, 100 + s);
      losses.push(net.trainBatch(x, labels, { learningRate: 0.2, momentum: 0.9, clipNorm: 5 }));
    }
    const weights = weightsOf(net);
    const probs = net.predict(problem(16, 20, 5, 7).x);
    net.dispose();
    return { losses, weights, probs };
  };

  it.each(HIDDEN)('one %s step equals the oracle step', async (hidden) => {
    const [mine, ref] = await Promise.all([run(await backend(kind), hidden, 1), run(await oracle(), hidden, 1)]);
    expect(mine.losses[0]).toBeCloseTo(ref.losses[0], 6);
    expectClose(mine.weights, ref.weights, 1e-5, 1e-6);
  });

  it.each(HIDDEN)('100 %s steps stay within tolerance of the oracle', async (hidden) => {
    const [mine, ref] = await Promise.all([run(await backend(kind), hidden, 100), run(await oracle(), hidden, 100)]);
    expectClose(mine.losses, ref.losses, 1e-4, 1e-5);
    expectClose(mine.weights, ref.weights, 1e-4, 2e-5);
    expectClose(mine.probs, ref.probs, 1e-4, 1e-5);
  });
});

// ---- behaviour on every backend ----------------------------------------------------------------

// Reads package.json from disk, so Node only; the rest of this file also runs in Chromium.
it.skipIf(typeof window !== 'undefined')('VERSION (written into ONNX files) equals package.json\'s version', async () => {
  const { readFile } = await import('node:fs/promises');
  expect(VERSION).toBe(JSON.parse(await readFile('package.json', 'utf8')).version);
});

describe.each(kinds)('MLP on %s', (kind) => {
  it('initialises identically on every backend for a seed (Xavier limits, zero biases)', async () => {
    const api = await backend(kind);
    const net = new MLP([6, 5, 3], { seed: 9, backend: api });
    const ref = new MLP([6, 5, 3], { seed: 9, backend: await oracle() });
    expect(net.toJSON()).toEqual(ref.toJSON());
    const json = net.toJSON();
    const limit = Math.sqrt(6 / (6 + 5));
    expect(Math.max(...json.layers[0].weight.map(Math.abs))).toBeLessThanOrEqual(limit);
    expect(json.layers[0].bias.every((b) => b === 0)).toBe(true);
    expect(json.layers.map((l) => l.activation)).toEqual(['sigmoid', 'softmax']);
    const uniformNet = new MLP([6, 5, 3], { seed: 9, init: 'uniform', backend: api });
    const all = flatten(uniformNet.toJSON());
    expect(Math.max(...all.map(Math.abs))).toBeLessThanOrEqual(0.5);
    expect(Math.max(...all.map(Math.abs))).toBeGreaterThan(0.45);
    expect(uniformNet.toJSON().layers[1].bias.every((b) => b !== 0)).toBe(true);
    expect(new MLP([6, 5, 3], { seed: 10, backend: api }).toJSON()).not.toEqual(json);
    for (const n of [net, ref, uniformNet]) n.dispose();
  });

  it('fit is reproducible: the same seed gives identical weights and history', async () => {
    const api = await backend(kind);
    const { x, labels } = problem(100, 6, 3, 1);
    const train = async (seed: number) => {
      const net = new MLP([6, 8, 3], { hidden: 'tanh', seed, backend: api });
      const history = await net.fit(x, labels, { epochs: 3, batchSize: 16, learningRate: 0.3, momentum: 0.5 });
      const json = net.toJSON();
      net.dispose();
      return { json, losses: history.epochs.map((e) => e.loss) };
    };
    const [a, b, c] = [await train(4), await train(4), await train(5)];
    expect(a.json).toEqual(b.json);
    expect(a.losses).toEqual(b.losses);
    expect(c.json).not.toEqual(a.json);
  });

  it('fit learns, reports every epoch and validates on held-out data', async () => {
    const api = await backend(kind);
    const { x, labels } = problem(300, 6, 3, 2);
    const held = problem(90, 6, 3, 3);
    const net = new MLP([6, 10, 3], { seed: 1, backend: api });
    const seen: number[] = [];
    let batchCalls = 0;
    const history = await net.fit(x, labels, {
      epochs: 30, batchSize: 32, learningRate: 0.5, momentum: 0.9,
      validation: held,
      onEpoch: (stats) => { seen.push(stats.epoch); },
      onBatch: ({ batches }) => { batchCalls++; expect(batches).toBe(10); },
    });
    expect(history.aborted).toBe(false);
    expect(seen).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(batchCalls).toBe(300);
    const [first, last] = [history.epochs[0], history.epochs[29]];
    expect(last.loss).toBeLessThan(first.loss * 0.5);
    expect(last.accuracy).toBeGreaterThan(0.9);
    expect(last.valAccuracy).toBeGreaterThan(0.85);
    expect(last.ms).toBeGreaterThanOrEqual(0);
    // The reported validation numbers are evaluate()'s.
    const evaluated = net.evaluate(held.x, held.labels);
    expect(last.valLoss).toBeCloseTo(evaluated.loss, 6);
    expect(last.valAccuracy).toBe(evaluated.accuracy);
    net.dispose();
  });

  it('fit with shuffle false and full batches is plain gradient descent (equals trainBatch)', async () => {
    const api = await backend(kind);
    const { x, labels } = problem(40, 4, 2, 6);
    const a = new MLP([4, 5, 2], { seed: 2, init: 'uniform', backend: api });
    const b = new MLP([4, 5, 2], { seed: 2, init: 'uniform', backend: api });
    const history = await a.fit(x, labels, { epochs: 5, batchSize: 1000, learningRate: 0.1, shuffle: false });
    const losses = Array.from({ length: 5 }, () => b.trainBatch(x, labels, { learningRate: 0.1 }));
    expect(history.epochs.map((e) => e.loss)).toEqual(losses);
    expect(a.toJSON()).toEqual(b.toJSON());
    a.dispose();
    b.dispose();
  });

  it('an aborted signal stops fit between batches', async () => {
    const api = await backend(kind);
    const { x, labels } = problem(64, 4, 2, 7);
    const net = new MLP([4, 5, 2], { seed: 2, backend: api });
    const before = net.toJSON();
    const controller = new AbortController();
    controller.abort();
    const none = await net.fit(x, labels, { epochs: 3, batchSize: 8, signal: controller.signal });
    expect(none).toEqual({ epochs: [], aborted: true });
    expect(net.toJSON()).toEqual(before);

    const stopper = new AbortController();
    let batches = 0;
    const history = await net.fit(x, labels, {
      epochs: 5, batchSize: 8, signal: stopper.signal,
      onBatch: ({ epoch, batch }) => {
        batches++;
        if (epoch === 2 && batch === 3) stopper.abort();
      },
    });
    expect(history.aborted).toBe(true);
    expect(history.epochs).toHaveLength(1);
    expect(batches).toBe(8 + 3);
    // Still usable afterwards.
    expect(net.predict(x).length).toBe(64 * 2);
    net.dispose();
  });

  it('fit yields to the event loop between epochs', async () => {
    const api = await backend(kind);
    const { x, labels } = problem(16, 4, 2, 8);
    const net = new MLP([4, 3, 2], { backend: api });
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    let ticksAtLastEpoch = 0;
    // Each epoch outlasts the timer's period; only a macrotask yield lets the timer run.
    await net.fit(x, labels, {
      epochs: 5, batchSize: 16,
      onEpoch: ({ epoch }) => {
        const until = performance.now() + 3;
        while (performance.now() < until);
        if (epoch === 5) ticksAtLastEpoch = ticks;
      },
    });
    clearInterval(timer);
    expect(ticksAtLastEpoch).toBeGreaterThan(0);
    net.dispose();
  });

  it('momentum and clipping follow their definitions', async () => {
    const api = await backend(kind);
    const { x, labels } = problem(12, 4, 3, 9);
    const net = new MLP([4, 6, 3], { seed: 4, init: 'uniform', backend: api });
    const w0 = weightsOf(net);
    const g0 = flattenGradients(net.lossAndGradients(x, labels).gradients);
    const norm = Math.hypot(...g0);
    const clip = norm / 4;
    net.trainBatch(x, labels, { learningRate: 0.5, momentum: 0.9, clipNorm: clip });
    const w1 = weightsOf(net);
    // v = g·clip/norm, w1 = w0 − η v.
    expectClose(w1, w0.map((w, i) => w - 0.5 * g0[i] * (clip / norm)), 1e-5, 1e-6);
    const g1 = flattenGradients(net.lossAndGradients(x, labels).gradients);
    net.trainBatch(x, labels, { learningRate: 0.5, momentum: 0.9 });
    // v' = 0.9 v + g1, w2 = w1 − η v'.
    const w2 = weightsOf(net);
    expectClose(w2, w1.map((w, i) => w - 0.5 * (0.9 * g0[i] * (clip / norm) + g1[i])), 1e-5, 1e-6);
    net.dispose();
  });

  it('predict gives probabilities, predictClass their argmax, evaluate the mean cross-entropy', async () => {
    const api = await backend(kind);
    const { x, labels } = problem(600, 5, 4, 10);
    const net = new MLP([5, 7, 4], { hidden: 'relu', seed: 6, backend: api });
    const probs = net.predict(x);
    expect(probs.length).toBe(600 * 4);
    const classes = net.predictClass(x);
    let loss = 0;
    let correct = 0;
    for (let r = 0; r < 600; r++) {
      const row = Array.from(probs.subarray(r * 4, r * 4 + 4));
      expect(row.reduce((s, p) => s + p, 0)).toBeCloseTo(1, 6);
      expect(classes[r]).toBe(row.indexOf(Math.max(...row)));
      loss -= Math.log(row[labels[r]]);
      if (classes[r] === labels[r]) correct++;
    }
    const result = net.evaluate(x, labels);
    expect(result.loss).toBeCloseTo(loss / 600, 5);
    expect(result.accuracy).toBe(correct / 600);
    // Chunking (600 rows > 256) does not change any row.
    expectClose(net.predict(x.subarray(5 * 300)), probs.subarray(4 * 300), 1e-6, 1e-9);
    net.dispose();
  });

  it('takes one hidden activation per layer, including linear (an embedding-like layer)', async () => {
    const api = await backend(kind);
    using net = new MLP([6, 4, 5, 3], { hidden: ['linear', 'tanh'], seed: 3, backend: api });
    expect(net.toJSON().layers.map((l) => l.activation)).toEqual(['linear', 'tanh', 'softmax']);
    const x = uniform(4 * 6, -1, 1, 5);
    const labels = [0, 2, 1, 2];
    const before = net.evaluate(x, labels).loss;
    for (let i = 0; i < 50; i++) net.trainBatch(x, labels, { learningRate: 0.2 });
    expect(net.evaluate(x, labels).loss).toBeLessThan(before / 2);
  });

  it('toJSON / fromJSON round-trips and predicts identically', async () => {
    const api = await backend(kind);
    const { x, labels } = problem(50, 4, 3, 11);
    const net = new MLP([4, 6, 5, 3], { hidden: 'tanh', seed: 8, backend: api });
    await net.fit(x, labels, { epochs: 2, batchSize: 10 });
    const json = net.toJSON();
    expect(json.format).toBe('softmax-wasm.mlp');
    expect(json.version).toBe(1);
    expect(json.sizes).toEqual([4, 6, 5, 3]);
    expect(json.layers.map((l) => [l.activation, l.weight.length, l.bias.length]))
      .toEqual([['tanh', 24, 6], ['tanh', 30, 5], ['softmax', 15, 3]]);
    const text = JSON.stringify(net);
    for (const copy of [MLP.fromJSON(JSON.parse(text) as MLPJSON, { backend: api }), MLP.fromJSON(text, { backend: api })]) {
      expect(copy.toJSON()).toEqual(json);
      expect(copy.predict(x)).toEqual(net.predict(x));
      expect(copy.predictClass(x)).toEqual(net.predictClass(x));
      copy.dispose();
    }
    // A linear output layer: predict returns the logits, whose softmax is the original's output.
    const logitsNet = MLP.fromJSON({ ...json, layers: json.layers.map((l, i) => (i === 2 ? { ...l, activation: 'linear' } : l)) }, { backend: api });
    expect(logitsNet.activations).toEqual(['tanh', 'tanh', 'linear']);
    const logits = logitsNet.predict(x);
    expectClose(api.softmax(logits, 3), net.predict(x), 1e-6, 1e-9);
    expect(logitsNet.predictClass(x)).toEqual(net.predictClass(x));
    logitsNet.dispose();
    net.dispose();
  });

  it('toONNX / fromONNX round-trips and predicts identically', async () => {
    const api = await backend(kind);
    const { x, labels } = problem(40, 4, 3, 14);
    const net = new MLP([4, 6, 3], { hidden: 'relu', seed: 12, backend: api });
    await net.fit(x, labels, { epochs: 2, batchSize: 8 });
    const bytes = await net.toONNX();
    const copy = await MLP.fromONNX(bytes, { backend: api });
    expect(copy.toJSON()).toEqual(net.toJSON());
    expect(copy.predict(x)).toEqual(net.predict(x));
    copy.dispose();
    net.dispose();
    await expect(net.toONNX()).rejects.toThrow(/MLP.toONNX: .*disposed/);
  });

  it('fromJSON rejects malformed networks with clear errors', async () => {
    const api = await backend(kind);
    const net = new MLP([2, 3, 2], { backend: api });
    const json = net.toJSON();
    net.dispose();
    const bad = (patch: (j: MLPJSON) => unknown) => () => MLP.fromJSON(patch(structuredClone(json)) as MLPJSON, { backend: api });
    expect(bad(() => 42)).toThrow(/MLP.fromJSON: json must be an object/);
    expect(() => MLP.fromJSON('{oops', { backend: api })).toThrow(TypeError);
    expect(bad((j) => ({ ...j, format: 'onnx' }))).toThrow(/json.format must be 'softmax-wasm.mlp', got string "onnx"/);
    expect(bad((j) => ({ ...j, version: 2 }))).toThrow(RangeError);
    expect(bad((j) => { j.layers.pop(); return j; })).toThrow(/json.layers.length must be 2/);
    expect(bad((j) => { j.layers[0].weight.pop(); return j; })).toThrow(/json.layers\[0\].weight.length must be 6 \(inputs × outputs = 2 × 3\), got 5/);
    expect(bad((j) => { j.layers[1].bias[1] = Number.NaN; return j; })).toThrow(/json.layers\[1\].bias\[1\] must be a finite number/);
    expect(bad((j) => { j.layers[0].activation = 'softmax'; return j; })).toThrow(/json.layers\[0\].activation must be one of 'sigmoid', 'tanh', 'relu', 'linear'/);
    expect(bad((j) => { j.layers[1].activation = 'relu'; return j; })).toThrow(/json.layers\[1\].activation must be one of 'softmax', 'linear'/);
    // A hole read as undefined, but forEach skipped it: the network predicted NaN.
    expect(bad((j) => { delete j.layers[0].weight[2]; return j; })).toThrow('MLP.fromJSON: json.layers[0].weight[2] must be a finite number, got undefined');
    // The file's bytes instead of its text (readFile without an encoding).
    const bytes = new TextEncoder().encode(JSON.stringify(json));
    expect(() => MLP.fromJSON(bytes as never, { backend: api })).toThrow(
      `MLP.fromJSON: json is Uint8Array(${bytes.length}), bytes rather than text; decode them first (new TextDecoder().decode(bytes), or readFile(path, 'utf8'))`);
    expect(() => MLP.fromJSON(bytes.buffer as never, { backend: api })).toThrow(/json is ArrayBuffer.*bytes rather than text/);
    // Options the constructor checks, named as fromJSON's (they were "MLP: options.seed …").
    expect(() => MLP.fromJSON(json, { backend: api, seed: -1 })).toThrow(new RangeError('MLP.fromJSON: options.seed must be in [0, 4294967295], got -1'));
  });

  it('a disposed network throws on every use', async () => {
    const api = await backend(kind);
    const net = new MLP([3, 2], { backend: api });
    net.dispose();
    net.dispose();
    expect(net.disposed).toBe(true);
    const x = new Float32Array(3);
    expect(() => net.predict(x)).toThrow(/MLP.predict: this MLP \(3→2\) was disposed/);
    expect(() => net.predictClass(x)).toThrow(/disposed/);
    expect(() => net.evaluate(x, [0])).toThrow(/disposed/);
    expect(() => net.trainBatch(x, [0])).toThrow(/disposed/);
    expect(() => net.toJSON()).toThrow(/disposed/);
    await expect(net.fit(x, [0])).rejects.toThrow(/MLP.fit: .*disposed/);
    let outlived: MLP;
    {
      using scoped = new MLP([3, 2], { backend: api });
      expect(scoped.predict(x).length).toBe(2);
      outlived = scoped;
    }
    expect(outlived.disposed).toBe(true);
  });

  it('rejects bad arguments before running anything', async () => {
    const api = await backend(kind);
    const net = new MLP([3, 4, 2], { backend: api });
    const before = net.toJSON();
    expect(() => new MLP([3] as number[], { backend: api })).toThrow(/MLP: sizes needs at least 2 entries/);
    expect(() => new MLP([3, 0, 2], { backend: api })).toThrow(RangeError);
    expect(() => new MLP([3, 2.5], { backend: api })).toThrow(/MLP: sizes\[1\] must be an integer, got number 2.5/);
    expect(() => new MLP([3, 2], { hidden: 'softmax' as HiddenActivation, backend: api })).toThrow(/options.hidden must be one of 'sigmoid', 'tanh', 'relu'/);
    expect(() => new MLP([3, 4, 2], { hidden: ['tanh', 'relu'], backend: api })).toThrow(
      'MLP: options.hidden must list one activation per hidden layer (1), got 2');
    expect(() => new MLP([3, 4, 2], { hidden: ['gelu' as HiddenActivation], backend: api })).toThrow(/options.hidden\[0\] must be one of/);
    expect(() => new MLP([3, 2], { backend: {} as Api })).toThrow(/options.backend must be an instance from init\(\) or createBackend\(\)/);
    expect(() => net.predict([1, 2, 3] as unknown as Float32Array)).toThrow(/MLP.predict: x must be a Float32Array, got Array\(3\)/);
    expect(() => net.predict(new Float32Array(4))).toThrow(/MLP.predict: x.length must be a positive multiple of inputs = 3, got 4/);
    expect(() => net.predict(new Float32Array(0))).toThrow(RangeError);
    expect(() => net.evaluate(new Float32Array(6), [0])).toThrow(/MLP.evaluate: labels.length must be 2 \(one class index per row of x\), got 1/);
    expect(() => net.evaluate(new Float32Array(6), [0, 2])).toThrow(/MLP.evaluate: labels\[1\] = 2 is outside \[0, 2\)/);
    expect(() => net.evaluate(new Float32Array(6), [0, 0.5])).toThrow(RangeError);
    expect(() => net.evaluate(new Float32Array(6), new Float32Array(2) as unknown as Int32Array)).toThrow(/labels must be class indices/);
    expect(() => net.trainBatch(new Float32Array(3), [1], { learningRate: 0 })).toThrow(/options.learningRate must be in \(0/);
    expect(() => net.trainBatch(new Float32Array(3), [1], { momentum: 1 })).toThrow(/options.momentum must be in \[0, 1\) \(below 1 as a float32, too\), got 1/);
    expect(() => net.trainBatch(new Float32Array(3), [1], { clipNorm: -1 })).toThrow(RangeError);
    const x = new Float32Array(6);
    await expect(net.fit(x, [0, 1], { epochs: 0 })).rejects.toThrow(/options.epochs must be in \[1/);
    await expect(net.fit(x, [0, 1], { batchSize: 1.5 })).rejects.toThrow(TypeError);
    await expect(net.fit(x, [0, 1], { shuffle: 'yes' as unknown as boolean })).rejects.toThrow(/options.shuffle must be a boolean/);
    await expect(net.fit(x, [0, 1], { onEpoch: 3 as unknown as () => void })).rejects.toThrow(/options.onEpoch must be a function/);
    await expect(net.fit(x, [0, 1], { signal: {} as AbortSignal })).rejects.toThrow(/options.signal must be an AbortSignal/);
    await expect(net.fit(x, [0, 1], { validation: { x: new Float32Array(5), labels: [0] } })).rejects.toThrow(/options.validation.x.length must be a positive multiple of inputs = 3, got 5/);
    await expect(net.fit(x, [0, 1], { validation: null as never })).rejects.toThrow('MLP.fit: options.validation must be an object, got null');
    await expect(net.fit(x, [0, 1], { validation: [x, [0, 1]] as never })).rejects.toThrow('MLP.fit: options.validation must be an object, got Array(2)');
    expect(() => MLP.fromJSON(net as never)).toThrow(new TypeError('MLP.fromJSON: json is an MLP itself; pass net.toJSON() (or its JSON text)'));
    expect(net.toJSON()).toEqual(before);
    net.dispose();
  });

  it('refuses a second fit, or a trainBatch step, while one is running', async () => {
    const api = await backend(kind);
    const net = new MLP([2, 2], { backend: api });
    const x = new Float32Array(4);
    const first = net.fit(x, [0, 1], { epochs: 2 });
    await expect(net.fit(x, [0, 1])).rejects.toThrow(/already training/);
    expect(() => net.trainBatch(x, [0, 1])).toThrow(new Error(
      'MLP.trainBatch: this MLP is training (a fit() has not finished); a step now would change its weights mid-epoch'));
    await first;
    expect(net.trainBatch(x, [0, 1])).toBeGreaterThan(0); // and allowed again once fit resolved
    net.dispose();
  });

  it('leaves the tasks it yields to out of an epoch\'s ms', async () => {
    const api = await backend(kind);
    const { x, labels } = problem(200, 4, 2, 9);
    const net = new MLP([4, 5, 2], { seed: 2, backend: api });
    const busy = (ms: number) => {
      const until = performance.now() + ms;
      while (performance.now() < until);
    };
    setTimeout(() => busy(80), 0); // another task holding the thread for 80 ms at fit's first yield
    const started = performance.now();
    const { epochs: [stats] } = await net.fit(x, labels, { epochs: 1, batchSize: 2, onBatch: () => busy(1) });
    const elapsed = performance.now() - started;
    expect(stats.ms).toBeGreaterThanOrEqual(100); // its own 100 batches of at least 1 ms
    expect(stats.ms).toBeLessThan(elapsed - 70);
    net.dispose();
  });

  it('lets timers run during an epoch: predict works there, and an abort from outside stops it early', async () => {
    const api = await backend(kind);
    const { x, labels } = problem(400, 4, 2, 9);
    const net = new MLP([4, 5, 2], { seed: 2, backend: api });
    const controller = new AbortController();
    // predict over all 400 rows grows the activation buffers that the batches of 2 rows use.
    let predicted: Float32Array | undefined;
    setTimeout(() => (predicted = net.predict(x)), 0);
    setTimeout(() => controller.abort(), 60);
    let batches = 0;
    // Each batch made to last 1 ms, so the epoch's 200 batches take 200 ms however fast the kernels.
    const history = await net.fit(x, labels, {
      epochs: 1, batchSize: 2, signal: controller.signal,
      onBatch: () => {
        batches++;
        const until = performance.now() + 1;
        while (performance.now() < until);
      },
    });
    expect(history).toEqual({ epochs: [], aborted: true });
    // fit yields every 20 ms: the timers fire at the first yields after them, not at the epoch's end.
    expect(predicted).toHaveLength(800);
    expect(batches).toBeGreaterThan(40); // it went on training after predict
    expect(batches).toBeLessThan(150);
    expect(Number.isFinite(net.evaluate(x, labels).loss)).toBe(true);
    net.dispose();
  });

  it('allocates no backend memory in a training step (or validation pass) after the first step', async () => {
    const api = await backend(kind);
    const net = new MLP([10, 12, 4], { seed: 1, backend: api });
    const { x, labels } = problem(200, 10, 4, 12);
    const inner = api.backend;
    let allocations = 0;
    const original = inner.allocF32;
    const wasm = inner.kind === 'js' ? null : (inner as WasmBackend);
    let memoryAfterFirst = 0;
    let arenaAfterFirst = 0;
    inner.allocF32 = (length: number) => {
      allocations++;
      return original.call(inner, length);
    };
    try {
      await net.fit(x, labels, {
        epochs: 3, batchSize: 32, momentum: 0.9, clipNorm: 1, validation: problem(300, 10, 4, 13),
        onBatch: ({ epoch, batch }) => {
          if (epoch === 1 && batch === 1) {
            allocations = 0;
            memoryAfterFirst = inner.memoryBytes();
            arenaAfterFirst = wasm ? wasm.arenaState().capacity : 0;
          } else {
            expect(allocations).toBe(0);
            expect(inner.memoryBytes()).toBe(memoryAfterFirst);
            if (wasm) expect(wasm.arenaState().capacity).toBe(arenaAfterFirst);
          }
        },
      });
    } finally {
      inner.allocF32 = original;
    }
    if (wasm) expect(wasm.arenaState().idle).toBe(true);
    net.dispose();
  });

  it('without options.backend, uses the default instance or says to call init()', () => {
    expect(() => new MLP([2, 2])).toThrow(/MLP\(\) was called before init\(\)/);
  });
});

describe.each(kinds)('MLP with a fused output layer (%s)', (kind) => {
  it('gives the same loss and gradients as the plain output layer, for one or many chunks', async () => {
    const api = await backend(kind);
    // 1 100 classes: 'auto' fuses (≥ 1 024), in chunks of 953 rows (4 MiB of logits), so a batch
    // of 1 000 rows takes two chunks; a batch of 7 rows takes one.
    for (const rows of [7, 1000]) {
      const sizes = [5, 6, 1100];
      using fused = new MLP(sizes, { hidden: 'tanh', seed: 4, backend: api });
      using plain = new MLP(sizes, { hidden: 'tanh', seed: 4, backend: api, fusedOutput: false });
      const x = uniform(rows * 5, -1, 1, rows);
      const labels = randomIndices(rows, 1100, rows + 1);
      const a = fused.lossAndGradients(x, labels);
      const b = plain.lossAndGradients(x, labels);
      expectClose([a.loss], [b.loss], 1e-6);
      a.gradients.forEach((layer, l) => {
        expectClose(layer.weight, b.gradients[l].weight, 1e-4, 1e-7);
        expectClose(layer.bias, b.gradients[l].bias, 1e-4, 1e-7);
      });
      expectClose(fused.predict(x.subarray(0, 5 * 3)), plain.predict(x.subarray(0, 5 * 3)), 1e-6, 1e-9);
      expectClose([fused.evaluate(x, labels).loss], [plain.evaluate(x, labels).loss], 1e-6);
    }
  });

  it('refuses a fusedOutput that is not true, false or auto', async () => {
    const api = await backend(kind);
    expect(() => new MLP([2, 3], { backend: api, fusedOutput: 'yes' as never })).toThrow(
      'MLP: options.fusedOutput must be true, false or \'auto\', got string "yes"');
  });
});

describe.each(wasmKinds)('MLP fused output memory (%s)', (kind) => {
  it('keeps a training batch\'s output activations to one chunk instead of batch × classes', async () => {
    const { createBackend } = await import('../src/index.js');
    const grow = async (fusedOutput: boolean) => {
      const api = await createBackend({ backend: kind });
      const before = api.backend.memoryBytes();
      using net = new MLP([16, 32, 8192], { backend: api, seed: 1, fusedOutput });
      net.trainBatch(uniform(512 * 16, -1, 1, 2), randomIndices(512, 8192, 3), { learningRate: 0.1 });
      return api.backend.memoryBytes() - before;
    };
    const plain = await grow(false), fused = await grow(true);
    // Plain: output and delta of 512 × 8 192 floats (32 MiB) besides the 2 MiB of weights and
    // gradients; fused: one 128-row chunk of each (8 MiB).
    expect(fused).toBeLessThan(plain / 2);
  });
});
