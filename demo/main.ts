// The demo page: loads the kernels once (the first of relaxed-simd, simd and js that this browser
// runs and that loads) and wires the three panels. Each panel lives in its own module.
import { availableBackends, init, type Api, type BackendKind } from 'softmax-wasm';
import { setupExplorer } from './explorer.js';
import { setupSpeed } from './speed.js';
import { setupTraining } from './train.js';
import { ASSET_NAME } from './digits.js';
import { loadFailure } from './format.js';

const NAMES: Record<BackendKind, string> = { 'relaxed-simd': 'WebAssembly relaxed SIMD', simd: 'WebAssembly SIMD', js: 'plain TypeScript' };

/**
 * The fastest build that loads. When a build this browser can run does not load (its .wasm file
 * missing from the server, say), the next is tried, down to the library's plain-TypeScript
 * backend, which needs no file and computes the same values, slower: the page then says so
 * rather than leave every panel dead.
 */
async function loadKernels(): Promise<{ api: Api; failed: BackendKind[]; failure: string }> {
  const failed: BackendKind[] = [];
  let failure = '';
  for (const kind of availableBackends()) {
    try {
      return { api: await init({ backend: kind }), failed, failure };
    } catch (error) {
      if (kind === 'js') throw error;
      console.warn(`softmax-wasm demo: the '${kind}' build did not load`, error);
      failed.push(kind);
      failure ||= loadFailure(error);
    }
  }
  throw new Error('no backend to load'); // not reached: availableBackends() ends with 'js'
}

const status = document.querySelector<HTMLElement>('#status')!;
try {
  const { api, failed, failure } = await loadKernels();
  const fellBack = api.kind === 'js' && failed.length > 0;
  status.textContent = `kernels: ${NAMES[api.kind]}`;
  if (fellBack) {
    status.textContent += ' (the WebAssembly kernels did not load)';
    status.classList.add('error');
    status.title = `The WebAssembly kernels did not load (${failure}), so the page runs the library's plain-TypeScript backend: the same results, slower.`;
  } else if (api.kind === 'js') {
    status.title = 'This browser lacks WebAssembly SIMD: the plain-TypeScript fallback runs.';
  } else if (failed.length > 0) {
    status.title = `The ${failed.map((kind) => `'${kind}'`).join(' and ')} build did not load (${failure}): the '${api.kind}' build runs.`;
  } else {
    status.title = `init() picked the library's '${api.kind}' build, the fastest this browser runs.`;
  }
  setupExplorer(api, document.querySelector<HTMLElement>('#explorer')!);
  setupTraining(document.querySelector<HTMLElement>('#train')!, new URL(ASSET_NAME, document.baseURI).href, api.kind, fellBack);
  setupSpeed(document.querySelector<HTMLElement>('#speed')!, fellBack);
  document.body.dataset.ready = 'true';
} catch (error) {
  status.textContent = `could not start: ${String(error)}`;
  status.classList.add('error');
  throw error;
}
