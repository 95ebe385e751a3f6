// Handwritten digits: 784 grey levels → 128 sigmoid units → 10 digits, trained on 8 000 of the
// `mnist` package's 10 000 digits and tested on the other 2 000 (a seeded stratified split),
// mini-batches of 128 with momentum.
import { MLP } from 'softmax-wasm';
import { mnistDigits, stratifiedSplit } from './data.js';
import type { Example } from './example.js';

export const mnist: Example = {
  name: 'mnist',
  title: 'MNIST digits',
  network: '784 → 128 sigmoid → 10 softmax, Xavier init',
  data: '10 000 digits, stratified 8 000 train / 2 000 test',
  defaults: { epochs: 15, batchSize: 128, learningRate: 0.5, momentum: 0.9 },
  logEvery: 1,
  async run({ api, epochs, batchSize, learningRate, momentum, seed, onEpoch, onBatch, signal }) {
    const { train, test } = stratifiedSplit(await mnistDigits(), 5, seed);
    using net = new MLP([784, 128, 10], { hidden: 'sigmoid', seed, backend: api });
    const history = await net.fit(train.x, train.labels, {
      epochs, batchSize, learningRate, momentum, validation: test, onEpoch, onBatch, signal,
    });
    const { loss, accuracy } = net.evaluate(test.x, test.labels);
    return { history, evaluatedOn: `test set (${test.rows} digits)`, loss, accuracy, model: net.toJSON() };
  },
};
