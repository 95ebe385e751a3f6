// The installed package under Vite's dev server, which pre-bundles dependencies into
// node_modules/.vite/deps/. Vite 8 (rolldown) keeps new URL(…, import.meta.url) working there;
// Vite 7 and earlier (esbuild, devDependency `vite7`) leave it pointing away from the package's
// build/*.wasm, and the server answers the .wasm request with index.html: the loader must say so,
// and the README's config must make everything work, the ONNX methods' CommonJS onnx-proto
// included, on both.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { cpSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createServer as createVite8Server, type InlineConfig } from 'vite';
import { createServer as createVite7Server } from 'vite7';
import { launchOptions } from './chromium.js';

const repo = fileURLToPath(new URL('..', import.meta.url));
// Under .vite/ (ignored by git), so that the copy's imports of onnx-proto resolve, walking up, to
// the repository's node_modules, as they would to an application's.
const app = `${repo}.vite/dev-server-app/`;

const PAGE = `<!doctype html><html><body><pre id="out">pending</pre><script type="module" src="./main.js"></script></body></html>`;
const MAIN = `import { init, softmax, MLP } from 'softmax-wasm';
const out = document.getElementById('out');
try {
  const api = await init();
  const probs = Array.from(softmax(new Float32Array([2.0, 1.0, 0.1]), 3), (p) => p.toFixed(6));
  const net = new MLP([2, 3, 2], { seed: 1 });
  const copy = await MLP.fromONNX(await net.toONNX());
  out.textContent = 'ok ' + api.kind + ' ' + probs.join(' ') + ' onnx ' + copy.sizes.join('→');
} catch (error) {
  out.textContent = 'error ' + error.message;
}
`;

/** The installed package as npm lays it out: package.json, dist/ and build/*.wasm ("files"). */
function installPackage(): void {
  rmSync(app, { recursive: true, force: true });
  const installed = `${app}node_modules/softmax-wasm/`;
  mkdirSync(`${installed}build`, { recursive: true });
  cpSync(`${repo}package.json`, `${installed}package.json`);
  cpSync(`${repo}dist`, `${installed}dist`, { recursive: true });
  for (const file of readdirSync(`${repo}build`)) {
    if (file.endsWith('.wasm')) cpSync(`${repo}build/${file}`, `${installed}build/${file}`);
  }
  // Without a package.json of its own the app would be part of the repository's package, and
  // 'softmax-wasm' would resolve to the repository itself (a package's self-reference).
  writeFileSync(`${app}package.json`, JSON.stringify({ name: 'dev-server-app', private: true, type: 'module' }));
  writeFileSync(`${app}index.html`, PAGE);
  writeFileSync(`${app}main.js`, MAIN);
}

// The two majors' config types differ in details this test does not touch.
const vite7 = { vite: 7, createServer: createVite7Server as unknown as typeof createVite8Server };
const vite8 = { vite: 8, createServer: createVite8Server };

describe('the package under Vite\'s dev server', () => {
  let browser: Browser;

  /** Serves the app with this optimizeDeps (and a cache of its own), and reads what the page shows. */
  async function pageText(
    createServer: typeof createVite8Server, name: string, optimizeDeps: InlineConfig['optimizeDeps'],
  ): Promise<string> {
    const server = await createServer({
      root: app, configFile: false, logLevel: 'silent', cacheDir: `${app}node_modules/.vite-${name}`, // where an application's would be: node_modules/.vite
      optimizeDeps, server: { host: '127.0.0.1', port: 0 },
    });
    await server.listen();
    const page = await browser.newPage();
    try {
      await page.goto(server.resolvedUrls!.local[0]);
      await page.waitForFunction(() => document.getElementById('out')!.textContent !== 'pending', null, { timeout: 60_000 });
      return (await page.textContent('#out'))!;
    } finally {
      await page.close();
      await server.close();
    }
  }

  beforeAll(async () => {
    installPackage();
    browser = await chromium.launch(launchOptions);
  });

  afterAll(async () => {
    await browser?.close();
    rmSync(app, { recursive: true, force: true });
  });

  const works = /^ok (relaxed-simd|simd) 0\.659001 0\.242433 0\.098566 onnx 2→3→2$/;

  it('Vite 7, without config: fails with an error that names the .wasm URL and the fix', async () => {
    const text = await pageText(vite7.createServer, 'vite7-plain', undefined);
    expect(text).toMatch(/^error softmax-wasm: http:\/\/127\.0\.0\.1:\d+\/node_modules\/build\/softmax-wasm\.[a-z-]+\.wasm is not a wasm module: .* start with "<!doctype html>/);
    expect(text).toContain("optimizeDeps: { exclude: ['softmax-wasm'] }");
  });

  it('Vite 8, without config: works', async () => {
    expect(await pageText(vite8.createServer, 'vite8-plain', undefined)).toMatch(works);
  });

  it.each([vite7, vite8])('Vite $vite, with the README\'s two lines: runs softmax and an ONNX round trip', async ({ vite, createServer }) => {
    const text = await pageText(createServer, `vite${vite}-configured`, {
      exclude: ['softmax-wasm'],
      include: ['softmax-wasm > onnx-proto'],
    });
    expect(text).toMatch(works);
  });
});
