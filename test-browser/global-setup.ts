// Builds the demo page once before the e2e tests, from the built package (npm test and
// npm run test:browser build dist/ and the wasm first), into build/demo/.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const repo = fileURLToPath(new URL('..', import.meta.url));

export default async function buildDemo(): Promise<void> {
  for (const file of ['dist/index.js', 'build/softmax-wasm.simd.wasm']) {
    if (!existsSync(`${repo}${file}`)) throw new Error(`e2e: ${file} is missing; run \`npm run build\` first`);
  }
  await build({ configFile: `${repo}demo/vite.config.ts`, logLevel: 'warn' });
}
