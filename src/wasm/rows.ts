// Typed signatures of assembly/rows.ts's exports. Pointers are byte offsets.
export interface RowKernels {
  argmaxRows(x: number, out: number, rows: number, cols: number): void;
  /** scratch: cols floats of space. */
  sampleCategoricalRows(
    x: number, uniforms: number, out: number, rows: number, cols: number, invTemperature: number, invTemperatureTail: number, scratch: number,
  ): void;
  gatherRows(src: number, indices: number, dst: number, count: number, cols: number): void;
  sumRows(x: number, out: number, rows: number, cols: number, accumulate: boolean): void;
}
