// Typed signatures of assembly/softmax.ts's exports. Pointers are byte offsets.
export interface SoftmaxKernels {
  softmaxRows(x: number, out: number, rows: number, cols: number, invTemperature: number, invTemperatureTail: number): void;
  logSoftmaxRows(x: number, out: number, rows: number, cols: number, invTemperature: number, invTemperatureTail: number): void;
  logSumExpRows(x: number, out: number, rows: number, cols: number, invTemperature: number, invTemperatureTail: number): void;
  softmaxBackwardRows(y: number, dy: number, dx: number, rows: number, cols: number): void;
}
