// The demo page: `npm run demo` serves it, `npm run build:demo` writes it to build/demo/ as static
// files (relative URLs, so any static server or subdirectory works). The page imports the built
// package (dist/) through the alias below, exactly as an application that installed it would,
// and Vite copies the .wasm files that dist/wasm/loader.js finds with new URL(…, import.meta.url).
import { defineConfig, type Plugin } from 'vite';
import { existsSync, realpathSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { ASSET_NAME, CLASSES, encodeDigits } from './digits.js';

const repo = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(import.meta.url);
// The dev server serves only files under server.fs.allow, checked by their real paths. A
// node_modules that is a symlink (to a shared install elsewhere) resolves outside the repository,
// where "Load tfjs-wasm too" fetched tfjs's .wasm files: its real path is allowed as well.
const nodeModules = `${repo}node_modules`;
const allow = [repo, ...(existsSync(nodeModules) ? [realpathSync(nodeModules)] : [])];

async function digitsAsset(): Promise<Uint8Array> {
  const perDigit: number[][] = [];
  for (let digit = 0; digit < CLASSES; digit++) {
    const file = require.resolve(`mnist/src/digits/${digit}.json`);
    perDigit.push((JSON.parse(await readFile(file, 'utf8')) as { data: number[] }).data);
  }
  return encodeDigits(perDigit);
}

/** Serves (dev) or emits (build) the MNIST subset; nothing generated is written into the tree. */
function mnistDigits(): Plugin {
  let asset: Promise<Uint8Array> | undefined;
  const load = () => (asset ??= digitsAsset());
  return {
    name: 'softmax-wasm-demo:mnist-digits',
    configureServer(server) {
      server.middlewares.use(`/${ASSET_NAME}`, (_request, response, next) => {
        load().then((bytes) => {
          response.setHeader('content-type', 'application/octet-stream');
          response.end(bytes);
        }, next);
      });
    },
    async generateBundle() {
      this.emitFile({ type: 'asset', fileName: ASSET_NAME, source: await load() });
    },
  };
}

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  publicDir: false,
  // Per checkout, not in node_modules (which may be shared); .vite/ is ignored by git.
  cacheDir: `${repo}.vite/demo`,
  resolve: { alias: { 'softmax-wasm': `${repo}dist/index.js` } },
  server: { host: '127.0.0.1', fs: { allow } },
  preview: { host: '127.0.0.1' },
  build: { outDir: `${repo}build/demo`, emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 4096 },
  worker: { format: 'es' },
  plugins: [mnistDigits()],
});
