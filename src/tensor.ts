// Resident tensors: rows × cols float32 data that stays in a backend's memory between calls, so a
// pipeline of calls copies nothing in or out. Freed by dispose() (or `using`); a
// FinalizationRegistry frees the ones callers forget.
import type { Backend, F32Buffer } from './backend.js';
import { disposeSymbol } from './dispose-symbol.js';
import { inspectSymbol, type Inspect } from './inspect-symbol.js';
import { float32ArrayToOverwrite } from './fresh-array.js';
import { describe, staleViewError } from './validate.js';

interface Held { backend: Backend; buffer: F32Buffer }
const forgotten = new FinalizationRegistry<Held>(({ backend, buffer }) => backend.release(buffer));

/**
 * A rows × cols float32 matrix resident in one backend's memory (from `tensor()`): pass it as
 * data or `out` to any function and nothing is copied in or out. Free it with `dispose()` (or
 * `using`); `toArray()` copies it out, `view()` is a live view until memory grows.
 */
export class Tensor {
  #buffer: F32Buffer | null;

  /** Use Api.tensor(); this constructor takes ownership of `buffer`. */
  constructor(readonly backend: Backend, buffer: F32Buffer, readonly rows: number, readonly cols: number) {
    this.#buffer = buffer;
    forgotten.register(this, { backend, buffer }, this);
  }

  /** rows × cols, the number of floats. */
  get length(): number {
    return this.rows * this.cols;
  }

  /** Whether dispose() has run; a disposed tensor is refused by every call. */
  get disposed(): boolean {
    return this.#buffer === null;
  }

  /** The backend buffer, for the library's own calls; throws if disposed, naming the argument when given. */
  buffer(fn: string, name?: string): F32Buffer {
    if (!this.#buffer) {
      const which = name ? `${name}, a Tensor (${this.rows}×${this.cols}),` : `this Tensor (${this.rows}×${this.cols})`;
      throw new Error(`${fn}: ${which} was disposed and cannot be used`);
    }
    return this.#buffer;
  }

  /** A copy of the data. */
  toArray(): Float32Array {
    const data = this.buffer('Tensor.toArray').view();
    const copy = float32ArrayToOverwrite(data.length);
    copy.set(data);
    return copy;
  }

  /**
   * A live view of the data, valid until the next call on this backend that can allocate (wasm
   * memory growth detaches it). Prefer toArray() unless you need zero copies.
   */
  view(): Float32Array {
    return this.buffer('Tensor.view').view();
  }

  /** Copies src (length rows × cols) into the tensor. */
  write(src: Float32Array): this {
    const target = this.buffer('Tensor.write');
    if (!(src instanceof Float32Array)) throw new TypeError(`Tensor.write: src must be a Float32Array, got ${describe(src)}`);
    if (this.backend.isStaleView(src)) throw staleViewError('Tensor.write', 'src');
    if (src.length !== this.length) {
      throw new RangeError(`Tensor.write: src.length must be ${this.length} (${this.rows}×${this.cols}), got ${src.length}`);
    }
    target.view().set(src);
    return this;
  }

  /** Frees the backend memory now; calling it again does nothing. */
  dispose(): void {
    if (!this.#buffer) return;
    forgotten.unregister(this);
    this.backend.release(this.#buffer);
    this.#buffer = null;
  }

  /** dispose(), for `using`. */
  [disposeSymbol](): void {
    this.dispose();
  }

  /** For console.log in Node: `Tensor(2×3, simd) Float32Array(6) [ … ]`, the data as Node shows arrays. */
  [inspectSymbol](_depth: number, options: object, inspect: Inspect): string {
    const head = `Tensor(${this.rows}×${this.cols}, ${this.backend.kind}`;
    return this.#buffer ? `${head}) ${inspect(this.#buffer.view(), options)}` : `${head}, disposed)`;
  }
}
