// Typed signatures of assembly/loss.ts's exports. A pointer of 0 means "absent". The cross-entropy
// kernels return total + the sum of their rows' losses, added row by row: a caller that splits the
// rows passes the running sum on and gets the sum of one call over all of them, bit for bit.
export interface LossKernels {
  crossEntropyIndexRows(
    logits: number, targets: number, rows: number, cols: number,
    weight: number, ignoreIndex: number, labelSmoothing: number, zLoss: number, invTemperature: number, invTemperatureTail: number,
    gradScale: number, grad: number, losses: number, total: number,
  ): number;
  crossEntropyProbRows(
    logits: number, targets: number, rows: number, cols: number,
    weight: number, labelSmoothing: number, zLoss: number, invTemperature: number, invTemperatureTail: number,
    gradScale: number, grad: number, losses: number, total: number,
  ): number;
}

/** assembly/loss.ts's elementwise losses; each returns the unnormalised sum. */
export interface OtherLossKernels {
  binaryCrossEntropyWithLogits(logits: number, targets: number, n: number, gradScale: number, grad: number, losses: number): number;
  squaredError(predictions: number, targets: number, n: number, gradScale: number, grad: number): number;
}
