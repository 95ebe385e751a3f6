// One training epoch of the same network on the same data: 784 → 128 sigmoid → 10 softmax,
// mini-batch SGD (batch 128, mean cross-entropy), on the `mnist` package's 10 000 digits split
// (seeded) into 8 000 training and 2 000 test images (quick runs train on 2 000). Every timed call trains a freshly
// initialised network for one epoch; its test accuracy is measured after the call, untimed.
//
// Those accuracies alone cannot tell whether the two libraries learn equally well: from one random
// start to the next, one epoch lands anywhere between about 76 % and 85 %. So after the timing,
// the case also trains each of our builds and tfjs-wasm from the same start, untimed (`paired`):
// per start, our network's Glorot initial weights (from seed 1, 2, …) copied into the tfjs model
// and the training rows in one seeded order for both (shuffle off); then the test accuracies, and
// the predictions image by image, are compared start by start.
import { createRequire } from 'node:module';
import type { Case, Contender } from '../harness.js';
import { oneHot, rng } from '../data.js';
import { label, MLP, ours, wasmKinds, type MLPJSON } from '../ours.js';
import { checkNoLeak, tf, useTf, type TfBackend } from '../peers/tfjs.js';
import { copyMlpWeights } from '../peers/tfjs-mlp.js';

interface Digit { raw: number[]; length: number }
type MnistPackage = Record<number, Digit>;

const PIXELS = 784, CLASSES = 10, HIDDEN = 128;
export const BATCH = 128;
export const LEARNING_RATE = 0.5;
const SEED = 42;

export interface MnistData {
  trainX: Float32Array; trainY: Int32Array;
  testX: Float32Array; testY: Int32Array;
}

const TEST = 2000;

/** Fisher–Yates with the seeded generator: the same order on every run. */
function shuffleInPlace<T>(items: T[], seed: number): T[] {
  const next = rng(seed);
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

/** All digits of the package, shuffled with a fixed seed: the first `train` to train on, the last
 *  2 000 to test. */
export function loadMnist(train: number): MnistData {
  const mnist = createRequire(import.meta.url)('mnist') as MnistPackage;
  const images: { pixels: number[]; start: number; label: number }[] = [];
  for (let d = 0; d < CLASSES; d++) {
    for (let i = 0; i < mnist[d].length; i++) images.push({ pixels: mnist[d].raw, start: i * PIXELS, label: d });
  }
  shuffleInPlace(images, SEED);
  const pack = (from: number, to: number) => {
    const x = new Float32Array((to - from) * PIXELS), y = new Int32Array(to - from);
    for (let r = from; r < to; r++) {
      const { pixels, start, label: digit } = images[r];
      for (let p = 0; p < PIXELS; p++) x[(r - from) * PIXELS + p] = pixels[start + p];
      y[r - from] = digit;
    }
    return { x, y };
  };
  const trainSet = pack(0, Math.min(train, images.length - TEST)), testSet = pack(images.length - TEST, images.length);
  return { trainX: trainSet.x, trainY: trainSet.y, testX: testSet.x, testY: testSet.y };
}

function predictedClass(probs: Float32Array, r: number): number {
  let best = 0;
  for (let c = 1; c < CLASSES; c++) if (probs[r * CLASSES + c] > probs[r * CLASSES + best]) best = c;
  return best;
}

function accuracy(probs: Float32Array, labels: Int32Array): number {
  let correct = 0;
  for (let r = 0; r < labels.length; r++) if (predictedClass(probs, r) === labels[r]) correct++;
  return correct / labels.length;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length ? s[s.length >> 1] : NaN;
}

/** The same network in tfjs: Glorot-initialised with fixed seeds, or starting from `initial`
 *  (MLP.toJSON(), copied by copyMlpWeights). */
function tfModel(optimizer: tf.Optimizer, initial?: MLPJSON): tf.Sequential {
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [PIXELS], units: HIDDEN, activation: 'sigmoid', kernelInitializer: tf.initializers.glorotUniform({ seed: SEED }) }),
      tf.layers.dense({ units: CLASSES, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: SEED + 1 }) }),
    ],
  });
  if (initial) copyMlpWeights(model, initial);
  model.compile({ optimizer, loss: 'categoricalCrossentropy' });
  return model;
}

function tfContender(data: MnistData, backend: TfBackend, accuracies: number[], slow: boolean): Contender {
  let xs: tf.Tensor2D | null = null, ys: tf.Tensor2D | null = null, testXs: tf.Tensor2D | null = null;
  let model: tf.Sequential | null = null;
  let optimizer: tf.Optimizer | null = null;
  let tensorsBefore = 0;
  return {
    name: `tfjs-${backend}`,
    side: 'peer',
    does: `model.fit(x, onehot, { epochs: 1, batchSize: ${BATCH}, shuffle: true }) of a fresh tf.sequential (dense 128 sigmoid, dense 10 softmax, categoricalCrossentropy, sgd ${LEARNING_RATE}); data resident`,
    async: true,
    slow,
    before: async () => {
      await useTf(backend);
      tensorsBefore = tf.memory().numTensors;
      xs = tf.tensor2d(data.trainX, [data.trainY.length, PIXELS]);
      ys = tf.tensor2d(oneHot(data.trainY, CLASSES), [data.trainY.length, CLASSES]);
      testXs = tf.tensor2d(data.testX, [data.testY.length, PIXELS]);
    },
    after: () => {
      xs?.dispose(); ys?.dispose(); testXs?.dispose();
      model?.dispose();
      optimizer?.dispose();
      model = null;
      optimizer = null;
      checkNoLeak(tensorsBefore, `tfjs-${backend}`);
    },
    beforeEach: () => {
      // The model does not own an optimizer passed to compile(); both are disposed here.
      model?.dispose();
      optimizer?.dispose();
      optimizer = tf.train.sgd(LEARNING_RATE);
      model = tfModel(optimizer);
    },
    afterEach: () => {
      const probs = tf.tidy(() => model!.predict(testXs!) as tf.Tensor);
      accuracies.push(accuracy(probs.dataSync() as Float32Array, data.testY));
      probs.dispose();
    },
    run: () => model!.fit(xs!, ys!, { epochs: 1, batchSize: BATCH, shuffle: true, verbose: 0 }),
  };
}

/**
 * The same epoch as a tfjs user writes it without Keras's fit(): the network's variables (Glorot,
 * as tfModel's), batches gathered from the resident data in a shuffled order, and
 * optimizer.minimize of tf.losses.softmaxCrossEntropy on the logits, reading each batch's loss as
 * fit() does. It skips fit()'s per-batch bookkeeping, so its ratio is the one without it.
 */
function tfCustomLoopContender(data: MnistData, accuracies: number[]): Contender {
  const rows = data.trainY.length;
  let xs: tf.Tensor2D | null = null, ys: tf.Tensor2D | null = null, testXs: tf.Tensor2D | null = null;
  let params: tf.Variable[] = [];
  let optimizer: tf.Optimizer | null = null;
  let tensorsBefore = 0;
  const logits = (x: tf.Tensor) => {
    const [w1, b1, w2, b2] = params;
    return tf.add(tf.matMul(tf.sigmoid(tf.add(tf.matMul(x, w1), b1)), w2), b2);
  };
  const release = () => {
    tf.dispose(params);
    params = [];
    optimizer?.dispose();
    optimizer = null;
  };
  return {
    name: 'tfjs-wasm custom loop',
    side: 'peer',
    does: `per batch of ${BATCH} in a shuffled order: tf.gather of x and onehot, optimizer.minimize(() => tf.losses.softmaxCrossEntropy(onehot, logits), true) and dataSync() of the loss, with tf.variable weights (Glorot) and tf.train.sgd(${LEARNING_RATE}); data resident`,
    async: true,
    before: async () => {
      await useTf('wasm');
      tensorsBefore = tf.memory().numTensors;
      xs = tf.tensor2d(data.trainX, [rows, PIXELS]);
      ys = tf.tensor2d(oneHot(data.trainY, CLASSES), [rows, CLASSES]);
      testXs = tf.tensor2d(data.testX, [data.testY.length, PIXELS]);
    },
    after: () => {
      release();
      xs?.dispose(); ys?.dispose(); testXs?.dispose();
      checkNoLeak(tensorsBefore, 'tfjs-wasm custom loop');
    },
    beforeEach: () => {
      release();
      const initial = [
        tf.initializers.glorotUniform({ seed: SEED }).apply([PIXELS, HIDDEN]) as tf.Tensor, tf.zeros([HIDDEN]),
        tf.initializers.glorotUniform({ seed: SEED + 1 }).apply([HIDDEN, CLASSES]) as tf.Tensor, tf.zeros([CLASSES]),
      ];
      params = initial.map((t) => tf.variable(t));
      tf.dispose(initial); // a variable keeps its own reference to the data
      optimizer = tf.train.sgd(LEARNING_RATE);
    },
    afterEach: () => {
      const probs = tf.tidy(() => tf.softmax(logits(testXs!)));
      accuracies.push(accuracy(probs.dataSync() as Float32Array, data.testY));
      probs.dispose();
    },
    run: async () => {
      const order = tf.util.createShuffledIndices(rows);
      for (let start = 0; start < rows; start += BATCH) {
        const batch = tf.tensor1d(Int32Array.from(order.subarray(start, Math.min(rows, start + BATCH))), 'int32');
        tf.tidy(() => {
          const x = tf.gather(xs!, batch), y = tf.gather(ys!, batch);
          const loss = optimizer!.minimize(() => tf.losses.softmaxCrossEntropy(y, logits(x)) as tf.Scalar, true, params);
          loss!.dataSync();
        });
        batch.dispose();
      }
    },
  };
}

/** A copy of the training rows in one seeded order, the same for every library trained on it. */
function shuffled(data: MnistData, seed: number): { x: Float32Array; y: Int32Array } {
  const rows = data.trainY.length;
  const order = shuffleInPlace(Array.from({ length: rows }, (_, i) => i), seed);
  const x = new Float32Array(rows * PIXELS), y = new Int32Array(rows);
  order.forEach((from, r) => {
    x.set(data.trainX.subarray(from * PIXELS, (from + 1) * PIXELS), r * PIXELS);
    y[r] = data.trainY[from];
  });
  return { x, y };
}

/** One build of ours against tfjs-wasm from the same starts (see the top of this file). */
export interface PairedAccuracy {
  starts: number;
  /** Median test accuracy over the starts: ours, tfjs-wasm. */
  ours: number;
  peer: number;
  /** The largest |ours − tfjs-wasm| test accuracy from one start. */
  maxDiff: number;
  /** The smallest share of test images given the same class by both, over the starts. */
  agreement: number;
  /** The largest difference of one predicted test probability. */
  maxProbDiff: number;
}

async function pairedAccuracy(data: MnistData, starts: number, log: (line: string) => void): Promise<Map<string, PairedAccuracy>> {
  const apis = await Promise.all(wasmKinds.map((kind) => ours(kind)));
  const tests = data.testY.length;
  const found = wasmKinds.map(() => ({ ours: [] as number[], peer: [] as number[], maxDiff: 0, agreement: 1, maxProbDiff: 0 }));
  await useTf('wasm');
  const tensorsBefore = tf.memory().numTensors;
  const testXs = tf.tensor2d(data.testX, [tests, PIXELS]);
  try {
    for (let start = 1; start <= starts; start++) {
      const { x, y } = shuffled(data, start);
      const fit = { epochs: 1, batchSize: BATCH, learningRate: LEARNING_RATE, shuffle: false };
      const nets = apis.map((api) => new MLP([PIXELS, HIDDEN, CLASSES], { hidden: 'sigmoid', seed: start, backend: api }));
      let peerProbs: Float32Array;
      try {
        const initial = nets[0].toJSON(); // the seed, not the backend, sets the initial weights
        const optimizer = tf.train.sgd(LEARNING_RATE);
        const model = tfModel(optimizer, initial);
        const xs = tf.tensor2d(x, [y.length, PIXELS]), ys = tf.tensor2d(oneHot(y, CLASSES), [y.length, CLASSES]);
        try {
          await model.fit(xs, ys, { epochs: 1, batchSize: BATCH, shuffle: false, verbose: 0 });
          peerProbs = tf.tidy(() => (model.predict(testXs) as tf.Tensor).dataSync() as Float32Array);
        } finally {
          tf.dispose([xs, ys]);
          model.dispose();
          optimizer.dispose();
        }
        const peerAccuracy = accuracy(peerProbs, data.testY);
        const line = [`tfjs-wasm ${fmtPercent(peerAccuracy)}`];
        for (let b = 0; b < nets.length; b++) {
          await nets[b].fit(x, y, fit);
          const probs = nets[b].predict(data.testX);
          const own = accuracy(probs, data.testY);
          let same = 0, probDiff = 0;
          for (let r = 0; r < tests; r++) if (predictedClass(probs, r) === predictedClass(peerProbs, r)) same++;
          for (let i = 0; i < probs.length; i++) probDiff = Math.max(probDiff, Math.abs(probs[i] - peerProbs[i]));
          const f = found[b];
          f.ours.push(own);
          f.peer.push(peerAccuracy);
          f.maxDiff = Math.max(f.maxDiff, Math.abs(own - peerAccuracy));
          f.agreement = Math.min(f.agreement, same / tests);
          f.maxProbDiff = Math.max(f.maxProbDiff, probDiff);
          line.push(`${label(wasmKinds[b])} ${fmtPercent(own)} (same class on ${same}/${tests})`);
        }
        log(`  same start ${start}/${starts}: ${line.join(', ')}`);
      } finally {
        for (const net of nets) net.dispose();
      }
    }
  } finally {
    testXs.dispose();
  }
  checkNoLeak(tensorsBefore, 'tfjs-wasm (paired accuracy check)');
  return new Map(wasmKinds.map((kind, b) => {
    const { ours: own, peer, maxDiff, agreement, maxProbDiff } = found[b];
    return [label(kind), { starts, ours: median(own), peer: median(peer), maxDiff, agreement, maxProbDiff }];
  }));
}

const fmtPercent = (fraction: number): string => `${(100 * fraction).toFixed(2)} %`;

export async function mnistCase(train: number, pairedStarts: number): Promise<Case> {
  const data = loadMnist(train);
  const accuracies = new Map<string, number[]>();
  const contenders: Contender[] = [];
  for (const kind of wasmKinds) {
    const api = await ours(kind);
    const list: number[] = [];
    accuracies.set(label(kind), list);
    let net: MLP | null = null;
    let seed = SEED;
    contenders.push({
      name: label(kind),
      side: 'ours',
      does: `net.fit(x, labels, { epochs: 1, batchSize: ${BATCH}, learningRate: ${LEARNING_RATE} }) of a fresh new MLP([784, 128, 10], { hidden: 'sigmoid' }); x a Float32Array`,
      async: true,
      beforeEach: () => {
        net?.dispose();
        net = new MLP([PIXELS, HIDDEN, CLASSES], { hidden: 'sigmoid', seed: seed++, backend: api });
      },
      afterEach: () => { list.push(accuracy(net!.predict(data.testX), data.testY)); },
      after: () => { net?.dispose(); net = null; },
      run: () => net!.fit(data.trainX, data.trainY, { epochs: 1, batchSize: BATCH, learningRate: LEARNING_RATE }),
    });
  }
  for (const backend of ['wasm', 'cpu'] as const) {
    const list: number[] = [];
    accuracies.set(`tfjs-${backend}`, list);
    contenders.push(tfContender(data, backend, list, backend === 'cpu'));
  }
  const loopAccuracies: number[] = [];
  accuracies.set('tfjs-wasm custom loop', loopAccuracies);
  contenders.push(tfCustomLoopContender(data, loopAccuracies));
  let paired = new Map<string, PairedAccuracy>();
  return {
    id: `mnist epoch ${train}`,
    family: 'mnist',
    title: `MNIST epoch: ${train} images, 784→128 sigmoid→10, batch ${BATCH}`,
    elements: 0,
    bytes: 0,
    flops: 0,
    baseline: label(wasmKinds[0]),
    contenders,
    afterTiming: async (log) => {
      log(`  paired accuracy check: each build of ours and tfjs-wasm from the same ${pairedStarts} starts (untimed)`);
      paired = await pairedAccuracy(data, pairedStarts, log);
    },
    extras: (name) => {
      const list = accuracies.get(name);
      if (!list?.length) return undefined;
      const extras: Record<string, number> = {
        testAccuracy: median(list), testAccuracyMin: Math.min(...list), testAccuracyMax: Math.max(...list), epochs: list.length,
      };
      const same = paired.get(name);
      if (same) {
        Object.assign(extras, {
          pairedStarts: same.starts, pairedAccuracy: same.ours, pairedPeerAccuracy: same.peer,
          pairedMaxDiff: same.maxDiff, pairedAgreement: same.agreement, pairedMaxProbDiff: same.maxProbDiff,
        });
      }
      return extras;
    },
  };
}
