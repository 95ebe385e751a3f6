// Ownership of one instance's linear memory: the allocator (TLSF in the module, via its exported
// alloc/free), the per-call scratch arena, and the single accessor through which typed views are
// derived. memory.grow detaches memory.buffer, so views are re-derived whenever the buffer
// object changed — never cached across a call that can allocate.
//
// Every way an allocation can fail ends in a RangeError that says why, thrown before the heap or
// the arena changed: a block above TLSF's limit is refused here (TLSF itself would abort), and a
// failed memory.grow (TLSF executes `unreachable` before touching its free lists, so the heap
// stays consistent) is turned into "out of wasm memory".

import { SPLIT_THE_DATA } from '../validate.js';

/** The exports of assembly/index.ts. Pointers are byte offsets; lengths are element counts. */
export interface KernelExports {
  memory: WebAssembly.Memory;
  alloc(bytes: number): number;
  free(ptr: number): void;
  [kernel: string]: unknown;
}

const ALIGN = 16;
/** TLSF serves blocks of at most 2^30 − 4 bytes; rounded down to the arena's alignment. */
export const MAX_BLOCK_BYTES = 2 ** 30 - ALIGN;
/** wasm32 addresses at most 65 536 pages of 64 KiB; engines may cap memory lower. */
const MAX_MEMORY_BYTES = 2 ** 32;
const MIN_ARENA_BLOCK = 64 * 1024;
// How many views LinearMemory.f32At keeps (a power of two).
const VIEW_SLOTS = 16;

const alignUp = (bytes: number): number => Math.ceil(bytes / ALIGN) * ALIGN;

/** "1073741824 bytes (1 GiB)": exact figure plus a readable one. */
function formatBytes(bytes: number): string {
  const units = ['KiB', 'MiB', 'GiB'];
  let value = bytes;
  let unit = '';
  for (const u of units) {
    if (value < 1024) break;
    value /= 1024;
    unit = u;
  }
  return unit ? `${bytes} bytes (${Math.round(value * 10) / 10} ${unit})` : `${bytes} bytes`;
}

export class LinearMemory {
  // The buffer the views below are over (null before the first access).
  private buffer: ArrayBuffer | null = null;
  private f32View = new Float32Array(0);
  private i32View = new Int32Array(0);
  // f32At's kept views and their addresses.
  private readonly views: (Float32Array | undefined)[] = new Array(VIEW_SLOTS).fill(undefined);
  private readonly viewPtrs = new Float64Array(VIEW_SLOTS).fill(-1);
  // Buffers this memory had before it grew: a typed array over one of them is a stale view.
  private readonly retired = new WeakSet<ArrayBufferLike>();
  // Live heap blocks (pointer → requested bytes), for leak checks and the soak test.
  private readonly live = new Map<number, number>();
  private liveTotal = 0;

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

  /**
   * Float32 view of `length` floats at byte offset `ptr`. Making a view costs about as much as
   * copying a few hundred floats, and small calls take the same regions again and again (the
   * arena hands out the same scratch, a tensor keeps its place), so the last views are kept, one
   * per slot by address: a kept view is valid while it is not detached, i.e. its length is intact.
   */
  f32At(ptr: number, length: number): Float32Array {
    const slot = (ptr >>> 4) & (VIEW_SLOTS - 1);
    const kept = this.views[slot];
    if (kept !== undefined && kept.length === length && this.viewPtrs[slot] === ptr && length !== 0) return kept;
    const view = this.f32().subarray(ptr >>> 2, (ptr >>> 2) + length);
    this.views[slot] = view;
    this.viewPtrs[slot] = ptr;
    return view;
  }

  private refresh(): void {
    if (this.buffer) this.retired.add(this.buffer);
    this.buffer = this.exports.memory.buffer;
    this.f32View = new Float32Array(this.buffer);
    this.i32View = new Int32Array(this.buffer);
  }

  /** Whether `buffer` was this memory's buffer before it grew (views over it are now empty). */
  isRetired(buffer: ArrayBufferLike): boolean {
    if (this.exports.memory.buffer !== this.buffer) this.refresh();
    return this.retired.has(buffer);
  }

  get byteLength(): number {
    return this.exports.memory.buffer.byteLength;
  }

  /** Heap blocks handed out and not yet freed, and their requested bytes. */
  get liveBlocks(): number {
    return this.live.size;
  }

  get liveBytes(): number {
    return this.liveTotal;
  }

  /**
   * A 16-byte aligned block of at least `bytes` bytes. Throws a RangeError starting with `fn`
   * when the block is too large for TLSF or memory cannot grow; nothing has changed then.
   */
  alloc(bytes: number, fn = 'softmax-wasm'): number {
    if (!(bytes <= MAX_BLOCK_BYTES)) {
      throw new RangeError(
        `${fn}: a buffer of ${formatBytes(bytes)} is larger than one wasm memory block can hold (1 GiB − 16 bytes = ${MAX_BLOCK_BYTES} bytes); ${SPLIT_THE_DATA}`,
      );
    }
    let ptr: number;
    try {
      ptr = this.exports.alloc(Math.max(bytes, 1)) >>> 0;
    } catch (error) {
      if (error instanceof WebAssembly.RuntimeError) {
        throw new RangeError(
          `${fn}: out of wasm memory: ${formatBytes(bytes)} more were needed, memory is ${formatBytes(this.byteLength)} and the engine refused to grow it (32-bit wasm memory holds at most 4 GiB; dispose tensors you no longer need, or use smaller batches)`,
        );
      }
      throw error;
    }
    this.live.set(ptr, bytes);
    this.liveTotal += bytes;
    return ptr;
  }

  free(ptr: number): void {
    const bytes = this.live.get(ptr);
    if (bytes === undefined) throw new Error(`softmax-wasm: free of ${ptr}, which is not a live block (double free?)`);
    this.live.delete(ptr);
    this.liveTotal -= bytes;
    this.exports.free(ptr);
  }
}

interface ArenaBlock { ptr: number; bytes: number }
export interface ArenaMark { block: number; offset: number; used: number }

/**
 * Bump allocator for one call's scratch space. It grows by adding blocks (never moving one, so
 * pointers handed out earlier in the call stay valid); when the outermost scope closes, several
 * blocks are merged into one as large as the most any call has used, so the next call of that
 * size needs one block. The arena keeps that block between calls: its size is the high-water
 * mark of one call's scratch, so calls of varying sizes neither allocate nor fragment the heap
 * (a tensor allocation that finds memory full takes it back with releaseIdle).
 */
export class Arena {
  private blocks: ArenaBlock[] = [];
  private block = 0;
  private offset = 0;
  private depth = 0;
  // Bytes taken in the outermost scope now, and the most at any point of it.
  private used = 0;
  private peak = 0;

  constructor(private readonly memory: LinearMemory) {}

  open(): ArenaMark {
    if (this.depth === 0) this.peak = 0;
    this.depth++;
    return { block: this.block, offset: this.offset, used: this.used };
  }

  close(mark: ArenaMark): void {
    this.depth--;
    this.block = mark.block;
    this.offset = mark.offset;
    this.used = mark.used;
    if (this.depth === 0) this.settle();
  }

  take(bytes: number): number {
    const size = alignUp(bytes);
    this.used += size;
    this.peak = Math.max(this.peak, this.used);
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
    this.addBlock(Math.min(MAX_BLOCK_BYTES, Math.max(size, MIN_ARENA_BLOCK, last ? last.bytes * 2 : 0)), 'softmax-wasm');
    this.offset = size;
    return this.blocks[this.block].ptr;
  }

  /**
   * Makes sure the next take() calls, of these sizes (element counts × bytesPerElement) in this
   * order, succeed without allocating — so a call that cannot fit fails here, before it copies
   * anything. Throws a RangeError starting with `fn` otherwise; blocks added before the failure
   * stay in the arena and are released when the scope closes.
   */
  reserve(fn: string, lengths: readonly number[], bytesPerElement: number): void {
    let total = 0;
    for (let i = 0; i < lengths.length; i++) {
      const bytes = lengths[i] * bytesPerElement;
      if (!(bytes <= MAX_BLOCK_BYTES)) this.memory.alloc(bytes, fn); // throws, naming the limit
      total += alignUp(bytes);
    }
    // The common case: everything fits after the current position of the current block.
    if (this.block < this.blocks.length && this.offset + total <= this.blocks[this.block].bytes) return;
    if (total > MAX_MEMORY_BYTES) {
      throw new RangeError(
        `${fn}: needs ${formatBytes(total)} of scratch memory, more than 32-bit wasm memory can hold (4 GiB); ${SPLIT_THE_DATA}`,
      );
    }
    // Place the sizes the way take() will, in the blocks that exist from the current position …
    let block = this.block, offset = this.offset, i = 0;
    for (; i < lengths.length; i++) {
      const size = alignUp(lengths[i] * bytesPerElement);
      while (block < this.blocks.length && offset + size > this.blocks[block].bytes) {
        block++;
        offset = 0;
      }
      if (block === this.blocks.length) break;
      offset += size;
    }
    // … and the rest in new blocks appended after them, each as full as one block can be.
    let group = 0;
    for (; i < lengths.length; i++) {
      const size = alignUp(lengths[i] * bytesPerElement);
      if (group + size > MAX_BLOCK_BYTES) {
        this.addBlock(Math.max(group, MIN_ARENA_BLOCK), fn);
        group = 0;
      }
      group += size;
    }
    if (group > 0) this.addBlock(Math.min(MAX_BLOCK_BYTES, Math.max(group, MIN_ARENA_BLOCK)), fn);
  }

  /**
   * Gives every block back to the heap when no call is using the arena — for an allocation that
   * failed while idle scratch space was still held. Returns whether anything was freed.
   */
  releaseIdle(): boolean {
    if (this.depth !== 0 || this.blocks.length === 0) return false;
    for (const b of this.blocks) this.memory.free(b.ptr);
    this.blocks = [];
    this.block = 0;
    this.offset = 0;
    return true;
  }

  /** Bytes held by the arena (all blocks), for leak checks. */
  get capacity(): number {
    return this.blocks.reduce((sum, b) => sum + b.bytes, 0);
  }

  /** Whether no scope is open and nothing is taken. */
  get idle(): boolean {
    return this.depth === 0 && this.block === 0 && this.offset === 0;
  }

  // Appends a block (take() then moves into it when the earlier ones are full). The pointer is
  // recorded only after alloc succeeded, so a failure leaves the arena as it was.
  private addBlock(bytes: number, fn: string): void {
    const ptr = this.memory.alloc(bytes, fn);
    this.blocks.push({ ptr, bytes });
  }

  // After the outermost scope: merge several blocks into one as large as the largest of them or
  // the most this call used, whichever is more. Scratch beyond one block (calls over 1 GiB) stays
  // as it is. Never throws: it runs in a finally, where an error would replace the call's outcome.
  private settle(): void {
    if (this.blocks.length <= 1) return;
    const target = Math.max(this.peak, ...this.blocks.map((b) => b.bytes));
    if (target > MAX_BLOCK_BYTES) return;
    for (const b of this.blocks) this.memory.free(b.ptr);
    this.blocks = [];
    try {
      this.blocks.push({ ptr: this.memory.alloc(target), bytes: target });
    } catch (error) {
      // Memory is full; the next call allocates what it needs (and says so if it cannot).
      if (!(error instanceof RangeError)) throw error;
    }
  }
}
