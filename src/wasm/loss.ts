// Typed signatures of assembly/loss.ts's exports. A pointer of 0 means "absent".
export interface LossKernels {
  crossEntropyIndexRows(
    logits: number, targets: number, rows: number, cols: number,
    weight: number, ignoreIndex: number, labelSmoothing: number, zLoss: number, invTemperature: number,
    gradScale: number, grad: number, losses: number,
  ): number;
  crossEntropyProbRows(
    logits: number, targets: number, rows: number, cols: number,
    weight: number, labelSmoothing: number, zLoss: number, invTemperature: number,
    gradScale: number, grad: number, losses: number,
  ): number;
}

/** assembly/loss.ts's elementwise losses; each returns the unnormalised sum. */
export interface OtherLossKernels {
  binaryCrossEntropyWithLogits(logits: number, targets: number, n: number, gradScale: number, grad: number, losses: number): number;
  squaredError(predictions: number, targets: number, n: number, gradScale: number, grad: number): number;
}
