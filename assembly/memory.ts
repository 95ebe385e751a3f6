// Long-lived buffers (resident tensors, network weights, the wrapper's scratch arena blocks) come
// from AssemblyScript's TLSF heap. Blocks are 16-byte aligned, which the f32x4 loads rely on for
// speed (not for correctness: wasm allows unaligned v128 access).

export function alloc(bytes: usize): usize {
  return heap.alloc(bytes);
}

export function free(ptr: usize): void {
  heap.free(ptr);
}
