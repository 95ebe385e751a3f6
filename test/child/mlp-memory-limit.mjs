// Run by test/nn-reliability.test.ts as
//   node --wasm-max-mem-pages=256 test/child/mlp-memory-limit.mjs <flavor>
// (memory.grow fails at 16 MiB): a network whose buffers cannot grow refuses the call with a
// RangeError and keeps working — no freed buffer stays in use, so memory handed out afterwards
// (here: tensors filled with a sentinel) is never written by the network. Prints a JSON report.
import { createBackend, MLP } from '../../dist/index.js';

const flavor = process.argv[2];
const api = await createBackend({ backend: flavor });
const wasm = api.backend;
const report = { flavor };
const rows = 8, inputs = 4;
const x = Float32Array.from({ length: rows * inputs }, (_, i) => Math.sin(i));
const labels = Int32Array.from({ length: rows }, (_, r) => r % 3);
api.softmax(new Float32Array(4), 4); // the arena's first block
const heapBefore = wasm.heapState();

const net = new MLP([inputs, 512, 3], { seed: 1, backend: api });
net.trainBatch(x, labels);
const before = net.predict(x);

// A full-batch fit over 20 000 rows needs ~120 MB of activations: more than memory can hold.
const big = new Float32Array(20000 * inputs).fill(0.5);
const bigLabels = new Int32Array(20000);
try {
  await net.fit(big, bigLabels, { epochs: 1, batchSize: 20000 });
  report.fitError = null;
} catch (error) {
  report.fitError = { name: error.constructor.name, message: error.message };
}
// Memory freed by the failed growth goes to whoever allocates next: tensors full of a sentinel.
const SENTINEL = 7;
const tensors = [];
for (let i = 0; i < 16; i++) tensors.push(api.tensor(8, 512, new Float32Array(8 * 512).fill(SENTINEL)));
const after = net.predict(x);
report.predictionsUnchanged = after.every((p, i) => p === before[i]);
report.tensorsUntouched = tensors.every((t) => t.toArray().every((v) => v === SENTINEL));
report.trainsAfter = Number.isFinite(net.trainBatch(x, labels));
for (const t of tensors) t.dispose();

// A network too large for memory: refused at construction, nothing left allocated.
const heapBeforeHuge = wasm.heapState();
try {
  new MLP([inputs, 2048, 2048, 3], { backend: api });
  report.hugeError = null;
} catch (error) {
  report.hugeError = { name: error.constructor.name, message: error.message };
}
api.softmax(new Float32Array(4), 4); // the failure gave the arena's idle block back; take it again
report.hugeLeftNothing = JSON.stringify(wasm.heapState()) === JSON.stringify(heapBeforeHuge);
// A momentum step whose velocities fit for the first layer only: it must update no layer. (They
// were allocated a layer at a time inside the step, which updated layer 0 and then threw.)
const momentumNet = new MLP([inputs, 4, 65536], { seed: 1, backend: api, fusedOutput: false });
momentumNet.trainBatch(x, labels, { learningRate: 1e-3 });
const filler = [];
for (let k = 20; k >= 6; k--) for (;;) { try { filler.push(api.tensor(1, 2 ** k)); } catch { break; } }
// Room for the step's scratch and layer 0's velocity (20 floats), not layer 1's (1.25 MiB).
for (const t of filler.filter((t) => t.cols <= 2 ** 16)) t.dispose();
const parameters = () => momentumNet.toJSON().layers.flatMap((l) => [...l.weight, ...l.bias]);
const beforeMomentum = parameters();
try {
  momentumNet.trainBatch(x, labels, { momentum: 0.9, learningRate: 0.01 });
  report.momentumError = null;
} catch (error) {
  report.momentumError = { name: error.constructor.name, message: error.message };
}
report.momentumChanged = parameters().filter((v, i) => v !== beforeMomentum[i]).length;
report.trainsWithoutMomentum = Number.isFinite(momentumNet.trainBatch(x, labels, { learningRate: 1e-3 }));
for (const t of filler) if (!t.disposed) t.dispose();
report.trainsWithMomentumAfter = Number.isFinite(momentumNet.trainBatch(x, labels, { momentum: 0.9, learningRate: 1e-3 }));
momentumNet.dispose();

net.dispose();
api.softmax(new Float32Array(4), 4);
report.heapBack = JSON.stringify(wasm.heapState()) === JSON.stringify(heapBefore);
report.heapBefore = heapBefore;
report.heapAfter = wasm.heapState();
console.log(JSON.stringify(report));
