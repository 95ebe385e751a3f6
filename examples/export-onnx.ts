// The `--export model.onnx` step of the examples (`npm start -- --example mnist --export model.onnx`):
// writes a trained network as an ONNX file that ONNX Runtime (Python, JS, C++…) can load.
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ONNX_OPSET, mlpJsonToOnnx, onnxNames, type MlpJson } from '../src/nn/onnx.js';

/** A trained network: anything with the MLP's toJSON, and its toONNX when it has one. */
export interface OnnxExportable {
  toJSON(): MlpJson;
  toONNX?(): Promise<Uint8Array>;
}

function packageVersion(): string {
  return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

/**
 * Encodes `net` as ONNX and writes it to `path` (creating its directory), then reports the file
 * with the names and shapes a runtime needs to feed it.
 */
export async function exportOnnx(
  net: OnnxExportable, path: string, log: (line: string) => void = console.log,
): Promise<{ path: string; bytes: number }> {
  const json = net.toJSON();
  const bytes = net.toONNX ? await net.toONNX() : await mlpJsonToOnnx(json, { producerVersion: packageVersion() });
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, bytes);
  const { sizes } = json;
  const names = onnxNames(json);
  log(`wrote ${path} (${(bytes.length / 1024).toFixed(1)} kB, ONNX opset ${ONNX_OPSET}): `
    + `input '${names.input}' [batch, ${sizes[0]}] → output '${names.output}' [batch, ${sizes[sizes.length - 1]}]`);
  return { path, bytes: bytes.length };
}
