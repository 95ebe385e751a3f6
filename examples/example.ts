// What every example provides to main.ts: its defaults, how often to print, and a run()
// that trains with the given options and evaluates on held-out data.
import type { Api, BatchProgress, EpochStats, FitHistory, MLPJSON } from 'softmax-wasm';

export interface RunOptions {
  api: Api;
  epochs: number;
  batchSize: number;
  learningRate: number;
  momentum: number;
  seed: number;
  onEpoch: (stats: EpochStats) => void;
  onBatch: (progress: BatchProgress) => void;
  signal: AbortSignal;
}

export interface RunResult {
  history: FitHistory;
  /** The data the final numbers are measured on, e.g. "test (2000 digits)". */
  evaluatedOn: string;
  loss: number;
  accuracy: number;
  /** The trained network (the example disposes its MLP before returning). */
  model: MLPJSON;
  /** Anything else the example wants printed after the results (e.g. generated text). */
  notes?: string;
}

export interface Example {
  name: string;
  title: string;
  /** e.g. "784 → 128 sigmoid → 10 softmax". */
  network: string;
  data: string;
  defaults: { epochs: number; batchSize: number; learningRate: number; momentum: number };
  /** Print a line every this many epochs (and after the first and the last). */
  logEvery: number;
  run(options: RunOptions): Promise<RunResult>;
}
