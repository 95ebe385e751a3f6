// Run by test/lifecycle.test.ts as `node --expose-gc test/child/finalization.mjs <flavor>`:
// tensors that callers forget to dispose are reclaimed by the FinalizationRegistry once garbage
// collected, so a program that leaks tensor objects does not leak wasm heap. Prints a JSON report.
import { createBackend } from '../../dist/index.js';

const flavor = process.argv[2];
const api = await createBackend({ backend: flavor });
const wasm = api.backend;
const tick = () => new Promise((resolve) => setTimeout(resolve, 0));
async function collect() {
  // Finalizers run as tasks after a collection; a few rounds let them all run.
  for (let i = 0; i < 5; i++) {
    globalThis.gc();
    await tick();
  }
}
function forget(count) {
  for (let i = 0; i < count; i++) {
    const t = api.tensor(64, 1024, new Float32Array(64 * 1024).fill(i)); // 256 KiB, never disposed
    api.softmax(t, 1024, t);
  }
}

api.softmax(new Float32Array(1024), 1024); // warm the arena up
await collect();
const report = { flavor, baseline: wasm.heapState() };
forget(100);
report.afterForgetting = wasm.heapState();
await collect();
report.afterCollect = wasm.heapState();
report.memoryAfterFirstRound = wasm.memoryBytes();
for (let round = 0; round < 20; round++) {
  forget(100);
  await collect();
}
report.afterRounds = wasm.heapState();
report.memoryAfterRounds = wasm.memoryBytes();
// A disposed tensor is unregistered: collecting it later must not free its block a second time.
const kept = api.tensor(4, 4);
for (let i = 0; i < 50; i++) api.tensor(4, 4).dispose();
await collect();
report.keptStillUsable = api.softmax(kept, 4)[0] === 0.25;
kept.dispose();
await collect();
report.final = wasm.heapState();
// Networks too: 30 forgotten MLPs, trained once each, are freed after collection.
const { MLP } = await import('../../dist/index.js');
const x = Float32Array.from({ length: 32 * 4 }, (_, i) => Math.cos(i));
const labels = Int32Array.from({ length: 32 }, (_, r) => r % 3);
for (let i = 0; i < 30; i++) new MLP([4, 64, 3], { seed: i, backend: api }).trainBatch(x, labels);
report.afterForgettingNetworks = wasm.heapState();
await collect();
report.afterCollectingNetworks = wasm.heapState();
console.log(JSON.stringify(report));
