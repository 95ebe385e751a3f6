// The public functions, validated and bound to one Backend. Each call: check every argument
// (nothing has run yet if one is wrong), open a scratch scope, place the inputs in backend
// memory (or use resident tensors as they are), run one kernel, copy the result out.
import type { Activation, Backend, BackendKind, CrossEntropyParams, F32Buffer, I32Buffer, Scope } from './backend.js';
import { seededRandom, type RandomSource } from './random.js';
import { linearCrossEntropyChunks, linearCrossEntropyScratch } from './linear-cross-entropy.js';
import { float32ArrayToOverwrite } from './fresh-array.js';
import { Tensor } from './tensor.js';
import { inspectSymbol } from './inspect-symbol.js';
import {
  checkClassTargets, checkFloat32Array, checkInteger, checkLength, checkNoOverlap, checkNumber, checkOneOf, checkOptions,
  checkRows, checkTemperature, describe, FLOAT32_MAX, overlap, staleViewError, type ClassIndexArray,
} from './validate.js';

/** Data argument: a Float32Array (copied in) or a resident Tensor of the same backend. */
export type Data = Float32Array | Tensor;
export type Reduction = 'mean' | 'sum' | 'none';
/** Class indices: number[] or any integer typed array (the list lives in validate.ts, with its check). */
export type ClassIndices = ClassIndexArray;

export interface SoftmaxOptions {
  /** Divides the logits: softmax(x / temperature). Default 1. */
  temperature?: number;
  /** Where to write the result (same length as the result); returned instead of a new array. */
  out?: Data;
}

/** The options that may follow an `out` argument: not `out` again. */
export type SoftmaxOptionsAfterOut = Omit<SoftmaxOptions, 'out'>;

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

/**
 * The type of a gradient written where options O's `grad` says: a Tensor when O gives one; a
 * Float32Array when O gives one, true, or nothing; either when O's type allows both (options held
 * in a variable of type CrossEntropyOptions or ElementwiseLossOptions, whose grad may be a Tensor).
 */
export type GradResultType<O> = O extends { grad: Tensor } ? Tensor
  : O extends { grad?: boolean | Float32Array } ? Float32Array : Data;

/**
 * crossEntropy's result for options O: `grad` is there (a Tensor where one was given to write it
 * into) when options.grad asked for it, `losses` with reduction 'none'; otherwise optional.
 */
export type CrossEntropyResultFor<O> = CrossEntropyResult<GradResultType<O>>
  & (O extends { grad: true | Data } ? { grad: GradResultType<O> } : unknown)
  & (O extends { reduction: 'none' } ? { losses: Float32Array } : unknown);

/** What LinearCrossEntropyOptions.grad may be (its type parameter types the result's gradients). */
export type LinearCrossEntropyGrads = boolean | { dx?: boolean | Data; dw?: boolean | Data; db?: boolean | Data };

export interface LinearCrossEntropyOptions<G extends LinearCrossEntropyGrads = LinearCrossEntropyGrads>
  extends Omit<CrossEntropyOptions, 'grad'> {
  /** Per-class bias b (length v): logits = x·W + b. */
  bias?: Data;
  /**
   * true: return dx, dw (and db with a bias) in new arrays; or pick some, each true or a
   * Float32Array / Tensor to write into: { dw: true, db: myBiasGrad }.
   */
  grad?: G;
  /** Memory budget for one chunk of logits, in bytes (default 16 MiB); at least one row. */
  chunkBytes?: number;
}

/**
 * A gradient's type in the result: a Tensor where options.grad gave one to write into, a
 * Float32Array where it gave one, true or nothing, and either where G's type allows both (options
 * held in a variable of type LinearCrossEntropyOptions).
 */
export type LinearCrossEntropyGradType<G, K extends 'dx' | 'dw' | 'db'> =
  GivenArrayType<Exclude<G extends object ? (K extends keyof G ? G[K] : never) : never, boolean | undefined>>;

/** Float32Array for never (no array given), Tensor or Float32Array when the type is one of them, else either. */
type GivenArrayType<T> = [T] extends [never] ? Float32Array : [T] extends [Tensor] ? Tensor
  : [T] extends [Float32Array] ? Float32Array : Data;

/**
 * The gradients a linearCrossEntropy result surely holds: dx and dw for grad: true; each one
 * options.grad names as true or an array. (db for grad: true only with a bias, so it stays optional.)
 */
export type LinearCrossEntropyAsked<G> = {
  [K in 'dx' | 'dw' | 'db' as [G] extends [true] ? (K extends 'db' ? never : K)
    : G extends { [P in K]: true | Data } ? K : never]: LinearCrossEntropyGradType<G, K>
};

export interface LinearCrossEntropyResult<
  DX extends Data = Float32Array, DW extends Data = Float32Array, DB extends Data = Float32Array,
> {
  /** The reduced loss ('none': the sum of the row losses). */
  loss: number;
  /** Each row's loss, with reduction 'none'. */
  losses?: Float32Array;
  /** ∂loss/∂x, n × h, when asked for. */
  dx?: DX;
  /** ∂loss/∂W, h × v, when asked for. */
  dw?: DW;
  /** ∂loss/∂b, length v, when asked for with a bias. */
  db?: DB;
}

export interface ElementwiseLossOptions {
  /** 'mean' (default): divided by the number of elements; 'sum'; 'none' (also returns losses). */
  reduction?: Reduction;
  /** true: return ∂loss/∂input in a new array; a Float32Array or Tensor: write it there. */
  grad?: boolean | Data;
}

export interface ElementwiseLossResult<G extends Data = Float32Array> {
  /** The reduced loss ('none': the sum of the element losses). */
  loss: number;
  /** ∂loss/∂input, one per element, when asked for. */
  grad?: G;
  /** Each element's loss, with reduction 'none'. */
  losses?: Float32Array;
}

export interface SampleOptions {
  /** Samples from softmax(logits / temperature). Default 1. */
  temperature?: number;
  /** Seed of the generator (seededRandom): the same seed gives the same samples. */
  seed?: number;
  /** A uniform [0, 1) source instead of a seed (e.g. a seededRandom stream). Default Math.random. */
  random?: RandomSource;
  /** Where to write the classes (one per row). */
  out?: Int32Array;
}

/**
 * What a cross-entropy gradient is multiplied by: 1 for 'sum' and 'none'; for 'mean'
 * 1/normaliser, or NaN when the normaliser is 0 (every row ignored, or the counted rows' target
 * weights summing to 0). The mean is then undefined: 1/0 made some backends' gradients NaN and
 * others' ±∞, and a loss of ±∞ where PyTorch gives NaN. Ignored rows keep their zero gradient.
 */
function gradScaleOf(reduction: Reduction, normaliser: number): number {
  return reduction !== 'mean' ? 1 : normaliser === 0 ? NaN : 1 / normaliser;
}

/** The reduced loss from the sum of the row losses: for 'mean' total / normaliser, NaN when the normaliser is 0. */
function reducedLoss(reduction: Reduction, total: number, normaliser: number): number {
  return reduction !== 'mean' ? total : normaliser === 0 ? NaN : total / normaliser;
}

/**
 * Below this 1/T the wasm kernels are given the logits halved and 1/T doubled: the same exponents
 * (z/2)·(2/T). They form z − max in float32 before the product by 1/T, and for logits of both
 * signs beyond ±1.7e38 that difference overflows to −∞, though (z − max)/T may be ordinary when T
 * is huge; a term then counted 0 where its probability was 0.0025. Only a 1/T under about
 * 2.6e−37 (= 87 / FLT_MAX) can bring such a difference back within the exponent's range, so below
 * 2^−120 halving costs nothing a result could show: z/2 is exact above 2^−125, and below it the
 * lost bit moves (z/2)·(2/T) by under 2^−269. The js oracle works in f64 and needs none of this.
 */
const HALVED_BELOW_INV_T = 2 ** -120;

/** The logits halved, for a 1/T under HALVED_BELOW_INV_T on a wasm backend (a copy; x is not touched). */
function halved(x: Data): Float32Array {
  const values = x instanceof Tensor ? x.toArray() : x.slice();
  for (let i = 0; i < values.length; i++) values[i] *= 0.5;
  return values;
}

const DEFAULT_CHUNK_BYTES = 16 * 1024 * 1024;
// softmaxJacobian builds a dense cols × cols matrix; past 1 GiB it is a mistake, not a use.
const MAX_JACOBIAN_ENTRIES = 2 ** 28;

const REDUCTIONS: readonly Reduction[] = ['mean', 'sum', 'none'];
// Every option each function reads: any other key is a misspelling, refused rather than ignored.
const SOFTMAX_OPTION_KEYS: readonly (keyof SoftmaxOptions)[] = ['temperature', 'out'];
const CROSS_ENTROPY_OPTION_KEYS: readonly (keyof CrossEntropyOptions)[] = [
  'reduction', 'weight', 'ignoreIndex', 'labelSmoothing', 'temperature', 'zLoss', 'grad',
];
const LINEAR_CROSS_ENTROPY_OPTION_KEYS: readonly (keyof LinearCrossEntropyOptions)[] = [
  'reduction', 'weight', 'ignoreIndex', 'labelSmoothing', 'temperature', 'zLoss', 'grad', 'bias', 'chunkBytes',
];
const ELEMENTWISE_LOSS_OPTION_KEYS: readonly (keyof ElementwiseLossOptions)[] = ['reduction', 'grad'];
const SAMPLE_OPTION_KEYS: readonly (keyof SampleOptions)[] = ['temperature', 'seed', 'random', 'out'];

// Rows per block of Api.rowwiseInBlocks: about BLOCK_ELEMENTS floats (128 KiB), at least one row,
// and a multiple of 4 when there are that many, since the kernels take short rows four at a time:
// then every row meets the same code as in one whole call, and gets the same bits.
const BLOCK_ELEMENTS = 32768;
function blockRows(cols: number): number {
  const rows = Math.floor(BLOCK_ELEMENTS / cols);
  return rows >= 4 ? rows & ~3 : Math.max(1, rows);
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

const MATMUL_OPTION_KEYS: readonly (keyof MatmulOptions)[] = ['transA', 'transB', 'bias', 'accumulate', 'alpha', 'out'];

const TENSOR_OWNER = 'a tensor works only with the instance that made it (createBackend(), and init() ' +
  'naming another backend, make new instances)';

/** Whether a third argument is out (the options otherwise). */
const isData = (value: unknown): value is Data => value instanceof Float32Array || value instanceof Tensor;

/**
 * The library on one backend, with its own memory: every module-level function (softmax,
 * crossEntropy, matmul, …) as a method. `createBackend()` makes one; `init()` makes the default.
 */
export class Api {
  // rowwiseInBlocks' two scratch lengths, reused: an array per call costs as much as validating it.
  private readonly blockLengths = [0, 0];
  // crossEntropyInBlocks' five scratch lengths and its kernel parameters, reused for the same reason.
  private readonly lossBlockLengths = [0, 0, 0, 0, 0];
  private readonly lossBlockParams: CrossEntropyParams = {
    weight: null, labelSmoothing: 0, zLoss: 0, invTemperature: 1, gradScale: 1, grad: null, losses: null,
  };

  constructor(readonly backend: Backend) {}

  /** Which backend runs the kernels: 'relaxed-simd', 'simd' or 'js'. */
  get kind(): BackendKind {
    return this.backend.kind;
  }

  /** For console.log in Node: `Api(simd)`, not the backend's kernels and memory. */
  [inspectSymbol](): string {
    return `Api(${this.kind})`;
  }

  /** A resident rows × cols tensor in this backend's memory, zero-filled or copied from data. */
  tensor(rows: number, cols: number, data?: Float32Array): Tensor {
    checkInteger('tensor', 'rows', rows, 1);
    checkInteger('tensor', 'cols', cols, 1);
    if (data !== undefined) {
      const array = this.current('tensor', 'data', checkFloat32Array('tensor', 'data', data));
      checkLength('tensor', 'data', array.length, rows * cols, `${rows} × ${cols}`);
    }
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
      if (value.backend !== this.backend) {
        throw new TypeError(`${fn}: ${name} is a Tensor of another backend instance; ${TENSOR_OWNER}`);
      }
      value.buffer(fn, name); // a disposed one is refused, named: with several tensors, which one
      return value;
    }
    return this.current(fn, name, checkFloat32Array(fn, name, value, 'a Float32Array or a Tensor'));
  }

  /** Refuses a view of this instance's memory from before it grew, which would read as empty. */
  private current<T extends ArrayBufferView>(fn: string, name: string, array: T): T {
    if (this.backend.isStaleView(array)) throw staleViewError(fn, name);
    return array;
  }

  private out(fn: string, value: unknown, length: number, what: string): Data | undefined {
    if (value === undefined) return undefined;
    const out = this.data(fn, 'out', value);
    checkLength(fn, 'out', out.length, length, what);
    return out;
  }

  /** An input in backend memory: a Tensor as it is, an array copied in. */
  private input(fn: string, scope: Scope, value: Data, name: string): F32Buffer {
    return value instanceof Tensor ? value.buffer(fn) : this.copyIn(fn, scope, value, name);
  }

  /**
   * An array copied into the call's scratch. Checked again here, after the call's reservation: a
   * view of this instance's memory that the reservation's growth detached is refused by name.
   */
  private copyIn(fn: string, scope: Scope, value: Float32Array, name: string): F32Buffer {
    return scope.f32(this.current(fn, name, value));
  }

  /** Class indices copied into the call's scratch as int32, checked as copyIn checks. */
  private indicesIn(fn: string, scope: Scope, targets: ClassIndices): I32Buffer {
    return scope.i32(ArrayBuffer.isView(targets) ? this.current(fn, 'targets', targets) : targets);
  }

  /**
   * Reserves the scratch space of one call up front, in the order the call takes it: a number is
   * that many 4-byte values, a Float32Array its length (copied in, or a result written into it),
   * a Tensor or undefined nothing (used in place). Fails before anything is copied.
   */
  private reserve(fn: string, scope: Scope, items: (Data | number | undefined)[]): void {
    // Rewritten in place into lengths (0 takes no space): no second array on the hot path.
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      items[i] = typeof item === 'number' ? item : item instanceof Float32Array ? item.length : 0;
    }
    scope.reserve(fn, items as number[]);
  }

  /** The memory a data argument occupies, for aliasing checks (a Tensor's current view). */
  private memoryOf(fn: string, value: Data): Float32Array {
    return value instanceof Tensor ? value.buffer(fn).view() : value;
  }

  /** For kernels that read each element (or row) before writing it: out may be an input exactly. */
  private checkOutOverlaps(fn: string, out: Data | undefined, inputs: ReadonlyArray<readonly [string, Data]>, outName = 'out'): void {
    if (!out) return;
    for (const [name, input] of inputs) this.checkNoOverlap(fn, outName, out, name, input, true);
  }

  /**
   * checkNoOverlap of two data arguments. Distinct tensors never share memory (each owns its
   * allocation), which spares making their views — a good part of a small resident call's time.
   */
  private checkNoOverlap(fn: string, outName: string, out: Data, inName: string, input: Data, inPlace: boolean): void {
    if (out instanceof Tensor && input instanceof Tensor && out !== input) return;
    checkNoOverlap(fn, outName, this.memoryOf(fn, out), inName, this.memoryOf(fn, input), inPlace);
  }

  /** Space for a result, and how to hand it back (copy into out or a new array, or the tensor). */
  private result<T extends Data | undefined>(
    fn: string, scope: Scope, out: T, length: number,
  ): { buffer: F32Buffer; finish(): T extends Tensor ? Tensor : Float32Array } {
    type R = T extends Tensor ? Tensor : Float32Array;
    if (out instanceof Tensor) return { buffer: out.buffer(fn), finish: () => out as unknown as R };
    // The js backend's kernels write into the array itself; wasm results are copied over all of it.
    const target = (out as Float32Array | undefined)
      ?? (this.backend.kind === 'js' ? new Float32Array(length) : float32ArrayToOverwrite(length));
    if (target.length !== length) {
      // Only possible for a view of wasm memory that this call's allocation just detached.
      throw staleViewError(fn, 'out');
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

  /**
   * The options of a row-wise call, whose third argument is out or the options, checked; out is
   * then that argument when it is data (isData), else options.out. Allocates nothing (calls
   * without options are the hot path).
   */
  private rowwiseOptions(fn: string, outOrOptions: unknown, options: unknown): SoftmaxOptions {
    if (isData(outOrOptions)) {
      const opts = checkOptions(fn, options, SOFTMAX_OPTION_KEYS) as SoftmaxOptions;
      if (opts.out !== undefined) throw new TypeError(`${fn}: out is given twice, as the third argument and as options.out`);
      return opts;
    }
    // An array of the wrong type in out's place: say what out must be, not that options must be an object.
    if (Array.isArray(outOrOptions) || ArrayBuffer.isView(outOrOptions)) this.data(fn, 'out', outOrOptions);
    if (outOrOptions !== undefined && options !== undefined) {
      throw new TypeError(`${fn}: the third argument must be out (Float32Array or Tensor) when options follow, got ${describe(outOrOptions)}`);
    }
    return checkOptions(fn, outOrOptions ?? options, SOFTMAX_OPTION_KEYS) as SoftmaxOptions;
  }

  /** options.temperature as 1/T, every function's. */
  private invTemperature(fn: string, temperature: unknown): number {
    if (temperature === undefined) return 1;
    // In f64: the wasm kernels take it as a float32 and its rounding error (WasmBackend's scaleTail).
    return 1 / checkTemperature(fn, 'options.temperature', temperature);
  }

  /** The shared body of the row-wise softmax functions. */
  private rowwise<O extends Data | undefined>(
    fn: string, x: unknown, cols: number, outOrOptions: unknown, options: unknown, perRow: boolean,
    kernel: (x: F32Buffer, out: F32Buffer, rows: number, cols: number, invTemperature: number) => void,
  ) {
    let xs = this.data(fn, 'x', x);
    const rows = checkRows(fn, 'x', xs.length, cols);
    const opts = this.rowwiseOptions(fn, outOrOptions, options);
    let invT = this.invTemperature(fn, opts.temperature);
    const length = perRow ? rows : xs.length;
    const out = this.out(fn, isData(outOrOptions) ? outOrOptions : opts.out, length, perRow ? `one value per row, rows = ${rows}` : 'x.length') as O;
    // Every row-wise kernel reads a whole row before writing it: out may be x, never a shifted x.
    // (logSumExp writes one value per row: only with one column can out be x itself.)
    if (out) this.checkNoOverlap(fn, 'out', out, 'x', xs, !perRow || cols === 1);
    if (invT < HALVED_BELOW_INV_T && this.backend.kind !== 'js') {
      xs = halved(xs);
      invT *= 2;
    }
    // Tensor to Tensor needs no scratch: the kernel reads x and writes out where they are.
    // Skipping the scope, its reservation and the result object is a good part of a small
    // resident call. forwardPass and backwardPass take the same shortcut.
    if (xs instanceof Tensor && out instanceof Tensor) {
      kernel.call(this.backend, xs.buffer(fn), out.buffer(fn), rows, cols, invT);
      return out;
    }
    if (!(out instanceof Tensor) && this.backend.kind !== 'js') {
      return this.rowwiseInBlocks(fn, xs, out as Float32Array | undefined, rows, cols, invT, perRow, kernel);
    }
    return this.backend.scoped((scope) => {
      this.reserve(fn, scope, [xs, out ?? length]);
      const input = this.input(fn, scope, xs, 'x');
      const res = this.result(fn, scope, out, length);
      kernel.call(this.backend, input, res.buffer, rows, cols, invT);
      return res.finish();
    });
  }

  /**
   * rowwise with a Float32Array result, a block of rows at a time through one scratch block of
   * about 128 KiB, so large calls stay in L2 instead of making passes over scratch arrays of the
   * full size through DRAM. A Float32Array x is copied in block by block and the kernel runs in
   * place; a resident x is read where it is, the kernel writing the block. Small calls take the
   * shortest path (one scratch buffer, one view of it, no result object).
   */
  private rowwiseInBlocks(
    fn: string, xs: Data, out: Float32Array | undefined, rows: number, cols: number, invT: number, perRow: boolean,
    kernel: (x: F32Buffer, out: F32Buffer, rows: number, cols: number, invTemperature: number) => void,
  ): Float32Array {
    const step = Math.min(rows, blockRows(cols));
    const outCols = perRow ? 1 : cols;
    const target = out ?? float32ArrayToOverwrite(rows * outCols); // every block is copied over it
    const resident = xs instanceof Tensor;
    return this.backend.scoped((scope) => {
      const lengths = this.blockLengths;
      lengths[0] = resident ? 0 : step * cols;
      lengths[1] = resident || perRow ? step * outCols : 0;
      scope.reserve(fn, lengths);
      // Arrays that are views of wasm memory were detached if the reservation grew it (their
      // length is then 0): refuse them as every function does.
      if (xs.length !== rows * cols) throw staleViewError(fn, 'x');
      if (target.length !== rows * outCols) {
        throw staleViewError(fn, 'out');
      }
      const block = resident ? null : scope.f32Empty(step * cols);
      const results = block && !perRow ? block : scope.f32Empty(step * outCols);
      // Kernels never allocate, so these views stay valid across the calls below.
      const blockView = block?.view(), resultsView = results.view();
      for (let r = 0; r < rows; r += step) {
        const n = Math.min(step, rows - r);
        let input: F32Buffer;
        if (xs instanceof Tensor) {
          input = n === rows ? xs.buffer(fn) : this.backend.sliceF32(xs.buffer(fn), r * cols, n * cols);
        } else {
          blockView!.set(n === rows ? xs : xs.subarray(r * cols, (r + n) * cols));
          input = block!;
        }
        kernel.call(this.backend, input, results, n, cols, invT);
        target.set(n === step ? resultsView : resultsView.subarray(0, n * outCols), r * outCols);
      }
      return target;
    });
  }

  // ---- softmax family -----------------------------------------------------------------------

  /**
   * Row-wise softmax of a rows × cols matrix: a_j = e^{z_j/T} / Σ_k e^{z_k/T}, computed as
   * softmax(z − max z). −∞ logits get probability exactly 0. A row containing NaN or +∞ becomes
   * all NaN; an all −∞ row becomes all NaN (as in PyTorch). out may be x itself (in place).
   */
  softmax(x: Data, cols: number, out?: Float32Array, options?: SoftmaxOptionsAfterOut): Float32Array;
  softmax(x: Data, cols: number, out: Tensor, options?: SoftmaxOptionsAfterOut): Tensor;
  softmax(x: Data, cols: number, options: SoftmaxOptions & { out: Tensor }): Tensor;
  softmax(x: Data, cols: number, options?: SoftmaxOptions & { out?: Float32Array }): Float32Array;
  softmax(x: Data, cols: number, options: SoftmaxOptions): Data;
  softmax(x: Data, cols: number, outOrOptions?: Data | SoftmaxOptions, options?: SoftmaxOptions): Data {
    return this.rowwise('softmax', x, cols, outOrOptions, options, false, this.backend.softmax);
  }

  /** log softmax(z/T) = z/T − logsumexp(z/T), never via log(a). out may be x itself. */
  logSoftmax(x: Data, cols: number, out?: Float32Array, options?: SoftmaxOptionsAfterOut): Float32Array;
  logSoftmax(x: Data, cols: number, out: Tensor, options?: SoftmaxOptionsAfterOut): Tensor;
  logSoftmax(x: Data, cols: number, options: SoftmaxOptions & { out: Tensor }): Tensor;
  logSoftmax(x: Data, cols: number, options?: SoftmaxOptions & { out?: Float32Array }): Float32Array;
  logSoftmax(x: Data, cols: number, options: SoftmaxOptions): Data;
  logSoftmax(x: Data, cols: number, outOrOptions?: Data | SoftmaxOptions, options?: SoftmaxOptions): Data {
    return this.rowwise('logSoftmax', x, cols, outOrOptions, options, false, this.backend.logSoftmax);
  }

  /**
   * log Σ_j e^{z_j/T} per row (one value per row). A row containing +∞ gives +∞, an all −∞ row
   * gives −∞, a row containing NaN gives NaN.
   */
  logSumExp(x: Data, cols: number, out?: Float32Array, options?: SoftmaxOptionsAfterOut): Float32Array;
  logSumExp(x: Data, cols: number, out: Tensor, options?: SoftmaxOptionsAfterOut): Tensor;
  logSumExp(x: Data, cols: number, options: SoftmaxOptions & { out: Tensor }): Tensor;
  logSumExp(x: Data, cols: number, options?: SoftmaxOptions & { out?: Float32Array }): Float32Array;
  logSumExp(x: Data, cols: number, options: SoftmaxOptions): Data;
  logSumExp(x: Data, cols: number, outOrOptions?: Data | SoftmaxOptions, options?: SoftmaxOptions): Data {
    return this.rowwise('logSumExp', x, cols, outOrOptions, options, true, this.backend.logSumExp);
  }

  /**
   * Backward pass of softmax: given y = softmax(z) and dy = ∂L/∂y, returns ∂L/∂z = y ⊙ (dy − ⟨dy, y⟩)
   * per row, in O(cols). out may be dy or y (in place).
   */
  softmaxBackward(y: Data, dy: Data, cols: number, out?: Float32Array): Float32Array;
  softmaxBackward(y: Data, dy: Data, cols: number, out: Tensor): Tensor;
  softmaxBackward(y: Data, dy: Data, cols: number, out?: Data): Data {
    return this.backwardPass('softmaxBackward', y, dy, out, (n) => checkRows('softmaxBackward', 'y', n, cols),
      (yb, dyb, dx, rows) => this.backend.softmaxBackward(yb, dyb, dx, rows, cols));
  }

  /**
   * The shared body of the backward passes (softmax, sparsemax and the activations): dx from y
   * and dy of one length; rowsOf checks the length and gives the rows (1 elementwise). Each kernel reads a
   * row (⟨dy, y⟩, the support's mean of dy) or an element before writing it, so out may be y or
   * dy exactly, never a shifted view of them.
   */
  private backwardPass(
    fn: string, y: unknown, dy: unknown, out: unknown, rowsOf: (length: number) => number,
    kernel: (y: F32Buffer, dy: F32Buffer, dx: F32Buffer, rows: number) => void,
  ): Data {
    const ys = this.data(fn, 'y', y);
    const dys = this.data(fn, 'dy', dy);
    const rows = rowsOf(ys.length);
    checkLength(fn, 'dy', dys.length, ys.length, 'y.length');
    const o = this.out(fn, out, ys.length, 'y.length');
    this.checkOutOverlaps(fn, o, [['y', ys], ['dy', dys]]);
    if (ys instanceof Tensor && dys instanceof Tensor && o instanceof Tensor) {
      kernel(ys.buffer(fn), dys.buffer(fn), o.buffer(fn), rows); // no scratch: see rowwise
      return o;
    }
    return this.backend.scoped((scope) => {
      this.reserve(fn, scope, [ys, dys, o ?? ys.length]);
      const yb = this.input(fn, scope, ys, 'y');
      const dyb = this.input(fn, scope, dys, 'dy');
      const res = this.result(fn, scope, o, ys.length);
      kernel(yb, dyb, res.buffer, rows);
      return res.finish();
    });
  }

  // ---- cross-entropy ------------------------------------------------------------------------

  /**
   * The options crossEntropy and linearCrossEntropy share, checked, with their defaults. Kernels
   * take the scalars as float32: rounding them here gives every backend the same values (a
   * labelSmoothing of 1e-320 is 0 for all of them, not only for wasm).
   */
  private lossOptions(fn: string, opts: Omit<CrossEntropyOptions, 'grad'>, cols: number) {
    const weight = opts.weight === undefined
      ? undefined : this.current(fn, 'options.weight', checkFloat32Array(fn, 'options.weight', opts.weight));
    if (weight) checkLength(fn, 'options.weight', weight.length, cols, 'one weight per class, cols');
    return {
      reduction: opts.reduction === undefined ? 'mean' : checkOneOf(fn, 'options.reduction', opts.reduction, REDUCTIONS),
      ignoreIndex: opts.ignoreIndex === undefined ? -100 : checkInteger(fn, 'options.ignoreIndex', opts.ignoreIndex, -(2 ** 31)),
      labelSmoothing: opts.labelSmoothing === undefined ? 0 : Math.fround(checkNumber(fn, 'options.labelSmoothing', opts.labelSmoothing, 0, 1)),
      zLoss: opts.zLoss === undefined ? 0 : Math.fround(checkNumber(fn, 'options.zLoss', opts.zLoss, 0, FLOAT32_MAX)),
      invTemperature: this.invTemperature(fn, opts.temperature),
      weight,
    };
  }

  /**
   * Softmax cross-entropy of logits (rows × cols) against targets, with PyTorch's
   * F.cross_entropy semantics, fused with its gradient (a − y) in one kernel pass (on wasm, with
   * Float32Array results, over blocks of rows that stay in cache; the results are the same bits).
   * targets: class indices (number[] or an integer typed array, one per row) or probabilities
   * (Float32Array of the logits' length).
   */
  crossEntropy<O extends CrossEntropyOptions = Record<never, never>>(
    logits: Data, targets: ClassIndices | Float32Array, cols: number, options?: O,
  ): CrossEntropyResultFor<O>;
  crossEntropy(logits: Data, targets: ClassIndices | Float32Array, cols: number, options?: CrossEntropyOptions): CrossEntropyResult<Data> {
    const fn = 'crossEntropy';
    const logitsData = this.data(fn, 'logits', logits);
    const rows = checkRows(fn, 'logits', logitsData.length, cols);
    const opts = checkOptions(fn, options, CROSS_ENTROPY_OPTION_KEYS) as CrossEntropyOptions;
    const { reduction, ignoreIndex, labelSmoothing, zLoss, invTemperature: invT, weight } = this.lossOptions(fn, opts, cols);

    let gradOut: Data | undefined;
    const wantGrad = opts.grad !== undefined && opts.grad !== false;
    if (opts.grad !== undefined && typeof opts.grad !== 'boolean') {
      gradOut = this.data(fn, 'options.grad', opts.grad);
      checkLength(fn, 'options.grad', gradOut.length, logitsData.length, 'logits.length');
    }

    if (ArrayBuffer.isView(targets)) this.current(fn, 'targets', targets);
    const byIndex = !(targets instanceof Float32Array);
    let normaliser = rows;
    if (byIndex) {
      normaliser = checkClassTargets(fn, targets, rows, cols, ignoreIndex, opts.ignoreIndex !== undefined, weight,
        'class indices (number[] or an integer typed array) or probabilities (Float32Array)',
        `logits.length / cols = ${logitsData.length} / ${cols}`);
    } else if (targets.length !== logitsData.length && targets.length === rows) {
      throw new RangeError(`${fn}: targets.length must be ${logitsData.length} (probabilities: the logits' length), got ${rows}: class indices must be integers (Int32Array or number[]), not a Float32Array`);
    } else {
      checkLength(fn, 'targets', targets.length, logitsData.length, 'probabilities: the logits\' length');
    }
    // The kernels read everything they need from the logits before writing the gradient over
    // them (grad may be the logits themselves), but the probability targets and the weights are
    // read while the gradient is written.
    if (gradOut) {
      this.checkNoOverlap(fn, 'options.grad', gradOut, 'logits', logitsData, true);
      if (!byIndex) this.checkNoOverlap(fn, 'options.grad', gradOut, 'targets', targets as Float32Array, false);
      if (weight) this.checkNoOverlap(fn, 'options.grad', gradOut, 'options.weight', weight, false);
    }
    let gradScale = gradScaleOf(reduction, normaliser);
    let z = logitsData, invTemperature = invT;
    if (invT < HALVED_BELOW_INV_T && this.backend.kind !== 'js') {
      // The gradient with respect to the halved logits is twice the one asked for.
      z = halved(z);
      invTemperature *= 2;
      gradScale *= 0.5;
    }
    if (!(gradOut instanceof Tensor) && this.backend.kind !== 'js') {
      const params = this.lossBlockParams;
      params.labelSmoothing = labelSmoothing;
      params.zLoss = zLoss;
      params.invTemperature = invTemperature;
      params.gradScale = gradScale;
      // Every block's gradient and losses are copied over these.
      const grad = wantGrad ? gradOut as Float32Array | undefined ?? float32ArrayToOverwrite(rows * cols) : null;
      const losses = reduction === 'none' ? float32ArrayToOverwrite(rows) : null;
      const total = this.crossEntropyInBlocks(fn, z, targets, byIndex, rows, cols, ignoreIndex, weight, grad, losses);
      const result: CrossEntropyResult = { loss: reducedLoss(reduction, total, normaliser) };
      if (grad) result.grad = grad;
      if (losses) result.losses = losses;
      return result;
    }

    return this.backend.scoped((scope) => {
      this.reserve(fn, scope, [
        z, wantGrad ? gradOut ?? z.length : undefined, reduction === 'none' ? rows : undefined,
        weight, byIndex ? rows : (targets as Float32Array),
      ]);
      const logitsBuf = this.input(fn, scope, z, 'logits');
      const grad = wantGrad ? this.result(fn, scope, gradOut, z.length) : null;
      const losses = reduction === 'none' ? this.result(fn, scope, undefined, rows) : null;
      const params: CrossEntropyParams = {
        weight: weight ? this.copyIn(fn, scope, weight, 'options.weight') : null,
        labelSmoothing, zLoss, invTemperature, gradScale,
        grad: grad ? grad.buffer : null,
        losses: losses ? losses.buffer : null,
      };
      // The js backend reads class indices where they are, row by row, while it writes the
      // gradient: a gradient array over them overwrote indices not read yet. The wasm backends
      // copy them in first; here a copy is taken when they share memory.
      const sharesGrad = byIndex && gradOut !== undefined && ArrayBuffer.isView(targets)
        && overlap(this.memoryOf(fn, gradOut), targets) !== 'none';
      const indices = sharesGrad ? (targets as ClassIndexArray).slice() : targets as ClassIndices;
      const total = byIndex
        ? this.backend.crossEntropyIndex(logitsBuf, this.indicesIn(fn, scope, indices), rows, cols, ignoreIndex, params, 0)
        : this.backend.crossEntropyProb(logitsBuf, this.copyIn(fn, scope, targets as Float32Array, 'targets'), rows, cols, params, 0);
      const result: CrossEntropyResult<Data> = { loss: reducedLoss(reduction, total, normaliser) };
      if (grad) result.grad = grad.finish();
      if (losses) result.losses = losses.finish();
      return result;
    });
  }

  /**
   * crossEntropy with Float32Array results on a wasm backend, as rowwiseInBlocks: a block of rows
   * at a time (blockRows) through scratch of about 128 KiB, each block's gradient and row losses
   * written straight into grad and losses, so a large call stays in L2 instead of making passes
   * over full-size scratch arrays through DRAM. A Float32Array of logits is copied in block by
   * block and the kernel computes the gradient in place over the copy; a resident one is read
   * where it is, the kernel writing a gradient block. Each block's kernel call continues the
   * running sum of row losses, so the loss is that of one call over every row, bit for bit, and so
   * is everything else (a short row's bits do not depend on its neighbours). grad may be the
   * logits array itself: each block of logits is read before that block of grad is written. The
   * parameters other than weight, grad and losses are set in lossBlockParams.
   * Returns the sum of the row losses.
   */
  private crossEntropyInBlocks(
    fn: string, z: Data, targets: ClassIndices | Float32Array, byIndex: boolean, rows: number, cols: number,
    ignoreIndex: number, weight: Float32Array | undefined, grad: Float32Array | null, losses: Float32Array | null,
  ): number {
    const step = Math.min(rows, blockRows(cols));
    const length = rows * cols;
    return this.backend.scoped((scope) => {
      const lengths = this.lossBlockLengths;
      lengths[0] = weight ? cols : 0;
      lengths[1] = byIndex ? rows : step * cols; // class indices in whole, probabilities a block at a time
      lengths[2] = z instanceof Tensor ? 0 : step * cols; // the logits block, and the gradient over it
      lengths[3] = z instanceof Tensor && grad ? step * cols : 0; // the gradient block of resident logits
      lengths[4] = losses ? step : 0;
      scope.reserve(fn, lengths);
      // Arrays that are views of wasm memory were detached if the reservation grew it (their
      // length is then 0): refuse them before copying anything.
      if (z.length !== length) throw staleViewError(fn, 'logits');
      if (!byIndex && targets.length !== length) throw staleViewError(fn, 'targets');
      if (grad && grad.length !== length) {
        throw staleViewError(fn, 'options.grad');
      }
      const params = this.lossBlockParams;
      params.weight = weight ? this.copyIn(fn, scope, weight, 'options.weight') : null;
      const indices = byIndex ? this.indicesIn(fn, scope, targets as ClassIndices) : null;
      const probs = byIndex ? null : scope.f32Empty(step * cols);
      const block = z instanceof Tensor ? null : scope.f32Empty(step * cols);
      const gradBlock = grad ? block ?? scope.f32Empty(step * cols) : null;
      params.grad = gradBlock;
      params.losses = losses ? scope.f32Empty(step) : null;
      // Kernels never allocate, so these views stay valid across the calls below.
      const blockView = block?.view(), probsView = probs?.view();
      const gradView = gradBlock?.view(), lossesView = params.losses?.view();
      let total = 0;
      for (let r = 0; r < rows; r += step) {
        const n = Math.min(step, rows - r);
        const whole = n === rows;
        const start = r * cols, end = (r + n) * cols;
        let logits: F32Buffer;
        if (z instanceof Tensor) {
          logits = whole ? z.buffer(fn) : this.backend.sliceF32(z.buffer(fn), start, n * cols);
        } else {
          blockView!.set(whole ? z : z.subarray(start, end));
          logits = block!;
        }
        if (indices) {
          total = this.backend.crossEntropyIndex(
            logits, whole ? indices : this.backend.sliceI32(indices, r, n), n, cols, ignoreIndex, params, total);
        } else {
          const y = targets as Float32Array;
          probsView!.set(whole ? y : y.subarray(start, end));
          total = this.backend.crossEntropyProb(logits, probs!, n, cols, params, total);
        }
        if (grad) grad.set(n === step ? gradView! : gradView!.subarray(0, n * cols), start);
        if (losses) losses.set(n === step ? lossesView! : lossesView!.subarray(0, n), r);
      }
      return total;
    });
  }

  // ---- fused linear + cross-entropy ---------------------------------------------------------

  /**
   * Cross-entropy of the logits x·W + b against class indices without materialising the n × v
   * logits: rows are processed in chunks sized to options.chunkBytes; each chunk's logits are
   * computed, turned into a − y in place by the fused cross-entropy kernel, and folded into
   * dx = g·Wᵀ, dW += xᵀ·g and db += Σ g before the next chunk reuses the space. Peak extra
   * memory is O(chunk × v), not O(n × v). x: n × h, w: h × v (matmul's B layout), bias: v.
   */
  linearCrossEntropy<G extends LinearCrossEntropyGrads = false>(
    x: Data, w: Data, targets: ClassIndices, n: number, h: number, v: number, options?: LinearCrossEntropyOptions<G>,
  ): LinearCrossEntropyResult<
    LinearCrossEntropyGradType<G, 'dx'>, LinearCrossEntropyGradType<G, 'dw'>, LinearCrossEntropyGradType<G, 'db'>
  > & LinearCrossEntropyAsked<G>;
  linearCrossEntropy(
    x: Data, w: Data, targets: ClassIndices, n: number, h: number, v: number, options?: LinearCrossEntropyOptions,
  ): LinearCrossEntropyResult<Data, Data, Data> {
    const fn = 'linearCrossEntropy';
    checkInteger(fn, 'n', n, 1);
    checkInteger(fn, 'h', h, 1);
    checkInteger(fn, 'v', v, 1);
    const xs = this.data(fn, 'x', x);
    checkLength(fn, 'x', xs.length, n * h, `n × h = ${n} × ${h}`);
    const ws = this.data(fn, 'w', w);
    checkLength(fn, 'w', ws.length, h * v, `h × v = ${h} × ${v}`);
    const opts = checkOptions(fn, options, LINEAR_CROSS_ENTROPY_OPTION_KEYS) as LinearCrossEntropyOptions;
    const { reduction, ignoreIndex, labelSmoothing, zLoss, invTemperature, weight } = this.lossOptions(fn, opts, v);
    const bias = opts.bias === undefined ? undefined : this.data(fn, 'options.bias', opts.bias);
    if (bias) checkLength(fn, 'options.bias', bias.length, v, 'one bias per class, v');
    const chunkBytes = opts.chunkBytes === undefined
      ? DEFAULT_CHUNK_BYTES : checkInteger(fn, 'options.chunkBytes', opts.chunkBytes, 4);
    if (ArrayBuffer.isView(targets)) this.current(fn, 'targets', targets);
    const normaliser = checkClassTargets(fn, targets, n, v, ignoreIndex, opts.ignoreIndex !== undefined, weight);
    const gradScale = gradScaleOf(reduction, normaliser);

    // Which gradients, and where they go: grad: true asks for all; an object picks, with its keys
    // checked as an options object's are (a misspelt { dX: true } asked for nothing, silently).
    if (opts.grad !== undefined && typeof opts.grad !== 'boolean') {
      checkOptions(fn, opts.grad, ['dx', 'dw', 'db'], 'options.grad');
    }
    const wanted = (key: 'dx' | 'dw' | 'db', length: number, shape: string): { out: Data | undefined } | null => {
      const spec = opts.grad === true ? true : opts.grad ? opts.grad[key] : undefined;
      if (spec === undefined || spec === false) return null;
      if (key === 'db' && !bias) {
        if (opts.grad === true) return null; // no bias, so no bias gradient to give
        throw new TypeError(`${fn}: options.grad.db needs options.bias`);
      }
      if (spec === true) return { out: undefined };
      const out = this.data(fn, `options.grad.${key}`, spec);
      checkLength(fn, `options.grad.${key}`, out.length, length, `${key}: ${shape}`);
      return { out };
    };
    const dxSpec = wanted('dx', n * h, `n × h = ${n} × ${h}`), dwSpec = wanted('dw', h * v, `h × v = ${h} × ${v}`);
    const dbSpec = wanted('db', v, `v = ${v}`);
    const chunkRows = Math.max(1, Math.min(n, Math.floor(chunkBytes / (4 * v))));
    // Each chunk writes dx, dW and db while x, W and the bias are still read by later chunks:
    // no gradient may share memory with an input or with another gradient.
    const gradients = ([['options.grad.dx', dxSpec], ['options.grad.dw', dwSpec], ['options.grad.db', dbSpec]] as const)
      .filter(([, spec]) => spec?.out !== undefined)
      .map(([name, spec]) => [name, this.memoryOf(fn, spec!.out!)] as const);
    const inputs = [['x', this.memoryOf(fn, xs)], ['w', this.memoryOf(fn, ws)]] as Array<readonly [string, ArrayBufferView]>;
    if (bias) inputs.push(['options.bias', this.memoryOf(fn, bias)]);
    if (weight) inputs.push(['options.weight', weight]);
    if (!Array.isArray(targets)) inputs.push(['targets', targets as ArrayBufferView]);
    gradients.forEach(([name, memory], i) => {
      for (const [inName, inMemory] of [...inputs, ...gradients.slice(0, i)]) checkNoOverlap(fn, name, memory, inName, inMemory, false);
    });

    const backend = this.backend;
    return backend.scoped((scope) => {
      this.reserve(fn, scope, [
        xs, ws, bias, n, weight, chunkRows * v,
        dxSpec ? dxSpec.out ?? n * h : undefined, dwSpec ? dwSpec.out ?? h * v : undefined,
        dbSpec ? dbSpec.out ?? v : undefined, reduction === 'none' ? n : undefined,
        // The three products of a chunk each take (and give back) the kernel's packing scratch.
        linearCrossEntropyScratch(backend, h, v, chunkRows),
      ]);
      const xb = this.input(fn, scope, xs, 'x');
      const wb = this.input(fn, scope, ws, 'w');
      const biasb = bias ? this.input(fn, scope, bias, 'options.bias') : null;
      const targetsb = this.indicesIn(fn, scope, targets);
      const weightb = weight ? this.copyIn(fn, scope, weight, 'options.weight') : null;
      const logits = scope.f32Empty(chunkRows * v);
      const dx = dxSpec ? this.result(fn, scope, dxSpec.out, n * h) : null;
      const dw = dwSpec ? this.result(fn, scope, dwSpec.out, h * v) : null;
      const db = dbSpec ? this.result(fn, scope, dbSpec.out, v) : null;
      const losses = reduction === 'none' ? this.result(fn, scope, undefined, n) : null;
      const total = linearCrossEntropyChunks(backend, {
        x: xb, w: wb, bias: biasb, targets: targetsb, logits,
        dx: dx ? dx.buffer : null, dw: dw ? dw.buffer : null, db: db ? db.buffer : null,
        losses: losses ? losses.buffer : null,
      }, n, h, v, chunkRows, ignoreIndex, { weight: weightb, labelSmoothing, zLoss, invTemperature, gradScale });
      const result: LinearCrossEntropyResult<Data, Data, Data> = { loss: reducedLoss(reduction, total, normaliser) };
      if (losses) result.losses = losses.finish();
      if (dx) result.dx = dx.finish();
      if (dw) result.dw = dw.finish();
      if (db) result.db = db.finish();
      return result;
    });
  }

  // ---- activations, other losses, row utilities ----

  /**
   * The shared body of the one-input kernels that read a row (sparsemax's τ) or an element (the
   * activations) before writing it, so out may be x, never a shifted x; rowsOf checks the length
   * and gives the rows (1 elementwise).
   */
  private forwardPass(
    fn: string, x: unknown, out: unknown, rowsOf: (length: number) => number,
    kernel: (x: F32Buffer, out: F32Buffer, rows: number) => void,
  ): Data {
    const xs = this.data(fn, 'x', x);
    const rows = rowsOf(xs.length);
    const o = this.out(fn, out, xs.length, 'x.length');
    this.checkOutOverlaps(fn, o, [['x', xs]]);
    if (xs instanceof Tensor && o instanceof Tensor) {
      kernel(xs.buffer(fn), o.buffer(fn), rows); // no scratch: see rowwise
      return o;
    }
    return this.backend.scoped((scope) => {
      this.reserve(fn, scope, [xs, o ?? xs.length]);
      const input = this.input(fn, scope, xs, 'x');
      const res = this.result(fn, scope, o, xs.length);
      kernel(input, res.buffer, rows);
      return res.finish();
    });
  }

  /** The elementwise activations: out = f(x). */
  private activate(fn: string, kind: Activation, x: unknown, out: unknown): Data {
    return this.forwardPass(fn, x, out, () => 1, (input, result) => this.backend.activation(kind, input, result, input.length));
  }


  /** The activation backward passes: out = dy ⊙ f'(x), f' from y = f(x). */
  private activateBackward(fn: string, kind: Activation, y: unknown, dy: unknown, out: unknown): Data {
    return this.backwardPass(fn, y, dy, out, () => 1,
      (yb, dyb, dx) => this.backend.activationBackward(kind, yb, dyb, dx, yb.length));
  }


  /**
   * Logistic sigmoid σ(x) = 1 / (1 + e^{−x}) elementwise, computed from e^{−|x|} so it never
   * overflows. σ(+∞) = 1, σ(−∞) = 0, NaN stays NaN; results below 1.2e-38 (x < −87.3) are
   * flushed to 0 on the wasm backends. out may be x itself.
   */
  sigmoid(x: Data, out?: Float32Array): Float32Array;
  sigmoid(x: Data, out: Tensor): Tensor;
  sigmoid(x: Data, out?: Data): Data {
    return this.activate('sigmoid', 'sigmoid', x, out);
  }

  /** Hyperbolic tangent elementwise. tanh(±∞) = ±1, tanh(−0) = −0, NaN stays NaN. out may be x itself. */
  tanh(x: Data, out?: Float32Array): Float32Array;
  tanh(x: Data, out: Tensor): Tensor;
  tanh(x: Data, out?: Data): Data {
    return this.activate('tanh', 'tanh', x, out);
  }

  /** max(x, 0) elementwise. relu(+∞) = +∞, relu(−∞) = 0, NaN stays NaN. out may be x itself. */
  relu(x: Data, out?: Float32Array): Float32Array;
  relu(x: Data, out: Tensor): Tensor;
  relu(x: Data, out?: Data): Data {
    return this.activate('relu', 'relu', x, out);
  }

  /**
   * Backward pass of sigmoid from its output: dx = dy ⊙ y(1 − y). NaN in y or dy gives NaN; an
   * infinite dy gives ±∞ (NaN where y is 0 or 1). out may be y or dy.
   */
  sigmoidBackward(y: Data, dy: Data, out?: Float32Array): Float32Array;
  sigmoidBackward(y: Data, dy: Data, out: Tensor): Tensor;
  sigmoidBackward(y: Data, dy: Data, out?: Data): Data {
    return this.activateBackward('sigmoidBackward', 'sigmoid', y, dy, out);
  }

  /**
   * Backward pass of tanh from its output: dx = dy ⊙ (1 − y²), formed as (1 − y)(1 + y) so it
   * stays accurate where |y| is close to 1. NaN in y or dy gives NaN. out may be y or dy.
   */
  tanhBackward(y: Data, dy: Data, out?: Float32Array): Float32Array;
  tanhBackward(y: Data, dy: Data, out: Tensor): Tensor;
  tanhBackward(y: Data, dy: Data, out?: Data): Data {
    return this.activateBackward('tanhBackward', 'tanh', y, dy, out);
  }

  /**
   * Backward pass of relu from its output: dx = dy ⊙ [y > 0]. The indicator multiplies rather
   * than selects, so a NaN or infinite dy gives NaN even where y is 0 (PyTorch gives 0 there):
   * an upstream NaN is not hidden. NaN in y gives 0 unless dy is NaN or infinite. out may be y or dy.
   */
  reluBackward(y: Data, dy: Data, out?: Float32Array): Float32Array;
  reluBackward(y: Data, dy: Data, out: Tensor): Tensor;
  reluBackward(y: Data, dy: Data, out?: Data): Data {
    return this.activateBackward('reluBackward', 'relu', y, dy, out);
  }

  /** Checks an elementwise loss's inputs (same non-zero length) and options. */
  private lossInputs(fn: string, first: string, a: unknown, b: unknown, options: unknown) {
    const as = this.data(fn, first, a);
    const bs = this.data(fn, 'targets', b);
    if (as.length === 0) throw new RangeError(`${fn}: ${first}.length must be at least 1, got 0`);
    checkLength(fn, 'targets', bs.length, as.length, `${first}.length`);
    const opts = checkOptions(fn, options, ELEMENTWISE_LOSS_OPTION_KEYS) as ElementwiseLossOptions;
    const reduction = opts.reduction === undefined ? 'mean' : checkOneOf(fn, 'options.reduction', opts.reduction, REDUCTIONS);
    let gradOut: Data | undefined;
    if (opts.grad !== undefined && typeof opts.grad !== 'boolean') {
      gradOut = this.data(fn, 'options.grad', opts.grad);
      checkLength(fn, 'options.grad', gradOut.length, as.length, `${first}.length`);
      // Elementwise kernels: the gradient may be written over either input, not shifted over one.
      this.checkOutOverlaps(fn, gradOut, [[first, as], ['targets', bs]], 'options.grad');
    }
    const wantGrad = opts.grad !== undefined && opts.grad !== false;
    const n = as.length;
    return { as, bs, n, reduction, wantGrad, gradOut, gradScale: reduction === 'mean' ? 1 / n : 1 };
  }

  /**
   * Binary cross-entropy of independent sigmoid outputs, from logits z and targets y in [0, 1]
   * (PyTorch's BCEWithLogitsLoss): per element max(z, 0) − z·y + log(1 + e^{−|z|}), computed
   * without forming σ(z), so it neither overflows nor loses small losses; gradient σ(z) − y
   * (divided by n for 'mean'). NaN in z or y gives a NaN loss and gradient. An infinite logit
   * gives the limit: loss 0 when the target agrees with its side (z = +∞, y = 1 or z = −∞, y = 0),
   * +∞ otherwise; its gradient is σ(±∞) − y = 1 − y or −y.
   */
  binaryCrossEntropyWithLogits(logits: Data, targets: Data, options: ElementwiseLossOptions & { grad: Tensor }): ElementwiseLossResult<Tensor>;
  binaryCrossEntropyWithLogits(logits: Data, targets: Data, options?: ElementwiseLossOptions & { grad?: boolean | Float32Array }): ElementwiseLossResult;
  binaryCrossEntropyWithLogits(logits: Data, targets: Data, options: ElementwiseLossOptions): ElementwiseLossResult<Data>;
  binaryCrossEntropyWithLogits(logits: Data, targets: Data, options?: ElementwiseLossOptions): ElementwiseLossResult<Data> {
    const fn = 'binaryCrossEntropyWithLogits';
    const { as, bs, n, reduction, wantGrad, gradOut, gradScale } = this.lossInputs(fn, 'logits', logits, targets, options);
    return this.backend.scoped((scope) => {
      this.reserve(fn, scope, [wantGrad ? gradOut ?? n : undefined, reduction === 'none' ? n : undefined, as, bs]);
      const grad = wantGrad ? this.result(fn, scope, gradOut, n) : null;
      const losses = reduction === 'none' ? this.result(fn, scope, undefined, n) : null;
      const total = this.backend.binaryCrossEntropyWithLogits(
        this.input(fn, scope, as, 'logits'), this.input(fn, scope, bs, 'targets'), n, gradScale,
        grad ? grad.buffer : null, losses ? losses.buffer : null,
      );
      const result: ElementwiseLossResult<Data> = { loss: reduction === 'mean' ? total / n : total };
      if (grad) result.grad = grad.finish();
      if (losses) result.losses = losses.finish();
      return result;
    });
  }

  /**
   * Squared error E = ½ Σ (y − Y)² (MATH.md; half of PyTorch's MSELoss), gradient y − Y (divided
   * by n for 'mean', which divides the loss by n too); with 'none', losses holds ½(y_i − Y_i)².
   * Differences are taken in double precision, so values near ±3.4e38 give finite losses. NaN
   * gives NaN; an infinite prediction or target gives +∞ (NaN when both are the same infinity).
   */
  mse(predictions: Data, targets: Data, options: ElementwiseLossOptions & { grad: Tensor }): ElementwiseLossResult<Tensor>;
  mse(predictions: Data, targets: Data, options?: ElementwiseLossOptions & { grad?: boolean | Float32Array }): ElementwiseLossResult;
  mse(predictions: Data, targets: Data, options: ElementwiseLossOptions): ElementwiseLossResult<Data>;
  mse(predictions: Data, targets: Data, options?: ElementwiseLossOptions): ElementwiseLossResult<Data> {
    const fn = 'mse';
    const { as, bs, n, reduction, wantGrad, gradOut, gradScale } = this.lossInputs(fn, 'predictions', predictions, targets, options);
    return this.backend.scoped((scope) => {
      // 'none' needs each difference: with gradScale 1 the gradient is exactly that.
      this.reserve(fn, scope, [wantGrad ? gradOut ?? n : reduction === 'none' ? n : undefined, as, bs]);
      const grad = wantGrad || reduction === 'none' ? this.result(fn, scope, wantGrad ? gradOut : undefined, n) : null;
      const total = this.backend.mse(this.input(fn, scope, as, 'predictions'), this.input(fn, scope, bs, 'targets'), n, gradScale, grad ? grad.buffer : null);
      const result: ElementwiseLossResult<Data> = { loss: reduction === 'mean' ? total / n : total };
      if (reduction === 'none') {
        const differences = grad!.buffer.view();
        result.losses = new Float32Array(n);
        for (let i = 0; i < n; i++) result.losses[i] = 0.5 * differences[i] * differences[i];
      }
      if (grad && wantGrad) result.grad = grad.finish();
      return result;
    });
  }

  /** Space for an int32 result (one per row), copied into out or a new array by finish(). */
  private intResult(fn: string, name: string, scope: Scope, out: Int32Array | undefined, length: number): { buffer: I32Buffer; finish(): Int32Array } {
    const target = out ?? new Int32Array(length);
    const buffer = this.backend.kind === 'js' ? scope.i32(target) : scope.i32Empty(length);
    return {
      buffer,
      finish: () => {
        // An out over this instance's wasm memory, detached when the call's scratch grew it: the
        // engine's own error ("Cannot perform %TypedArray%.prototype.set on a detached
        // ArrayBuffer") named neither the function nor the argument.
        if (target.length !== length) throw staleViewError(fn, name);
        const view = buffer.view();
        if (view !== target) target.set(view);
        return target;
      },
    };
  }

  private intOut(fn: string, name: string, value: unknown, rows: number): Int32Array | undefined {
    if (value === undefined) return undefined;
    if (!(value instanceof Int32Array)) throw new TypeError(`${fn}: ${name} must be an Int32Array, got ${describe(value)}`);
    // Stale before the call (it read as empty, and the length check below said so).
    this.current(fn, name, value);
    checkLength(fn, name, value.length, rows, `one class per row, rows = ${rows}`);
    return value;
  }

  /**
   * Index of the largest value in each row of a rows × cols matrix: the first one on ties. A NaN
   * counts as larger than everything (the first NaN of a row wins, as in PyTorch and NumPy); +∞
   * beats every finite value; an all −∞ row gives 0.
   */
  argmax(x: Data, cols: number, out?: Int32Array): Int32Array {
    const fn = 'argmax';
    const xs = this.data(fn, 'x', x);
    const rows = checkRows(fn, 'x', xs.length, cols);
    const o = this.intOut(fn, 'out', out, rows);
    if (o) checkNoOverlap(fn, 'out', o, 'x', this.memoryOf(fn, xs), false);
    return this.backend.scoped((scope) => {
      this.reserve(fn, scope, [xs, rows]);
      const input = this.input(fn, scope, xs, 'x');
      const res = this.intResult(fn, 'out', scope, o, rows);
      this.backend.argmax(input, res.buffer, rows, cols);
      return res.finish();
    });
  }

  /**
   * Draws one class per row of logits (rows × cols) from softmax(logits / temperature), by
   * inverse CDF with one uniform number per row (drawn in row order, rounded to float32). The
   * uniforms come from options.seed (a fresh seededRandom: the same seed, the same samples),
   * options.random, or Math.random. A −∞ logit is never drawn; a row with no distribution (a NaN
   * or +∞ logit, or every logit −∞) gives −1.
   */
  sampleCategorical(logits: Data, cols: number, options?: SampleOptions): Int32Array {
    const fn = 'sampleCategorical';
    let xs = this.data(fn, 'logits', logits);
    const rows = checkRows(fn, 'logits', xs.length, cols);
    const opts = checkOptions(fn, options, SAMPLE_OPTION_KEYS) as SampleOptions;
    let invT = this.invTemperature(fn, opts.temperature);
    const o = this.intOut(fn, 'options.out', opts.out, rows);
    if (o) checkNoOverlap(fn, 'options.out', o, 'logits', this.memoryOf(fn, xs), false);
    if (opts.seed !== undefined && opts.random !== undefined) {
      throw new TypeError(`${fn}: give options.seed or options.random, not both`);
    }
    let random: RandomSource = Math.random;
    if (opts.seed !== undefined) random = seededRandom(checkInteger(fn, 'options.seed', opts.seed, 0, 2 ** 32 - 1));
    else if (opts.random !== undefined) {
      if (typeof opts.random !== 'function') throw new TypeError(`${fn}: options.random must be a function, got ${describe(opts.random)}`);
      random = opts.random;
    }
    // Each uniform as two floats, u = hi + lo to about 2⁻⁴⁸ (Backend.sampleCategorical): one
    // float32 is spaced 6e-8 apart in [½, 1), so a class of smaller probability there was drawn
    // at 0 or 6e-8 whatever its own. hi may round up to 1; hi + lo stays below it.
    const uniforms = new Float32Array(2 * rows);
    for (let r = 0; r < rows; r++) {
      const u = random();
      if (typeof u !== 'number' || !(u >= 0 && u < 1)) {
        throw new RangeError(`${fn}: options.random() must return a number in [0, 1), got ${describe(u)}`);
      }
      const hi = Math.fround(u);
      uniforms[2 * r] = hi;
      uniforms[2 * r + 1] = u - hi;
    }
    if (invT < HALVED_BELOW_INV_T && this.backend.kind !== 'js') {
      xs = halved(xs);
      invT *= 2;
    }
    return this.backend.scoped((scope) => {
      // The last item is the backend's own scratch for one row's terms (WasmBackend.sampleCategorical).
      this.reserve(fn, scope, [xs, 2 * rows, rows, cols]);
      const input = this.input(fn, scope, xs, 'logits');
      const res = this.intResult(fn, 'options.out', scope, o, rows);
      this.backend.sampleCategorical(input, scope.f32(uniforms), res.buffer, rows, cols, invT);
      return res.finish();
    });
  }

  /**
   * The Jacobian of softmax for ONE row of probabilities a = softmax(z) (length cols):
   * J = diag(a) − a aᵀ, i.e. ∂a_i/∂z_i = a_i(1 − a_i) and ∂a_j/∂z_i = −a_i a_j, returned as a
   * cols × cols row-major matrix. Meant for teaching and tests: softmaxBackward applies it in
   * O(cols) without forming it. NaN or ±∞ in a spread to the entries they multiply.
   */
  softmaxJacobian(a: Data): Float32Array {
    const fn = 'softmaxJacobian';
    const as = this.data(fn, 'a', a);
    if (as.length === 0) throw new RangeError(`${fn}: a.length must be at least 1, got 0`);
    const cols = as.length;
    if (cols * cols > MAX_JACOBIAN_ENTRIES) {
      throw new RangeError(`${fn}: a.length = ${cols} would make a ${cols} × ${cols} Jacobian of ${cols * cols} floats, more than the ${MAX_JACOBIAN_ENTRIES} (1 GiB) this function builds; softmaxBackward applies it in O(cols) without forming it`);
    }
    const probs = as instanceof Tensor ? as.toArray() : as;
    const jacobian = new Float32Array(cols * cols);
    for (let i = 0; i < cols; i++) {
      for (let j = 0; j < cols; j++) jacobian[i * cols + j] = (i === j ? probs[i] : 0) - probs[i] * probs[j];
    }
    return jacobian;
  }

  /**
   * Sparsemax per row (Martins & Astudillo, 2016): the Euclidean projection of each row of x
   * (rows × cols) onto the probability simplex, y = max(x − τ, 0) with τ chosen so that each row
   * sums to 1. Unlike softmax its outputs are exactly 0 off a support set, and a row whose largest
   * value leads the next by at least 1 becomes one-hot. −∞ entries get 0; a row containing NaN or
   * +∞, or all −∞, becomes all NaN (as softmax). out may be x itself.
   */
  sparsemax(x: Data, cols: number, out?: Float32Array): Float32Array;
  sparsemax(x: Data, cols: number, out: Tensor): Tensor;
  sparsemax(x: Data, cols: number, out?: Data): Data {
    return this.forwardPass('sparsemax', x, out, (n) => checkRows('sparsemax', 'x', n, cols),
      (input, result, rows) => this.backend.sparsemax(input, result, rows, cols));
  }


  /**
   * Backward pass of sparsemax: given y = sparsemax(z) and dy = ∂L/∂y, returns ∂L/∂z with
   * dx_j = dy_j − mean of dy over the support {y > 0} where y_j > 0, and exactly 0 elsewhere
   * (also where dy is NaN or ±∞ off the support). NaN or ±∞ in dy on the support spread to the
   * whole support of that row. out may be y or dy.
   */
  sparsemaxBackward(y: Data, dy: Data, cols: number, out?: Float32Array): Float32Array;
  sparsemaxBackward(y: Data, dy: Data, cols: number, out: Tensor): Tensor;
  sparsemaxBackward(y: Data, dy: Data, cols: number, out?: Data): Data {
    return this.backwardPass('sparsemaxBackward', y, dy, out, (n) => checkRows('sparsemaxBackward', 'y', n, cols),
      (yb, dyb, dx, rows) => this.backend.sparsemaxBackward(yb, dyb, dx, rows, cols));
  }

  // ---- dense products -----------------------------------------------------------------------

  /**
   * C[m×n] = alpha·op(A)·op(B) (+ bias per column) (+ out if accumulate), row-major, where op(A)
   * is m×k (a stored k×m with transA) and op(B) is k×n (b stored n×k with transB). out must not
   * overlap a, b or bias. NaN and ±Infinity propagate as in any sum of products.
   */
  matmul(a: Data, b: Data, m: number, k: number, n: number, options: MatmulOptions & { out: Tensor }): Tensor;
  matmul(a: Data, b: Data, m: number, k: number, n: number, options?: MatmulOptions & { out?: Float32Array }): Float32Array;
  matmul(a: Data, b: Data, m: number, k: number, n: number, options: MatmulOptions): Data;
  matmul(a: Data, b: Data, m: number, k: number, n: number, options?: MatmulOptions): Data {
    const fn = 'matmul';
    const as = this.data(fn, 'a', a);
    const bs = this.data(fn, 'b', b);
    checkInteger(fn, 'm', m, 1);
    checkInteger(fn, 'k', k, 1);
    checkInteger(fn, 'n', n, 1);
    const opts = checkOptions(fn, options, MATMUL_OPTION_KEYS) as MatmulOptions;
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
    const alpha = opts.alpha === undefined ? 1 : Math.fround(checkNumber(fn, 'options.alpha', opts.alpha, -FLOAT32_MAX, FLOAT32_MAX));
    const bias = opts.bias === undefined ? undefined : this.data(fn, 'options.bias', opts.bias);
    if (bias) checkLength(fn, 'options.bias', bias.length, n, `one value per column, n = ${n}`);
    const out = this.out(fn, opts.out, m * n, `m × n = ${m} × ${n}`);
    if (accumulate && out === undefined) throw new TypeError(`${fn}: options.accumulate needs options.out to add to, got no out`);
    if (out !== undefined) {
      // By memory, not by object: on the JS backend a tensor and its view() are one array.
      const outMemory = this.memoryOf(fn, out);
      for (const [name, input] of [['a', as], ['b', bs], ['options.bias', bias]] as const) {
        if (input !== undefined) checkNoOverlap(fn, 'out', outMemory, name, this.memoryOf(fn, input), false);
      }
    }
    return this.backend.scoped((scope) => {
      this.reserve(fn, scope, [as, bs, bias, out ?? m * n, this.backend.matmulScratchLength(m, k, n)]);
      const aBuf = this.input(fn, scope, as, 'a');
      const bBuf = this.input(fn, scope, bs, 'b');
      const biasBuf = bias === undefined ? null : this.input(fn, scope, bias, 'options.bias');
      const res = this.result(fn, scope, out, m * n);
      // A copied-in out starts uninitialised on wasm; accumulating needs its contents.
      if (accumulate && out instanceof Float32Array && res.buffer.view() !== out) res.buffer.view().set(out);
      this.backend.matmul(aBuf, bBuf, res.buffer, m, k, n, transA, transB, alpha, accumulate, biasBuf);
      return res.finish();
    });
  }
}
