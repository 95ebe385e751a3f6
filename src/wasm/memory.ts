// Ownership of one instance's linear memory: the allocator (TLSF in the module, via its exported
// alloc/free), the per-call scratch arena, and the single accessor through which typed views are
// derived. memory.grow detaches memory.buffer, so views are re-derived whenever the buffer
// object changed — never cached across a call that can allocate.

/** The exports of assembly/index.ts. Pointers are byte offsets; lengths are element counts. */
export interface KernelExports {
  memory: WebAssembly.Memory;
  alloc(bytes: number): number;
  free(ptr: number): void;
  [kernel: string]: unknown;
}

// TLSF refuses single blocks above 2^30 bytes.
export const MAX_BLOCK_BYTES = 2 ** 30;
const ALIGN = 16;
const MIN_ARENA_BLOCK = 64 * 1024;

export class LinearMemory {
  private f32View = new Float32Array(0);
  private i32View = new Int32Array(0);

  constructor(readonly exports: KernelExports) {}

  /**
   * Float32 view of the whole memory, re-derived if memory grew since the last call. Growing
   * detaches the old buffer, which empties every view of it: testing the view's length (a plain
   * property load) costs a fraction of reading memory.buffer (an API call) on every access.
   */
  f32(): Float32Array {
    if (this.f32View.length === 0) this.refresh();
    return this.f32View;
  }

  i32(): Int32Array {
    if (this.i32View.length === 0) this.refresh();
    return this.i32View;
  }

  private refresh(): void {
    const buffer = this.exports.memory.buffer;
    this.f32View = new Float32Array(buffer);
    this.i32View = new Int32Array(buffer);
  }

  get byteLength(): number {
    return this.exports.memory.buffer.byteLength;
  }

  /** A 16-byte aligned block of at least `bytes` bytes. Throws RangeError when memory is full. */
  alloc(bytes: number): number {
    if (bytes > MAX_BLOCK_BYTES) {
      throw new RangeError(
        `softmax-wasm: a single buffer of ${bytes} bytes exceeds the ${MAX_BLOCK_BYTES}-byte limit of wasm memory blocks`,
      );
    }
    let ptr: number;
    try {
      ptr = this.exports.alloc(Math.max(bytes, 1));
    } catch (error) {
      if (error instanceof WebAssembly.RuntimeError) {
        throw new RangeError(
          `softmax-wasm: out of wasm memory allocating ${bytes} bytes (memory is ${this.byteLength} bytes and could not grow)`,
        );
      }
      throw error;
    }
    return ptr;
  }

  free(ptr: number): void {
    this.exports.free(ptr);
  }
}

interface ArenaBlock { ptr: number; bytes: number }
export interface ArenaMark { block: number; offset: number }

/**
 * Bump allocator for one call's scratch space. It grows by adding blocks (never moving one, so
 * pointers handed out earlier in the call stay valid); when the outermost scope closes, several
 * blocks are merged into one of their total size so the next call of that size needs one block.
 */
export class Arena {
  private blocks: ArenaBlock[] = [];
  private block = 0;
  private offset = 0;
  private depth = 0;

  constructor(private readonly memory: LinearMemory) {}

  open(): ArenaMark {
    this.depth++;
    return { block: this.block, offset: this.offset };
  }

  close(mark: ArenaMark): void {
    this.depth--;
    this.block = mark.block;
    this.offset = mark.offset;
    if (this.depth === 0 && this.blocks.length > 1) this.coalesce();
  }

  take(bytes: number): number {
    const size = Math.ceil(bytes / ALIGN) * ALIGN;
    while (this.block < this.blocks.length) {
      const current = this.blocks[this.block];
      if (this.offset + size <= current.bytes) {
        const ptr = current.ptr + this.offset;
        this.offset += size;
        return ptr;
      }
      this.block++;
      this.offset = 0;
    }
    const last = this.blocks[this.blocks.length - 1];
    const blockBytes = Math.min(MAX_BLOCK_BYTES, Math.max(size, MIN_ARENA_BLOCK, last ? last.bytes * 2 : 0));
    const ptr = this.memory.alloc(blockBytes);
    this.blocks.push({ ptr, bytes: blockBytes });
    this.block = this.blocks.length - 1;
    this.offset = size;
    return ptr;
  }

  /** Bytes held by the arena (all blocks), for leak checks. */
  get capacity(): number {
    return this.blocks.reduce((sum, b) => sum + b.bytes, 0);
  }

  /** Whether no scope is open and nothing is taken. */
  get idle(): boolean {
    return this.depth === 0 && this.block === 0 && this.offset === 0;
  }

  private coalesce(): void {
    const total = Math.min(MAX_BLOCK_BYTES, this.capacity);
    for (const b of this.blocks) this.memory.free(b.ptr);
    this.blocks = [];
    this.block = 0;
    this.offset = 0;
    this.blocks.push({ ptr: this.memory.alloc(total), bytes: total });
  }
}
