// The public functions, validated and bound to one Backend. Each call: check every argument
// (nothing has run yet if one is wrong), open a scratch scope, place the inputs in backend
// memory (or use resident tensors as they are), run one kernel, copy the result out.
import type { Backend, BackendKind, CrossEntropyParams, F32Buffer, Scope } from './backend.js';
import { Tensor } from './tensor.js';
import {
  checkFloat32Array, checkInteger, checkLength, checkNumber, checkOneOf, checkOptions, checkRows, describe,
} from './validate.js';
import { checkNoOverlap, checkTemperature, FLOAT32_MAX } from './validate.js';

/** Data argument: a Float32Array (copied in) or a resident Tensor of the same backend. */
export type Data = Float32Array | Tensor;
export type Reduction = 'mean' | 'sum' | 'none';
export type ClassIndices =
  | Int32Array | Int16Array | Int8Array | Uint32Array | Uint16Array | Uint8Array | Uint8ClampedArray | readonly number[];

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

const REDUCTIONS: readonly Reduction[] = ['mean', 'sum', 'none'];
// Every option each function reads: any other key is a misspelling, refused rather than ignored.
const SOFTMAX_OPTION_KEYS: readonly (keyof SoftmaxOptions)[] = ['temperature', 'out'];
const CROSS_ENTROPY_OPTION_KEYS: readonly (keyof CrossEntropyOptions)[] = [
  'reduction', 'weight', 'ignoreIndex', 'labelSmoothing', 'temperature', 'zLoss', 'grad',
];

function isIndexArray(value: unknown): value is ClassIndices {
  return Array.isArray(value) || value instanceof Int32Array || value instanceof Uint8Array
    || value instanceof Uint16Array || value instanceof Uint32Array || value instanceof Int16Array
    || value instanceof Int8Array || value instanceof Uint8ClampedArray;
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
    let buffer: F32Buffer;
    try {
      buffer = this.backend.allocF32(rows * cols);
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
      const reason = error.message.replace(/^softmax-wasm: /, '');
      throw new RangeError(`tensor: cannot allocate ${rows} × ${cols} floats: ${reason}`);
    }
    const t = new Tensor(this.backend, buffer, rows, cols);
    if (data) {
      try {
        t.write(data);
      } catch (error) {
        t.dispose();
        throw error;
      }
    }
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

  /**
   * Reserves the scratch space of one call up front, in the order the call takes it: a number is
   * that many 4-byte values, a Float32Array its length (copied in, or a result written into it),
   * a Tensor or undefined nothing (used in place). Fails before anything is copied.
   */
  private reserve(fn: string, scope: Scope, items: readonly (Data | number | undefined)[]): void {
    const lengths: number[] = [];
    for (const item of items) {
      if (typeof item === 'number') lengths.push(item);
      else if (item instanceof Float32Array) lengths.push(item.length);
    }
    scope.reserve(fn, lengths);
  }

  /** The memory a data argument occupies, for aliasing checks (a Tensor's current view). */
  private memoryOf(fn: string, value: Data): Float32Array {
    return value instanceof Tensor ? value.buffer(fn).view() : value;
  }

  /** Space for a result, and how to hand it back (copy into out or a new array, or the tensor). */
  private result<T extends Data | undefined>(
    fn: string, scope: Scope, out: T, length: number,
  ): { buffer: F32Buffer; finish(): T extends Tensor ? Tensor : Float32Array } {
    type R = T extends Tensor ? Tensor : Float32Array;
    if (out instanceof Tensor) return { buffer: out.buffer(fn), finish: () => out as unknown as R };
    const target = (out as Float32Array | undefined) ?? new Float32Array(length);
    if (target.length !== length) {
      // Only possible for a view of wasm memory that this call's allocation just detached.
      throw new TypeError(`${fn}: out is a view of this instance's wasm memory (a Tensor.view()), detached when this call grew the memory; pass the Tensor itself`);
    }
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
      const opts = checkOptions(fn, options, SOFTMAX_OPTION_KEYS);
      if (opts.out !== undefined) throw new TypeError(`${fn}: out is given twice, as the third argument and as options.out`);
      return { ...opts, out: outOrOptions };
    }
    // An array of the wrong type in out's place: say what out must be, not that options must be an object.
    if (Array.isArray(outOrOptions) || ArrayBuffer.isView(outOrOptions)) this.data(fn, 'out', outOrOptions);
    if (outOrOptions !== undefined && options !== undefined) {
      throw new TypeError(`${fn}: the third argument must be out (Float32Array or Tensor) when options follow, got ${describe(outOrOptions)}`);
    }
    return checkOptions(fn, outOrOptions ?? options, SOFTMAX_OPTION_KEYS) as SoftmaxOptions;
  }

  private invTemperature(fn: string, temperature: unknown): number {
    if (temperature === undefined) return 1;
    return Math.fround(1 / checkTemperature(fn, 'temperature', temperature)); // kernels take it as float32
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
    // Every row-wise kernel reads a whole row before writing it: out may be x, never a shifted x.
    if (out) checkNoOverlap(fn, 'out', this.memoryOf(fn, out), 'x', this.memoryOf(fn, xs), true);
    return this.backend.scoped((scope) => {
      this.reserve(fn, scope, [xs, out ?? length]);
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
    // The kernel reads each row (⟨dy, y⟩) before writing it: out may be y or dy exactly.
    if (o) {
      const outMemory = this.memoryOf(fn, o);
      checkNoOverlap(fn, 'out', outMemory, 'y', this.memoryOf(fn, ys), true);
      checkNoOverlap(fn, 'out', outMemory, 'dy', this.memoryOf(fn, dys), true);
    }
    return this.backend.scoped((scope) => {
      this.reserve(fn, scope, [ys, dys, o ?? ys.length]);
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
    const opts = checkOptions(fn, options, CROSS_ENTROPY_OPTION_KEYS) as CrossEntropyOptions;
    const reduction = opts.reduction === undefined ? 'mean' : checkOneOf(fn, 'options.reduction', opts.reduction, REDUCTIONS);
    const ignoreIndex = opts.ignoreIndex === undefined ? -100 : checkInteger(fn, 'options.ignoreIndex', opts.ignoreIndex, -(2 ** 31));
    const labelSmoothing = opts.labelSmoothing === undefined ? 0 : checkNumber(fn, 'options.labelSmoothing', opts.labelSmoothing, 0, 1);
    const zLoss = opts.zLoss === undefined ? 0 : checkNumber(fn, 'options.zLoss', opts.zLoss, 0, FLOAT32_MAX);
    const invTemperature = 1 / (opts.temperature === undefined ? 1 : checkTemperature(fn, 'options.temperature', opts.temperature));
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
        if (typeof t !== 'number') {
          throw new TypeError(`${fn}: targets[${r}] must be an integer class index, got ${describe(t)}`);
        }
        if (!Number.isInteger(t)) throw new RangeError(`${fn}: targets[${r}] = ${t} is not an integer class index`);
        if (t < 0 || t >= cols) {
          throw new RangeError(`${fn}: targets[${r}] = ${t} is outside [0, ${cols})${opts.ignoreIndex === undefined ? '' : ` and is not ignoreIndex = ${ignoreIndex}`}`);
        }
        normaliser += weight ? weight[t] : 1;
      }
    } else if (targets.length !== z.length && targets.length === rows) {
      throw new RangeError(`${fn}: targets.length must be ${z.length} (probabilities: the logits' length), got ${rows}: class indices must be integers (Int32Array or number[]), not a Float32Array`);
    } else {
      checkLength(fn, 'targets', targets.length, z.length, 'probabilities: the logits\' length');
    }
    // The kernels write the gradient over rows they still read (exponentials first, then the
    // target logit, smoothing sums and targets), so grad shares memory with no input.
    if (gradOut) {
      const gradMemory = this.memoryOf(fn, gradOut);
      checkNoOverlap(fn, 'options.grad', gradMemory, 'logits', this.memoryOf(fn, z), false);
      if (!byIndex) checkNoOverlap(fn, 'options.grad', gradMemory, 'targets', targets as Float32Array, false);
      if (weight) checkNoOverlap(fn, 'options.grad', gradMemory, 'options.weight', weight, false);
    }
    const gradScale = reduction === 'mean' ? 1 / normaliser : 1;

    return this.backend.scoped((scope) => {
      this.reserve(fn, scope, [
        z, wantGrad ? gradOut ?? z.length : undefined, reduction === 'none' ? rows : undefined,
        weight, byIndex ? rows : (targets as Float32Array),
      ]);
      const logitsBuf = this.input(fn, scope, z);
      const grad = wantGrad ? this.result(fn, scope, gradOut, z.length) : null;
      const losses = reduction === 'none' ? this.result(fn, scope, undefined, rows) : null;
      // Kernels take scalars as float32: rounding them here gives every backend the same values
      // (a labelSmoothing of 1e-320 is 0 for all of them, not only for wasm).
      const params: CrossEntropyParams = {
        weight: weight ? scope.f32(weight) : null,
        labelSmoothing: Math.fround(labelSmoothing), zLoss: Math.fround(zLoss),
        invTemperature: Math.fround(invTemperature), gradScale: Math.fround(gradScale),
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
}
