// The demo page: loads the kernels once (init picks relaxed-simd, then simd, then js) and wires
// the three panels. Each panel lives in its own module.
import { init } from 'softmax-wasm';
import { setupExplorer } from './explorer.js';
import { setupSpeed } from './speed.js';
import { setupTraining } from './train.js';
import { ASSET_NAME } from './digits.js';

const status = document.querySelector<HTMLElement>('#status')!;
try {
  const api = await init();
  const build = api.kind === 'relaxed-simd' ? 'relaxed SIMD' : 'SIMD';
  status.textContent = api.kind === 'js' ? 'kernels: plain TypeScript' : `kernels: WebAssembly ${build}`;
  status.title = api.kind === 'js'
    ? 'This browser lacks WebAssembly SIMD: the plain-TypeScript fallback runs.'
    : `init() picked the library's '${api.kind}' build, the fastest this browser runs.`;
  setupExplorer(api, document.querySelector<HTMLElement>('#explorer')!);
  setupTraining(document.querySelector<HTMLElement>('#train')!, new URL(ASSET_NAME, document.baseURI).href);
  setupSpeed(document.querySelector<HTMLElement>('#speed')!);
  document.body.dataset.ready = 'true';
} catch (error) {
  status.textContent = `could not start: ${String(error)}`;
  status.classList.add('error');
  throw error;
}
