// This library's MLP as a TensorFlow.js model, for the comparisons that train both from the same
// start: the benchmark's MNIST case and test/nn-vs-tfjs.test.ts.
import * as tf from '@tensorflow/tfjs';
import type { MLPJSON } from '../../src/index.js';

/**
 * Copies an MLP's weights (MLP.toJSON(): per layer W, inputs × outputs row-major as tfjs's dense
 * kernel, and b) into the model's dense layers, one per MLP layer.
 */
export function copyMlpWeights(model: tf.Sequential, start: MLPJSON): void {
  model.layers.forEach((layer, i) => {
    const { weight, bias } = start.layers[i];
    const values = [tf.tensor2d(weight, [start.sizes[i], start.sizes[i + 1]]), tf.tensor1d(bias)];
    layer.setWeights(values); // copies them
    tf.dispose(values);
  });
}
