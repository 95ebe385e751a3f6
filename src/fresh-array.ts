// New result arrays for large results that the caller overwrites completely.
//
// `new Float32Array(n)` zero-fills its memory, and in Node a large one also pays page faults and the
// zeroing on every call: a 16 MiB result filled by a copy took 7–11 ms of CPU per call against
// 3.2 ms for the copy into an existing array (bench/RESULTS.md, design log item 23). Node's
// Buffer.allocUnsafeSlow returns a new, unpooled ArrayBuffer of exactly the size asked, without the
// zero fill: the same kind of object, 3.7–6 ms in the same loop. The memory is uninitialised, so
// only callers that write every element before anyone sees the array may use it.

/** Below this many bytes the zero fill costs little and a plain typed array is as fast. */
const UNINITIALISED_MIN_BYTES = 256 * 1024;

interface NodeBufferClass { allocUnsafeSlow?: (size: number) => Uint8Array }

/**
 * A new Float32Array of `length` elements that owns its ArrayBuffer exactly (byteOffset 0,
 * byteLength 4·length, so it transfers and detaches alone), as `new Float32Array(length)` would —
 * but possibly uninitialised. The caller must write every element before returning it.
 */
export function float32ArrayToOverwrite(length: number): Float32Array {
  const bytes = length * 4;
  if (bytes >= UNINITIALISED_MIN_BYTES) {
    const nodeBuffer = (globalThis as { Buffer?: NodeBufferClass }).Buffer;
    if (typeof nodeBuffer?.allocUnsafeSlow === 'function') {
      const memory = nodeBuffer.allocUnsafeSlow(bytes);
      // A browser polyfill may hand out a slice of a shared pool: use only a buffer of its own.
      if (memory.byteOffset === 0 && memory.buffer.byteLength === bytes) return new Float32Array(memory.buffer, 0, length);
    }
  }
  return new Float32Array(length);
}
