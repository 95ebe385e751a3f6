// The README's numerical contract on inputs built to break it, from an independent audit (2026-12-07)
// that found each of these over its bound: the other tests' random and extreme rows never lined
// up the roundings this way. References are f64 formulas from the definitions, not the oracle, so a
// flaw both share would show too (the temperature one did).
import { describe, expect, it } from 'vitest';
import { backend, kinds, wasmKinds } from './backends.js';
import { expectProbsClose, FLT_MIN } from './util.js';

/** softmax(x/T) in f64: exact differences, then Math.exp and a plain f64 sum (rows ≤ 10⁴ here). */
function softmaxF64(x: ArrayLike<number>, T = 1): number[] {
  let m = -Infinity;
  for (let i = 0; i < x.length; i++) m = Math.max(m, x[i]);
  const e = Array.from(x, (v) => Math.exp((v - m) / T));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
}

describe.each(kinds)('the numerical contract at its worst cases on %s', (kind) => {
  it('a row whose terms each round the f32 block sums up stays within 2e-6 (blocks of 256 gave 2.75e-6)', async () => {
    const api = await backend(kind);
    // Every term after the max sits just over half an ulp of 1, so each add to the max's lane
    // rounded up by 2^-24; the second pair also puts the max's 1 at a rounded difference's worst.
    for (const [cols, max, rest] of [
      [256, 0.2500009536743164, -16.384531021118164], [256, 0, -16.634532928466797],
      [4096, 0.2500009536743164, -16.384531021118164], [65, 0, -16.634532928466797],
    ]) {
      const x = new Float32Array(cols).fill(rest);
      x[0] = max;
      expectProbsClose(api.softmax(x, cols), softmaxF64(x));
      const logs = api.logSoftmax(x, cols), reference = softmaxF64(x).map(Math.log);
      for (let j = 0; j < cols; j += 17) expect(Math.abs(logs[j] - reference[j])).toBeLessThanOrEqual(2e-6 * Math.max(1, Math.abs(reference[j])));
    }
  });

  it('a temperature is 1/T exactly, not 1/T rounded to float32 (which moved e^{-69} by 3.2e-6)', async () => {
    const api = await backend(kind);
    const cases: [number[], number][] = [
      [[0, -210.282958984375], 3.047579050064087],
      // 1/T rounds to exactly 1: the kernels must still see the temperature.
      [[0, -69, -3, -40], 0.99999997],
      [[5, -64.5, 1, 2, -20, 4.25, -33], 0.93],
    ];
    for (const [row, T] of cases) {
      const x = Float32Array.from(row);
      const expected = softmaxF64(x, T);
      expectProbsClose(api.softmax(x, x.length, { temperature: T }), expected);
      // The cross-entropy gradient of the mean loss, target 0: (p − y)/T.
      const { grad } = api.crossEntropy(x, [0], x.length, { temperature: T, grad: true });
      expectProbsClose(grad!.slice(1), expected.slice(1).map((p) => p / T));
      // Short rows go four at a time: the same row in a group of four.
      const four = new Float32Array(4 * x.length);
      for (let r = 0; r < 4; r++) four.set(x, r * x.length);
      expectProbsClose(api.softmax(four, x.length, { temperature: T }), [...expected, ...expected, ...expected, ...expected]);
    }
  });

  // z − max in float32 overflows to −∞ for logits of both signs beyond ±1.7e38, while (z − max)/T
  // is ordinary under a huge T: the wasm kernels counted such a term 0 (0 instead of 0.0025 below).
  it('logits differing by more than FLT_MAX under a temperature near FLT_MAX keep the contract', async () => {
    const api = await backend(kind);
    const wide = Float32Array.from({ length: 1001 }, (_, i) => (i % 2 ? -1 : 1) * 3.4e38 * ((i * 0.618) % 1));
    for (const [row, T] of [
      [[3e38, -3e38], 1e38], [[-3e38, 3e38, 1e38], 1e38], [[3.4e38, -3.4e38, 0, 1], 3.4028234663852886e38],
      [Array.from(wide), 3.4028234663852886e38], [[2e38, -2e38], 2 ** 121],
    ] as [number[], number][]) {
      const x = Float32Array.from(row), cols = x.length;
      const expected = softmaxF64(x, T);
      expectProbsClose(api.softmax(x, cols, { temperature: T }), expected);
      using xt = api.tensor(1, cols, x), yt = api.tensor(1, cols);
      expectProbsClose(api.softmax(xt, cols, { out: yt, temperature: T }).toArray(), expected);
      const logs = api.logSoftmax(x, cols, { temperature: T });
      expected.forEach((p, j) => expect(Math.abs(logs[j] - Math.log(p))).toBeLessThanOrEqual(2e-6 * Math.max(1, Math.abs(Math.log(p)))));
      const m = Math.max(...x);
      const lse = m / T + Math.log(Array.from(x, (v) => Math.exp((v - m) / T)).reduce((a, b) => a + b, 0));
      expect(Math.abs(api.logSumExp(x, cols, { temperature: T })[0] - lse)).toBeLessThanOrEqual(2e-6 * Math.max(1, Math.abs(lse)));
      // The mean loss of target 1, and its gradient (p − y)/T, which a T this large puts among
      // float32's subnormals (p/T < 2.6e−37): checked to FLT_MIN there.
      const { loss, grad } = api.crossEntropy(x, [1], cols, { temperature: T, grad: true });
      expect(Math.abs(loss - (lse - x[1] / T))).toBeLessThanOrEqual(2e-6 * Math.max(1, Math.abs(lse - x[1] / T)));
      grad.forEach((g, j) => expect(Math.abs(g - (expected[j] - (j === 1 ? 1 : 0)) / T)).toBeLessThanOrEqual(2e-6 / T + FLT_MIN));
      // A uniform just under 1 lands on the last class with probability ≥ its 1 − u.
      const last = cols - 1 - [...expected].reverse().findIndex((p) => p > 1e-6);
      expect(api.sampleCategorical(x, cols, { temperature: T, random: () => 1 - expected[last] / 2 })[0]).toBe(last);
    }
    // The gradient's scale on that path (the kernels see 2/T, so the API halves it), where the
    // gradient is a normal float32 and has its full relative precision: T = 2¹²¹, just past the
    // 2¹²⁰ from which the logits are halved; T a power of two, so g·T is exact.
    const T = 2 ** 121, x = Float32Array.of(3e36, 0, -3e36);
    const p = softmaxF64(x, T);
    const { grad } = api.crossEntropy(x, [1], 3, { temperature: T, grad: true });
    expectProbsClose([grad[0] * T, grad[2] * T], [p[0], p[2]]);
    expect(Math.abs(grad[1] * T - (p[1] - 1))).toBeLessThanOrEqual(2e-6);
  });

  it('logSumExp near FLT_MAX with 1/T just over 1: FLT_MAX where the true value rounds to it, not +∞', async () => {
    const api = await backend(kind);
    // 3.4028232635611926e38 / 0.99999994 = 3.40282346773e38, under FLT_MAX + half its ulp.
    const lse = api.logSumExp(new Float32Array([3.4028232635611926e38]), 1, { temperature: 0.99999994 });
    expect(lse[0]).toBe(3.4028234663852886e38);
  });

  it('the binary cross-entropy gradient keeps its digits where σ(z) is near 1 and the target is 1', async () => {
    const api = await backend(kind);
    const z = [3.9849181175231934, 10, 15, 17, 23.738311767578125, 40, -40, -3.9849181175231934];
    const y = [1, 1, 1, 1, 1, 1, 0, 0];
    const { grad } = api.binaryCrossEntropyWithLogits(Float32Array.from(z), Float32Array.from(y), { grad: true, reduction: 'sum' });
    const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
    // σ(z) − 1 = −σ(−z) and σ(z) − 0 = σ(z), exactly, in f64.
    const expected = z.map((v, i) => (y[i] === 1 ? -sigmoid(-v) : sigmoid(v)));
    expectProbsClose(grad!.map(Math.abs), expected.map(Math.abs));
    expect(Array.from(grad!, Math.sign)).toEqual(expected.map(Math.sign));
  });
});

describe.each(wasmKinds)('probabilities on %s are 0 or normal, never subnormal, on rows up to 5·10⁷ columns', (kind) => {
  it('at the cutoff ln(FLT_MIN·n) of rows of 2·10⁵ to 2·10⁶ columns (one float32 rounding put a term just under FLT_MIN)', async () => {
    const api = await backend(kind);
    for (const [n, far] of [[200_000, -75.13047790527344], [262_144, -74.85985], [2_000_000, -72.82784]]) {
      // Sweep the far term across the cutoff in float32 steps.
      const x = new Float32Array(n);
      for (let step = -40; step <= 40; step++) {
        x[n - 1] = Math.fround(far + step * 7.62939453125e-6);
        const p = api.softmax(x, n)[n - 1];
        if (p !== 0 && p < FLT_MIN) expect.fail(`n = ${n}, x = ${x[n - 1]}: p = ${p} is subnormal`);
      }
      const { grad } = api.crossEntropy(x, [0], n, { grad: true, reduction: 'sum' });
      expect(grad![n - 1] === 0 || grad![n - 1] >= FLT_MIN).toBe(true);
    }
  });
});
