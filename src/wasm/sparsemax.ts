// Typed signatures of assembly/sparsemax.ts's exports. Pointers are byte offsets.
export interface SparsemaxKernels {
  sparsemaxRows(x: number, out: number, rows: number, cols: number): void;
  sparsemaxBackwardRows(y: number, dy: number, dx: number, rows: number, cols: number): void;
}
