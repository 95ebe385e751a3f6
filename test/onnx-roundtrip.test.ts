// An MLP written as ONNX and read back predicts what it did, bit for bit — in every runtime the
// suite runs in, Chromium included (test/onnx.test.ts, which reads files and runs onnxruntime-web,
// is Node-only): the ONNX methods load onnx-proto with a dynamic import() on first use.
import { describe, expect, it } from 'vitest';
import { MLP } from '../src/index.js';
import { backend, kinds } from './backends.js';

describe.each(kinds)('MLP → ONNX → MLP on %s', (kind) => {
  it('predicts the same probabilities after the round trip', async () => {
    const api = await backend(kind);
    const net = new MLP([3, 5, 4], { hidden: ['tanh'], seed: 11, backend: api });
    const copy = await MLP.fromONNX(await net.toONNX(), { backend: api });
    const x = Float32Array.of(0.5, -1, 2, 1, 0, -0.5);
    expect(Array.from(copy.predict(x))).toEqual(Array.from(net.predict(x)));
    await expect(MLP.fromONNX(await net.toONNX(), { backnd: api } as never)).rejects.toThrow(
      "MLP.fromONNX: unknown option 'backnd' (known: backend, seed, fusedOutput)");
    // Checked by the constructor, which named itself ("MLP: options.fusedOutput …").
    await expect(MLP.fromONNX(await net.toONNX(), { backend: api, fusedOutput: 'yes' } as never)).rejects.toThrow(
      "MLP.fromONNX: options.fusedOutput must be true, false or 'auto', got string \"yes\"");
    net.dispose();
    copy.dispose();
  });
});
