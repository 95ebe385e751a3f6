// Iris: 4 measurements → 8 sigmoid units → 3 species. A seeded stratified split keeps 10 flowers
// of each species for testing (120 train / 30 test); features are standardised with the
// training flowers' statistics. Mini-batch SGD with momentum.
import { MLP } from 'softmax-wasm';
import { iris as loadIris, standardise, stratifiedSplit } from './data.js';
import type { Example } from './example.js';

export const iris: Example = {
  name: 'iris',
  title: 'Iris species (Fisher 1936)',
  network: '4 → 8 sigmoid → 3 softmax, Xavier init',
  data: '150 flowers, stratified 120 train / 30 test, standardised',
  defaults: { epochs: 60, batchSize: 8, learningRate: 0.05, momentum: 0.9 },
  logEvery: 5,
  async run({ api, epochs, batchSize, learningRate, momentum, seed, onEpoch, onBatch, signal }) {
    const { train, test } = stratifiedSplit(loadIris(), 5, seed);
    standardise(train, test);
    using net = new MLP([4, 8, 3], { hidden: 'sigmoid', seed, backend: api });
    const history = await net.fit(train.x, train.labels, {
      epochs, batchSize, learningRate, momentum, validation: test, onEpoch, onBatch, signal,
    });
    const { loss, accuracy } = net.evaluate(test.x, test.labels);
    return { history, evaluatedOn: `test set (${test.rows} flowers)`, loss, accuracy, model: net.toJSON() };
  },
};
