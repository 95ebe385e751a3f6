// Messages between the page (train.ts) and the training worker (worker.ts).
import type { BackendKind } from 'softmax-wasm';

export interface TrainSettings {
  hiddenUnits: number;
  hidden: 'relu' | 'sigmoid' | 'tanh';
  epochs: number;
  batchSize: number;
  learningRate: number;
  momentum: number;
  seed: number;
}

export type ToWorker =
  | { type: 'load'; dataUrl: string; backend: BackendKind }
  | { type: 'start'; settings: TrainSettings }
  | { type: 'stop' }
  | { type: 'predict'; id: number; pixels: Float32Array }
  | { type: 'sample'; index: number };

export interface EpochReport {
  epoch: number;
  epochs: number;
  /** Training loss and accuracy, measured on each batch before its update. */
  loss: number;
  accuracy: number;
  /** On the held-out test digits after the epoch. */
  testLoss: number;
  testAccuracy: number;
  ms: number;
}

export type FromWorker =
  /** `fallback`: why the worker runs the plain-TypeScript backend instead of the page's build. */
  | { type: 'ready'; backend: BackendKind; fallback?: string; train: number; test: number }
  | { type: 'batch'; epoch: number; batch: number; batches: number; loss: number }
  | ({ type: 'epoch' } & EpochReport)
  | { type: 'done'; stopped: boolean }
  | { type: 'prediction'; id: number; probabilities: Float32Array }
  | { type: 'sample'; pixels: Float32Array; label: number }
  | { type: 'error'; message: string };
