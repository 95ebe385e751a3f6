// JsBackend: the oracle as a Backend. Buffers are plain Float32Arrays, so "copying in" is free and
// scratch space is ordinary garbage-collected memory.
import type { Activation, Backend, CrossEntropyParams, F32Buffer, I32Buffer, Scope } from '../backend.js';
import * as softmaxOps from './softmax.js';
import * as lossOps from './loss.js';
import * as activationOps from './activation.js';
import * as gemmOps from './gemm.js';
import * as optimOps from './optim.js';
import * as rowOps from './rows.js';
import * as sparsemaxOps from './sparsemax.js';

export class JsF32Buffer implements F32Buffer {
  constructor(readonly array: Float32Array) {}
  get length(): number { return this.array.length; }
  view(): Float32Array { return this.array; }
}

class JsI32Buffer implements I32Buffer {
  constructor(readonly array: Int32Array) {}
  get length(): number { return this.array.length; }
  view(): Int32Array { return this.array; }
}

const f32 = (b: F32Buffer): Float32Array => (b as JsF32Buffer).array;
const i32 = (b: I32Buffer): Int32Array => (b as JsI32Buffer).array;
const f32OrNull = (b: F32Buffer | null): Float32Array | null => (b ? f32(b) : null);

const jsScope: Scope = {
  f32: (src) => new JsF32Buffer(src),
  f32Empty: (length) => new JsF32Buffer(new Float32Array(length)),
  i32: (src) => new JsI32Buffer(src instanceof Int32Array ? src : Int32Array.from(src)),
  i32Empty: (length) => new JsI32Buffer(new Int32Array(length)),
  reserve: () => {},
};

// The wasm kernels take gradScale as a float32; rounding it here gives every caller the same bits.
const withFloat32GradScale = (p: CrossEntropyParams): CrossEntropyParams => ({ ...p, gradScale: Math.fround(p.gradScale) });

function arraysOf(p: CrossEntropyParams): lossOps.CrossEntropyArrays {
  return { weight: f32OrNull(p.weight), grad: f32OrNull(p.grad), losses: f32OrNull(p.losses) };
}

export class JsBackend implements Backend {
  readonly kind = 'js' as const;

  scoped<T>(body: (scope: Scope) => T): T { return body(jsScope); }
  allocF32(length: number): F32Buffer { return new JsF32Buffer(new Float32Array(length)); }
  release(): void { /* garbage collected */ }
  memoryBytes(): number { return 0; }
  isStaleView(): boolean { return false; } // a JS tensor's view() is its array, which never detaches
  sliceF32(buffer: F32Buffer, start: number, length: number): F32Buffer {
    return new JsF32Buffer(f32(buffer).subarray(start, start + length));
  }
  sliceI32(buffer: I32Buffer, start: number, length: number): I32Buffer {
    return new JsI32Buffer(i32(buffer).subarray(start, start + length));
  }

  softmax(x: F32Buffer, out: F32Buffer, rows: number, cols: number, invTemperature: number): void {
    softmaxOps.softmax(f32(x), f32(out), rows, cols, invTemperature);
  }
  logSoftmax(x: F32Buffer, out: F32Buffer, rows: number, cols: number, invTemperature: number): void {
    softmaxOps.logSoftmax(f32(x), f32(out), rows, cols, invTemperature);
  }
  logSumExp(x: F32Buffer, out: F32Buffer, rows: number, cols: number, invTemperature: number): void {
    softmaxOps.logSumExp(f32(x), f32(out), rows, cols, invTemperature);
  }
  softmaxBackward(y: F32Buffer, dy: F32Buffer, dx: F32Buffer, rows: number, cols: number): void {
    softmaxOps.softmaxBackward(f32(y), f32(dy), f32(dx), rows, cols);
  }

  crossEntropyIndex(
    logits: F32Buffer, targets: I32Buffer, rows: number, cols: number,
    ignoreIndex: number, p: CrossEntropyParams, total: number,
  ): number {
    return lossOps.crossEntropyIndex(f32(logits), i32(targets), rows, cols, ignoreIndex, withFloat32GradScale(p), arraysOf(p), total);
  }
  crossEntropyProb(
    logits: F32Buffer, targets: F32Buffer, rows: number, cols: number, p: CrossEntropyParams, total: number,
  ): number {
    return lossOps.crossEntropyProb(f32(logits), f32(targets), rows, cols, withFloat32GradScale(p), arraysOf(p), total);
  }

  argmax(x: F32Buffer, out: I32Buffer, rows: number, cols: number): void {
    rowOps.argmax(f32(x), i32(out), rows, cols);
  }
  gatherRows(src: F32Buffer, indices: I32Buffer, dst: F32Buffer, count: number, cols: number): void {
    rowOps.gatherRows(f32(src), i32(indices), f32(dst), count, cols);
  }
  sumRows(x: F32Buffer, out: F32Buffer, rows: number, cols: number, accumulate: boolean): void {
    rowOps.sumRows(f32(x), f32(out), rows, cols, accumulate);
  }

  activation(kind: Activation, x: F32Buffer, out: F32Buffer, n: number): void {
    activationOps.activation(kind, f32(x), f32(out), n);
  }
  activationBackward(kind: Activation, y: F32Buffer, dy: F32Buffer, dx: F32Buffer, n: number): void {
    activationOps.activationBackward(kind, f32(y), f32(dy), f32(dx), n);
  }

  matmulScratchLength(): number { return 0; }
  matmul(
    a: F32Buffer, b: F32Buffer, c: F32Buffer, m: number, k: number, n: number,
    transA: boolean, transB: boolean, alpha: number, accumulate: boolean, bias: F32Buffer | null,
  ): void {
    gemmOps.matmul(f32(a), f32(b), f32(c), m, k, n, transA, transB, alpha, accumulate, f32OrNull(bias));
  }

  sumSquares(x: F32Buffer, n: number): number {
    return optimOps.sumSquares(f32(x), n);
  }
  sgdStep(
    param: F32Buffer, grad: F32Buffer, velocity: F32Buffer | null, n: number,
    learningRate: number, momentum: number, gradScale: number,
  ): void {
    optimOps.sgdStep(f32(param), f32(grad), f32OrNull(velocity), n, learningRate, momentum, gradScale);
  }

  // ---- other losses, sampling, sparsemax ----
  binaryCrossEntropyWithLogits(
    logits: F32Buffer, targets: F32Buffer, n: number, gradScale: number,
    grad: F32Buffer | null, losses: F32Buffer | null,
  ): number {
    return lossOps.binaryCrossEntropyWithLogits(f32(logits), f32(targets), n, gradScale, f32OrNull(grad), f32OrNull(losses));
  }
  mse(predictions: F32Buffer, targets: F32Buffer, n: number, gradScale: number, grad: F32Buffer | null): number {
    return lossOps.mse(f32(predictions), f32(targets), n, gradScale, f32OrNull(grad));
  }
  sampleCategorical(x: F32Buffer, uniforms: F32Buffer, out: I32Buffer, rows: number, cols: number, invTemperature: number): void {
    rowOps.sampleCategorical(f32(x), f32(uniforms), i32(out), rows, cols, invTemperature);
  }
  sparsemax(x: F32Buffer, out: F32Buffer, rows: number, cols: number): void {
    sparsemaxOps.sparsemax(f32(x), f32(out), rows, cols);
  }
  sparsemaxBackward(y: F32Buffer, dy: F32Buffer, dx: F32Buffer, rows: number, cols: number): void {
    sparsemaxOps.sparsemaxBackward(f32(y), f32(dy), f32(dx), rows, cols);
  }
}
