// Typed signatures of assembly/gemm.ts's exports. Pointers are byte offsets; a pointer of 0 means
// "absent"; flags are 0 or 1.

export interface GemmKernels {
  /** C[m×n] = alpha·op(A)·op(B) (+ bias) (+ C if accumulate); scratch: gemmScratchLength floats. */
  gemm(
    a: number, b: number, c: number, m: number, k: number, n: number, transA: number, transB: number,
    alpha: number, accumulate: number, bias: number, scratch: number,
  ): void;
  /** Floats of packing scratch gemm needs for these dimensions. */
  gemmScratchLength(m: number, k: number, n: number): number;
}
