// TensorFlow.js as a peer: the wasm backend (XNNPACK kernels, SIMD, one thread) and the plain-JS
// cpu backend, both in this process. Only one tfjs backend is active at a time, so every tfjs
// contender switches to its backend before its round and creates its resident inputs there
// (a tensor used under another backend would be moved, and the move would be timed).
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths, getThreadsCount } from '@tensorflow/tfjs-backend-wasm';

export type TfBackend = 'wasm' | 'cpu';

export interface TfjsInfo {
  version: string;
  /** The .wasm file the wasm backend loaded (recorded by watching fs.readFileSync). */
  wasmBinary: string;
  simd: boolean;
  multithread: boolean;
  threads: number;
}

let info: Promise<TfjsInfo> | null = null;

/**
 * Registers the wasm backend for Node: binaries from node_modules, SIMD on, threads off (the
 * threaded binary would start worker threads; every contender here runs on one core).
 */
export function loadTfjs(): Promise<TfjsInfo> {
  info ??= (async () => {
    // Silences the "install tfjs-node" banner and debug checks, as a production app would.
    tf.enableProdMode();
    // The package's main file sits in dist/, next to the .wasm binaries.
    const main = createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm');
    setWasmPaths(path.dirname(main) + path.sep);
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    const loaded: string[] = [];
    const readFileSync = fs.readFileSync;
    fs.readFileSync = ((path: fs.PathOrFileDescriptor, ...rest: unknown[]) => {
      if (String(path).endsWith('.wasm')) loaded.push(String(path));
      return (readFileSync as (...a: unknown[]) => unknown)(path, ...rest);
    }) as typeof fs.readFileSync;
    try {
      if (!(await tf.setBackend('wasm'))) throw new Error('tf.setBackend("wasm") failed');
    } finally {
      fs.readFileSync = readFileSync;
    }
    return {
      version: tf.version.tfjs,
      wasmBinary: loaded.map((p) => p.slice(p.lastIndexOf('/') + 1)).join(', ') || 'unknown',
      simd: Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')),
      multithread: Boolean(await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')),
      threads: getThreadsCount(),
    };
  })();
  return info;
}

/** Makes `backend` the active tfjs backend (cheap once both are initialised). */
export async function useTf(backend: TfBackend): Promise<void> {
  await loadTfjs();
  if (tf.getBackend() !== backend && !(await tf.setBackend(backend))) {
    throw new Error(`tf.setBackend('${backend}') failed`);
  }
}

/** Throws if the tensors alive now differ from `before` (a contender leaked). */
export function checkNoLeak(before: number, who: string): void {
  const now = tf.memory().numTensors;
  if (now !== before) throw new Error(`${who}: ${now - before} tfjs tensors leaked per round`);
}

export { tf };

export type TfTier = 'array' | 'resident x' | 'kernel only';

export interface TfSpec {
  backend: TfBackend;
  /** The tfjs calls, for the "what is timed" notes: "tf.softmax(x)". */
  call: string;
  /** Creates the input tensors from the case's Float32Arrays (a copy into tfjs memory). */
  inputs: () => tf.Tensor[];
  /** The computation; returns every tensor it made that must be read or disposed. */
  op: (inputs: tf.Tensor[]) => tf.Tensor[];
  /** Reads the outputs back (dataSync), as the result to check. */
  read: (outputs: tf.Tensor[]) => unknown;
  tiers?: TfTier[];
  slow?: boolean;
  /** Another way of writing the same computation in tfjs, named after the backend: 'closed form'. */
  variant?: string;
}

/**
 * The tfjs contenders of one case, one per tier, named `tfjs-<backend>` (plus the variant) plus the tier:
 * - array: from Float32Arrays to Float32Arrays, the same work as ours by default — create the
 *   input tensors, run, dataSync() every output, dispose everything;
 * - resident x: inputs already in tfjs memory; run, dataSync(), dispose the outputs;
 * - kernel only: inputs resident; run and dispose the outputs unread (tfjs-wasm runs kernels
 *   eagerly, so this is the kernels' time plus tfjs's per-op overhead).
 */
export function tfjsContenders(spec: TfSpec): import('../harness.js').Contender[] {
  const name = `tfjs-${spec.backend}${spec.variant ? ` ${spec.variant}` : ''}`;
  let resident: tf.Tensor[] = [];
  let tensorsBefore = 0;
  const before = async () => {
    await useTf(spec.backend);
    tensorsBefore = tf.memory().numTensors;
    resident = spec.inputs();
  };
  const after = () => {
    for (const t of resident) t.dispose();
    resident = [];
    checkNoLeak(tensorsBefore, name);
  };
  const dispose = (tensors: tf.Tensor[]) => { for (const t of tensors) t.dispose(); };
  const tiers = spec.tiers ?? ['array', 'resident x', 'kernel only'];
  return tiers.map((tier) => {
    if (tier === 'array') {
      return {
        name, side: 'peer' as const, before, after, slow: spec.slow,
        does: `inputs → tensors, ${spec.call}, dataSync() → Float32Array, dispose all`,
        run: () => {
          const inputs = spec.inputs();
          const outputs = spec.op(inputs);
          const result = spec.read(outputs);
          dispose(outputs);
          dispose(inputs);
          return result;
        },
      };
    }
    if (tier === 'resident x') {
      return {
        name: `${name} resident x`, side: 'peer' as const, before, after, slow: spec.slow,
        does: `${spec.call} on resident inputs, dataSync() → Float32Array, dispose outputs`,
        run: () => {
          const outputs = spec.op(resident);
          const result = spec.read(outputs);
          dispose(outputs);
          return result;
        },
      };
    }
    return {
      name: `${name} kernel only`, side: 'peer' as const, before, after, slow: spec.slow, noCheck: true,
      does: `${spec.call} on resident inputs, outputs disposed unread`,
      run: () => dispose(spec.op(resident)),
    };
  });
}
