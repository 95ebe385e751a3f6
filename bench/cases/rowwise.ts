// softmax and logSoftmax over rows × cols, every contender from a Float32Array to a
// Float32Array, plus resident / kernel-only variants of ours and tfjs.
import type { Case } from '../harness.js';
import { asArray, compare, uniform } from '../data.js';
import { kinds, label, ours, perKind, wasmKinds, type Tensor } from '../ours.js';
import * as plain from '../peers/plain.js';
import { tf, tfjsContenders, type TfBackend } from '../peers/tfjs.js';
import { ortContender, rowwiseRunner } from '../peers/ort.js';

export type RowwiseOp = 'softmax' | 'logSoftmax';

const ORT_OP = { softmax: 'Softmax', logSoftmax: 'LogSoftmax' } as const;

export async function rowwiseCase(op: RowwiseOp, rows: number, cols: number): Promise<Case> {
  const n = rows * cols;
  const x = uniform(n, -5, 5, rows * 7919 + cols);
  const reference = (await ours('js'))[op](x, cols);
  const contenders = await perKind(`${op}(x, cols) → new Float32Array (copy in, kernel, copy out)`,
    (api) => () => api[op](x, cols), n >= 1 << 20);
  for (const kind of wasmKinds) {
    const api = await ours(kind);
    let xt: Tensor | null = null, yt: Tensor | null = null;
    const before = () => { xt = api.tensor(rows, cols, x); yt = api.tensor(rows, cols); };
    const after = () => { xt?.dispose(); yt?.dispose(); };
    if (kind === kinds[0]) {
      const out = new Float32Array(n);
      contenders.push({
        name: `${label(kind)} into out`, side: 'ours',
        does: `${op}(x, cols, out): copy in, kernel, copy out into the caller's array (no allocation)`,
        run: () => api[op](x, cols, out),
      });
      contenders.push({
        name: `${label(kind)} resident x`, side: 'ours', before, after,
        does: `${op}(xTensor, cols) → new Float32Array (copy out only)`,
        run: () => api[op](xt!, cols),
      });
    }
    contenders.push({
      name: `${label(kind)} resident`, side: 'ours', before, after,
      does: `${op}(xTensor, cols, yTensor): resident tensors, no copies`,
      run: () => api[op](xt!, cols, yt!),
    });
  }
  const tfSpec = (backend: TfBackend) => ({
    backend,
    call: `tf.${op}(x)`,
    inputs: () => [tf.tensor2d(x, [rows, cols])],
    op: (inputs: tf.Tensor[]) => [(op === 'softmax' ? tf.softmax : tf.logSoftmax)(inputs[0])],
    read: (outputs: tf.Tensor[]) => outputs[0].dataSync(),
  });
  contenders.push(...tfjsContenders(tfSpec('wasm')));
  contenders.push(...tfjsContenders({ ...tfSpec('cpu'), tiers: ['array'], slow: true }));
  contenders.push(await ortContender(`session.run({ x: new ort.Tensor(x) }) → y.data (one ${ORT_OP[op]} node)`, ORT_OP[op], async () => {
    const runner = await rowwiseRunner(ORT_OP[op], rows, cols);
    return { session: runner.session, call: () => runner.run(x) };
  }));
  contenders.push({
    name: 'plain JS',
    side: 'peer',
    does: `float32 loops with Math.exp → new Float32Array`,
    run: () => plain[op](x, cols),
  });

  const rel = op === 'softmax' ? 2e-5 : 0;
  const abs = op === 'softmax' ? 1e-9 : 2e-5;
  return {
    id: `${op} ${rows}x${cols}`,
    family: op,
    title: `${op} ${rows}×${cols}`,
    elements: n,
    bytes: 8 * n,
    flops: 0,
    baseline: label(kinds[0]),
    contenders,
    check: (result) => compare(asArray(result), reference, rel, abs),
  };
}
