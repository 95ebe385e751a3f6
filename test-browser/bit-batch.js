// A seeded batch of calls whose output bits must be the same in every runtime for the baseline
// SIMD build (DESIGN.md: "the same inputs give the same bits in Node and in browsers"). Plain JS
// with no imports, so Node (through vitest) and a page (unbundled, from a static server) run the
// very same code against the package each of them loaded.

/**
 * Mulberry32, the library's seededRandom written out: the inputs depend on the seed only, not on
 * the package under test, which this file cannot import (see above).
 * @param {number} seed
 */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** @param {number} n @param {number} lo @param {number} hi @param {number} seed */
function uniform(n, lo, hi, seed) {
  const next = rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * next();
  return out;
}

/** @param {number} n @param {number} count @param {number} seed */
function classes(n, count, seed) {
  const next = rng(seed);
  return Int32Array.from({ length: n }, () => Math.floor(next() * count));
}

/**
 * SHA-256 of the bytes of every array, in order, as hex (WebCrypto exists in Node ≥ 20 and pages).
 * @param {ArrayBufferView[]} arrays
 */
async function hashBits(arrays) {
  const total = arrays.reduce((sum, a) => sum + a.byteLength, 0);
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const a of arrays) {
    bytes.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), offset);
    offset += a.byteLength;
  }
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

// Shapes that take every code path: a single column, tails of 1–3 after the f32x4 loop, rows
// wider than the unrolled loop, and extreme values (±∞ masks, NaN rows, ±3e38).
const SHAPES = [[1, 1], [3, 3], [7, 5], [16, 10], [9, 17], [4, 64], [2, 1001], [1, 20_000]];

function extremeRows() {
  return new Float32Array([
    2.0, 1.0, 0.1, -Infinity, 7,
    3e38, -3e38, 0, 3e38, 1,
    1, 2, NaN, 4, 5,
    -Infinity, -Infinity, -Infinity, -Infinity, -Infinity,
    -87.5, 88.5, 0.25, -0.25, 1e-30,
  ]);
}

/**
 * Runs the batch on one instance of the package (an Api from createBackend, and the package's MLP
 * class) and returns one hash per operation, so a mismatch names the kernel that differs.
 * @param {import('../src/index.js').Api} api
 * @param {typeof import('../src/index.js').MLP} MLP
 * @returns {Promise<Record<string, string>>}
 */
export async function bitBatch(api, MLP) {
  /** @type {Record<string, ArrayBufferView[]>} */
  const outputs = {};
  /** @param {string} name @param {unknown[]} arrays */
  const record = (name, ...arrays) => {
    for (const array of arrays) {
      if (!ArrayBuffer.isView(array)) throw new Error(`bitBatch: ${name} returned ${String(array)}, not an array`);
      (outputs[name] ??= []).push(array);
    }
  };
  for (const [rows, cols] of SHAPES) {
    const seed = rows * 100_003 + cols;
    const x = uniform(rows * cols, -30, 30, seed);
    record('softmax', api.softmax(x, cols), api.softmax(x, cols, { temperature: 0.7 }));
    record('logSoftmax', api.logSoftmax(x, cols));
    record('logSumExp', api.logSumExp(x, cols, { temperature: 2.5 }));
    const y = api.softmax(x, cols);
    record('softmaxBackward', api.softmaxBackward(y, uniform(rows * cols, -1, 1, seed + 1), cols));
    const targets = classes(rows, cols, seed + 2);
    const mean = api.crossEntropy(x, targets, cols, { grad: true, labelSmoothing: 0.1 });
    const none = api.crossEntropy(x, targets, cols, { reduction: 'none', zLoss: 1e-4 });
    record('crossEntropy', Float64Array.of(mean.loss, none.loss), mean.grad, none.losses);
    const probs = api.softmax(uniform(rows * cols, -3, 3, seed + 3), cols);
    const soft = api.crossEntropy(x, probs, cols, { grad: true, reduction: 'sum' });
    record('crossEntropy(probabilities)', Float64Array.of(soft.loss), soft.grad);
    const h = 3 + (seed % 6);
    const features = uniform(rows * h, -2, 2, seed + 5);
    const w = uniform(h * cols, -1, 1, seed + 6);
    const bias = uniform(cols, -1, 1, seed + 7);
    // A small chunk budget so rows are processed in several chunks.
    const fused = api.linearCrossEntropy(features, w, targets, rows, h, cols, { bias, grad: true, chunkBytes: 4 * cols * 2 });
    record('linearCrossEntropy', Float64Array.of(fused.loss), fused.dx, fused.dw, fused.db);
    const s = api.sigmoid(x);
    const t = api.tanh(x);
    const dy = uniform(rows * cols, -1, 1, seed + 8);
    record('activations', s, t, api.relu(x), api.sigmoidBackward(s, dy), api.tanhBackward(t, dy));
    const bits = uniform(rows * cols, 0, 1, seed + 9);
    const bce = api.binaryCrossEntropyWithLogits(x, bits, { grad: true });
    const mse = api.mse(x, bits, { grad: true, reduction: 'sum' });
    record('binaryCrossEntropyWithLogits, mse', Float64Array.of(bce.loss, mse.loss), bce.grad, mse.grad);
    record('argmax, sampleCategorical', api.argmax(x, cols), api.sampleCategorical(x, cols, { seed, temperature: 3 }));
    record('sparsemax', api.sparsemax(x, cols));
    record('softmaxJacobian', api.softmaxJacobian(y.subarray(0, Math.min(cols, 64))));
    const n = 1 + (seed % 13);
    record('matmul', api.matmul(x, uniform(cols * n, -1, 1, seed + 4), rows, cols, n),
      api.matmul(x, uniform(n * rows, -1, 1, seed + 10), cols, rows, n, { transA: true, transB: true, alpha: 0.5 }));
  }
  // A short training run: initialisation, shuffling, forward, backward and SGD with momentum.
  const net = new MLP([12, 9, 4], { hidden: 'tanh', seed: 5, backend: api });
  const history = await net.fit(uniform(60 * 12, -1, 1, 11), classes(60, 4, 12), {
    epochs: 3, batchSize: 16, learningRate: 0.1, momentum: 0.9, clipNorm: 5,
  });
  const weights = net.toJSON().layers.flatMap((layer) => [...layer.weight, ...layer.bias]);
  record('MLP.fit', Float32Array.from(weights), Float64Array.from(history.epochs.map((e) => e.loss)),
    net.predict(uniform(5 * 12, -1, 1, 13)));
  net.dispose();
  const extreme = extremeRows();
  record('extremes', api.softmax(extreme, 5), api.logSoftmax(extreme, 5), api.logSumExp(extreme, 5),
    api.sigmoid(extreme), api.tanh(extreme));
  /** @type {Record<string, string>} */
  const hashes = {};
  for (const [name, arrays] of Object.entries(outputs)) hashes[name] = await hashBits(arrays);
  return hashes;
}
