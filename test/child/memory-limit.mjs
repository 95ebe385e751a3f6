// Run by test/memory.test.ts as
//   node --wasm-max-mem-pages=256 test/child/memory-limit.mjs <flavor>
// so that memory.grow fails at 16 MiB, as it would at 4 GiB (or the engine's lower cap) in real
// use. Prints one JSON object with what it observed; the test asserts on it.
import { createBackend } from '../../dist/index.js';

const flavor = process.argv[2];
const api = await createBackend({ backend: flavor });
const wasm = api.backend;
const report = { flavor };
const errorOf = (call) => {
  try {
    call();
    return null;
  } catch (error) {
    return { name: error.constructor.name, message: error.message };
  }
};
const small = new Float32Array([2, 1, 0.1]);
const reference = Array.from(api.softmax(small, 3));
const usable = () => {
  const probs = Array.from(api.softmax(small, 3));
  return probs.every((p, i) => p === reference[i]) && wasm.arenaState().idle;
};
const heap = () => wasm.heapState();

// 1. A tensor larger than memory can grow to.
const heapBefore = heap();
report.bigTensor = errorOf(() => api.tensor(1024, 8192));
report.usableAfterBigTensor = usable();
// (The failed allocation gave the arena's idle scratch back to the heap; the call above took it again.)
report.bigTensorHeapUnchanged = JSON.stringify(heap()) === JSON.stringify(heapBefore);

// 2. A call whose inputs would fit one at a time but not together: it must fail before copying
//    anything. The inputs carry sentinel values; none may appear in wasm memory afterwards.
const n = 1_500_000; // 6 MB each: y and dy fit in the 16 MiB, y, dy and the result do not
const Y_SENTINEL = 1234.5677490234375, DY_SENTINEL = -8765.431640625; // exact float32 values
const y = new Float32Array(n).fill(Y_SENTINEL);
const dy = new Float32Array(n).fill(DY_SENTINEL);
const memoryBefore = wasm.memoryBytes();
report.tooLargeCall = errorOf(() => api.softmaxBackward(y, dy, 1000));
const words = new Float32Array(wasm.memory.exports.memory.buffer);
report.sentinelsInMemory = words.reduce((count, v) => count + (v === Y_SENTINEL || v === DY_SENTINEL ? 1 : 0), 0);
report.memoryGrewBy = wasm.memoryBytes() - memoryBefore;
report.heapUnchangedAfterCall = JSON.stringify(heap()) === JSON.stringify(heapBefore);
report.usableAfterTooLargeCall = usable();
// sampleCategorical takes one row's terms as scratch besides x: a row of 10 MB fits, with its
// terms it does not. (Unreserved, the terms' allocation failed after x was copied in.)
const wide = new Float32Array(2_500_000).fill(Y_SENTINEL);
report.tooLargeSample = errorOf(() => api.sampleCategorical(wide, wide.length, { seed: 1 }));
report.sampleSentinelsInMemory = new Float32Array(wasm.memory.exports.memory.buffer).reduce((count, v) => count + (v === Y_SENTINEL ? 1 : 0), 0);
report.usableAfterTooLargeSample = usable();

// 3. Fill the heap with tensors until memory.grow fails inside TLSF (which traps with
//    `unreachable`), then free them all: the heap must be consistent — the same tensors fit again.
const fill = () => {
  const tensors = [];
  let error = null;
  for (;;) {
    try {
      tensors.push(api.tensor(256, 1024));
    } catch (e) {
      error = { name: e.constructor.name, message: e.message };
      break;
    }
  }
  return { tensors, error };
};
// A large call that succeeds leaves its 12 MB of scratch in the arena; tensors must still get
// that memory when nothing else is left.
// (sigmoid copies x in whole and takes a result as large; softmax and crossEntropy would stream
// it through a 128 KiB block.)
report.largeCallOk = api.sigmoid(new Float32Array(n)).length === n;
report.arenaAfterLargeCall = wasm.arenaState().capacity;
const first = fill();
report.trapError = first.error;
report.tensorsFirstFill = first.tensors.length;
report.usableWhileFull = (() => {
  try {
    return usable();
  } catch (e) {
    return `${e.constructor.name}: ${e.message}`;
  }
})();
for (const t of first.tensors) t.dispose();
report.heapAfterDispose = heap();
report.heapBefore = heapBefore;
const second = fill();
report.tensorsSecondFill = second.tensors.length;
for (const t of second.tensors) t.dispose();
report.usableAtEnd = usable();
report.finalHeap = heap();
report.memoryBytes = wasm.memoryBytes();
console.log(JSON.stringify(report));
