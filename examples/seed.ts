// The reference training example (MATH.md, "The training example"): 4 inputs, 5 sigmoid hidden
// units, 2 softmax outputs, weights and biases drawn uniformly from U(−0.5, 0.5), learning rate
// 0.1, 10 000 epochs of full-batch gradient descent, the cost printed every 1 000 epochs.
//
// Data: Iris versicolor against virginica, the two species that overlap (100 flowers, the 4
// measurements standardised to zero mean and unit variance so that U(−0.5, 0.5) weights start
// the sigmoids in their linear range). Full-batch descent has no held-out data to speak of, so
// the accuracy reported is on the training flowers, as in the reference example.
import { MLP } from 'softmax-wasm';
import { irisTwoSpecies, standardise } from './data.js';
import type { Example } from './example.js';

export const seed: Example = {
  name: 'seed',
  title: 'Reference network: Iris versicolor vs virginica, full-batch gradient descent',
  network: '4 → 5 sigmoid → 2 softmax, uniform init',
  data: '100 flowers (versicolor / virginica), 4 standardised measurements',
  // batchSize = every flower: one step per epoch on the exact gradient.
  defaults: { epochs: 10_000, batchSize: 100, learningRate: 0.1, momentum: 0 },
  logEvery: 1000,
  async run({ api, epochs, batchSize, learningRate, momentum, seed: randomSeed, onEpoch, onBatch, signal }) {
    const data = irisTwoSpecies();
    standardise(data);
    using net = new MLP([4, 5, 2], { hidden: 'sigmoid', init: 'uniform', seed: randomSeed, backend: api });
    const history = await net.fit(data.x, data.labels, {
      epochs, batchSize, learningRate, momentum, shuffle: false, onEpoch, onBatch, signal,
    });
    const { loss, accuracy } = net.evaluate(data.x, data.labels);
    return { history, evaluatedOn: `training set (${data.rows} flowers)`, loss, accuracy, model: net.toJSON() };
  },
};
