// Loaded by backend-report.html (an inline module script would need 'unsafe-inline' under a CSP). Writes
// what the library offers and does there into <body data-result>, which the test reads.
import { availableBackends, createBackend, init, softmax } from '../dist/index.js';

/** The message of a call's rejection, '' if it resolves. @param {Promise<unknown>} promise */
const failure = (promise) => promise.then(() => '', (/** @type {Error} */ error) => error.message);
/** @type {Record<string, unknown>} */
const result = {};
try {
  result.available = availableBackends();
  result.auto = (await init()).kind;
  result.firstExample = Array.from(softmax(new Float32Array([2.0, 1.0, 0.1]), 3));
  result.simdError = await failure(createBackend({ backend: 'simd' }));
  result.relaxedError = await failure(createBackend({ backend: 'relaxed-simd' }));
  result.wasmRequested = performance.getEntriesByType('resource').some((entry) => entry.name.endsWith('.wasm'));
} catch (error) {
  result.error = String((error instanceof Error && error.stack) || error);
}
document.body.dataset.result = JSON.stringify(result);
