// C[m×n] = op(A)·op(B) for the three products a dense layer needs: A·B (forward), A·Bᵀ (the
// delta of the layer below), Aᵀ·B (the weight gradient).
import type { Case, Contender } from '../harness.js';
import { asArray, compare, uniform } from '../data.js';
import { kinds, label, ours, wasmKinds, type Tensor } from '../ours.js';
import * as plain from '../peers/plain.js';
import { tf, tfjsContenders, type TfBackend } from '../peers/tfjs.js';
import { matmulRunner, ortContender } from '../peers/ort.js';
import { FMA_PEAK, FMA_PEAK_DOES, fmaPeak, iterationsFor } from '../fma-peak.js';

export type Product = 'A·B' | 'A·Bᵀ' | 'Aᵀ·B';
export const PRODUCTS: readonly Product[] = ['A·B', 'A·Bᵀ', 'Aᵀ·B'];
export const ASCII: Record<Product, string> = { 'A·B': 'AB', 'A·Bᵀ': 'ABt', 'Aᵀ·B': 'AtB' };

/** The product in f64, as the reference every contender is checked against. */
function reference(a: Float32Array, b: Float32Array, m: number, k: number, n: number, transA: boolean, transB: boolean): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let p = 0; p < k; p++) {
      const aip = transA ? a[p * m + i] : a[i * k + p];
      for (let j = 0; j < n; j++) c[i * n + j] += aip * (transB ? b[j * k + p] : b[p * n + j]);
    }
  }
  return c;
}

export async function matmulCase(product: Product, m: number, k: number, n: number): Promise<Case> {
  const transA = product === 'Aᵀ·B', transB = product === 'A·Bᵀ';
  const aShape: [number, number] = transA ? [k, m] : [m, k];
  const bShape: [number, number] = transB ? [n, k] : [k, n];
  const a = uniform(m * k, -1, 1, m * 3 + k), b = uniform(k * n, -1, 1, n * 5 + k);
  const flops = 2 * m * k * n;
  let expected: Float64Array | null = null;

  const contenders: Contender[] = [];
  for (const kind of kinds) {
    const api = await ours(kind);
    contenders.push({
      name: label(kind),
      side: 'ours',
      does: 'matmul(a, b, m, k, n, { transA, transB }) → new Float32Array',
      slow: kind === 'js' && flops > 2 * 256 ** 3,
      run: () => api.matmul(a, b, m, k, n, { transA, transB }),
    });
  }
  for (const kind of wasmKinds) {
    const api = await ours(kind);
    let at: Tensor | null = null, bt: Tensor | null = null, ct: Tensor | null = null;
    const before = () => { at = api.tensor(aShape[0], aShape[1], a); bt = api.tensor(bShape[0], bShape[1], b); ct = api.tensor(m, n); };
    const after = () => { at?.dispose(); bt?.dispose(); ct?.dispose(); };
    if (kind === kinds[0]) {
      contenders.push({
        name: `${label(kind)} resident x`, side: 'ours', before, after,
        does: 'matmul on resident tensors a, b → new Float32Array',
        run: () => api.matmul(at!, bt!, m, k, n, { transA, transB }),
      });
    }
    contenders.push({
      name: `${label(kind)} resident`, side: 'ours', before, after,
      does: 'matmul on resident tensors a, b into out: tensor c',
      run: () => api.matmul(at!, bt!, m, k, n, { transA, transB, out: ct! }),
    });
  }
  const tfSpec = (backend: TfBackend) => ({
    backend,
    call: 'tf.matMul(a, b, transA, transB)',
    inputs: () => [tf.tensor2d(a, aShape), tf.tensor2d(b, bShape)],
    op: ([ta, tb]: tf.Tensor[]) => [tf.matMul(ta, tb, transA, transB)],
    read: (outputs: tf.Tensor[]) => outputs[0].dataSync(),
  });
  contenders.push(...tfjsContenders(tfSpec('wasm')));
  if (transA || transB) {
    // tfjs-wasm runs matMul's transpose flags through a slow path (≈ 1.5 GFLOP/s); a tfjs user
    // who transposes explicitly gets XNNPACK's A·B.
    contenders.push(...tfjsContenders({
      ...tfSpec('wasm'),
      variant: 'tf.transpose',
      tiers: ['array', 'kernel only'],
      call: 'tf.matMul(transA ? tf.transpose(a) : a, transB ? tf.transpose(b) : b)',
      op: ([ta, tb]: tf.Tensor[]) => [tf.tidy(() => tf.matMul(transA ? tf.transpose(ta) : ta, transB ? tf.transpose(tb) : tb))],
    }));
  }
  contenders.push(...tfjsContenders({ ...tfSpec('cpu'), tiers: ['array'], slow: true }));
  contenders.push(await ortContender('session.run: one MatMul node (A·B) or Gemm node with transA / transB → c.data', 'MatMul/Gemm', async () => {
    const runner = await matmulRunner(m, k, n, transA, transB);
    return { session: runner.session, call: () => runner.run(a, b) };
  }));
  contenders.push({
    name: 'plain JS',
    side: 'peer',
    does: 'float32 triple loop (i-p-j order; dot products for A·Bᵀ) → new Float32Array',
    slow: flops > 2 * 256 ** 3,
    run: () => plain.matmul(a, b, m, k, n, transA, transB),
  });
  // Not a peer: the rate this core delivers during this case's rounds, for the same flops.
  const peak = fmaPeak(), iterations = iterationsFor(flops);
  contenders.push({
    name: FMA_PEAK,
    side: 'reference',
    does: FMA_PEAK_DOES,
    noCheck: true,
    skip: peak ? undefined : 'relaxed SIMD not available here',
    run: () => peak!.run(iterations),
  });

  return {
    id: `matmul ${ASCII[product]} ${m}x${k}x${n}`,
    family: 'matmul',
    title: `matmul ${product} ${m}×${k}×${n}`,
    elements: 0,
    bytes: 4 * (m * k + k * n + m * n),
    flops,
    baseline: label(kinds[0]),
    contenders,
    check: (result) => {
      expected ??= reference(a, b, m, k, n, transA, transB);
      return compare(asArray(result), expected, 1e-4, 1e-6 * k);
    },
  };
}
