// The public functions, validated and bound to one Backend. Each call: check every argument
// (nothing has run yet if one is wrong), open a scratch scope, place the inputs in backend
// memory (or use resident tensors as they are), run one kernel, copy the result out.
import type { Backend, BackendKind, CrossEntropyParams, F32Buffer, Scope } from './backend.js';
import { Tensor } from './tensor.js';
import {
  checkFloat32Array, checkInteger, checkLength, checkNumber, checkOneOf, checkOptions, checkRows, describe,
} from './validate.js';

/** Data argument: a Float32Array (copied in) or a resident Tensor of the same backend. */
export type Data = Float32Array | Tensor;
export type Reduction = 'mean' | 'sum' | 'none';
export type ClassIndices = Int32Array | Uint8Array | Uint16Array | Uint32Array | readonly number[];

export interface SoftmaxOptions {
  /** Divides the logits: softmax(x / temperature). Default 1. */
  temperature?: number;
  /** Where to write the result (same length as the result); returned instead of a new array. */
  out?: Data;
}

export interface CrossEntropyOptions {
  /** 'mean' (default): divided by the number of counted rows (or their target weights); 'sum'; 'none'. */
  reduction?: Reduction;
  /** Per-class weights, length cols. */
  weight?: Float32Array;
  /** Rows whose class index equals this contribute no loss and no gradient. Default −100. */
  ignoreIndex?: number;
  /** ε in [0, 1]: the target becomes (1 − ε)·y + ε/cols. Default 0. */
  labelSmoothing?: number;
  /** Divides the logits before the softmax. Default 1. */
  temperature?: number;
  /** Coefficient of the auxiliary loss logsumexp(z)² per row. Default 0. */
  zLoss?: number;
  /** true: return ∂loss/∂logits in a new array; a Float32Array or Tensor: write it there. */
  grad?: boolean | Data;
}

export interface CrossEntropyResult<G extends Data = Float32Array> {
  /** The reduced loss ('none': the sum of the row losses). */
  loss: number;
  /** ∂loss/∂logits, rows × cols, when asked for. */
  grad?: G;
  /** Each row's loss, with reduction 'none'. */
  losses?: Float32Array;
}

export interface MatmulOptions {
  /** Use Aᵀ: a is stored k × m. Default false. */
  transA?: boolean;
  /** Use Bᵀ: b is stored n × k. Default false. */
  transB?: boolean;
  /** Added to every row of the product: length n. */
  bias?: Data;
  /** Add the product to the current contents of out (which is then required). Default false. */
  accumulate?: boolean;
  /** Scales the product (not the bias or out), applied in float32. Default 1. */
  alpha?: number;
  /** Where to write C (length m·n); returned instead of a new array. */
  out?: Data;
}

const REDUCTIONS: readonly Reduction[] = ['mean', 'sum', 'none'];

function isIndexArray(value: unknown): value is ClassIndices {
  return Array.isArray(value) || value instanceof Int32Array || value instanceof Uint8Array
    || value instanceof Uint16Array || value instanceof Uint32Array;
}

const FLOAT32_MAX = 3.4028234663852886e38;

/** Whether two data arguments share memory (the same tensor, or overlapping views of one buffer). */
function overlaps(x: Data, y: Data): boolean {
  if (x instanceof Tensor || y instanceof Tensor) return x === y;
  return x.buffer === y.buffer && x.byteOffset < y.byteOffset + y.byteLength && y.byteOffset < x.byteOffset + x.byteLength;
}

export class Api {
  constructor(readonly backend: Backend) {}

  /** Which backend runs the kernels: 'relaxed-simd', 'simd' or 'js'. */
  get kind(): BackendKind {
    return this.backend.kind;
  }

  /** A resident rows × cols tensor in this backend's memory, zero-filled or copied from data. */
  tensor(rows: number, cols: number, data?: Float32Array): Tensor {
    checkInteger('tensor', 'rows', rows, 1);
    checkInteger('tensor', 'cols', cols, 1);
    if (data !== undefined) checkLength('tensor', 'data', checkFloat32Array('tensor', 'data', data).length, rows * cols, `${rows} × ${cols}`);
    const t = new Tensor(this.backend, this.backend.allocF32(rows * cols), rows, cols);
    if (data) t.write(data);
    return t;
  }

  // ---- argument plumbing --------------------------------------------------------------------

  private data(fn: string, name: string, value: unknown): Data {
    if (value instanceof Tensor) {
      if (value.backend !== this.backend) throw new Error(`${fn}: ${name} is a Tensor of another backend instance`);
      value.buffer(fn);
      return value;
    }
    return checkFloat32Array(fn, name, value);
  }

  private out(fn: string, value: unknown, length: number, what: string): Data | undefined {
    if (value === undefined) return undefined;
    const out = this.data(fn, 'out', value);
    checkLength(fn, 'out', out.length, length, what);
    return out;
  }

  private input(fn: string, scope: Scope, value: Data): F32Buffer {
    return value instanceof Tensor ? value.buffer(fn) : scope.f32(value);
  }

  /** Space for a result, and how to hand it back (copy into out or a new array, or the tensor). */
  private result<T extends Data | undefined>(
    fn: string, scope: Scope, out: T, length: number,
  ): { buffer: F32Buffer; finish(): T extends Tensor ? Tensor : Float32Array } {
    type R = T extends Tensor ? Tensor : Float32Array;
    if (out instanceof Tensor) return { buffer: out.buffer(fn), finish: () => out as unknown as R };
    const target = (out as Float32Array | undefined) ?? new Float32Array(length);
    const buffer = this.backend.kind === 'js' ? scope.f32(target) : scope.f32Empty(length);
    return {
      buffer,
      finish: () => {
        const view = buffer.view();
        if (view !== target) target.set(view);
        return target as unknown as R;
      },
    };
  }

  private splitOut(fn: string, outOrOptions: unknown, options: unknown): SoftmaxOptions {
    if (outOrOptions instanceof Float32Array || outOrOptions instanceof Tensor) {
      return { ...checkOptions(fn, options), out: outOrOptions };
    }
    if (outOrOptions !== undefined && options !== undefined) {
      throw new TypeError(`${fn}: the third argument must be out (Float32Array or Tensor) when options follow, got ${describe(outOrOptions)}`);
    }
    return checkOptions(fn, outOrOptions ?? options) as SoftmaxOptions;
  }

  private invTemperature(fn: string, temperature: unknown): number {
    if (temperature === undefined) return 1;
    return 1 / checkNumber(fn, 'temperature', temperature, 0, Number.MAX_VALUE, { openMin: true });
  }

  /** The shared body of the row-wise softmax functions. */
  private rowwise<O extends Data | undefined>(
    fn: string, x: unknown, cols: number, outOrOptions: unknown, options: unknown, perRow: boolean,
    kernel: (x: F32Buffer, out: F32Buffer, rows: number, cols: number, invTemperature: number) => void,
  ) {
    const xs = this.data(fn, 'x', x);
    const rows = checkRows(fn, 'x', xs.length, cols);
    const opts = this.splitOut(fn, outOrOptions, options);
    const invT = this.invTemperature(fn, opts.temperature);
    const length = perRow ? rows : xs.length;
    const out = this.out(fn, opts.out, length, perRow ? `one value per row, rows = ${rows}` : 'x.length') as O;
    return this.backend.scoped((scope) => {
      const input = this.input(fn, scope, xs);
      const res = this.result(fn, scope, out, length);
      kernel.call(this.backend, input, res.buffer, rows, cols, invT);
      return res.finish();
    });
  }

  // ---- softmax family -----------------------------------------------------------------------

  /**
   * Row-wise softmax of a rows × cols matrix: a_j = e^{z_j/T} / Σ_k e^{z_k/T}, computed as
   * softmax(z − max z). −∞ logits get probability exactly 0. A row containing NaN or +∞ becomes
   * all NaN; an all −∞ row becomes all NaN (as in PyTorch). out may be x itself (in place).
   */
  softmax(x: Float32Array, cols: number, out?: Float32Array, options?: SoftmaxOptions): Float32Array;
  softmax(x: Data, cols: number, out: Tensor, options?: SoftmaxOptions): Tensor;
  softmax(x: Data, cols: number, options?: SoftmaxOptions): Float32Array;
  softmax(x: Data, cols: number, outOrOptions?: Data | SoftmaxOptions, options?: SoftmaxOptions): Data {
    return this.rowwise('softmax', x, cols, outOrOptions, options, false, this.backend.softmax);
  }

  /** log softmax(z/T) = z/T − logsumexp(z/T), never via log(a). out may be x itself. */
  logSoftmax(x: Float32Array, cols: number, out?: Float32Array, options?: SoftmaxOptions): Float32Array;
  logSoftmax(x: Data, cols: number, out: Tensor, options?: SoftmaxOptions): Tensor;
  logSoftmax(x: Data, cols: number, options?: SoftmaxOptions): Float32Array;
  logSoftmax(x: Data, cols: number, outOrOptions?: Data | SoftmaxOptions, options?: SoftmaxOptions): Data {
    return this.rowwise('logSoftmax', x, cols, outOrOptions, options, false, this.backend.logSoftmax);
  }

  /**
   * log Σ_j e^{z_j/T} per row (one value per row). A row containing +∞ gives +∞, an all −∞ row
   * gives −∞, a row containing NaN gives NaN.
   */
  logSumExp(x: Float32Array, cols: number, out?: Float32Array, options?: SoftmaxOptions): Float32Array;
  logSumExp(x: Data, cols: number, out: Tensor, options?: SoftmaxOptions): Tensor;
  logSumExp(x: Data, cols: number, options?: SoftmaxOptions): Float32Array;
  logSumExp(x: Data, cols: number, outOrOptions?: Data | SoftmaxOptions, options?: SoftmaxOptions): Data {
    return this.rowwise('logSumExp', x, cols, outOrOptions, options, true, this.backend.logSumExp);
  }

  /**
   * Backward pass of softmax: given y = softmax(z) and dy = ∂L/∂y, returns ∂L/∂z = y ⊙ (dy − ⟨dy, y⟩)
   * per row, in O(cols). out may be dy or y (in place).
   */
  softmaxBackward(y: Float32Array, dy: Float32Array, cols: number, out?: Float32Array): Float32Array;
  softmaxBackward(y: Data, dy: Data, cols: number, out: Tensor): Tensor;
  softmaxBackward(y: Data, dy: Data, cols: number, out?: Data): Data {
    const fn = 'softmaxBackward';
    const ys = this.data(fn, 'y', y);
    const dys = this.data(fn, 'dy', dy);
    const rows = checkRows(fn, 'y', ys.length, cols);
    checkLength(fn, 'dy', dys.length, ys.length, 'y.length');
    const o = this.out(fn, out, ys.length, 'y.length');
    return this.backend.scoped((scope) => {
      const yb = this.input(fn, scope, ys);
      const dyb = this.input(fn, scope, dys);
      const res = this.result(fn, scope, o, ys.length);
      this.backend.softmaxBackward(yb, dyb, res.buffer, rows, cols);
      return res.finish();
    });
  }

  // ---- cross-entropy ------------------------------------------------------------------------

  /**
   * Softmax cross-entropy of logits (rows × cols) against targets, with PyTorch's
   * F.cross_entropy semantics, fused with its gradient (a − y) in one kernel call.
   * targets: class indices (Int32Array, Uint8Array, Uint16Array, Uint32Array or number[], one per
   * row) or probabilities (Float32Array of the logits' length).
   */
  crossEntropy(logits: Data, targets: ClassIndices | Float32Array, cols: number, options?: CrossEntropyOptions & { grad: Tensor }): CrossEntropyResult<Tensor>;
  crossEntropy(logits: Data, targets: ClassIndices | Float32Array, cols: number, options?: CrossEntropyOptions): CrossEntropyResult;
  crossEntropy(logits: Data, targets: ClassIndices | Float32Array, cols: number, options?: CrossEntropyOptions): CrossEntropyResult<Data> {
    const fn = 'crossEntropy';
    const z = this.data(fn, 'logits', logits);
    const rows = checkRows(fn, 'logits', z.length, cols);
    const opts = checkOptions(fn, options) as CrossEntropyOptions;
    const reduction = opts.reduction === undefined ? 'mean' : checkOneOf(fn, 'options.reduction', opts.reduction, REDUCTIONS);
    const ignoreIndex = opts.ignoreIndex === undefined ? -100 : checkInteger(fn, 'options.ignoreIndex', opts.ignoreIndex, -(2 ** 31));
    const labelSmoothing = opts.labelSmoothing === undefined ? 0 : checkNumber(fn, 'options.labelSmoothing', opts.labelSmoothing, 0, 1);
    const zLoss = opts.zLoss === undefined ? 0 : checkNumber(fn, 'options.zLoss', opts.zLoss, 0, Number.MAX_VALUE);
    const invTemperature = this.invTemperature(fn, opts.temperature);
    const weight = opts.weight === undefined ? undefined : checkFloat32Array(fn, 'options.weight', opts.weight);
    if (weight) checkLength(fn, 'options.weight', weight.length, cols, 'one weight per class, cols');

    let gradOut: Data | undefined;
    const wantGrad = opts.grad !== undefined && opts.grad !== false;
    if (opts.grad !== undefined && typeof opts.grad !== 'boolean') {
      gradOut = this.data(fn, 'options.grad', opts.grad);
      checkLength(fn, 'options.grad', gradOut.length, z.length, 'logits.length');
    }

    // Class indices are checked here, in one pass that also sums the weights of counted rows
    // (the 'mean' normaliser), so the kernel needs no checks and no second pass.
    let normaliser = rows;
    const byIndex = !(targets instanceof Float32Array);
    if (byIndex) {
      if (!isIndexArray(targets)) {
        throw new TypeError(`${fn}: targets must be class indices (Int32Array, Uint8Array, Uint16Array, Uint32Array or number[]) or probabilities (Float32Array), got ${describe(targets)}`);
      }
      checkLength(fn, 'targets', targets.length, rows, 'one class index per row');
      normaliser = 0;
      for (let r = 0; r < rows; r++) {
        const t = targets[r];
        if (t === ignoreIndex) continue;
        if (!Number.isInteger(t) || t < 0 || t >= cols) {
          throw new RangeError(`${fn}: targets[${r}] = ${t} is outside [0, ${cols})${opts.ignoreIndex === undefined ? '' : ` and is not ignoreIndex = ${ignoreIndex}`}`);
        }
        normaliser += weight ? weight[t] : 1;
      }
    } else {
      checkLength(fn, 'targets', targets.length, z.length, 'probabilities: the logits\' length');
    }
    const gradScale = reduction === 'mean' ? 1 / normaliser : 1;

    return this.backend.scoped((scope) => {
      const logitsBuf = this.input(fn, scope, z);
      const grad = wantGrad ? this.result(fn, scope, gradOut, z.length) : null;
      const losses = reduction === 'none' ? this.result(fn, scope, undefined, rows) : null;
      const params: CrossEntropyParams = {
        weight: weight ? scope.f32(weight) : null,
        labelSmoothing, zLoss, invTemperature, gradScale,
        grad: grad ? grad.buffer : null,
        losses: losses ? losses.buffer : null,
      };
      const total = byIndex
        ? this.backend.crossEntropyIndex(logitsBuf, scope.i32(targets as ClassIndices), rows, cols, ignoreIndex, params)
        : this.backend.crossEntropyProb(logitsBuf, scope.f32(targets as Float32Array), rows, cols, params);
      const result: CrossEntropyResult<Data> = { loss: reduction === 'mean' ? total / normaliser : total };
      if (grad) result.grad = grad.finish();
      if (losses) result.losses = losses.finish();
      return result;
    });
  }

  // ---- dense products -----------------------------------------------------------------------

  /**
   * C[m×n] = alpha·op(A)·op(B) (+ bias per column) (+ out if accumulate), row-major, where op(A)
   * is m×k (a stored k×m with transA) and op(B) is k×n (b stored n×k with transB). out must not
   * overlap a, b or bias. NaN and ±Infinity propagate as in any sum of products.
   */
  matmul(a: Data, b: Data, m: number, k: number, n: number, options: MatmulOptions & { out: Tensor }): Tensor;
  matmul(a: Data, b: Data, m: number, k: number, n: number, options?: MatmulOptions): Float32Array;
  matmul(a: Data, b: Data, m: number, k: number, n: number, options?: MatmulOptions): Data {
    const fn = 'matmul';
    const as = this.data(fn, 'a', a);
    const bs = this.data(fn, 'b', b);
    checkInteger(fn, 'm', m, 1);
    checkInteger(fn, 'k', k, 1);
    checkInteger(fn, 'n', n, 1);
    const opts = checkOptions(fn, options) as MatmulOptions;
    const flag = (name: keyof MatmulOptions): boolean => {
      const value = opts[name];
      if (value !== undefined && typeof value !== 'boolean') {
        throw new TypeError(`${fn}: options.${name} must be a boolean, got ${describe(value)}`);
      }
      return value === true;
    };
    const transA = flag('transA'), transB = flag('transB'), accumulate = flag('accumulate');
    checkLength(fn, 'a', as.length, m * k, transA ? `k × m = ${k} × ${m}` : `m × k = ${m} × ${k}`);
    checkLength(fn, 'b', bs.length, k * n, transB ? `n × k = ${n} × ${k}` : `k × n = ${k} × ${n}`);
    // The kernels scale in float32, so alpha must be a finite float32.
    const alpha = opts.alpha === undefined ? 1 : checkNumber(fn, 'options.alpha', opts.alpha, -FLOAT32_MAX, FLOAT32_MAX);
    const bias = opts.bias === undefined ? undefined : this.data(fn, 'options.bias', opts.bias);
    if (bias) checkLength(fn, 'options.bias', bias.length, n, `one value per column, n = ${n}`);
    const out = this.out(fn, opts.out, m * n, `m × n = ${m} × ${n}`);
    if (accumulate && out === undefined) throw new TypeError(`${fn}: options.accumulate needs options.out to add to, got no out`);
    if (out !== undefined) {
      for (const [name, input] of [['a', as], ['b', bs], ['options.bias', bias]] as const) {
        if (input !== undefined && overlaps(out, input)) throw new RangeError(`${fn}: out must not overlap ${name}`);
      }
    }
    return this.backend.scoped((scope) => {
      const aBuf = this.input(fn, scope, as);
      const bBuf = this.input(fn, scope, bs);
      const biasBuf = bias === undefined ? null : this.input(fn, scope, bias);
      const res = this.result(fn, scope, out, m * n);
      // A copied-in out starts uninitialised on wasm; accumulating needs its contents.
      if (accumulate && out instanceof Float32Array && res.buffer.view() !== out) res.buffer.view().set(out);
      this.backend.matmul(aBuf, bBuf, res.buffer, m, k, n, transA, transB, alpha, accumulate, biasBuf);
      return res.finish();
    });
  }
}
