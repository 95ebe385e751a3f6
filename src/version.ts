// This package's version, for the files it writes (ONNX producer_version). Kept equal to
// package.json's "version" by a test (test/nn.test.ts), since browsers cannot read package.json.
export const VERSION = '0.1.0';
