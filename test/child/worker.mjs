// A worker thread with its own instance (test/lifecycle.test.ts): computes softmax and
// cross-entropy on the data it is given, many times, and posts the last results back.
import { parentPort, workerData } from 'node:worker_threads';
import { createBackend } from '../../dist/index.js';

const { kind, logits, targets, cols, repeats } = workerData;
const api = await createBackend({ backend: kind });
let probs, ce;
for (let i = 0; i < repeats; i++) {
  probs = api.softmax(logits, cols);
  ce = api.crossEntropy(logits, targets, cols, { grad: true, labelSmoothing: 0.1 });
  // Other calls in between, to interleave allocations with the other worker's.
  const t = api.tensor(logits.length / cols, cols, logits);
  api.logSoftmax(t, cols, t);
  t.dispose();
}
parentPort.postMessage({ probs, loss: ce.loss, grad: ce.grad, kind: api.kind });
