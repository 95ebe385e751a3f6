// Typed signatures of assembly/optim.ts's exports. Pointers are byte offsets; a velocity of 0
// means "no momentum buffer".
export interface OptimKernels {
  sumSquares(x: number, n: number): number;
  sgdStep(
    param: number, grad: number, velocity: number, n: number,
    learningRate: number, momentum: number, gradScale: number,
  ): void;
}

