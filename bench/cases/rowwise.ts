// softmax and logSoftmax over rows × cols, every contender from a Float32Array to a
// Float32Array, plus resident / kernel-only variants of ours and tfjs.
import type { Case, Contender } from '../harness.js';
import { asArray, compare, uniform } from '../data.js';
import { kinds, label, ours, type Tensor } from '../ours.js';
import * as plain from '../peers/plain.js';
import { checkNoLeak, tf, useTf, type TfBackend } from '../peers/tfjs.js';
import { rowwiseRunner } from '../peers/ort.js';

export type RowwiseOp = 'softmax' | 'logSoftmax';

const ORT_OP = { softmax: 'Softmax', logSoftmax: 'LogSoftmax' } as const;

function tfContenders(op: RowwiseOp, x: Float32Array, rows: number, cols: number, backend: TfBackend, slow: boolean): Contender[] {
  const apply = op === 'softmax' ? tf.softmax : tf.logSoftmax;
  let input: tf.Tensor2D | null = null;
  let tensorsBefore = 0;
  const before = async () => {
    await useTf(backend);
    tensorsBefore = tf.memory().numTensors;
    input = tf.tensor2d(x, [rows, cols]);
  };
  const after = () => {
    input?.dispose();
    input = null;
    checkNoLeak(tensorsBefore, `tfjs-${backend}`);
  };
  const readBack: Contender = {
    name: `tfjs-${backend}`,
    side: 'peer',
    does: `tf.${op}(x) on a resident x, then dataSync() → Float32Array; dispose`,
    before,
    after,
    slow,
    run: () => {
      const y = apply(input!);
      const data = y.dataSync() as Float32Array;
      y.dispose();
      return data;
    },
  };
  if (backend === 'cpu') return [readBack];
  return [readBack, {
    name: `tfjs-${backend} kernel only`,
    side: 'peer',
    does: `tf.${op}(x) on a resident x, result disposed unread`,
    before,
    after,
    noCheck: true,
    run: () => apply(input!).dispose(),
  }];
}

export async function rowwiseCase(op: RowwiseOp, rows: number, cols: number): Promise<Case> {
  const n = rows * cols;
  const x = uniform(n, -5, 5, rows * 7919 + cols);
  const reference = (await ours('js'))[op](x, cols);
  const big = n >= 1 << 20;

  const contenders: Contender[] = [];
  for (const kind of kinds) {
    const api = await ours(kind);
    contenders.push({
      name: label(kind),
      side: 'ours',
      does: `${op}(x, cols) → new Float32Array (copy in, kernel, copy out)`,
      run: () => api[op](x, cols),
    });
  }
  for (const kind of kinds.filter((k) => k !== 'js')) {
    const api = await ours(kind);
    let xt: Tensor | null = null, yt: Tensor | null = null;
    contenders.push({
      name: `${label(kind)} resident`,
      side: 'ours',
      does: `${op}(xTensor, cols, yTensor): resident tensors, no copies`,
      before: () => { xt = api.tensor(rows, cols, x); yt = api.tensor(rows, cols); },
      after: () => { xt?.dispose(); yt?.dispose(); },
      run: () => api[op](xt!, cols, yt!),
    });
  }
  contenders.push(...tfContenders(op, x, rows, cols, 'wasm', false));
  contenders.push(...tfContenders(op, x, rows, cols, 'cpu', big));
  try {
    const runner = await rowwiseRunner(ORT_OP[op], rows, cols);
    contenders.push({
      name: 'ort-wasm',
      side: 'peer',
      does: `session.run({ x: new ort.Tensor(x) }) → y.data (one ${ORT_OP[op]} node)`,
      async: true,
      run: () => runner.run(x),
    });
  } catch (error) {
    contenders.push({ name: 'ort-wasm', side: 'peer', does: ORT_OP[op], run: () => null, skip: (error as Error).message });
  }
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
