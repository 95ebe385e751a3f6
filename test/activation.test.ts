// Activations on every backend: closed forms, wasm vs oracle on odd and large sizes, NaN/±∞/huge
// values, in-place and resident use, backward passes against finite differences, argument errors.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { argmax as argmaxOf, init, sigmoid as sigmoidOf, sparsemax as sparsemaxOf, type Api } from '../src/index.js';
import type { Activation } from '../src/backend.js';
import { backend, kinds, oracle, wasmKinds } from './backends.js';
import { expectClose, finiteDifference, FLT_MIN, uniform } from './util.js';

// DESIGN.md's contract is relative 2e-6. Below FLT_MIN (1.18e-38) float32 is subnormal and has no
// relative precision to keep: the wasm exp flushes there (sigmoid of x < −87.3 gives 0 where the
// oracle stores a subnormal), and a product rounded twice may differ from the oracle's single
// rounding by a subnormal ulp. Hence an absolute slack of FLT_MIN.
const REL = 2e-6;
const ALL: Activation[] = ['sigmoid', 'tanh', 'relu', 'linear'];

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** f(x) through the Backend interface (covers 'linear', which has no public function). */
function forward(api: Api, kind: Activation, x: Float32Array): Float32Array {
  const b = api.backend;
  return b.scoped((scope) => {
    const out = scope.f32Empty(x.length);
    b.activation(kind, scope.f32(x), out, x.length);
    return out.view().slice();
  });
}

function backward(api: Api, kind: Activation, y: Float32Array, dy: Float32Array): Float32Array {
  const b = api.backend;
  return b.scoped((scope) => {
    const dx = scope.f32Empty(y.length);
    b.activationBackward(kind, scope.f32(y), scope.f32(dy), dx, y.length);
    return dx.view().slice();
  });
}

const EXTREMES = new Float32Array([
  NaN, Infinity, -Infinity, 3e38, -3e38, 0, -0, 1e-30, -1e-30, 1e-45, -1e-45,
  0.6249, 0.625, -0.6251, 9, -9, 20, -20, 87, -87, 88, -88, 100, -100, 104, -104,
]);

describe('module-level functions', () => {
  it('need init() first, then run on the default instance', async () => {
    expect(() => sigmoidOf(new Float32Array([0]))).toThrow(/before init\(\)/);
    await init({ backend: kinds[0] });
    expect(sigmoidOf(new Float32Array([0]))[0]).toBe(0.5);
    expect(Array.from(argmaxOf(new Float32Array([1, 3, 2]), 3))).toEqual([1]);
    expectClose(sparsemaxOf(new Float32Array([0.5, 1, 1.2]), 3), [0, 0.4, 0.6], 1e-6);
  });
});

describe.each(kinds)('activations on %s', (kind) => {
  it('give the closed forms on a grid', async () => {
    const api = await backend(kind);
    const x = Float32Array.from({ length: 401 }, (_, i) => (i - 200) / 20);
    expectClose(api.sigmoid(x), Array.from(x, sigmoid), REL);
    expectClose(api.tanh(x), Array.from(x, Math.tanh), REL);
    expectClose(api.relu(x), Array.from(x, (v) => Math.max(v, 0)), 0);
    expect(api.sigmoid(new Float32Array([0]))[0]).toBe(0.5);
  });

  // sigmoid's e^{−|x|} is computed down to ln FLT_MIN ≈ −87.34 and flushed below: the band from
  // −87.34 to about −85, where the exp's 2^n·r is subnormal, and both sides of the flush point are
  // swept densely, as is the rest of its range; tanh's 1 − e^{−2|x|} over the same points crosses
  // its clamp at |x| = 10 and every reduction step n.
  it('keep the contract across the exp’s whole range, down to ln FLT_MIN', async () => {
    const api = await backend(kind);
    const band = Float32Array.from({ length: 20001 }, (_, i) => -87.5 + (i * 2.5) / 20000);
    expectClose(api.sigmoid(band), Array.from(band, sigmoid), REL, FLT_MIN);
    const wide = Float32Array.from({ length: 40001 }, (_, i) => -90 + (i * 110) / 40000);
    expectClose(api.sigmoid(wide), Array.from(wide, sigmoid), REL, FLT_MIN);
    expectClose(api.tanh(wide), Array.from(wide, Math.tanh), REL);
  });

  it('keep small tanh arguments to full relative accuracy (no 1 − e^{−2x} cancellation)', async () => {
    const api = await backend(kind);
    const x = Float32Array.from({ length: 200 }, (_, i) => (i % 2 ? -1 : 1) * 10 ** (-1 - i / 20));
    expectClose(api.tanh(x), Array.from(x, Math.tanh), REL);
  });

  it('handle NaN, ±∞, ±0, huge and tiny values', async () => {
    const api = await backend(kind);
    const s = api.sigmoid(EXTREMES), t = api.tanh(EXTREMES), r = api.relu(EXTREMES);
    expect(s[0]).toBeNaN();
    expect(t[0]).toBeNaN();
    expect(r[0]).toBeNaN();
    expect([s[1], s[2], s[3], s[4]]).toEqual([1, 0, 1, 0]);
    expect([t[1], t[2], t[3], t[4]]).toEqual([1, -1, 1, -1]);
    expect([r[1], r[2], r[3], r[4]]).toEqual([Infinity, 0, 3e38 as number, 0].map(Math.fround));
    expect(Object.is(t[6], -0)).toBe(true);
    expect(Object.is(r[6], 0)).toBe(true);
    expectClose(s, Array.from(EXTREMES, sigmoid), REL, FLT_MIN);
    expectClose(t, Array.from(EXTREMES, Math.tanh), REL);
    expectClose(r, Array.from(EXTREMES, (v) => (v > 0 || Number.isNaN(v) ? v : 0)), 0);
  });

  it('write into out, in place, and into resident tensors', async () => {
    const api = await backend(kind);
    const x = uniform(37, -4, 4, 3);
    const expected = api.tanh(x);
    const out = new Float32Array(37);
    expect(api.tanh(x, out)).toBe(out);
    expectClose(out, expected, 0);
    const inPlace = x.slice();
    expect(api.tanh(inPlace, inPlace)).toBe(inPlace);
    expectClose(inPlace, expected, 0);
    using xt = api.tensor(1, 37, x);
    expectClose(api.tanh(xt), expected, 0);
    expect(api.tanh(xt, xt)).toBe(xt);
    expectClose(xt.toArray(), expected, 0);
    const dy = uniform(37, -1, 1, 4);
    const grad = api.tanhBackward(expected, dy);
    const dyInPlace = dy.slice();
    api.tanhBackward(expected, dyInPlace, dyInPlace);
    expectClose(dyInPlace, grad, 0);
    const reluGrad = api.reluBackward(x, dy);
    using dyt = api.tensor(1, 37, dy);
    expect(api.reluBackward(xt, dyt, dyt)).toBe(dyt);
    expectClose(dyt.toArray(), api.reluBackward(api.tanh(x), dy), 0);
    const yInPlace = x.slice();
    api.reluBackward(yInPlace, dy, yInPlace);
    expectClose(yInPlace, reluGrad, 0);
    // Linear is the identity both ways, also in place.
    const copy = x.slice();
    api.backend.scoped((scope) => {
      const buffer = scope.f32(copy);
      api.backend.activation('linear', buffer, buffer, copy.length);
      expectClose(buffer.view(), x, 0);
    });
    expectClose(forward(api, 'linear', x), x, 0);
    expectClose(backward(api, 'linear', x, dy), dy, 0);
  });

  it('accept empty arrays and subarray inputs', async () => {
    const api = await backend(kind);
    expect(api.sigmoid(new Float32Array(0))).toHaveLength(0);
    const backing = uniform(1 + 19, -5, 5, 8);
    const x = backing.subarray(1);
    expect(x.byteOffset).toBe(4);
    expectClose(api.sigmoid(x), Array.from(x, sigmoid), REL);
  });

  it('backward passes are dy ⊙ f′ written in terms of the output', async () => {
    const api = await backend(kind);
    const y = uniform(53, 0, 1, 11), dy = uniform(53, -2, 2, 12);
    const t = uniform(53, -1, 1, 13);
    expectClose(api.sigmoidBackward(y, dy), Array.from(y, (v, i) => dy[i] * v * (1 - v)), REL);
    expectClose(api.tanhBackward(t, dy), Array.from(t, (v, i) => dy[i] * (1 - v * v)), REL);
    const r = uniform(53, -1, 1, 14);
    r[0] = 0;
    expectClose(api.reluBackward(r, dy), Array.from(r, (v, i) => (v > 0 ? dy[i] : 0)), 0);
    expectClose(backward(api, 'relu', r, dy), api.reluBackward(r, dy), 0);
  });

  it('tanhBackward keeps its accuracy where |y| is close to 1', async () => {
    const api = await backend(kind);
    const y = Float32Array.from({ length: 40 }, (_, i) => (i % 2 ? -1 : 1) * (1 - 2 ** -(4 + (i >> 1))));
    const dy = new Float32Array(40).fill(1);
    expectClose(api.tanhBackward(y, dy), Array.from(y, (v) => 1 - v * v), REL);
  });

  it('backward passes propagate NaN and ∞ like dy·f′(y)', async () => {
    const api = await backend(kind);
    const y = new Float32Array([NaN, 0.5, 0.5, 0, 1, 0.25, -1, 0]);
    const dy = new Float32Array([1, NaN, Infinity, Infinity, -Infinity, 3e38, 2, NaN]);
    const expected = (f: (v: number) => number) => Array.from(y, (v, i) => Math.fround(dy[i] * f(v)));
    expectClose(api.sigmoidBackward(y, dy), expected((v) => v * (1 - v)), REL);
    expectClose(api.tanhBackward(y, dy), expected((v) => 1 - v * v), REL);
    expectClose(api.reluBackward(y, dy), expected((v) => (v > 0 ? 1 : 0)), 0);
    // relu′ multiplies: ∞ or NaN from upstream is not hidden where y is 0 (PyTorch gives 0 there).
    expect(Array.from(api.reluBackward(new Float32Array([0, -0, 2, Infinity]), new Float32Array([Infinity, NaN, -Infinity, 3]))))
      .toEqual([NaN, NaN, -Infinity, 3]);
  });

  it('sigmoidBackward, tanhBackward and reluBackward match finite differences of L = ⟨w, f(x)⟩', async () => {
    const api = await backend(kind);
    for (const n of [1, 5, 19]) {
      // Kept at least 0.05 from relu's kink at 0, where a step of h = 1e-2 would straddle it.
      const x = uniform(n, -3, 3, n).map((v) => (Math.abs(v) < 0.05 ? v + Math.sign(v || 1) * 0.05 : v));
      const w = uniform(n, -1, 1, n + 1);
      for (const [f, fBackward] of [
        [api.sigmoid.bind(api), api.sigmoidBackward.bind(api)],
        [api.tanh.bind(api), api.tanhBackward.bind(api)],
        [api.relu.bind(api), api.reluBackward.bind(api)],
      ] as const) {
        const grad = fBackward(f(x), w);
        const loss = (xx: Float64Array) => {
          const yy = f(Float32Array.from(xx));
          let total = 0;
          for (let i = 0; i < n; i++) total += w[i] * yy[i];
          return total;
        };
        // h = 1e-2: truncation |f‴|h²/6 ≤ 4e-5, float32 rounding of f(x ± h) ≤ 1e-7/h = 1e-5.
        expectClose(grad, finiteDifference(loss, Float64Array.from(x), 1e-2), 1e-3, 1e-4);
      }
    }
  });

  it('reject bad arguments before running anything, and stay usable', async () => {
    const api = await backend(kind);
    expect(() => api.sigmoid([1, 2] as unknown as Float32Array)).toThrow(TypeError);
    expect(() => api.tanh(new Float64Array(2) as unknown as Float32Array)).toThrow(/x must be a Float32Array or a Tensor, got Float64Array\(2\)/);
    expect(() => api.relu(new Float32Array(3), new Float32Array(2))).toThrow(/relu: out.length must be 3/);
    expect(() => api.sigmoidBackward(new Float32Array(3), new Float32Array(4))).toThrow(RangeError);
    expect(() => api.tanhBackward(new Float32Array(3), 'x' as unknown as Float32Array)).toThrow(/tanhBackward: dy must be a Float32Array/);
    expect(() => api.reluBackward(new Float32Array(3), new Float32Array(3), new Float32Array(4))).toThrow(/^reluBackward: out.length must be 3/);
    expect(api.sigmoid(new Float32Array([0]))[0]).toBe(0.5);
  });
});

describe.each(wasmKinds)('activations: %s against the oracle', (kind) => {
  it('agree for n = 1…70 and large sizes, forward and backward, every kind', async () => {
    const api = await backend(kind);
    const ref = await oracle();
    for (const n of [...Array.from({ length: 70 }, (_, i) => i + 1), 1_000_003]) {
      const x = uniform(n, -12, 12, n);
      const dy = uniform(n, -3, 3, n + 1);
      for (const a of ALL) {
        const y = forward(ref, a, x);
        expectClose(forward(api, a, x), y, REL, FLT_MIN);
        expectClose(backward(api, a, y, dy), backward(ref, a, y, dy), REL, FLT_MIN);
      }
    }
  });

  it('agree on the extreme values, forward and backward', async () => {
    const api = await backend(kind);
    const ref = await oracle();
    const dy = uniform(EXTREMES.length, -2, 2, 5);
    for (const a of ALL) {
      expectClose(forward(api, a, EXTREMES), forward(ref, a, EXTREMES), REL, FLT_MIN);
      const y = forward(ref, a, EXTREMES);
      expectClose(backward(api, a, y, dy), backward(ref, a, y, dy), REL, FLT_MIN);
    }
  });

  it('fast-check: agree on random float32 data of any length', async () => {
    const api = await backend(kind);
    const ref = await oracle();
    fc.assert(
      fc.property(fc.float32Array({ maxLength: 70 }), fc.constantFrom(...ALL), (x, a) => {
        const y = forward(ref, a, x);
        expectClose(forward(api, a, x), y, REL, FLT_MIN);
        const dy = x.slice().reverse();
        expectClose(backward(api, a, y, dy), backward(ref, a, y, dy), REL, FLT_MIN);
      }),
      { numRuns: 300, seed: 11 },
    );
  });
});
