// Run by test/backend-selection.test.ts as
//   node --experimental-wasm-relaxed-simd [--no-enable-fma3] test/child/backend-choice.mjs
// V8's --no-enable-fma3 makes it lower f32x4.relaxed_madd to a multiply and an add, as on a CPU
// without FMA. Prints one JSON object with which backends the library offers and picks.
import { availableBackends, createBackend } from '../../dist/index.js';
import { relaxedMaddFuses } from '../../dist/wasm/loader.js';

const report = { fuses: relaxedMaddFuses(), available: availableBackends() };
report.auto = (await createBackend()).kind;
try {
  report.forced = (await createBackend({ backend: 'relaxed-simd' })).kind;
} catch (error) {
  report.forcedError = error.message;
}
console.log(JSON.stringify(report));
