// Soak test: many mixed calls of varying sizes (every public function, Float32Array and resident
// tensor arguments, `out` arrays, some refused calls, some tensors left for the
// FinalizationRegistry), then create/fit/dispose cycles of an MLP.
// After a warm-up, wasm memory, the wasm heap and the process RSS must stay flat.
//
//   npm run soak                                   # 10^6 calls, 1 000 MLP cycles
//   node scripts/run-node.js --expose-gc scripts/soak.js --calls 20000 --cycles 20 --backend simd --json
//
// Exits with status 1 if memory grew after the warm-up. Needs the build (npm run build).
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';

const USAGE = `usage: node scripts/run-node.js --expose-gc scripts/soak.js [options]   (npm run soak: the defaults)
  --calls N      mixed calls (default 1000000; the first tenth warms up)
  --cycles N     MLP create/fit/dispose cycles (default 1000; 0 for none)
  --backend K    auto, relaxed-simd, simd or js (default auto)
  --seed N       the schedule's seed (default 1)
  --json         print only the JSON report`;
function usage(problem) {
  console.error(`soak: ${problem}\n${USAGE}`);
  process.exit(2);
}
let args;
try {
  ({ values: args } = parseArgs({
    options: {
      calls: { type: 'string', default: '1000000' },
      cycles: { type: 'string', default: '1000' },
      backend: { type: 'string', default: 'auto' },
      json: { type: 'boolean', default: false },
      seed: { type: 'string', default: '1' },
      help: { type: 'boolean', default: false },
    },
  }));
} catch (error) {
  usage(error.message);
}
if (args.help) {
  console.log(USAGE);
  process.exit(0);
}
const count = (name, min) => {
  const value = Number(args[name]);
  if (!Number.isInteger(value) || value < min) usage(`--${name} must be a whole number of at least ${min}, got '${args[name]}'`);
  return value;
};
const totalCalls = count('calls', 10);
const totalCycles = count('cycles', 0);
count('seed', 0);
if (typeof globalThis.gc !== 'function') {
  console.error('soak: run node with --expose-gc (npm run soak does)');
  process.exit(2);
}
const distEntry = new URL('../dist/index.js', import.meta.url);
if (!existsSync(distEntry)) {
  console.error('soak: dist/index.js does not exist; build first with npm run build (npm run soak does)');
  process.exit(2);
}
const lib = await import(distEntry.href);
const log = args.json ? () => {} : (line) => console.log(line);

const api = await lib.createBackend({ backend: args.backend });
const wasm = typeof api.backend.heapState === 'function' ? api.backend : null;

// Mulberry32, seeded: the same schedule every run.
let state = Number(args.seed) >>> 0;
function random() {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = (list) => list[Math.floor(random() * list.length)];

// Shapes from one value to 2^20 floats; the large ones are rare so 10^6 calls take minutes.
const shapes = [
  [1, 1], [1, 3], [2, 10], [7, 37], [64, 10], [16, 128], [3, 1000], [256, 64], [1, 4099], [32, 1000],
  [1024, 256], [1, 1 << 20],
];
const shapeWeights = [30, 30, 30, 30, 20, 20, 10, 10, 10, 5, 1, 0.2];
const weightTotal = shapeWeights.reduce((a, b) => a + b);
function pickShape() {
  let u = random() * weightTotal;
  for (let i = 0; i < shapes.length; i++) {
    u -= shapeWeights[i];
    if (u <= 0) return i;
  }
  return shapes.length - 1;
}

// Inputs are made once per shape: the soak measures the library, not the test's garbage.
const inputs = shapes.map(([rows, cols], s) => {
  const n = rows * cols;
  const x = new Float32Array(n), dy = new Float32Array(n), unit = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    x[i] = (random() - 0.5) * 20;
    dy[i] = random() - 0.5;
    unit[i] = random();
  }
  if (s % 3 === 0) x[0] = -Infinity; // masks and NaN rows are part of the mix
  if (s % 5 === 4) x[n - 1] = NaN;
  const targets = Int32Array.from({ length: rows }, () => Math.floor(random() * cols));
  const probs = api.softmax(unit, cols);
  const weights = Float32Array.from({ length: cols * 8 }, () => random() - 0.5); // a cols × 8 layer
  return { rows, cols, x, dy, unit, targets, probs, weights, out: new Float32Array(n), rowsOut: new Float32Array(rows) };
});

const FORGETTABLE_FLOATS = 4096;

const operations = [
  ({ x, cols }, t) => api.softmax(t ?? x, cols),
  ({ x, cols, out }, t) => api.logSoftmax(t ?? x, cols, t ? undefined : out, { temperature: 0.5 }),
  ({ x, cols, rowsOut }) => api.logSumExp(x, cols, rowsOut),
  ({ probs, dy, cols }) => api.softmaxBackward(probs, dy, cols),
  ({ x, targets, cols }, t) => api.crossEntropy(t ?? x, targets, cols, { grad: true, labelSmoothing: 0.1 }),
  ({ x, probs, cols }) => api.crossEntropy(x, probs, cols, { reduction: 'none', grad: true, zLoss: 1e-4 }),
  ({ x }, t) => api.sigmoid(t ?? x),
  ({ x, out }) => api.tanh(x, out),
  ({ x }, t) => api.relu(t ?? x),
  ({ probs, dy }) => api.sigmoidBackward(probs, dy),
  ({ probs, dy, out }) => api.tanhBackward(probs, dy, out),
  ({ x, unit }) => api.binaryCrossEntropyWithLogits(x, unit, { grad: true }),
  ({ x, dy }) => api.mse(x, dy, { reduction: 'none' }),
  ({ x, cols }) => api.argmax(x, cols),
  ({ x, cols }) => api.sampleCategorical(x, cols, { seed: 7 }),
  ({ x, cols }, t) => api.sparsemax(t ?? x, cols),
  ({ probs, dy, cols, out }) => api.sparsemaxBackward(probs, dy, cols, out),
  // One row of at most 64 classes: the Jacobian is cols² floats.
  ({ probs, cols }) => api.softmaxJacobian(probs.subarray(0, Math.min(cols, 64))),
  ({ x, rows, cols, weights }, t) => api.matmul(t ?? x, weights, rows, cols, 8, { bias: weights.subarray(0, 8) }),
  ({ x, rows, cols, weights, targets }) => api.linearCrossEntropy(x, weights, targets.map((c) => c % 8), rows, cols, 8, { grad: true }),
];
// Refused calls: each must throw before touching memory.
const refused = [
  ({ x }) => api.softmax(x, 0),
  ({ x, cols }) => api.crossEntropy(x, new Int32Array(x.length / cols).fill(cols), cols),
  ({ x, cols }) => api.softmax(x, cols, new Float32Array(x.length + 1)),
  ({ x, cols }) => api.softmax(x, cols, { temprature: 2 }),
];

function measure() {
  const usage = process.memoryUsage();
  return {
    wasmBytes: api.backend.memoryBytes(),
    heap: wasm ? wasm.heapState() : null,
    rssBytes: usage.rss,
    // The JS side: V8's heap after collection, and memory outside it (ArrayBuffers, wasm memory).
    jsHeapUsedBytes: usage.heapUsed,
    jsHeapTotalBytes: usage.heapTotal,
    externalBytes: usage.external,
  };
}
async function settle() {
  // Full collections, with turns of the event loop in between for the finalizers.
  for (let i = 0; i < 4; i++) {
    globalThis.gc();
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
}
const mb = (bytes) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

let refusedCount = 0;
function oneCall(i, s) {
  const input = inputs[s];
  if (i % 97 === 13) {
    try {
      pick(refused)(input);
    } catch (error) {
      if (!(error instanceof TypeError || error instanceof RangeError)) throw error;
      refusedCount++;
      return;
    }
    throw new Error('soak: a refused call did not throw');
  }
  // Every 5th call works on a resident tensor; every 50th of those, if small, is left to the
  // FinalizationRegistry. (Large forgotten tensors would raise the wasm high-water mark by however
  // many of them the garbage collector lets pile up: its timing ignores wasm memory.)
  const resident = i % 5 === 0 ? api.tensor(input.rows, input.cols, input.x) : undefined;
  pick(operations)(input, resident);
  if (resident && (i % 250 !== 0 || input.x.length > FORGETTABLE_FLOATS)) resident.dispose();
}

const started = performance.now();
// Warm-up: every operation on every shape (so the largest scratch is reached), then 10% of calls.
for (let s = 0; s < shapes.length; s++) {
  for (const op of operations) op(inputs[s]);
}
const warmCalls = Math.floor(totalCalls / 10);
for (let i = 0; i < warmCalls; i++) oneCall(i, pickShape());
await settle();
const warm = measure();
log(`soak: backend ${api.kind}; warm-up done (${warmCalls} calls): wasm memory ${mb(warm.wasmBytes)}, heap ${warm.heap ? mb(warm.heap.liveBytes) : '-'}, RSS ${mb(warm.rssBytes)}`);

const progressEvery = Math.max(1, Math.floor((totalCalls - warmCalls) / 10));
for (let i = warmCalls; i < totalCalls; i++) {
  oneCall(i, pickShape());
  if ((i - warmCalls + 1) % progressEvery === 0) {
    await settle();
    const now = measure();
    log(`soak: ${i + 1}/${totalCalls} calls, ${((performance.now() - started) / 1000).toFixed(0)} s: wasm memory ${mb(now.wasmBytes)}, heap ${now.heap ? mb(now.heap.liveBytes) : '-'}, RSS ${mb(now.rssBytes)} (JS heap ${mb(now.jsHeapUsedBytes)} used of ${mb(now.jsHeapTotalBytes)}, external ${mb(now.externalBytes)})`);
  }
}
await settle();
const afterCalls = measure();

// MLP cycles.
let cycles = 0, afterCycles = null, warmCycles = null;
if (totalCycles > 0) {
  const features = 4, classes = 3, samples = 120;
  const data = Float32Array.from({ length: samples * features }, () => random() * 2 - 1);
  const labels = Int32Array.from({ length: samples }, (_, r) => (data[r * features] > 0 ? 0 : data[r * features + 1] > 0 ? 1 : 2));
  // Sizes vary so that buffers of different lengths come and go; every 100th network is forgotten
  // (left to the FinalizationRegistry) instead of disposed. (Forgetting every 10th, 10 000 cycles
  // doubled wasm memory: the collector, blind to wasm memory, let ~150 KB networks pile up.)
  const hiddenSizes = [5, 16, 64, 200];
  const cycle = async (c) => {
    const hidden = hiddenSizes[c % hiddenSizes.length];
    const net = new lib.MLP([features, hidden, classes], { hidden: c % 3 === 0 ? 'relu' : 'sigmoid', seed: c, backend: api });
    await net.fit(data, labels, { epochs: 3, batchSize: 16 + (c % 4) * 16, momentum: c % 2 ? 0.9 : 0 });
    net.predict(data);
    net.evaluate(data, labels);
    if (c % 100 !== 99) net.dispose();
  };
  const warmN = Math.max(hiddenSizes.length, Math.floor(totalCycles / 10));
  for (; cycles < warmN; cycles++) await cycle(cycles);
  await settle();
  warmCycles = measure();
  for (; cycles < totalCycles; cycles++) {
    await cycle(cycles);
    if ((cycles + 1) % Math.max(1, Math.floor(totalCycles / 5)) === 0) log(`soak: ${cycles + 1}/${totalCycles} MLP cycles`);
  }
  await settle();
  afterCycles = measure();
  log(`soak: MLP cycles ${warmN} → ${totalCycles}: wasm memory ${warmCycles.wasmBytes} → ${afterCycles.wasmBytes} bytes, wasm heap live ${warmCycles.heap?.liveBytes ?? '-'} → ${afterCycles.heap?.liveBytes ?? '-'} bytes, RSS ${mb(warmCycles.rssBytes)} → ${mb(afterCycles.rssBytes)} (outside the JS heap ${mb(warmCycles.rssBytes - warmCycles.jsHeapTotalBytes)} → ${mb(afterCycles.rssBytes - afterCycles.jsHeapTotalBytes)})`);
}

const seconds = (performance.now() - started) / 1000;
const end = afterCycles ?? afterCalls;
// Wasm memory and the wasm heap must not move at all. RSS also holds V8's heap, which V8 sizes by
// the allocation rate (the young generation alone grows by up to 32 MiB): so the JS heap in use
// must stay within 8 MiB, and the rest of RSS — native memory, wasm, array buffers, code — within
// 10% or 16 MiB.
const outsideJsHeap = (m) => m.rssBytes - m.jsHeapTotalBytes;
const checks = {
  wasmMemoryFlat: end.wasmBytes === warm.wasmBytes,
  heapFlat: JSON.stringify(afterCalls.heap) === JSON.stringify(warm.heap)
    && (!afterCycles || JSON.stringify(afterCycles.heap) === JSON.stringify(warmCycles.heap)),
  jsHeapFlat: end.jsHeapUsedBytes - warm.jsHeapUsedBytes <= 8 * 2 ** 20,
  rssFlat: outsideJsHeap(end) - outsideJsHeap(warm) <= Math.max(16 * 2 ** 20, outsideJsHeap(warm) * 0.1),
};
const report = {
  backend: api.kind, calls: totalCalls, refusedCalls: refusedCount, mlpCycles: cycles, seconds: Number(seconds.toFixed(1)),
  warmUp: warm, afterCalls, warmUpCycles: warmCycles, end, checks,
};
if (args.json) console.log(JSON.stringify(report));
else {
  log(`soak: ${totalCalls} calls (${refusedCount} refused) and ${cycles} MLP cycles in ${seconds.toFixed(1)} s`);
  log(`soak: wasm memory ${warm.wasmBytes} → ${end.wasmBytes} bytes; wasm heap live ${warm.heap?.liveBytes ?? '-'} → ${end.heap?.liveBytes ?? '-'} bytes`);
  log(`soak: RSS ${mb(warm.rssBytes)} → ${mb(end.rssBytes)}; outside the JS heap ${mb(outsideJsHeap(warm))} → ${mb(outsideJsHeap(end))}; JS heap used ${mb(warm.jsHeapUsedBytes)} → ${mb(end.jsHeapUsedBytes)} (of ${mb(warm.jsHeapTotalBytes)} → ${mb(end.jsHeapTotalBytes)})`);
  log(`soak: ${Object.entries(checks).map(([k, v]) => `${k} ${v ? 'ok' : 'FAILED'}`).join(', ')}`);
}
process.exit(Object.values(checks).every(Boolean) ? 0 : 1);
