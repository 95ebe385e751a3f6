// WasmBackend: buffers are regions of one instance's linear memory; every method passes
// pointers to a kernel of assembly/index.ts. Each instance has its own memory, so instances
// share no state.
import type { Activation, Backend, CrossEntropyParams, F32Buffer, I32Buffer, Scope } from '../backend.js';
import type { WasmPath } from '../backend.js';
import { compileKernels, type WasmFlavor } from './loader.js';
import { Arena, LinearMemory, type KernelExports } from './memory.js';
import { staleViewError } from '../validate.js';
import type { SoftmaxKernels } from './softmax.js';
import type { LossKernels, OtherLossKernels } from './loss.js';
import { activationCodes, type ActivationKernels } from './activation.js';
import type { RowKernels } from './rows.js';
import type { SparsemaxKernels } from './sparsemax.js';
import type { GemmKernels } from './gemm.js';
import type { OptimKernels } from './optim.js';

type Kernels = KernelExports & SoftmaxKernels & LossKernels
  & OtherLossKernels & ActivationKernels & RowKernels & SparsemaxKernels & GemmKernels & OptimKernels;

class WasmF32Buffer implements F32Buffer {
  constructor(private readonly memory: LinearMemory, readonly ptr: number, readonly length: number) {}
  view(): Float32Array {
    return this.memory.f32At(this.ptr, this.length);
  }
}

class WasmI32Buffer implements I32Buffer {
  constructor(private readonly memory: LinearMemory, readonly ptr: number, readonly length: number) {}
  view(): Int32Array {
    return this.memory.i32().subarray(this.ptr >>> 2, (this.ptr >>> 2) + this.length);
  }
}

const ptr = (b: F32Buffer | I32Buffer): number => (b as WasmF32Buffer).ptr;
const ptrOrZero = (b: F32Buffer | null): number => (b ? (b as WasmF32Buffer).ptr : 0);
/**
 * The kernels take 1/T as a float32 and its rounding error as a second float32 (the API passes
 * 1/T in f64): 1/T rounded alone moves e^{(z − max)/T} by up to 4e-6 where (z − max)/T ≈ −69.
 */
const scaleTail = (invTemperature: number): number => invTemperature - Math.fround(invTemperature);

// Reads the message of an AssemblyScript abort (UTF-16 string, byte length stored before it).
function abortMessage(memory: () => WebAssembly.Memory, messagePtr: number): string {
  if (!messagePtr) return 'abort';
  const buffer = memory().buffer;
  const bytes = new Uint32Array(buffer, messagePtr - 4, 1)[0];
  return String.fromCharCode(...new Uint16Array(buffer, messagePtr, bytes >>> 1));
}

export class WasmBackend implements Backend {
  private readonly arena: Arena;
  private readonly scope: Scope;

  private constructor(
    readonly kind: WasmFlavor,
    private readonly kernels: Kernels,
    private readonly memory: LinearMemory,
  ) {
    this.arena = new Arena(memory);
    const { arena } = this;
    this.scope = {
      f32: (src) => {
        // The Api refuses stale views by name, before its reservation and after; this catches those
        // of callers that do not check, such as the MLP's steps.
        if (this.isStaleView(src)) throw staleViewError('softmax-wasm', `an argument (${src.constructor.name}(${src.length}))`);
        const buffer = new WasmF32Buffer(memory, arena.take(src.byteLength), src.length);
        memory.f32().set(src, buffer.ptr >>> 2);
        return buffer;
      },
      f32Empty: (length) => new WasmF32Buffer(memory, arena.take(length * 4), length),
      i32: (src) => {
        // Class indices as an Int32Array over a Tensor.view()'s memory would otherwise copy nothing
        // and leave the scratch's old bytes as the targets.
        if (ArrayBuffer.isView(src) && this.isStaleView(src)) throw staleViewError('softmax-wasm', `an argument (${src.constructor.name}(${src.length}))`);
        const buffer = new WasmI32Buffer(memory, arena.take(src.length * 4), src.length);
        buffer.view().set(src);
        return buffer;
      },
      i32Empty: (length) => new WasmI32Buffer(memory, arena.take(length * 4), length),
      reserve: (fn, lengths) => arena.reserve(fn, lengths, 4),
    };
  }

  /** An instance of one build, from the package's build/ folder or from `folder` (init's wasmPath). */
  static async create(flavor: WasmFlavor, folder?: WasmPath): Promise<WasmBackend> {
    const module = await compileKernels(flavor, folder);
    let exports: Kernels | undefined;
    const instance = await WebAssembly.instantiate(module, {
      env: {
        abort(message: number, _file: number, line: number, column: number): never {
          const text = exports ? abortMessage(() => exports!.memory, message) : 'abort';
          throw new RangeError(`softmax-wasm: wasm aborted: ${text} (${line}:${column})`);
        },
      },
    });
    exports = instance.exports as unknown as Kernels;
    return new WasmBackend(flavor, exports, new LinearMemory(exports));
  }

  scoped<T>(body: (scope: Scope) => T): T {
    const mark = this.arena.open();
    try {
      return body(this.scope);
    } finally {
      this.arena.close(mark);
    }
  }

  allocF32(length: number): F32Buffer {
    let ptr: number;
    try {
      ptr = this.memory.alloc(length * 4);
    } catch (error) {
      // Memory is full: the scratch the arena keeps between calls is the one thing we can give back.
      if (!(error instanceof RangeError) || !this.arena.releaseIdle()) throw error;
      ptr = this.memory.alloc(length * 4);
    }
    const buffer = new WasmF32Buffer(this.memory, ptr, length);
    buffer.view().fill(0);
    return buffer;
  }

  release(buffer: F32Buffer): void {
    this.memory.free(ptr(buffer));
  }

  memoryBytes(): number {
    return this.memory.byteLength;
  }

  isStaleView(array: ArrayBufferView): boolean {
    // A detached view has no bytes left; only then is the (slower) lookup worth making.
    return array.byteLength === 0 && this.memory.isRetired(array.buffer);
  }

  sliceF32(buffer: F32Buffer, start: number, length: number): F32Buffer {
    return new WasmF32Buffer(this.memory, ptr(buffer) + start * 4, length);
  }

  sliceI32(buffer: I32Buffer, start: number, length: number): I32Buffer {
    return new WasmI32Buffer(this.memory, ptr(buffer) + start * 4, length);
  }

  /** Scratch bytes held by the arena, and whether it is fully released (for leak tests). */
  arenaState(): { capacity: number; idle: boolean } {
    return { capacity: this.arena.capacity, idle: this.arena.idle };
  }

  /** Heap blocks in use (tensors, weights, arena blocks) and their bytes (for leak tests). */
  heapState(): { liveBlocks: number; liveBytes: number } {
    return { liveBlocks: this.memory.liveBlocks, liveBytes: this.memory.liveBytes };
  }

  softmax(x: F32Buffer, out: F32Buffer, rows: number, cols: number, invTemperature: number): void {
    this.kernels.softmaxRows(ptr(x), ptr(out), rows, cols, invTemperature, scaleTail(invTemperature));
  }
  logSoftmax(x: F32Buffer, out: F32Buffer, rows: number, cols: number, invTemperature: number): void {
    this.kernels.logSoftmaxRows(ptr(x), ptr(out), rows, cols, invTemperature, scaleTail(invTemperature));
  }
  logSumExp(x: F32Buffer, out: F32Buffer, rows: number, cols: number, invTemperature: number): void {
    this.kernels.logSumExpRows(ptr(x), ptr(out), rows, cols, invTemperature, scaleTail(invTemperature));
  }
  softmaxBackward(y: F32Buffer, dy: F32Buffer, dx: F32Buffer, rows: number, cols: number): void {
    this.kernels.softmaxBackwardRows(ptr(y), ptr(dy), ptr(dx), rows, cols);
  }

  crossEntropyIndex(
    logits: F32Buffer, targets: I32Buffer, rows: number, cols: number,
    ignoreIndex: number, p: CrossEntropyParams, total: number,
  ): number {
    return this.kernels.crossEntropyIndexRows(
      ptr(logits), ptr(targets), rows, cols, ptrOrZero(p.weight), ignoreIndex,
      p.labelSmoothing, p.zLoss, p.invTemperature, scaleTail(p.invTemperature), p.gradScale, ptrOrZero(p.grad), ptrOrZero(p.losses), total,
    );
  }
  crossEntropyProb(
    logits: F32Buffer, targets: F32Buffer, rows: number, cols: number, p: CrossEntropyParams, total: number,
  ): number {
    return this.kernels.crossEntropyProbRows(
      ptr(logits), ptr(targets), rows, cols, ptrOrZero(p.weight),
      p.labelSmoothing, p.zLoss, p.invTemperature, scaleTail(p.invTemperature), p.gradScale, ptrOrZero(p.grad), ptrOrZero(p.losses), total,
    );
  }

  argmax(x: F32Buffer, out: I32Buffer, rows: number, cols: number): void {
    this.kernels.argmaxRows(ptr(x), ptr(out), rows, cols);
  }
  gatherRows(src: F32Buffer, indices: I32Buffer, dst: F32Buffer, count: number, cols: number): void {
    this.kernels.gatherRows(ptr(src), ptr(indices), ptr(dst), count, cols);
  }
  sumRows(x: F32Buffer, out: F32Buffer, rows: number, cols: number, accumulate: boolean): void {
    this.kernels.sumRows(ptr(x), ptr(out), rows, cols, accumulate);
  }

  activation(kind: Activation, x: F32Buffer, out: F32Buffer, n: number): void {
    this.kernels.activationForward(activationCodes[kind], ptr(x), ptr(out), n);
  }
  activationBackward(kind: Activation, y: F32Buffer, dy: F32Buffer, dx: F32Buffer, n: number): void {
    this.kernels.activationBackward(activationCodes[kind], ptr(y), ptr(dy), ptr(dx), n);
  }

  matmulScratchLength(m: number, k: number, n: number): number {
    return this.kernels.gemmScratchLength(m, k, n);
  }
  matmul(
    a: F32Buffer, b: F32Buffer, c: F32Buffer, m: number, k: number, n: number,
    transA: boolean, transB: boolean, alpha: number, accumulate: boolean, bias: F32Buffer | null,
  ): void {
    // The kernel packs blocks of op(B) into scratch it is handed; a nested scope releases it.
    this.scoped((scope) => {
      const scratch = scope.f32Empty(this.kernels.gemmScratchLength(m, k, n));
      this.kernels.gemm(
        ptr(a), ptr(b), ptr(c), m, k, n, transA ? 1 : 0, transB ? 1 : 0,
        alpha, accumulate ? 1 : 0, ptrOrZero(bias), ptr(scratch),
      );
    });
  }

  sumSquares(x: F32Buffer, n: number): number {
    return this.kernels.sumSquares(ptr(x), n);
  }
  sgdStep(
    param: F32Buffer, grad: F32Buffer, velocity: F32Buffer | null, n: number,
    learningRate: number, momentum: number, gradScale: number,
  ): void {
    this.kernels.sgdStep(ptr(param), ptr(grad), ptrOrZero(velocity), n, learningRate, momentum, gradScale);
  }

  // ---- other losses, sampling, sparsemax ----
  binaryCrossEntropyWithLogits(
    logits: F32Buffer, targets: F32Buffer, n: number, gradScale: number,
    grad: F32Buffer | null, losses: F32Buffer | null,
  ): number {
    return this.kernels.binaryCrossEntropyWithLogits(ptr(logits), ptr(targets), n, gradScale, ptrOrZero(grad), ptrOrZero(losses));
  }
  mse(predictions: F32Buffer, targets: F32Buffer, n: number, gradScale: number, grad: F32Buffer | null): number {
    return this.kernels.squaredError(ptr(predictions), ptr(targets), n, gradScale, ptrOrZero(grad));
  }
  sampleCategorical(x: F32Buffer, uniforms: F32Buffer, out: I32Buffer, rows: number, cols: number, invTemperature: number): void {
    this.scoped((scope) => {
      const scratch = scope.f32Empty(cols);
      this.kernels.sampleCategoricalRows(ptr(x), ptr(uniforms), ptr(out), rows, cols, invTemperature, scaleTail(invTemperature), ptr(scratch));
    });
  }
  sparsemax(x: F32Buffer, out: F32Buffer, rows: number, cols: number): void {
    this.kernels.sparsemaxRows(ptr(x), ptr(out), rows, cols);
  }
  sparsemaxBackward(y: F32Buffer, dy: F32Buffer, dx: F32Buffer, rows: number, cols: number): void {
    this.kernels.sparsemaxBackwardRows(ptr(y), ptr(dy), ptr(dx), rows, cols);
  }
}
