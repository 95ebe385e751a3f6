// Mean softmax cross-entropy over class-index targets and its gradient ∂loss/∂logits, both read
// back by every contender.
import type { Case } from '../harness.js';
import { asArray, compare, oneHot, randomIndices, uniform } from '../data.js';
import { kinds, label, ours, perKind, wasmKinds, type Tensor } from '../ours.js';
import * as plain from '../peers/plain.js';
import { tf, tfjsContenders, type TfBackend } from '../peers/tfjs.js';
import { crossEntropyRunner, ortContender } from '../peers/ort.js';

interface LossAndGrad { loss: number; grad: unknown }

export async function crossEntropyCase(rows: number, cols: number): Promise<Case> {
  const n = rows * cols;
  const logits = uniform(n, -5, 5, rows * 31 + cols);
  const targets = randomIndices(rows, cols, rows + cols);
  const oneHotTargets = oneHot(targets, cols); // ORT's graph takes them as an input
  const reference = (await ours('js')).crossEntropy(logits, targets, cols, { grad: true });
  const contenders = await perKind('crossEntropy(logits, targets, cols, { grad: true }) → { loss, grad: new Float32Array }',
    (api) => () => api.crossEntropy(logits, targets, cols, { grad: true }), n >= 1 << 20);
  for (const kind of wasmKinds) {
    const api = await ours(kind);
    let zt: Tensor | null = null, gt: Tensor | null = null;
    const before = () => { zt = api.tensor(rows, cols, logits); gt = api.tensor(rows, cols); };
    const after = () => { zt?.dispose(); gt?.dispose(); };
    if (kind === kinds[0]) {
      contenders.push({
        name: `${label(kind)} resident x`, side: 'ours', before, after,
        does: 'crossEntropy(logitsTensor, targets, cols, { grad: true }) → grad a new Float32Array',
        run: () => api.crossEntropy(zt!, targets, cols, { grad: true }),
      });
    }
    contenders.push({
      name: `${label(kind)} resident`, side: 'ours', before, after,
      does: 'crossEntropy(logitsTensor, targets, cols, { grad: gradTensor })',
      run: () => api.crossEntropy(zt!, targets, cols, { grad: gt! }),
    });
  }
  // What a tfjs user writes for "the loss and its gradient w.r.t. the logits". tfjs's loss takes
  // one-hot labels: the class indices go in as an int32 tensor and tf.oneHot encodes them in the
  // timed call, as ours takes indices (3–10 % faster for tfjs than a one-hot input tensor). The
  // cast is needed: tfjs-wasm 4.22's OneHot ignores dtype 'float32' and returns the int32 bits
  // (1 reads as 1.4e-45), which this case's result check caught. ORT keeps its one-hot input
  // below: a OneHot node in its graph was 30–45 % slower.
  const tfSpec = (backend: TfBackend) => ({
    backend,
    call: 'tf.valueAndGrad(z => tf.losses.softmaxCrossEntropy(tf.cast(tf.oneHot(labels, cols), "float32"), z))(logits)',
    inputs: () => [tf.tensor2d(logits, [rows, cols]), tf.tensor1d(targets, 'int32')],
    op: ([z, indices]: tf.Tensor[]) => tf.tidy(() => {
      const onehot = tf.cast(tf.oneHot(indices as tf.Tensor1D, cols), 'float32');
      const { value, grad } = tf.valueAndGrad((t: tf.Tensor) => tf.losses.softmaxCrossEntropy(onehot, t) as tf.Scalar)(z);
      return [value, grad];
    }),
    read: ([value, grad]: tf.Tensor[]): LossAndGrad => ({ loss: value.dataSync()[0], grad: grad.dataSync() }),
  });
  contenders.push(...tfjsContenders(tfSpec('wasm')));
  // The tfjs formulation above goes through tfjs's autodiff tape. ORT's graph and the plain
  // loops get the closed form instead; so does tfjs here, written stably (log-sum-exp, no log of a
  // probability), so that the tfjs ratio can be read without the tape's cost as well.
  contenders.push(...tfjsContenders({
    ...tfSpec('wasm'),
    variant: 'closed form',
    tiers: ['array', 'resident x'],
    call: 'closed form: onehot = tf.cast(tf.oneHot(labels, cols), "float32"), loss = mean(tf.logSumExp(z, 1) − sum(z·onehot, 1)), grad = (tf.softmax(z) − onehot)/rows',
    op: ([z, indices]: tf.Tensor[]) => tf.tidy(() => {
      const onehot = tf.cast(tf.oneHot(indices as tf.Tensor1D, cols), 'float32');
      return [
        tf.mean(tf.sub(tf.logSumExp(z, 1), tf.sum(tf.mul(z, onehot), 1))),
        tf.mul(tf.sub(tf.softmax(z), onehot), 1 / rows),
      ];
    }),
  }));
  contenders.push(...tfjsContenders({ ...tfSpec('cpu'), tiers: ['array'], slow: true }));
  contenders.push(await ortContender(
    'session.run: SoftmaxCrossEntropyLoss (mean, with log_prob) → grad = (exp(log_prob) − onehot)/rows', 'SoftmaxCrossEntropyLoss',
    async () => {
      const runner = await crossEntropyRunner(rows, cols);
      const labels64 = BigInt64Array.from(targets, (t) => BigInt(t));
      return { session: runner.session, call: () => runner.run(logits, labels64, oneHotTargets) };
    }));
  contenders.push({
    name: 'plain JS',
    side: 'peer',
    does: 'float32 loops: max, Math.exp, log-sum-exp, (softmax − onehot)/rows → new Float32Array',
    run: () => plain.crossEntropy(logits, targets, cols),
  });

  const expectedGrad = reference.grad!;
  return {
    id: `crossEntropy ${rows}x${cols}`,
    family: 'crossEntropy',
    title: `crossEntropy + grad ${rows}×${cols}`,
    elements: n,
    bytes: 8 * n + 4 * rows,
    flops: 0,
    baseline: label(kinds[0]),
    contenders,
    check: (result) => {
      const { loss, grad } = result as LossAndGrad;
      if (!(Math.abs(loss - reference.loss) <= 1e-5 * Math.abs(reference.loss) + 1e-6)) return `loss ${loss}, expected ${reference.loss}`;
      // Gradient entries are probabilities / rows: compare relative to the largest (1 / rows).
      return compare(asArray(grad), expectedGrad, 1e-4, 1e-6 / rows);
    },
  };
}
