// The training worker: loads the MNIST subset, trains an MLP with the library's fit() (which
// yields after every epoch, so a stop message is seen before the next epoch starts), and answers
// predictions from a copy of the network taken after each epoch, so a prediction never touches the
// network while it trains.
import { createBackend, MLP, type Api, type BackendKind } from 'softmax-wasm';
import { CLASSES, PIXELS, decodeDigits, type DigitSet } from './digits.js';
import { loadFailure } from './format.js';
import type { FromWorker, ToWorker, TrainSettings } from './protocol.js';

const scope = self as unknown as {
  postMessage(message: FromWorker, transfer?: Transferable[]): void;
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
};

let api: Api | null = null;
let data: { train: DigitSet; test: DigitSet } | null = null;
let stopping: AbortController | null = null;
let predictor: MLP | null = null;

function post(message: FromWorker, transfer: Transferable[] = []): void {
  scope.postMessage(message, transfer);
}

/** The digits, and the build the page runs (or, if it does not load here, the plain-TypeScript backend). */
async function load(dataUrl: string, backend: BackendKind): Promise<void> {
  const response = await fetch(dataUrl);
  if (!response.ok) throw new Error(`could not load ${dataUrl}: HTTP ${response.status}`);
  data = decodeDigits(new Uint8Array(await response.arrayBuffer()));
  let fallback: string | undefined;
  try {
    api = await createBackend({ backend });
  } catch (error) {
    fallback = loadFailure(error);
    api = await createBackend({ backend: 'js' });
  }
  post({ type: 'ready', backend: api.kind, fallback, train: data.train.count, test: data.test.count });
}

async function train(settings: TrainSettings): Promise<void> {
  if (!api || !data) throw new Error('the worker has not loaded its data yet');
  const { train: trainSet, test } = data;
  stopping = new AbortController();
  const net = new MLP([PIXELS, settings.hiddenUnits, CLASSES], { hidden: settings.hidden, seed: settings.seed, backend: api });
  try {
    const history = await net.fit(trainSet.images, trainSet.labels, {
      epochs: settings.epochs,
      batchSize: settings.batchSize,
      learningRate: settings.learningRate,
      momentum: settings.momentum,
      validation: { x: test.images, labels: test.labels },
      signal: stopping.signal,
      onBatch: ({ epoch, batch, batches, loss }) => {
        // Every few batches is enough for a progress bar.
        if (batch % 8 === 0 || batch === batches) post({ type: 'batch', epoch, batch, batches, loss });
      },
      onEpoch: (stats) => {
        predictor?.dispose();
        predictor = MLP.fromJSON(net.toJSON(), { backend: api! });
        post({
          type: 'epoch', epoch: stats.epoch, epochs: settings.epochs, loss: stats.loss, accuracy: stats.accuracy,
          testLoss: stats.valLoss, testAccuracy: stats.valAccuracy, ms: stats.ms,
        });
      },
    });
    post({ type: 'done', stopped: history.aborted });
  } finally {
    net.dispose();
    stopping = null;
  }
}

scope.onmessage = (event) => {
  const message = event.data;
  const fail = (error: unknown) => post({ type: 'error', message: error instanceof Error ? error.message : String(error) });
  switch (message.type) {
    case 'load':
      load(message.dataUrl, message.backend).catch(fail);
      break;
    case 'start':
      if (!stopping) train(message.settings).catch(fail);
      break;
    case 'stop':
      stopping?.abort();
      break;
    case 'predict':
      if (predictor) {
        const probabilities = predictor.predict(message.pixels);
        post({ type: 'prediction', id: message.id, probabilities }, [probabilities.buffer]);
      }
      break;
    case 'sample':
      if (data) {
        const { test } = data;
        const index = message.index % test.count;
        const pixels = test.images.slice(index * PIXELS, (index + 1) * PIXELS);
        post({ type: 'sample', pixels, label: test.labels[index] }, [pixels.buffer]);
      }
      break;
  }
};
