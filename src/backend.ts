// The one interface both backends implement. Everything above it (the public functions in
// api.ts, the nn layer) is written against this file only, so it runs on either backend and one
// test suite covers both.
//
// Methods here do no validation: shapes and indices have been checked by the caller (api.ts or
// the nn layer). Buffers are backend-owned handles — a region of wasm linear memory, or a plain
// Float32Array for the JS backend — and must come from the same backend.

export type BackendKind = 'relaxed-simd' | 'simd' | 'js';

/**
 * A folder holding the builds (init's wasmPath): a URL, or a string. Typed as anything with an
 * `href` so that the declarations need neither the DOM's nor Node's `URL`.
 */
export type WasmPath = string | { readonly href: string };

export type Activation = 'sigmoid' | 'tanh' | 'relu' | 'linear';

/** A float32 buffer owned by a backend. */
export interface F32Buffer {
  readonly length: number;
  /**
   * A live view of the data. For wasm buffers it is valid only until the next call that can grow
   * memory (any allocation): take a fresh view after such calls, never cache one.
   */
  view(): Float32Array;
}

/** An int32 buffer owned by a backend (class indices). */
export interface I32Buffer {
  readonly length: number;
  view(): Int32Array;
}

/**
 * Scratch space for one call. Everything it hands out is released when the call that opened it
 * (Backend.scoped) returns or throws.
 */
export interface Scope {
  /** The data of src in backend memory (wasm: a copy; js: src itself). */
  f32(src: Float32Array): F32Buffer;
  /** Uninitialised space for `length` floats. */
  f32Empty(length: number): F32Buffer;
  /** Class indices as int32 in backend memory. */
  i32(src: ArrayLike<number>): I32Buffer;
  /** Uninitialised space for `length` int32 values. */
  i32Empty(length: number): I32Buffer;
  /**
   * Makes room for the scratch buffers requested next (element counts of 4-byte values, in the
   * order they will be requested), so that a call which cannot fit throws a RangeError starting
   * with `fn` before it copies anything. A no-op where scratch is ordinary JS memory.
   */
  reserve(fn: string, lengths: readonly number[]): void;
}

export interface CrossEntropyParams {
  /** Per-class weights (length cols), or null for all ones. */
  weight: F32Buffer | null;
  labelSmoothing: number;
  zLoss: number;
  /** 1/T in f64 (not rounded to float32 as the other scalars: see WasmBackend's scaleTail). */
  invTemperature: number;
  /** Multiplies every gradient entry: 1/normaliser for 'mean', 1 otherwise. */
  gradScale: number;
  /** Where to write ∂loss/∂logits (rows × cols), or null for loss only. */
  grad: F32Buffer | null;
  /** Where to write each row's loss (rows), or null. */
  losses: F32Buffer | null;
}

export interface Backend {
  readonly kind: BackendKind;

  /** Runs body with a scratch scope; its space is released when body returns or throws. */
  scoped<T>(body: (scope: Scope) => T): T;
  /** A long-lived buffer of `length` zeros; free it with release(). */
  allocF32(length: number): F32Buffer;
  /** Gives back a buffer from allocF32. Using it afterwards is a bug the caller must prevent. */
  release(buffer: F32Buffer): void;
  /** Bytes of backend memory in use by this instance (wasm: the linear memory's size). */
  memoryBytes(): number;
  /**
   * Whether an array is a view of this instance's memory from before the memory grew (wasm):
   * detached, it reads as empty though the caller meant the data it once showed.
   */
  isStaleView(array: ArrayBufferView): boolean;
  /** Elements [start, start + length) of a buffer, sharing its memory (no copy). */
  sliceF32(buffer: F32Buffer, start: number, length: number): F32Buffer;
  sliceI32(buffer: I32Buffer, start: number, length: number): I32Buffer;

  // ---- softmax family (assembly/softmax.ts, src/js/softmax.ts) ----
  softmax(x: F32Buffer, out: F32Buffer, rows: number, cols: number, invTemperature: number): void;
  logSoftmax(x: F32Buffer, out: F32Buffer, rows: number, cols: number, invTemperature: number): void;
  /** out has one value per row. */
  logSumExp(x: F32Buffer, out: F32Buffer, rows: number, cols: number, invTemperature: number): void;
  /** dx = y ⊙ (dy − ⟨dy, y⟩) per row; dx may alias dy. */
  softmaxBackward(y: F32Buffer, dy: F32Buffer, dx: F32Buffer, rows: number, cols: number): void;

  // ---- losses (assembly/loss.ts, src/js/loss.ts) ----
  /**
   * Rows whose target equals ignoreIndex get zero loss and zero gradient.
   * Returns total + the sum of the row losses (before any 'mean' division), each row's loss added
   * to the running sum in turn: rows split into several calls, each given the previous result as
   * total (0 for the first), sum to the bits of one call over all of them.
   */
  crossEntropyIndex(
    logits: F32Buffer, targets: I32Buffer, rows: number, cols: number,
    ignoreIndex: number, params: CrossEntropyParams, total: number,
  ): number;
  /** Targets are probabilities, rows × cols. Returns total + the sum of the row losses (as above). */
  crossEntropyProb(
    logits: F32Buffer, targets: F32Buffer, rows: number, cols: number, params: CrossEntropyParams, total: number,
  ): number;

  // ---- other losses (assembly/loss.ts, src/js/loss.ts) ----
  /**
   * Binary cross-entropy of independent sigmoid outputs from logits z and targets y (n values):
   * per element max(z, 0) − z·y + log(1 + e^{−|z|}); gradient (σ(z) − y)·gradScale. Returns the sum.
   */
  binaryCrossEntropyWithLogits(
    logits: F32Buffer, targets: F32Buffer, n: number, gradScale: number,
    grad: F32Buffer | null, losses: F32Buffer | null,
  ): number;
  /** ½ Σ (y − Y)²; gradient (y − Y)·gradScale. Returns the sum. */
  mse(predictions: F32Buffer, targets: F32Buffer, n: number, gradScale: number, grad: F32Buffer | null): number;

  // ---- row utilities (assembly/rows.ts, src/js/rows.ts) ----
  /** Index of the largest value per row (first on ties; a NaN wins). */
  argmax(x: F32Buffer, out: I32Buffer, rows: number, cols: number): void;
  /** dst row r = src row indices[r]. */
  gatherRows(src: F32Buffer, indices: I32Buffer, dst: F32Buffer, count: number, cols: number): void;
  /** out[j] = Σ_r x[r, j] (+ out[j] if accumulate): the bias gradient of a dense layer. */
  sumRows(x: F32Buffer, out: F32Buffer, rows: number, cols: number, accumulate: boolean): void;
  /**
   * One class per row drawn from softmax(x/T) by inverse CDF with uniforms u ∈ [0, 1), one per
   * row as two floats (u = uniforms[2r] + uniforms[2r + 1]: 48 bits, where one float's 24 left
   * classes under 6e-8 unreachable); classes of probability 0 are never drawn; a row with no
   * distribution (NaN, +∞ or all −∞) gives −1.
   */
  sampleCategorical(x: F32Buffer, uniforms: F32Buffer, out: I32Buffer, rows: number, cols: number, invTemperature: number): void;
  /** Sparsemax per row (Martins & Astudillo, 2016): Euclidean projection onto the simplex. */
  sparsemax(x: F32Buffer, out: F32Buffer, rows: number, cols: number): void;
  /** dx_j = [y_j > 0]·(dy_j − mean of dy over the support) per row. */
  sparsemaxBackward(y: F32Buffer, dy: F32Buffer, dx: F32Buffer, rows: number, cols: number): void;

  // ---- activations (assembly/activation.ts, src/js/activation.ts) ----
  /** out = f(x) elementwise over n values; out may alias x. */
  activation(kind: Activation, x: F32Buffer, out: F32Buffer, n: number): void;
  /** dx = dy ⊙ f'(x) written in terms of the output y = f(x) (σ(1 − σ), 1 − φ², [y > 0], 1). */
  activationBackward(kind: Activation, y: F32Buffer, dy: F32Buffer, dx: F32Buffer, n: number): void;

  // ---- dense products (assembly/gemm.ts, src/js/gemm.ts) ----
  /**
   * Floats of scratch matmul takes from the current scope for these dimensions (0 where it needs
   * none), so callers can reserve it with the rest of a call's scratch before copying anything.
   */
  matmulScratchLength(m: number, k: number, n: number): number;
  /**
   * C[m×n] = alpha·op(A)·op(B) (+ bias[j] per column) (+ C if accumulate), where op(A) is m×k
   * (A stored k×m when transA) and op(B) is k×n (B stored n×k when transB). Row-major.
   */
  matmul(
    a: F32Buffer, b: F32Buffer, c: F32Buffer, m: number, k: number, n: number,
    transA: boolean, transB: boolean, alpha: number, accumulate: boolean, bias: F32Buffer | null,
  ): void;

  // ---- optimisers (assembly/optim.ts, src/js/optim.ts) ----
  /** Σ x_i² over n values (f64 accumulation), for gradient clipping by global norm. */
  sumSquares(x: F32Buffer, n: number): number;
  /**
   * SGD with momentum on n parameters: v = momentum·v + gradScale·g; p −= lr·v. velocity is null
   * when momentum is 0 (then p −= lr·gradScale·g).
   */
  sgdStep(
    param: F32Buffer, grad: F32Buffer, velocity: F32Buffer | null, n: number,
    learningRate: number, momentum: number, gradScale: number,
  ): void;
}
