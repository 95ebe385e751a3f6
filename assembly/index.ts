// The wasm ABI: every function the TypeScript wrapper may call, and nothing else.
// Pointers are byte offsets into linear memory; lengths are element counts.
export { alloc, free } from './memory';
export {
  softmaxRows, logSoftmaxRows, logSumExpRows, softmaxBackwardRows,
} from './softmax';
export { crossEntropyIndexRows, crossEntropyProbRows } from './loss';
export { binaryCrossEntropyWithLogits, squaredError } from './loss';
export { activationForward, activationBackward } from './activation';
export { argmaxRows, sampleCategoricalRows, gatherRows, sumRows } from './rows';
export { sparsemaxRows, sparsemaxBackwardRows } from './sparsemax';
export { gemm, gemmScratchLength } from './gemm';
export { sumSquares, sgdStep } from './optim';
