// This library as a contender: one independent instance per backend kind.
import * as lib from '../src/index.js';
import type { Api, BackendKind, Data, MLPJSON, Tensor } from '../src/index.js';
import type { Contender } from './harness.js';

export { MLP } from '../src/index.js';
export type { Api, BackendKind, Data, MLPJSON, Tensor };

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
