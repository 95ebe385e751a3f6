// This library as a contender: one independent instance per backend kind, and typed access to
// the parts of the public API that land on other branches (matmul on `gemm`, MLP on `nn`). While
// those are missing, the cases that need them list "skipped: not available yet".
import * as lib from '../src/index.js';
import type { Api, BackendKind, Data, Tensor } from '../src/index.js';
import type { Contender } from './harness.js';

export type { Api, BackendKind, Data, Tensor };

/** Every kind this runtime can run, fastest first (relaxed-simd needs the Node 20 flag). */
export const kinds: BackendKind[] = lib.availableBackends();
export const wasmKinds = kinds.filter((k) => k !== 'js');

const instances = new Map<BackendKind, Promise<Api>>();

export function ours(kind: BackendKind): Promise<Api> {
  let api = instances.get(kind);
  if (!api) instances.set(kind, (api = lib.createBackend({ backend: kind })));
  return api;
}

export const label = (kind: BackendKind): string => `ours ${kind}`;

/**
 * One contender per kind, fastest first, each on its own instance; `slowJs` marks the js oracle
 * slow (big inputs). `call(api)` returns the timed call itself, so nothing is added to what is
 * timed.
 */
export async function perKind(does: string, call: (api: Api) => () => unknown, slowJs: boolean): Promise<Contender[]> {
  const contenders: Contender[] = [];
  for (const kind of kinds) {
    contenders.push({ name: label(kind), side: 'ours', slow: kind === 'js' && slowJs, does, run: call(await ours(kind)) });
  }
  return contenders;
}

// ---- matmul (branch gemm) ----------------------------------------------------------------------

export interface MatmulOptions {
  transA?: boolean;
  transB?: boolean;
  bias?: Float32Array;
  accumulate?: boolean;
  alpha?: number;
  out?: Data;
}
export type MatmulFn = (a: Data, b: Data, m: number, k: number, n: number, options?: MatmulOptions) => Data;

/** api.matmul bound to api, or null while the method has not landed. */
export function matmulOf(api: Api): MatmulFn | null {
  const fn = (api as unknown as { matmul?: MatmulFn }).matmul;
  return typeof fn === 'function' ? fn.bind(api) : null;
}

// ---- MLP (branch nn) ---------------------------------------------------------------------------

export interface MlpOptions {
  hidden?: string;
  seed?: number;
  backend?: BackendKind | Api;
}
export interface FitOptions {
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  shuffle?: boolean;
  seed?: number;
}
export interface Mlp {
  toJSON(): { sizes: number[]; layers: { weight: number[]; bias: number[] }[] };
  fit(x: Float32Array, labels: Int32Array, options?: FitOptions): Promise<unknown>;
  predict(x: Float32Array): Float32Array | Promise<Float32Array>;
  dispose?(): void;
}
export type MlpConstructor = new (sizes: number[], options?: MlpOptions) => Mlp;

/** The MLP class, or null while src/nn has not landed. */
export function mlpClass(): MlpConstructor | null {
  const ctor = (lib as unknown as { MLP?: MlpConstructor }).MLP;
  return typeof ctor === 'function' ? ctor : null;
}

export const NOT_YET = 'not available yet';
