// One training epoch of the same network on the same data: 784 → 128 sigmoid → 10 softmax,
// mini-batch SGD (batch 128, mean cross-entropy), on the `mnist` package's 10 000 digits split
// (seeded) into 8 000 training and 2 000 test images (quick runs train on 2 000). Every timed call trains a freshly
// initialised network for one epoch; its test accuracy is measured after the call, untimed.
import { createRequire } from 'node:module';
import type { Case, Contender } from '../harness.js';
import { oneHot, rng } from '../data.js';
import { label, mlpClass, NOT_YET, ours, wasmKinds, type Mlp } from '../ours.js';
import { checkNoLeak, tf, useTf, type TfBackend } from '../peers/tfjs.js';

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

/** All digits of the package, shuffled with a fixed seed: the first `train` to train on, the last
 *  2 000 to test. */
export function loadMnist(train: number): MnistData {
  const mnist = createRequire(import.meta.url)('mnist') as MnistPackage;
  const images: { pixels: number[]; start: number; label: number }[] = [];
  for (let d = 0; d < CLASSES; d++) {
    for (let i = 0; i < mnist[d].length; i++) images.push({ pixels: mnist[d].raw, start: i * PIXELS, label: d });
  }
  const next = rng(SEED);
  for (let i = images.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [images[i], images[j]] = [images[j], images[i]];
  }
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

function accuracy(probs: Float32Array, labels: Int32Array): number {
  let correct = 0;
  for (let r = 0; r < labels.length; r++) {
    let best = 0;
    for (let c = 1; c < CLASSES; c++) if (probs[r * CLASSES + c] > probs[r * CLASSES + best]) best = c;
    if (best === labels[r]) correct++;
  }
  return correct / labels.length;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length ? s[s.length >> 1] : NaN;
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
      model = tf.sequential({
        layers: [
          tf.layers.dense({ inputShape: [PIXELS], units: HIDDEN, activation: 'sigmoid', kernelInitializer: tf.initializers.glorotUniform({ seed: SEED }) }),
          tf.layers.dense({ units: CLASSES, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: SEED + 1 }) }),
        ],
      });
      model.compile({ optimizer, loss: 'categoricalCrossentropy' });
    },
    afterEach: () => {
      const probs = tf.tidy(() => model!.predict(testXs!) as tf.Tensor);
      accuracies.push(accuracy(probs.dataSync() as Float32Array, data.testY));
      probs.dispose();
    },
    run: () => model!.fit(xs!, ys!, { epochs: 1, batchSize: BATCH, shuffle: true, verbose: 0 }),
  };
}

export async function mnistCase(train: number): Promise<Case> {
  const data = loadMnist(train);
  const MLP = mlpClass();
  const accuracies = new Map<string, number[]>();
  const contenders: Contender[] = [];
  for (const kind of wasmKinds) {
    const api = await ours(kind);
    const list: number[] = [];
    accuracies.set(label(kind), list);
    let net: Mlp | null = null;
    let seed = SEED;
    contenders.push({
      name: label(kind),
      side: 'ours',
      does: `net.fit(x, labels, { epochs: 1, batchSize: ${BATCH}, learningRate: ${LEARNING_RATE} }) of a fresh new MLP([784, 128, 10], { hidden: 'sigmoid' }); x a Float32Array`,
      async: true,
      skip: MLP ? undefined : `${NOT_YET} (MLP, branch nn)`,
      beforeEach: () => {
        net?.dispose?.();
        net = new MLP!([PIXELS, HIDDEN, CLASSES], { hidden: 'sigmoid', seed: seed++, backend: api });
      },
      afterEach: async () => { list.push(accuracy(await net!.predict(data.testX), data.testY)); },
      after: () => { net?.dispose?.(); net = null; },
      run: () => net!.fit(data.trainX, data.trainY, { epochs: 1, batchSize: BATCH, learningRate: LEARNING_RATE }),
    });
  }
  for (const backend of ['wasm', 'cpu'] as const) {
    const list: number[] = [];
    accuracies.set(`tfjs-${backend}`, list);
    contenders.push(tfContender(data, backend, list, backend === 'cpu'));
  }
  return {
    id: `mnist epoch ${train}`,
    family: 'mnist',
    title: `MNIST epoch: ${train} images, 784→128 sigmoid→10, batch ${BATCH}`,
    elements: 0,
    bytes: 0,
    flops: 0,
    baseline: label(wasmKinds[0]),
    contenders,
    extras: (name) => {
      const list = accuracies.get(name);
      return list && list.length ? { testAccuracy: median(list), epochs: list.length } : undefined;
    },
  };
}
