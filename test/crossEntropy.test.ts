// Cross-entropy fused with its gradient, on every backend: MATH.md's worked examples, every option
// against an f64 reference written from PyTorch's documentation (util.ts), each option's gradient
// against that reference's finite differences, wasm vs oracle, extreme values and argument errors.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { CrossEntropyOptions } from '../src/index.js';
import { backend, kinds, oracle, wasmKinds } from './backends.js';
import { expectClose, finiteDifference, randomIndices, referenceCrossEntropy, uniform } from './util.js';

// Losses are sums of weighted log-probabilities, each within DESIGN.md's 2e-6 (absolute up to
// magnitude 1, relative beyond); weights in these tests are ≤ 2, hence the factor 2.
const LOSS_REL = 4e-6;
const LOSS_ABS = 4e-6;
// Gradient entries are (weighted) probabilities minus targets: 2e-6 relative on the probability.
const GRAD_REL = 4e-6;
const GRAD_ABS = 4e-7;

// The reference's gradient by central differences in f64 (h = 1e-4: truncation ~1e-9, far below
// the kernels' 2e-6), so the comparison can be tight: a missing z-loss term (~1e-4 here) fails it.
const FD_REL = 2e-5;
const FD_ABS = 2e-6;

const optionSets: Array<[string, CrossEntropyOptions]> = [
  ['defaults', {}],
  ['sum', { reduction: 'sum' }],
  ['none', { reduction: 'none' }],
  ['weight', { weight: undefined }], // filled per cols below
  ['ignoreIndex', { ignoreIndex: 1 }],
  ['labelSmoothing', { labelSmoothing: 0.1 }],
  ['temperature', { temperature: 2.5 }],
  ['zLoss', { zLoss: 1e-3 }],
  ['all together', { weight: undefined, ignoreIndex: 0, labelSmoothing: 0.2, zLoss: 1e-2, temperature: 0.7, reduction: 'mean' }],
];

function withWeights(options: CrossEntropyOptions, cols: number): CrossEntropyOptions {
  return 'weight' in options ? { ...options, weight: uniform(cols, 0.5, 2, cols + 3) } : options;
}

describe.each(kinds)('crossEntropy on %s', (kind) => {
  it('reproduces the worked examples of MATH.md to 6 decimals', async () => {
    const api = await backend(kind);
    const first = api.crossEntropy(new Float32Array([2.0, 1.0, 0.1]), [0], 3, { grad: true });
    expect(first.loss).toBeCloseTo(0.41703, 6);
    [-0.340999, 0.242433, 0.098566].forEach((g, j) => expect(first.grad![j]).toBeCloseTo(g, 6));
    const second = api.crossEntropy(new Float32Array([1, 5, 3]), new Int32Array([1]), 3, { grad: true });
    expect(second.loss).toBeCloseTo(0.142932, 6);
    [0.015876, -0.133187, 0.11731].forEach((g, j) => expect(second.grad![j]).toBeCloseTo(g, 6));
    // Probabilities (0.1, 0.2, 0.3, 0.4) as logits log p, class 1: −ln 0.2.
    const third = api.crossEntropy(Float32Array.from([0.1, 0.2, 0.3, 0.4], Math.log), [1], 4);
    expect(third.loss).toBeCloseTo(1.609438, 6);
  });

  it.each(optionSets)('the loss matches the f64 reference, index and probability targets: %s', async (_name, baseOptions) => {
    const api = await backend(kind);
    for (const cols of [1, 3, 6, 17, 70]) {
      const rows = 5;
      const options = withWeights(baseOptions, cols);
      const logits = uniform(rows * cols, -3, 3, cols * 13);
      const targets = randomIndices(rows, cols, cols + 1);
      if (options.ignoreIndex !== undefined && cols > 1) targets[1] = options.ignoreIndex;
      const probs = api.softmax(uniform(rows * cols, -2, 2, cols + 2), cols);
      for (const [given, probabilities] of [[targets, false], [probs, true]] as const) {
        if (probabilities && options.ignoreIndex !== undefined) continue; // not an option of probability targets
        const { loss, losses } = api.crossEntropy(logits, given, cols, options);
        if (!probabilities && targets.every((t) => t === options.ignoreIndex)) continue; // 0/0, tested below
        expectClose([loss], [referenceCrossEntropy(logits, given, cols, probabilities, options)], LOSS_REL, LOSS_ABS);
        if (losses) {
          const each = Array.from({ length: rows }, (_, r) => referenceCrossEntropy(
            logits.subarray(r * cols, (r + 1) * cols), probabilities ? given.subarray(r * cols, (r + 1) * cols) : [given[r]],
            cols, probabilities, { ...options, reduction: 'sum' }));
          expectClose(losses, each, LOSS_REL, LOSS_ABS);
        }
      }
    }
  });

  it('matches PyTorch semantics for weight + ignoreIndex + labelSmoothing together', async () => {
    const api = await backend(kind);
    const cols = 5;
    const logits = uniform(6 * cols, -3, 3, 11);
    const targets = [0, 4, 2, 2, 3, 1];
    const weight = new Float32Array([1, 2, 0.5, 1.5, 0.25]);
    for (const reduction of ['mean', 'sum'] as const) {
      const options = { weight, ignoreIndex: 2, labelSmoothing: 0.15, reduction };
      const { loss } = api.crossEntropy(logits, targets, cols, options);
      expectClose([loss], [referenceCrossEntropy(logits, targets, cols, false, options)], LOSS_REL, LOSS_ABS);
    }
  });

  it('fills grad and losses as asked, into new arrays, given arrays, or tensors', async () => {
    const api = await backend(kind);
    const logits = new Float32Array([2, 1, 0.1, 1, 5, 3]);
    const plain = api.crossEntropy(logits, [0, 1], 3);
    expect(plain.grad).toBeUndefined();
    expect(plain.losses).toBeUndefined();
    const grad = new Float32Array(6);
    const intoArray = api.crossEntropy(logits, [0, 1], 3, { grad, reduction: 'none' });
    expect(intoArray.grad).toBe(grad);
    expectClose(intoArray.losses!, [0.41703, 0.142932], 0, 1e-6);
    expectClose([intoArray.loss], [0.41703 + 0.142932], 0, 2e-6);
    using gradTensor = api.tensor(2, 3);
    using logitTensor = api.tensor(2, 3, logits);
    const intoTensor = api.crossEntropy(logitTensor, [0, 1], 3, { grad: gradTensor, reduction: 'none' });
    expect(intoTensor.grad).toBe(gradTensor);
    expectClose(gradTensor.toArray(), grad, 0);
  });

  it('propagates NaN within its row; −∞ logits are masks; huge logits are fine', async () => {
    const api = await backend(kind);
    const cols = 4;
    const logits = new Float32Array([
      1, NaN, 2, 3, // NaN anywhere in the row: loss and gradient NaN
      1, -Infinity, 2, 3, // masked class: probability 0, gradient 0, loss finite
      -Infinity, 0, 1, 2, // target masked: loss +∞
      3e38, -3e38, 0, 1, // huge values: no overflow
    ]);
    const { losses, grad } = api.crossEntropy(logits, [0, 0, 0, 0], cols, { reduction: 'none', grad: true });
    expect(losses![0]).toBeNaN();
    for (let j = 0; j < cols; j++) expect(grad![j]).toBeNaN();
    const lse = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3));
    expectClose([losses![1]], [lse - 1], 2e-6);
    expect(grad![5]).toBe(0);
    expect(losses![2]).toBe(Infinity);
    expectClose([losses![3]], [0], 0, 1e-6);
    expectClose(grad!.subarray(12, 16), [0, 0, 0, 0], 0, 1e-6);
  });

  it('with probability targets, a zero target on a −∞ logit contributes nothing, in a vector or a tail', async () => {
    const api = await backend(kind);
    const cols = 6; // columns 0–3 are one SIMD vector, 4–5 the row's tail
    const logits = new Float32Array([-Infinity, 1, 2, 3, -Infinity, 0]);
    const targets = new Float32Array([0, 0.25, 0.5, 0.25, 0, 0]);
    const { loss, grad } = api.crossEntropy(logits, targets, cols, { grad: true });
    const lse = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3) + 1);
    expectClose([loss], [lse - (0.25 * 1 + 0.5 * 2 + 0.25 * 3)], 2e-6);
    expect(grad![0]).toBe(0);
    expect(grad![4]).toBe(0);
    expectClose(grad!, [0, Math.exp(1 - lse) - 0.25, Math.exp(2 - lse) - 0.5, Math.exp(3 - lse) - 0.25, 0, Math.exp(-lse)], 2e-6, 1e-7);
  });

  it.each([6, 70])('with probability targets on logits spanning ±3e38, the loss stays finite (%i columns)', async (cols) => {
    const api = await backend(kind);
    // A target on −3e38 under a maximum of 3e38: its term y·(m − z) = 0.25·6e38 is finite, but
    // m − z overflows float32, so the kernels must sum this row's gap in f64.
    const high = Math.fround(3e38), low = Math.fround(-3e38);
    const logits = new Float32Array(cols), targets = new Float32Array(cols);
    logits[0] = low;
    logits[2] = high;
    targets[0] = 0.25;
    targets[2] = 0.75;
    const { loss, grad } = api.crossEntropy(logits, targets, cols, { reduction: 'sum', grad: true });
    expectClose([loss], [0.25 * (high - low)], 2e-6);
    expectClose(grad!.subarray(0, 3), [-0.25, 0, 0.25], 0, 1e-7);
  });

  it('with probability targets and z-loss on logits near FLT_MAX, zero-probability classes keep a finite gradient', async () => {
    const api = await backend(kind);
    // The gradient's factor α = (1 + 2·zl·lse)/T ≈ 2.7e39 overflows float32: the row takes the f64
    // path, where α·0 = 0 (in float32 it would be ∞·0 = NaN).
    const logits = new Float32Array([1e-28, 3.402821e38, 0, -Infinity, 60, 5]);
    const targets = new Float32Array([1, 0, 0, 0, 0, 0]);
    const { grad } = api.crossEntropy(logits, targets, 6, { temperature: 0.05, zLoss: 0.01, grad: true });
    // ∂/∂z_j = (a_j·(1 + 2·zl·lse) − y_j)/T: a_0 = 0, so the target's entry is exactly −1/T.
    expect(grad![0]).toBeCloseTo(-20, 4);
    for (const j of [2, 3, 4, 5]) expect(grad![j]).toBe(0);
  });

  it('with class indices or probability targets and z-loss on logits near FLT_MAX, a batch of short rows overflows α as one row does', async () => {
    const api = await backend(kind);
    // α = (1 + 2·zl·lse)/T ≈ 2.7e39 overflows float32 in every row. Four rows and more go through
    // the four-row groups, whose quick endings must hand such rows to the f64 path as a lone row is:
    // there α·e_1 = α rounds to +∞, and α·0 = 0 elsewhere.
    const row = [1e-28, 3.402821e38, 0, -Infinity, 60, 5];
    const options = { temperature: 0.05, zLoss: 0.01, reduction: 'sum', grad: true } as const;
    const rows = 9;
    const batch = new Float32Array(rows * 6).map((_, i) => row[i % 6]);
    // Class 0 as an index, and as a one-hot row of probabilities.
    const oneHot = new Float32Array(rows * 6).map((_, i) => (i % 6 === 0 ? 1 : 0));
    // And with label smoothing ε and class weights w (the general endings): the target ỹ_j is
    // (1 − ε)·[j = 0] + ε/6, and ∂/∂z_j = −w_j·ỹ_j/T where a_j = 0.
    const weight = new Float32Array([0.5, 2, 1, 1.5, 0.75, 1.25]);
    for (const [one, all] of [[[0], new Array(rows).fill(0)], [oneHot.subarray(0, 6), oneHot]] as const) {
      for (const [eps, w] of [[0, new Float32Array(6).fill(1)], [0.1, weight]] as const) {
        const extra = eps ? { labelSmoothing: eps, weight: w } : {};
        const alone = api.crossEntropy(new Float32Array(row), one, 6, { ...options, ...extra }).grad!;
        expect(alone[0]).toBeCloseTo(-20 * w[0] * (1 - eps + eps / 6), 4);
        expect(alone[1]).toBe(Infinity);
        for (const j of [2, 3, 4, 5]) {
          if (eps === 0) expect(alone[j]).toBe(0);
          else expect(alone[j]).toBeCloseTo((-20 * w[j] * eps) / 6, 5);
        }
        const grad = api.crossEntropy(batch, all, 6, { ...options, ...extra }).grad!;
        for (let r = 0; r < rows; r++) expect(Array.from(grad.subarray(r * 6, r * 6 + 6))).toEqual(Array.from(alone));
      }
    }
  });

  it('refuses bad arguments before running anything, naming them', async () => {
    const api = await backend(kind);
    const logits = new Float32Array(12);
    expect(() => api.crossEntropy(logits, [0, 1, 12], 4)).toThrow(new RangeError('crossEntropy: targets[2] = 12 is outside [0, 4)'));
    expect(() => api.crossEntropy(logits, [0, 1, 1.5], 4)).toThrow(RangeError);
    expect(() => api.crossEntropy(logits, [0, 1], 4)).toThrow(/targets.length must be 3/);
    expect(() => api.crossEntropy(logits, new Float32Array(3), 4)).toThrow(/targets.length must be 12/);
    expect(() => api.crossEntropy(logits, 'abc' as never, 4)).toThrow(TypeError);
    expect(() => api.crossEntropy(new Float64Array(12) as never, [0, 1, 2], 4)).toThrow(
      /crossEntropy: logits must be a Float32Array or a Tensor, got Float64Array\(12\)/);
    expect(() => api.crossEntropy(logits, [0, 1, 2], 0)).toThrow(/cols must be in \[1,/);
    expect(() => api.crossEntropy(logits, [0, 1, 2], 5)).toThrow(/multiple of cols = 5, got 12/);
    expect(() => api.crossEntropy(logits, [0, 1, 2], 4, { reduction: 'avg' as never })).toThrow(/reduction must be one of/);
    expect(() => api.crossEntropy(logits, [0, 1, 2], 4, { labelSmoothing: 1.5 })).toThrow(/labelSmoothing must be in \[0, 1\], got 1.5/);
    expect(() => api.crossEntropy(logits, [0, 1, 2], 4, { temperature: 0 })).toThrow(/temperature must be in \(0/);
    expect(() => api.crossEntropy(logits, [0, 1, 2], 4, { weight: new Float32Array(3) })).toThrow(/weight.length must be 4/);
    expect(() => api.crossEntropy(logits, [0, 1, 2], 4, { grad: new Float32Array(2) })).toThrow(/grad.length must be 12/);
    expect(() => api.crossEntropy(logits, [0, 1, 2], 4, { ignoreIndex: 0.5 })).toThrow(/ignoreIndex must be an integer/);
    // Still usable afterwards.
    expect(api.crossEntropy(new Float32Array([2, 1, 0.1]), [0], 3).loss).toBeCloseTo(0.41703, 6);
  });

  it.each(optionSets)('gradient matches finite differences of the f64 reference: %s', async (_name, baseOptions) => {
    const api = await backend(kind);
    for (const cols of [1, 3, 6]) {
      const rows = 5; // four rows go through the short-row groups, the fifth alone
      const options = withWeights(baseOptions, cols);
      const logits = uniform(rows * cols, -2, 2, cols * 7);
      const targets = randomIndices(rows, cols, cols);
      if (options.ignoreIndex !== undefined && cols > 1) targets[1] = options.ignoreIndex;
      const { grad, loss: value } = api.crossEntropy(logits, targets, cols, { ...options, grad: true });
      if (targets.every((t) => t === options.ignoreIndex)) {
        // Every row ignored: 'mean' divides 0 by 0 (NaN, as PyTorch); nothing has a gradient.
        if ((options.reduction ?? 'mean') === 'mean') expect(value).toBeNaN();
        expectClose(grad!, new Float32Array(rows * cols), 0);
        continue;
      }
      const loss = (z: Float64Array) => referenceCrossEntropy(z, targets, cols, false, options);
      expectClose(grad!, finiteDifference(loss, Float64Array.from(logits), 1e-4), FD_REL, FD_ABS);
    }
  });

  it.each(optionSets.filter(([name]) => name !== 'ignoreIndex'))(
    'probability targets: gradient matches finite differences of the f64 reference: %s',
    async (_name, baseOptions) => {
      const api = await backend(kind);
      const cols = 5, rows = 2;
      const options = withWeights(baseOptions, cols);
      const logits = uniform(rows * cols, -2, 2, 5);
      const raw = uniform(rows * cols, 0, 1, 6);
      const targets = raw.map((v, i) => v / raw.subarray(Math.floor(i / cols) * cols, Math.floor(i / cols) * cols + cols).reduce((a, b) => a + b));
      const { grad } = api.crossEntropy(logits, targets, cols, { ...options, grad: true });
      const loss = (z: Float64Array) => referenceCrossEntropy(z, targets, cols, true, options);
      expectClose(grad!, finiteDifference(loss, Float64Array.from(logits), 1e-4), FD_REL, FD_ABS);
    },
  );

  it('one-hot probability targets give the same loss and gradient as class indices', async () => {
    const api = await backend(kind);
    const cols = 7, rows = 4;
    const logits = uniform(rows * cols, -4, 4, 21);
    const targets = randomIndices(rows, cols, 22);
    const oneHot = new Float32Array(rows * cols);
    targets.forEach((t, r) => (oneHot[r * cols + t] = 1));
    const options = { labelSmoothing: 0.1, weight: uniform(cols, 0.5, 2, 1), reduction: 'sum', grad: true } satisfies CrossEntropyOptions;
    const byIndex = api.crossEntropy(logits, targets, cols, options);
    const byProb = api.crossEntropy(logits, oneHot, cols, options);
    expectClose([byProb.loss], [byIndex.loss], LOSS_REL, LOSS_ABS);
    expectClose(byProb.grad!, byIndex.grad!, GRAD_REL, GRAD_ABS);
  });
});

describe.each(wasmKinds)('crossEntropy: %s against the oracle', (kind) => {
  it.each(optionSets)('cols 1…70 and long rows, index and probability targets: %s', async (_name, baseOptions) => {
    const api = await backend(kind);
    const ref = await oracle();
    const shapes: Array<[number, number]> = [];
    for (let cols = 1; cols <= 70; cols++) shapes.push([3, cols]);
    shapes.push([2, 50_001]);
    for (const [rows, cols] of shapes) {
      const options = { ...withWeights(baseOptions, cols), grad: true };
      const logits = uniform(rows * cols, -15, 15, rows * cols);
      const targets = randomIndices(rows, cols, cols);
      const ours = api.crossEntropy(logits, targets, cols, options);
      const theirs = ref.crossEntropy(logits, targets, cols, options);
      expectClose([ours.loss], [theirs.loss], LOSS_REL, LOSS_ABS);
      expectClose(ours.grad!, theirs.grad!, GRAD_REL, GRAD_ABS);
      if (options.reduction === 'none') expectClose(ours.losses!, theirs.losses!, LOSS_REL, LOSS_ABS);
      if (options.ignoreIndex !== undefined) continue;
      const probs = ref.softmax(uniform(rows * cols, -3, 3, cols + 1), cols);
      const oursP = api.crossEntropy(logits, probs, cols, options);
      const theirsP = ref.crossEntropy(logits, probs, cols, options);
      expectClose([oursP.loss], [theirsP.loss], LOSS_REL, LOSS_ABS);
      expectClose(oursP.grad!, theirsP.grad!, GRAD_REL, GRAD_ABS);
    }
  });

  it('agrees on random shapes, values and options (fast-check)', async () => {
    const api = await backend(kind);
    const ref = await oracle();
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 6 }), fc.integer(),
        fc.double({ min: 0, max: 1, noNaN: true }), fc.constantFrom<'mean' | 'sum' | 'none'>('mean', 'sum', 'none'),
        (cols, rows, seed, labelSmoothing, reduction) => {
          const logits = uniform(rows * cols, -60, 60, seed);
          const targets = randomIndices(rows, cols, seed + 1);
          const options = { labelSmoothing, reduction, grad: true };
          const ours = api.crossEntropy(logits, targets, cols, options);
          const theirs = ref.crossEntropy(logits, targets, cols, options);
          expectClose([ours.loss], [theirs.loss], LOSS_REL, LOSS_ABS);
          expectClose(ours.grad!, theirs.grad!, GRAD_REL, GRAD_ABS);
        },
      ),
      { numRuns: 150, seed: 3 },
    );
  });
});

describe.each(kinds)('crossEntropy with grad aliasing logits (%s)', (kind) => {
  it('computes a − y in place over the logits, for index and probability targets', async () => {
    const api = await backend(kind);
    const cols = 9, rows = 3;
    const logits = uniform(rows * cols, -4, 4, 5);
    const targets = randomIndices(rows, cols, 6);
    const probs = api.softmax(uniform(rows * cols, -1, 1, 7), cols);
    for (const t of [targets, probs]) {
      const options = { labelSmoothing: 0.1, weight: uniform(cols, 0.5, 2, 8), reduction: 'sum' as const };
      const expected = api.crossEntropy(logits, t, cols, { ...options, grad: true });
      using inPlace = api.tensor(rows, cols, logits);
      const got = api.crossEntropy(inPlace, t, cols, { ...options, grad: inPlace });
      expect(got.loss).toBe(expected.loss);
      expectClose(inPlace.toArray(), expected.grad!, 0);
    }
  });
});

/** Index of the first element whose bits differ (NaN payloads included), or −1. */
function firstBitDifference(actual: Float32Array, expected: Float32Array): number {
  if (actual.length !== expected.length) return 0;
  const a = new Uint32Array(actual.buffer, actual.byteOffset, actual.length);
  const e = new Uint32Array(expected.buffer, expected.byteOffset, expected.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== e[i]) return i;
  return -1;
}

describe.each(wasmKinds)('crossEntropy in blocks of rows (%s)', (kind) => {
  // With Float32Array results the wasm backends take about 128 KiB of rows at a time: 1000 columns
  // → 32 rows a block, 30 → 1092, 1 → 32 768, 5000 → 4, 10 000 → 3, and a row longer than a block
  // (40 001) → one row. A resident call into a gradient Tensor is one kernel call over every row;
  // the blocks must give its bits: loss, gradient and row losses.
  const shapes: Array<[number, number]> = [[101, 1000], [2_000, 30], [40_000, 1], [1, 50], [9, 5_000], [7, 10_000], [3, 40_001]];
  const reductions = ['mean', 'sum', 'none'] as const;

  it.each(optionSets.filter(([name]) => name !== 'sum' && name !== 'none'))(
    'gives the bits of one call over every row, for each reduction, index and probability targets: %s',
    async (_name, baseOptions) => {
      const api = await backend(kind);
      const mismatches: string[] = [];
      for (const [rows, cols] of shapes) {
        // Narrow rows with every third one wide (exp modes differ per row), and −∞ masks off the
        // target class in every fifth row.
        const logits = uniform(rows * cols, -6, 6, rows + cols);
        const indices = randomIndices(rows, cols, rows * 3 + cols);
        for (let r = 0; r < rows; r++) {
          for (let j = 0; j < cols; j++) {
            if (r % 3 === 1) logits[r * cols + j] *= 8;
            if (r % 5 === 2 && j % 7 === 3 && j !== indices[r]) logits[r * cols + j] = -Infinity;
          }
        }
        if (baseOptions.ignoreIndex !== undefined) for (let r = 0; r < rows; r += 4) indices[r] = baseOptions.ignoreIndex;
        const probs = api.softmax(uniform(rows * cols, -3, 3, cols + 1), cols);
        for (const reduction of reductions) {
          const options = { ...withWeights(baseOptions, cols), reduction };
          for (const targets of [indices, probs]) {
            const what = `${rows}×${cols} ${reduction} ${targets === probs ? 'probabilities' : 'indices'}`;
            using zt = api.tensor(rows, cols, logits);
            using gt = api.tensor(rows, cols);
            const want = api.crossEntropy(zt, targets, cols, { ...options, grad: gt });
            const wantGrad = gt.toArray();
            const check = (how: string, got: { loss: number; losses?: Float32Array }, grad: Float32Array | null) => {
              if (!Object.is(got.loss, want.loss)) mismatches.push(`${what} ${how}: loss ${got.loss}, one call ${want.loss}`);
              if (grad) {
                const at = firstBitDifference(grad, wantGrad);
                if (at >= 0) mismatches.push(`${what} ${how}: grad[${at}] ${grad[at]}, one call ${wantGrad[at]}`);
              }
              if (reduction === 'none') {
                const at = firstBitDifference(got.losses!, want.losses!);
                if (at >= 0) mismatches.push(`${what} ${how}: losses[${at}] ${got.losses![at]}, one call ${want.losses![at]}`);
              } else if (got.losses !== undefined) mismatches.push(`${what} ${how}: losses given with reduction ${reduction}`);
            };
            const fresh = api.crossEntropy(logits, targets, cols, { ...options, grad: true });
            check('grad: true', fresh, fresh.grad!);
            const lossOnly = api.crossEntropy(logits, targets, cols, options);
            if (lossOnly.grad !== undefined) mismatches.push(`${what} no grad: grad given`);
            check('no grad', lossOnly, null);
            const into = new Float32Array(rows * cols);
            const intoArray = api.crossEntropy(logits, targets, cols, { ...options, grad: into });
            if (intoArray.grad !== into) mismatches.push(`${what} grad: array: another array returned`);
            check('grad: array', intoArray, into);
            const inPlace = logits.slice();
            check('in place', api.crossEntropy(inPlace, targets, cols, { ...options, grad: inPlace }), inPlace);
            const resident = api.crossEntropy(zt, targets, cols, { ...options, grad: true });
            check('resident logits, grad: true', resident, resident.grad!);
            check('resident logits, no grad', api.crossEntropy(zt, targets, cols, options), null);
            // In place through a view of the tensor itself: the call before took the same scratch,
            // so nothing grows memory and the view stays valid.
            const view = zt.view();
            check('resident logits, grad: its view', api.crossEntropy(zt, targets, cols, { ...options, grad: view }), zt.toArray());
          }
        }
      }
      expect(mismatches.slice(0, 10)).toEqual([]);
    },
  );

  it('gives the oracle\'s results to tolerance over several blocks', async () => {
    const api = await backend(kind);
    const ref = await oracle();
    for (const [rows, cols] of [[101, 1000], [2_000, 30], [3, 40_001]] as const) {
      const logits = uniform(rows * cols, -15, 15, rows * cols);
      const targets = randomIndices(rows, cols, cols);
      const options = { grad: true, reduction: 'none' as const, labelSmoothing: 0.1, weight: uniform(cols, 0.5, 2, cols + 3) };
      const ours = api.crossEntropy(logits, targets, cols, options);
      const theirs = ref.crossEntropy(logits, targets, cols, options);
      expectClose([ours.loss], [theirs.loss], LOSS_REL, LOSS_ABS);
      expectClose(ours.losses!, theirs.losses!, LOSS_REL, LOSS_ABS);
      expectClose(ours.grad!, theirs.grad!, GRAD_REL, GRAD_ABS);
    }
  });
});
