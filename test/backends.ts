// Every suite runs over every backend this runtime supports: the wasm builds against the oracle,
// and the oracle itself against the worked examples. Node 20 needs
// --experimental-wasm-relaxed-simd for the relaxed build (vitest.config.ts passes it there).
import { availableBackends, createBackend, type Api, type BackendKind } from '../src/index.js';

export const kinds: BackendKind[] = availableBackends();
export const wasmKinds = kinds.filter((k) => k !== 'js');

const instances = new Map<BackendKind, Promise<Api>>();
export function backend(kind: BackendKind): Promise<Api> {
  let api = instances.get(kind);
  if (!api) instances.set(kind, (api = createBackend({ backend: kind })));
  return api;
}

/** The oracle instance, to compare the wasm builds against. */
export const oracle = (): Promise<Api> => backend('js');
