// A/B timing of one kernel export in two builds of the wasm module, interleaved in one process and
// timed in process CPU time, for comparing a kernel change against the code before it on a shared
// machine (where absolute times drift with the load but the ratio B/A holds):
//
//   git stash && npm run build:wasm && cp build/softmax-wasm.simd.wasm /tmp/A.wasm && git stash pop
//   npm run build:wasm && node scripts/kernel-ab.js /tmp/A.wasm build/softmax-wasm.simd.wasm \
//     softmaxRows '[[32,10],[128,1000],[64,4096],[1024,4096]]'
//
// Kernels: softmaxRows, logSoftmaxRows, logSumExpRows (x, out, rows, cols, 1/T = 1; out has room
// for rows × cols floats, logSumExpRows writes the first rows), crossEntropyIndexRows and
// crossEntropyProbRows (mean, with gradient; targets class indices, or each row's softmax of other
// numbers; an optional fifth argument is the label smoothing, default 0, and a sixth, `weights`,
// gives class weights in [0.5, 2)). The relaxed-SIMD build needs node --experimental-wasm-relaxed-simd on
// Node 20. Prints ns per element (min and median of 30 interleaved samples) and B/A of the medians.
//
// The logits are sin(i·12.9898)·5 (rows spanning about 10: the narrow exp). Options anywhere on the
// line: --span=S spreads them over S instead (S ≥ 32, or ≥ 8 with a temperature, takes the exact
// exp), and --inv-temperature=s passes 1/T = s to softmaxRows, logSoftmaxRows and logSumExpRows.
import { readFileSync } from 'node:fs';

const option = (name) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
const span = option('span') === undefined ? null : Number(option('span'));
const invTemperature = Number(option('inv-temperature') ?? 1);
const positional = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const [fileA, fileB, kernel = 'softmaxRows', shapesArg, labelSmoothingArg = '0', weightsArg] = positional;
const labelSmoothing = Number(labelSmoothingArg);
if (!fileA || !fileB || (weightsArg !== undefined && weightsArg !== 'weights')) {
  console.error('usage: node scripts/kernel-ab.js A.wasm B.wasm [kernel] [shapes as JSON [[rows, cols], …]] [label smoothing] [weights] [--span=S] [--inv-temperature=s]');
  process.exit(1);
}
const shapes = shapesArg ? JSON.parse(shapesArg) : [[32, 10], [128, 1000], [64, 4096], [1024, 4096]];
const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

async function load(file) {
  const { instance } = await WebAssembly.instantiate(readFileSync(file), {
    env: { abort() { throw new Error(`${file}: wasm abort`); } },
  });
  return instance.exports;
}

const builds = [await load(fileA), await load(fileB)];
for (const [rows, cols] of shapes) {
  const n = rows * cols;
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = span === null ? Math.sin(i * 12.9898) * 5 : (Math.sin(i * 12.9898) * 0.5 + 0.5) * span - 20;
  // Same data at the same kind of place in each build's memory.
  const pointers = builds.map((m) => {
    const probs = kernel === 'crossEntropyProbRows';
    const px = m.alloc(n * 4), pout = m.alloc(n * 4), ptargets = m.alloc((probs ? n : rows) * 4);
    const pweight = weightsArg ? m.alloc(cols * 4) : 0;
    new Float32Array(m.memory.buffer, px, n).set(x);
    if (pweight) new Float32Array(m.memory.buffer, pweight, cols).set(Float32Array.from({ length: cols }, (_, j) => 0.5 + (1.5 * j) / cols));
    if (probs) {
      const targets = new Float32Array(m.memory.buffer, ptargets, n);
      for (let r = 0; r < rows; r++) {
        let sum = 0;
        for (let j = 0; j < cols; j++) sum += targets[r * cols + j] = Math.exp(Math.cos(r * cols + j));
        for (let j = 0; j < cols; j++) targets[r * cols + j] /= sum;
      }
    } else {
      const targets = new Int32Array(m.memory.buffer, ptargets, rows);
      for (let r = 0; r < rows; r++) targets[r] = (r * 7) % cols;
    }
    return { px, pout, ptargets, pweight };
  });
  const call = (k) => {
    const m = builds[k], { px, pout, ptargets, pweight } = pointers[k];
    if (kernel === 'crossEntropyIndexRows') m.crossEntropyIndexRows(px, ptargets, rows, cols, pweight, -100, labelSmoothing, 0, 1, 1 / rows, pout, 0, 0);
    else if (kernel === 'crossEntropyProbRows') m.crossEntropyProbRows(px, ptargets, rows, cols, pweight, labelSmoothing, 0, 1, 1 / rows, pout, 0, 0);
    else m[kernel](px, pout, rows, cols, invTemperature);
  };
  const inner = Math.max(1, Math.round(4e5 / (n + 100)));
  for (let k = 0; k < 2; k++) for (let i = 0; i < 3 * inner; i++) call(k);
  const samples = [[], []];
  for (let rep = 0; rep < 30; rep++) {
    for (const k of rep % 2 ? [1, 0] : [0, 1]) {
      const t0 = cpuMs();
      for (let i = 0; i < inner; i++) call(k);
      samples[k].push(((cpuMs() - t0) / inner) * 1e6 / n);
    }
  }
  const [a, b] = samples.map((s) => {
    s.sort((p, q) => p - q);
    return { min: s[0], median: s[s.length >> 1] };
  });
  console.log(
    `${kernel} ${rows}×${cols}`.padEnd(34),
    `A min ${a.min.toFixed(3)} median ${a.median.toFixed(3)} | B min ${b.min.toFixed(3)} median ${b.median.toFixed(3)} ns/element | B/A ${(b.median / a.median).toFixed(3)}`,
  );
}
