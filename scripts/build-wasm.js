// Compiles assembly/ into one .wasm per target in asconfig.json (baseline SIMD and relaxed SIMD).
import asc from 'assemblyscript/asc';
import { readFile } from 'node:fs/promises';

const config = JSON.parse(await readFile(new URL('../asconfig.json', import.meta.url), 'utf8'));
for (const target of Object.keys(config.targets)) {
  const { error, stderr } = await asc.main(['--config', 'asconfig.json', '--target', target], {
    stdout: process.stdout,
    stderr: process.stderr,
  });
  if (error) {
    console.error(`build-wasm: target ${target} failed: ${error.message}`);
    process.exit(1);
  }
}
