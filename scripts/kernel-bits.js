// Bit-for-bit comparison of two builds of the wasm module, for kernel changes meant to give the
// same results (design log item 36, and the matmul designs tried): runs softmaxRows,
// logSoftmaxRows, crossEntropyIndexRows (mean loss and gradient; plain, with label smoothing and
// class weights, and with label smoothing and ignored rows) and crossEntropyProbRows (smoothed and
// weighted) of both builds on the same rows, and gemm on the same operands, and counts the outputs
// whose bits differ. The rows cover every exp path: narrow, with and without a temperature, wide
// (exact), large offsets, −∞ masks, NaN rows, and batches whose groups of four short rows mix
// narrow and wide rows; 1 to 20 000 columns, and two matrices over 1 MiB, where logSoftmaxRows
// scans the next row during each row's sum (item 43). logSoftmax also runs in place. The products
// cover all four transposes, odd shapes (tail rows, columns and depths; one and two rows, which
// take the in-place and 2 × 16 paths; more than one block of depth and of columns), with and
// without alpha, bias and accumulation.
//
//   node scripts/run-node.js scripts/kernel-bits.js A.wasm B.wasm   (run-node.js: Node 20's relaxed-SIMD flag)
//
// Exits 1 when any non-NaN output differs (NaN sign and payload are the engine's choice, counted
// apart).
import { readFileSync } from 'node:fs';

const [fileA, fileB] = process.argv.slice(2);
if (!fileA || !fileB) {
  console.error('usage: node scripts/run-node.js scripts/kernel-bits.js A.wasm B.wasm   (run-node.js: Node 20 compiles the relaxed build only with its flag)');
  process.exit(2);
}

// Builds from 2026-12-07 evening on take 1/T's float32 rounding error after 1/T (0 here: every s
// below is a float32); an older build, with fewer parameters, is called without it.
const tail = (fn, oldArity) => (fn.length > oldArity ? [0] : []);

async function load(file) {
  const { instance } = await WebAssembly.instantiate(readFileSync(file), {
    env: { abort() { throw new Error(`${file}: wasm abort`); } },
  });
  return instance.exports;
}

const builds = [await load(fileA), await load(fileB)];
let seed = 1;
const random = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;

// [span, offset, 1/T, −∞ masks]
const DATA = [
  [6, 0, 1, false], [4.4, 0, 1, false], [8, 0, 0.9, false], [20, 0, 1.7, false], [60, 0, 1, false],
  [100, 0, 0.3, false], [10, 1000, 1, false], [6, 0, 1, true], [200, -50, 1, true],
];
// Class weights in [0.5, 2), one per class for the widest rows.
const weights = Float32Array.from({ length: 20_000 }, () => 0.5 + 1.5 * random());
// Probability targets: each row the softmax of other random numbers, in f64 rounded to f32.
function softmaxOfRandom(rows, cols) {
  const y = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const e = Array.from({ length: cols }, () => Math.exp(4 * random()));
    const sum = e.reduce((a, b) => a + b, 0);
    for (let j = 0; j < cols; j++) y[r * cols + j] = e[j] / sum;
  }
  return y;
}
// What each build's run below returns, in order: its outputs' bits, and its losses.
const OUTPUTS = [
  'softmax', 'logSoftmax', 'logSoftmax in place', 'gradient', 'gradient with label smoothing and weights',
  'gradient with label smoothing, ignored rows', 'gradient of probability targets',
];
const LOSSES = ['loss', 'loss with label smoothing and weights', 'loss with label smoothing, ignored rows', 'loss of probability targets'];
let compared = 0, differing = 0, nanOnly = 0;
for (const [rows, cols] of [[37, 10], [64, 1], [33, 63], [9, 64], [5, 1000], [3, 4099], [2, 20000], [70, 4099], [270, 1001]]) {
  for (const mixed of [false, true]) {
    for (const [span, offset, s, masked] of DATA) {
      const n = rows * cols;
      const x = new Float32Array(n);
      // Mixed: every third row 20× wider, and row 5 holds a NaN.
      for (let i = 0; i < n; i++) x[i] = offset + (random() - 0.5) * span * (mixed && Math.floor(i / cols) % 3 === 1 ? 20 : 1);
      if (mixed && rows > 5) x[5 * cols] = NaN;
      if (masked) for (let i = 1; i < n; i += 5) x[i] = -Infinity;
      const targetProbs = softmaxOfRandom(rows, cols);
      const results = builds.map((m) => {
        const px = m.alloc(n * 4), probs = m.alloc(n * 4), logs = m.alloc(n * 4), inPlace = m.alloc(n * 4), grad = m.alloc(n * 4);
        const smoothedGrad = m.alloc(n * 4), unweightedGrad = m.alloc(n * 4), probGrad = m.alloc(n * 4), probTargets = m.alloc(n * 4);
        const targets = m.alloc(rows * 4);
        new Float32Array(m.memory.buffer, px, n).set(x);
        const t = new Int32Array(m.memory.buffer, targets, rows);
        for (let r = 0; r < rows; r++) t[r] = r % cols;
        m.softmaxRows(px, probs, rows, cols, s, ...tail(m.softmaxRows, 5));
        m.logSoftmaxRows(px, logs, rows, cols, s, ...tail(m.logSoftmaxRows, 5));
        // And in place (x = out), which the Float32Array calls' row blocks use.
        new Float32Array(m.memory.buffer, inPlace, n).set(x);
        m.logSoftmaxRows(inPlace, inPlace, rows, cols, s, ...tail(m.logSoftmaxRows, 5));
        const loss = m.crossEntropyIndexRows(px, targets, rows, cols, 0, -100, 0, 0, s, ...tail(m.crossEntropyIndexRows, 13), 1 / rows, grad, 0, 0);
        // And with label smoothing and class weights (the general ends, item 44).
        const pw = m.alloc(cols * 4);
        new Float32Array(m.memory.buffer, pw, cols).set(weights.subarray(0, cols));
        const smoothed = m.crossEntropyIndexRows(px, targets, rows, cols, pw, -100, 0.1, 0, s, ...tail(m.crossEntropyIndexRows, 13), 1 / rows, smoothedGrad, 0, 0);
        // And label smoothing without weights, every seventh row ignored (item 45's group end
        // falls back to the rows of a group that holds one).
        for (let r = 3; r < rows; r += 7) t[r] = -100;
        const unweighted = m.crossEntropyIndexRows(px, targets, rows, cols, 0, -100, 0.2, 0, s, ...tail(m.crossEntropyIndexRows, 13), 1 / rows, unweightedGrad, 0, 0);
        // And probability targets (each row's softmax of other numbers), smoothed and weighted.
        new Float32Array(m.memory.buffer, probTargets, n).set(targetProbs);
        const probLoss = m.crossEntropyProbRows(px, probTargets, rows, cols, pw, 0.1, 0, s, ...tail(m.crossEntropyProbRows, 12), 1 / rows, probGrad, 0, 0);
        const bits = [probs, logs, inPlace, grad, smoothedGrad, unweightedGrad, probGrad].map((p) => new Uint32Array(m.memory.buffer, p, n).slice());
        for (const p of [px, probs, logs, inPlace, grad, smoothedGrad, unweightedGrad, probGrad, probTargets, targets, pw]) m.free(p);
        return { bits, loss: [loss, smoothed, unweighted, probLoss] };
      });
      for (let k = 0; k < OUTPUTS.length; k++) {
        const a = results[0].bits[k], b = results[1].bits[k];
        for (let i = 0; i < n; i++) {
          compared++;
          if (a[i] === b[i]) continue;
          const va = new Float32Array(a.buffer)[i], vb = new Float32Array(b.buffer)[i];
          if (Number.isNaN(va) && Number.isNaN(vb)) { nanOnly++; continue; }
          if (++differing <= 5) console.log(`${OUTPUTS[k]} ${rows}×${cols} span ${span} 1/T ${s}: [${i}] ${va} vs ${vb}`);
        }
      }
      for (let k = 0; k < LOSSES.length; k++) {
        compared++;
        const a = results[0].loss[k], b = results[1].loss[k];
        if (!Object.is(a, b) && ++differing <= 5) console.log(`${LOSSES[k]} ${rows}×${cols} span ${span}: ${a} vs ${b}`);
      }
    }
  }
}
for (const [m, k, n] of [[300, 257, 520], [129, 513, 77], [5, 300, 33], [1030, 64, 17], [130, 1, 9], [2, 40, 70], [1, 9, 600]]) {
  for (const [transA, transB] of [[false, false], [false, true], [true, false], [true, true]]) {
    for (const [alpha, accumulate, withBias] of [[1, false, false], [0.5, true, true]]) {
      const a = Float32Array.from({ length: m * k }, () => random() - 0.5);
      const b = Float32Array.from({ length: k * n }, () => random() - 0.5);
      const c = Float32Array.from({ length: m * n }, () => random() - 0.5);
      const bias = Float32Array.from({ length: n }, () => random() - 0.5);
      const [bitsA, bitsB] = builds.map((w) => {
        const pa = w.alloc(m * k * 4), pb = w.alloc(k * n * 4), pc = w.alloc(m * n * 4), pbias = w.alloc(n * 4);
        const scratch = w.alloc(w.gemmScratchLength(m, k, n) * 4);
        for (const [p, v] of [[pa, a], [pb, b], [pc, c], [pbias, bias]]) new Float32Array(w.memory.buffer, p, v.length).set(v);
        w.gemm(pa, pb, pc, m, k, n, transA, transB, alpha, accumulate, withBias ? pbias : 0, scratch);
        const bits = new Uint32Array(w.memory.buffer, pc, m * n).slice();
        for (const p of [pa, pb, pc, pbias, scratch]) w.free(p);
        return bits;
      });
      for (let i = 0; i < bitsA.length; i++) {
        compared++;
        if (bitsA[i] !== bitsB[i] && ++differing <= 5) {
          const va = new Float32Array(bitsA.buffer)[i], vb = new Float32Array(bitsB.buffer)[i];
          console.log(`gemm ${transA ? 'T' : 'N'}${transB ? 'T' : 'N'} ${m}×${k}×${n}: [${i}] ${va} vs ${vb}`);
        }
      }
    }
  }
}
console.log(`compared ${compared} outputs: ${differing} differ, ${nanOnly} more differ only in a NaN's sign or payload`);
process.exitCode = differing > 0 ? 1 : 0;
