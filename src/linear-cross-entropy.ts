// The chunk loop of the fused linear + cross-entropy, over backend buffers: shared by
// Api.linearCrossEntropy (which validates and places the arguments) and the MLP's output layer
// when it has many classes. For each chunk of rows: logits = x·W + b into `logits`, a − y in
// place over them (the fused cross-entropy kernel), then dx = g·Wᵀ, dW += xᵀ·g, db += Σ g, before
// the next chunk reuses the space — so the n × v logits never exist at once.
import type { Backend, CrossEntropyParams, F32Buffer, I32Buffer } from './backend.js';

export interface LinearCrossEntropyBuffers {
  /** n × h inputs. */
  x: F32Buffer;
  /** h × v weights. */
  w: F32Buffer;
  bias: F32Buffer | null;
  /** n class indices. */
  targets: I32Buffer;
  /** Scratch for one chunk's logits: chunkRows × v floats. */
  logits: F32Buffer;
  /** Outputs, each optional: dx (n × h), dW (h × v), db (v), per-row losses (n). */
  dx: F32Buffer | null;
  dw: F32Buffer | null;
  db: F32Buffer | null;
  losses: F32Buffer | null;
}

export type LinearCrossEntropyLoss = Pick<CrossEntropyParams, 'weight' | 'labelSmoothing' | 'zLoss' | 'invTemperature' | 'gradScale'>;

/** Runs the chunks; returns the sum of the row losses (before any 'mean' division). */
export function linearCrossEntropyChunks(
  backend: Backend, buffers: LinearCrossEntropyBuffers, n: number, h: number, v: number, chunkRows: number,
  ignoreIndex: number, loss: LinearCrossEntropyLoss,
): number {
  const { x, w, bias, targets, logits, dx, dw, db, losses } = buffers;
  const needGrad = dx !== null || dw !== null || db !== null;
  let total = 0;
  for (let first = 0; first < n; first += chunkRows) {
    const rows = Math.min(chunkRows, n - first);
    const xChunk = backend.sliceF32(x, first * h, rows * h);
    const g = backend.sliceF32(logits, 0, rows * v);
    backend.matmul(xChunk, w, g, rows, h, v, false, false, 1, false, bias);
    // The running sum goes on from chunk to chunk: the row losses are added as one call over all n
    // rows would add them, not as a sum of chunk sums.
    total = backend.crossEntropyIndex(g, backend.sliceI32(targets, first, rows), rows, v, ignoreIndex, {
      ...loss,
      grad: needGrad ? g : null,
      losses: losses ? backend.sliceF32(losses, first, rows) : null,
    }, total);
    if (dx) backend.matmul(g, w, backend.sliceF32(dx, first * h, rows * h), rows, v, h, false, true, 1, false, null);
    if (dw) backend.matmul(xChunk, g, dw, h, rows, v, true, false, 1, first > 0, null);
    if (db) backend.sumRows(g, db, rows, v, first > 0);
  }
  return total;
}

/** Floats of gemm packing scratch the chunk loop's largest product takes. */
export function linearCrossEntropyScratch(backend: Backend, h: number, v: number, chunkRows: number): number {
  return Math.max(
    backend.matmulScratchLength(chunkRows, h, v), backend.matmulScratchLength(chunkRows, v, h),
    backend.matmulScratchLength(h, chunkRows, v),
  );
}
