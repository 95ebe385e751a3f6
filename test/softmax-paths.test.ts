// The softmax kernels pick among several code paths per call and per row: rows shorter than 64
// columns go four at a time through a transposed path, longer ones row by row; and each row (or
// group of four) exponentiates with the cheapest exp its values allow — the narrow exp without
// temperature, the narrow exp with it, or the exact-shift exp that also flushes −∞ masks to 0.
// Each combination is checked against the oracle here, with the contract's tolerances. Large
// Float32Array calls are also split into blocks of rows by the API (copy in, kernel, copy out per
// block); the last test crosses block boundaries.
import { describe, expect, it } from 'vitest';
import type { CrossEntropyOptions } from '../src/index.js';
import { backend, oracle, wasmKinds } from './backends.js';
import { expectClose, expectProbsClose, FLT_MIN, randomIndices, uniform } from './util.js';

const REL = 2e-6;

interface Data { name: string; make: (n: number, cols: number, seed: number) => Float32Array }

const DATA: Data[] = [
  // Every row's range below 32: the narrow exp.
  { name: 'narrow', make: (n, _cols, seed) => uniform(n, -3, 3, seed) },
  // Ranges beyond 32: the exact-shift exp.
  { name: 'wide', make: (n, _cols, seed) => uniform(n, -45, 45, seed) },
  // Narrow values with −∞ masks sprinkled in: exact path, masks exactly 0.
  {
    name: 'masked',
    make: (n, cols, seed) => {
      const x = uniform(n, -3, 3, seed);
      for (let i = 0; i < n; i += 3) if (i % cols !== 0) x[i] = -Infinity;
      return x;
    },
  },
  // Large magnitudes with a small range: x − max is exact only in the exact path, yet the
  // narrow one must still meet the contract.
  { name: 'offset', make: (n, _cols, seed) => uniform(n, 1000, 1010, seed) },
];

// Rows of every kind the log and cross-entropy kernels treat apart: narrow, wide, −∞ masks, a NaN,
// +∞ (with and without a NaN), all −∞, ±0 maxima, ranges that overflow float32 (with and without
// masks), large logits in a narrow range.
const ROW_KINDS: ((cols: number, seed: number) => Float32Array)[] = [
  (cols, seed) => uniform(cols, -3, 3, seed),
  (cols, seed) => uniform(cols, -45, 45, seed),
  (cols, seed) => uniform(cols, -3, 3, seed).map((v, j) => (j % 3 === 1 ? -Infinity : v)),
  (cols, seed) => uniform(cols, -3, 3, seed).map((v, j) => (j === cols >> 1 ? NaN : v)),
  (cols, seed) => uniform(cols, -3, 3, seed).map((v, j) => (j === cols - 1 ? Infinity : v)),
  (cols, seed) => uniform(cols, -3, 3, seed).map((v, j) => (j === 0 ? Infinity : j === cols - 1 ? NaN : v)),
  (cols) => new Float32Array(cols).fill(-Infinity),
  (cols) => new Float32Array(cols).map((_, j) => (j % 2 ? -0 : j % 3 ? 0 : -200)),
  (cols, seed) => uniform(cols, -3e38, 3e38, seed),
  (cols, seed) => uniform(cols, -3e38, 3e38, seed).map((v, j) => (j === 1 ? -Infinity : v)),
  (cols, seed) => uniform(cols, 1000, 1010, seed),
];
const sameBits = (a: number, b: number) => Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));
// 13 rows of those kinds, cols wide: across every batch of consecutive rows taken from them, each
// kind lands in every position of a group of four.
const MIXED_ROWS = 13;
function mixedRows(cols: number): Float32Array {
  const x = new Float32Array(MIXED_ROWS * cols);
  for (let r = 0; r < MIXED_ROWS; r++) x.set(ROW_KINDS[(r * 5 + cols) % ROW_KINDS.length](cols, cols * 100 + r), r * cols);
  return x;
}

describe.each(wasmKinds)('softmax code paths on %s', (kind) => {
  it.each(DATA)('$name rows: short (grouped) and long rows, with and without temperature', async ({ make }) => {
    const api = await backend(kind);
    const ref = await oracle();
    for (const cols of [1, 2, 3, 4, 5, 7, 8, 10, 13, 16, 31, 33, 63, 64, 65, 100]) {
      for (const rows of [1, 4, 5, 9]) {
        const x = make(rows * cols, cols, cols * 31 + rows);
        for (const temperature of [1, 0.7]) {
          const opts = { temperature };
          const probs = api.softmax(x, cols, opts);
          expectProbsClose(probs, ref.softmax(x, cols, opts));
          expectClose(api.logSoftmax(x, cols, opts), ref.logSoftmax(x, cols, opts), REL, 2e-6);
          expectClose(api.logSumExp(x, cols, opts), ref.logSumExp(x, cols, opts), REL, 2e-6);
          // In place gives the same bits as out of place.
          const inPlace = x.slice();
          api.softmax(inPlace, cols, inPlace, opts);
          expect(inPlace).toEqual(probs);
        }
      }
    }
  });

  // A term e^a of a wide row is divided by the row's sum; where the quotient is subnormal, x86
  // takes microcode assists (rows reaching below ≈ −84 ran 3× slower). The exact exp flushes the
  // terms whose probability could be subnormal (below FLT_MIN·cols), all far under 1e-30.
  it('wide rows: no subnormal probability, and every one from 1e-30 up kept', async () => {
    const api = await backend(kind);
    const ref = await oracle();
    let subnormalInOracle = 0;
    for (const cols of [10, 63, 64, 1000, 4099]) {
      for (const temperature of [1, 0.7, 0.3]) {
        const x = uniform(9 * cols, -50, 50, cols + 7);
        const probs = api.softmax(x, cols, { temperature });
        const expected = ref.softmax(x, cols, { temperature });
        expectProbsClose(probs, expected);
        expect(probs.filter((p) => p !== 0 && p < FLT_MIN)).toEqual(new Float32Array(0));
        subnormalInOracle += expected.filter((p) => p !== 0 && p < FLT_MIN).length;
      }
    }
    expect(subnormalInOracle).toBeGreaterThan(100); // the data does reach the subnormal range
  });

  // Cross-entropy's gradient is c·p_j off the target (c: 1/rows for a mean, times 1/T and class
  // weights), subnormal for a wider band of terms than softmax's probabilities; the exact exp
  // flushes those too (rows reaching them took 1.5–3× their time), yet no term whose p_j ≥ 1e-30.
  it('wide rows: no subnormal crossEntropy gradient, and every one with p ≥ 1e-30 kept', async () => {
    const api = await backend(kind);
    const ref = await oracle();
    let subnormalInOracle = 0;
    for (const cols of [10, 63, 64, 1000, 4099]) {
      const rows = 9;
      const weight = uniform(cols, 0.5, 2, cols + 1);
      const indices = randomIndices(rows, cols, cols + 2);
      const oneHot = new Float32Array(rows * cols);
      indices.forEach((t, r) => { oneHot[r * cols + t] = 1; });
      const isTarget = (i: number) => indices[Math.floor(i / cols)] === i % cols;
      // (z − max)/T spans about 120 in every row.
      for (const temperature of [1, 100]) {
        const x = uniform(rows * cols, -60 * temperature, 60 * temperature, cols + temperature);
        const p = ref.softmax(x, cols, { temperature });
        const cases: [Int32Array | Float32Array, Omit<CrossEntropyOptions, 'grad'>][] = [
          [indices, { temperature }], [indices, { temperature, weight }], [oneHot, { temperature }],
        ];
        for (const [targets, extra] of cases) {
          const got = api.crossEntropy(x, targets, cols, { grad: true, ...extra }).grad!;
          const want = ref.crossEntropy(x, targets, cols, { grad: true, ...extra }).grad!;
          expect(got.filter((g) => g !== 0 && Math.abs(g) < FLT_MIN)).toEqual(new Float32Array(0));
          subnormalInOracle += want.filter((g) => g !== 0 && Math.abs(g) < FLT_MIN).length;
          // Off the target, c·p_j with c ≤ 2: the contract's relative bound from p = 1e-30 up,
          // below it only tiny. On the target, c·(p_t − 1) may cancel: the suite's 1e-7 absolute.
          const offTarget = [...want.keys()].filter((i) => !isTarget(i));
          const kept = offTarget.filter((i) => p[i] >= 1e-30);
          expect(kept.length).toBeGreaterThan(rows); // not an empty check
          expectClose(kept.map((i) => got[i]), kept.map((i) => want[i]), REL);
          for (const i of offTarget) if (p[i] < 1e-30) expect(Math.abs(got[i])).toBeLessThan(2e-30);
          const onTarget = [...want.keys()].filter(isTarget);
          expectClose(onTarget.map((i) => got[i]), onTarget.map((i) => want[i]), REL, 1e-7);
        }
      }
    }
    expect(subnormalInOracle).toBeGreaterThan(100); // the data does reach the subnormal range
  });

  it.each(DATA)('$name rows: crossEntropy loss and gradient', async ({ make }) => {
    const api = await backend(kind);
    const ref = await oracle();
    // Short rows (below 64 columns) go four at a time: plainly, or through the general ends with
    // label smoothing or class weights.
    for (const cols of [1, 3, 10, 63, 64, 100]) {
      const weight = uniform(cols, 0.5, 2, cols);
      for (const rows of [1, 5, 13]) {
        const x = make(rows * cols, cols, cols + rows);
        // Targets on unmasked columns (column 0 is never masked); one row ignored.
        const targets = make === DATA[2].make ? new Int32Array(rows) : randomIndices(rows, cols, cols);
        if (rows > 1) targets[rows - 3] = -100;
        const extras: Omit<CrossEntropyOptions, 'grad'>[] = [
          {}, { temperature: 0.7 }, { zLoss: 1e-3 }, { labelSmoothing: 0.1 }, { weight }, { weight, labelSmoothing: 0.1 },
        ];
        for (const extra of extras) {
          const got = api.crossEntropy(x, targets, cols, { grad: true, ...extra });
          const want = ref.crossEntropy(x, targets, cols, { grad: true, ...extra });
          expectClose([got.loss], [want.loss], REL, 2e-6);
          expectClose(got.grad!, want.grad!, 1e-5, 1e-7);
          const losses = api.crossEntropy(x, targets, cols, { reduction: 'none', ...extra }).losses!;
          expectClose(losses, ref.crossEntropy(x, targets, cols, { reduction: 'none', ...extra }).losses!, REL, 2e-6);
        }
      }
    }
  });

  it('gives the same results when a large call is processed in blocks of rows', async () => {
    const api = await backend(kind);
    const ref = await oracle();
    // About 32 768 floats per block: 1000 columns → 32 rows a block, 30 columns → 1092.
    // 300 × 1000 is beyond SCAN_NEXT_BYTES: the whole call fuses the next row's scan, blocks do not.
    for (const [rows, cols] of [[101, 1000], [2_000, 30], [3, 40_000], [300, 1000]]) {
      const x = uniform(rows * cols, -8, 8, rows + cols);
      const probs = api.softmax(x, cols);
      expectProbsClose(probs, ref.softmax(x, cols));
      const out = new Float32Array(rows * cols);
      expect(api.softmax(x, cols, out)).toBe(out);
      expect(out).toEqual(probs);
      // Block by block, from a Float32Array or from a resident x, gives the bits of the whole
      // resident call (tensor in, tensor out: one kernel call over every row).
      using xt = api.tensor(rows, cols, x);
      using whole = api.tensor(rows, cols);
      using wholeLse = api.tensor(rows, 1);
      expect(api.softmax(xt, cols, whole).toArray()).toEqual(probs);
      expect(api.softmax(xt, cols)).toEqual(probs);
      const logProbs = api.logSoftmax(x, cols);
      expectClose(logProbs, ref.logSoftmax(x, cols), REL, 2e-6);
      expect(api.logSoftmax(xt, cols)).toEqual(logProbs);
      expect(api.logSoftmax(xt, cols, whole).toArray()).toEqual(logProbs);
      const lse = new Float32Array(rows);
      api.logSumExp(x, cols, lse);
      expectClose(lse, ref.logSumExp(x, cols), REL, 2e-6);
      expect(api.logSumExp(xt, cols)).toEqual(lse);
      expect(api.logSumExp(xt, cols, wholeLse).toArray()).toEqual(lse);
      // In place through a view of the tensor itself (no call here allocates, so it stays valid).
      const inPlace = api.softmax(xt, cols, xt.view());
      expect(inPlace).toEqual(probs);
      // Inputs that are views into a larger buffer.
      const backing = new Float32Array(rows * cols + 3);
      backing.set(x, 3);
      expect(api.softmax(backing.subarray(3), cols)).toEqual(probs);
    }
  });

  // A resident call over SCAN_NEXT_BYTES (1 MiB) scans each next row during this row's sum, and
  // logSoftmax stores its shifted logits in that pass (design log item 43); the Float32Array call
  // goes through blocks of rows that do neither. Every row kind, a tail column, with and without
  // temperature: the same bits.
  it('gives a resident logSoftmax and logSumExp over 1 MiB the bits of the block path', async () => {
    const api = await backend(kind);
    const cols = 4099, copies = 5, rows = MIXED_ROWS * copies;
    expect(rows * cols * 4).toBeGreaterThan(1 << 20);
    const x = new Float32Array(rows * cols);
    for (let c = 0; c < copies; c++) x.set(mixedRows(cols), c * MIXED_ROWS * cols);
    using xt = api.tensor(rows, cols, x);
    using out = api.tensor(rows, cols);
    using lseOut = api.tensor(rows, 1);
    const mismatches: string[] = [];
    const compare = (what: string, got: Float32Array, want: Float32Array) => {
      const i = got.findIndex((v, k) => !sameBits(v, want[k]));
      if (i >= 0) mismatches.push(`${what}: [${i}] ${got[i]} vs ${want[i]}`);
    };
    for (const temperature of [1, 0.7]) {
      const opts = { temperature };
      const blocks = api.logSoftmax(x, cols, opts);
      compare(`logSoftmax T ${temperature}`, api.logSoftmax(xt, cols, out, opts).toArray(), blocks);
      const lse = api.logSumExp(x, cols, opts);
      compare(`logSumExp T ${temperature}`, api.logSumExp(xt, cols, lseOut, opts).toArray(), lse);
      // In place: the sum pass overwrites each element of its row just after reading it, while the
      // next row, which it scans, is still untouched.
      using inPlace = api.tensor(rows, cols, x);
      compare(`logSoftmax in place T ${temperature}`, api.logSoftmax(inPlace, cols, inPlace, opts).toArray(), blocks);
    }
    expect(mismatches).toEqual([]);
  });

  it('gives logSoftmax and logSumExp rows the same bits alone as in every batch around them', async () => {
    const api = await backend(kind);
    const mismatches: string[] = [];
    for (let cols = 1; cols <= 70; cols++) {
      const rows = MIXED_ROWS, x = mixedRows(cols);
      for (const temperature of [1, 0.7]) {
        const opts = { temperature };
        const row = (r: number) => x.subarray(r * cols, (r + 1) * cols);
        const aloneLog = Array.from({ length: rows }, (_, r) => api.logSoftmax(row(r), cols, opts));
        const aloneLse = Array.from({ length: rows }, (_, r) => api.logSumExp(row(r), cols, opts)[0]);
        for (let count = 1; count <= rows; count++) {
          for (let start = 0; start + count <= rows; start++) {
            const batch = x.subarray(start * cols, (start + count) * cols);
            const log = api.logSoftmax(batch, cols, opts), lse = api.logSumExp(batch, cols, opts);
            for (let k = 0; k < count; k++) {
              const r = start + k;
              if (!sameBits(lse[k], aloneLse[r])) mismatches.push(`logSumExp cols ${cols} T ${temperature} row ${r} of ${start}+${count}`);
              for (let j = 0; j < cols; j++) {
                if (!sameBits(log[k * cols + j], aloneLog[r][j])) {
                  mismatches.push(`logSoftmax cols ${cols} T ${temperature} row ${r} of ${start}+${count} col ${j}`);
                  break;
                }
              }
            }
          }
        }
        // In place gives the same bits too.
        const inPlace = x.slice();
        api.logSoftmax(inPlace, cols, inPlace, opts);
        for (let i = 0; i < x.length; i++) {
          if (!sameBits(inPlace[i], aloneLog[Math.floor(i / cols)][i % cols])) {
            mismatches.push(`logSoftmax in place cols ${cols} T ${temperature} at ${i}`);
            break;
          }
        }
      }
    }
    expect(mismatches.slice(0, 20)).toEqual([]);
  });

  it.each(['class indices', 'probabilities'] as const)(
    'gives crossEntropy rows the same loss and gradient bits alone as in every batch around them: %s',
    async (targetKind) => {
      const api = await backend(kind);
      const ref = await oracle();
      const mismatches: string[] = [];
      for (let cols = 1; cols <= 70; cols++) {
        const rows = MIXED_ROWS, x = mixedRows(cols);
        // Class indices: every fifth row ignored, in each position of a group across the batches.
        // Probabilities: each row's softmax of other numbers, 0 on the masked (−∞) logits.
        const indices = Array.from({ length: rows }, (_, r) => (r % 5 === 2 ? -100 : (r * 7) % cols));
        const probs = ref.softmax(uniform(rows * cols, -2, 2, cols), cols).map((p, i) => (x[i] === -Infinity ? 0 : p));
        const byIndex = targetKind === 'class indices';
        const targetsOf = (start: number, count: number) =>
          byIndex ? indices.slice(start, start + count) : probs.subarray(start * cols, (start + count) * cols);
        // A z-loss on the ±3e38 rows makes the gradient's factor overflow float32 (its f64 path);
        // label smoothing adds each row's gap sum and ε/C to every class, ε = 1 drops the target's term;
        // class weights scale the target's term and (with label smoothing) each class's.
        const weight = uniform(cols, 0.5, 2, cols);
        const options: CrossEntropyOptions[] = [
          {}, { temperature: 0.7 }, { zLoss: 0.01 }, { labelSmoothing: 0.1 }, { labelSmoothing: 1 },
          { labelSmoothing: 0.3, zLoss: 0.01, temperature: 0.7 },
          { weight }, { weight, zLoss: 0.01 }, { weight, labelSmoothing: 1 }, { weight, labelSmoothing: 0.3, zLoss: 0.01, temperature: 0.7 },
        ];
        for (const extra of options) {
          const named = JSON.stringify({ ...extra, weight: extra.weight && 'w' });
          const opts = { reduction: 'none' as const, ...extra };
          const row = (r: number) => x.subarray(r * cols, (r + 1) * cols);
          const alone = Array.from({ length: rows }, (_, r) => api.crossEntropy(row(r), targetsOf(r, 1), cols, { ...opts, grad: true }));
          // Each row's loss in f64 (reduction 'sum' of one row): a batch's sum is these added in row order.
          const aloneSum = Array.from({ length: rows }, (_, r) => api.crossEntropy(row(r), targetsOf(r, 1), cols, { ...extra, reduction: 'sum' }).loss);
          for (let count = 1; count <= rows; count++) {
            for (let start = 0; start + count <= rows; start++) {
              const batch = x.subarray(start * cols, (start + count) * cols);
              const batchTargets = targetsOf(start, count);
              const ce = api.crossEntropy(batch, batchTargets, cols, { ...opts, grad: true });
              const lossOnly = api.crossEntropy(batch, batchTargets, cols, opts);
              let sum = 0;
              for (let k = 0; k < count; k++) sum += aloneSum[start + k];
              const batchSum = api.crossEntropy(batch, batchTargets, cols, { ...extra, reduction: 'sum' }).loss;
              if (!sameBits(batchSum, sum)) mismatches.push(`f64 loss sum cols ${cols} ${named} rows ${start}+${count}`);
              for (let k = 0; k < count; k++) {
                const r = start + k, where = `cols ${cols} ${named} row ${r} of ${start}+${count}`;
                if (!sameBits(ce.losses![k], alone[r].losses![0])) mismatches.push(`loss ${where}`);
                if (!sameBits(lossOnly.losses![k], alone[r].losses![0])) mismatches.push(`loss without gradient ${where}`);
                for (let j = 0; j < cols; j++) {
                  if (!sameBits(ce.grad![k * cols + j], alone[r].grad![j])) {
                    mismatches.push(`gradient ${where} col ${j}`);
                    break;
                  }
                }
              }
            }
          }
          // The f64 sums again over ordinary logits, where no ±3e38 row's loss swamps a difference in
          // the last bits of another row's.
          const ordinary = uniform(rows * cols, -3, 3, cols + 7);
          let ordinarySum = 0;
          for (let r = 0; r < rows; r++) {
            ordinarySum += api.crossEntropy(ordinary.subarray(r * cols, (r + 1) * cols), targetsOf(r, 1), cols, { ...extra, reduction: 'sum' }).loss;
            const batch = api.crossEntropy(ordinary.subarray(0, (r + 1) * cols), targetsOf(0, r + 1), cols, { ...extra, reduction: 'sum' }).loss;
            if (!sameBits(batch, ordinarySum)) mismatches.push(`f64 loss sum of ordinary rows cols ${cols} ${named} rows 0+${r + 1}`);
          }
          // The gradient written over the logits themselves gives the same bits too.
          const inPlace = x.slice();
          api.crossEntropy(inPlace, targetsOf(0, rows), cols, { ...opts, grad: inPlace });
          for (let i = 0; i < x.length; i++) {
            if (!sameBits(inPlace[i], alone[Math.floor(i / cols)].grad![i % cols])) {
              mismatches.push(`gradient in place cols ${cols} ${named} at ${i}`);
              break;
            }
          }
        }
      }
      expect(mismatches.slice(0, 20)).toEqual([]);
    },
  );

  it('gives a short row the same bits alone as beside rows that take other exp modes', async () => {
    const api = await backend(kind);
    const cols = 10;
    const narrow = uniform(cols, -3, 3, 1);
    const wide = uniform(cols, -45, 45, 2);
    const masked = narrow.map((v, j) => (j % 3 === 1 ? -Infinity : v));
    const poisoned = narrow.map((v, j) => (j === 4 ? NaN : v));
    // Groups of four rows with every mix of modes, and rows left over after the last group.
    const layout = [narrow, wide, masked, narrow, narrow, narrow, narrow, narrow, poisoned, wide, narrow, masked, wide];
    const x = new Float32Array(layout.length * cols);
    layout.forEach((row, r) => x.set(row, r * cols));
    for (const temperature of [1, 0.7]) {
      const all = api.softmax(x, cols, { temperature });
      layout.forEach((row, r) => {
        if (row === poisoned) return;
        expect(all.subarray(r * cols, (r + 1) * cols)).toEqual(api.softmax(row, cols, { temperature }));
      });
    }
  });
});
