// The built package in a page with no bundler, and bit-identity of the baseline SIMD build
// between Node and Chromium: the same seeded batch (bit-batch.js) runs on src/ in Node and on
// dist/ in the page, and the SHA-256 of every operation's output bits must match.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { fileURLToPath } from 'node:url';
import { createBackend, MLP } from '../src/index.js';
import { bitBatch } from './bit-batch.js';
import { launchOptions } from './chromium.js';
import { serveDirectory, type StaticServer } from './static-server.js';

interface PageResult {
  error?: string;
  available: string[];
  firstExample: number[];
  simdHashes: Record<string, string>;
  onnxError: string;
}

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

describe('the package in Chromium, unbundled from a static server', () => {
  let server: StaticServer;
  let browser: Browser;
  let page: Page;
  let result: PageResult;

  beforeAll(async () => {
    server = await serveDirectory(repoRoot);
    browser = await chromium.launch(launchOptions);
    page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(String(error)));
    await page.goto(`${server.origin}/test-browser/unbundled.html`);
    await page.waitForFunction(() => 'result' in window, undefined, { timeout: 60_000 });
    result = await page.evaluate(() => (window as unknown as { result: PageResult }).result);
    expect(pageErrors).toEqual([]);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('loads dist/index.js and its wasm with no bundler and computes the first worked example', () => {
    expect(result.error).toBeUndefined();
    expect(server.missing).toEqual([]);
    // Chromium ≥ 114 has relaxed SIMD on by default: init() picks the fastest build.
    expect(result.available).toEqual(['relaxed-simd', 'simd', 'js']);
    const expected = [0.659001, 0.242433, 0.098566];
    result.firstExample.forEach((p, i) => expect(p).toBeCloseTo(expected[i], 6));
  });

  it('refuses the ONNX methods with an error that says to use a bundler', () => {
    expect(result.onnxError).toMatch(/^MLP\.toONNX: could not load the 'onnx-proto' package .*in a browser: load softmax-wasm through a bundler/);
  });

  it('gives bit-identical SIMD results to Node on a seeded batch', async () => {
    const nodeHashes = await bitBatch(await createBackend({ backend: 'simd' }), MLP);
    expect(Object.keys(nodeHashes)).toContain('MLP.fit');
    expect(Object.keys(nodeHashes).length).toBeGreaterThanOrEqual(14);
    expect(result.simdHashes).toEqual(nodeHashes);
  });
});

/**
 * What test-browser/backend-report.html reports: the page served with `headers`, in a Chromium
 * started with `jsFlags` for V8.
 */
async function backendReport(headers: Record<string, string>, jsFlags: string[] = []): Promise<Record<string, unknown>> {
  const server = await serveDirectory(repoRoot, headers);
  const args = [...(launchOptions.args ?? []), ...(jsFlags.length ? [`--js-flags=${jsFlags.join(' ')}`] : [])];
  const browser = await chromium.launch({ ...launchOptions, args });
  try {
    const page = await browser.newPage();
    await page.goto(`${server.origin}/test-browser/backend-report.html`);
    await page.waitForSelector('body[data-result]', { state: 'attached', timeout: 60_000 });
    const result = JSON.parse((await page.getAttribute('body', 'data-result'))!) as Record<string, unknown>;
    expect(result.error).toBeUndefined();
    return result;
  } finally {
    await browser.close();
    await server.close();
  }
}

describe('the package where wasm cannot run as usual', () => {
  it("under a Content-Security-Policy that forbids compiling wasm: picks 'js', downloads no build, and says how to allow wasm", async () => {
    // script-src 'self' without 'wasm-unsafe-eval': Chromium refuses every WebAssembly compile.
    const result = await backendReport({ 'content-security-policy': "script-src 'self'" });
    // It offered 'simd' and 'auto' downloaded it, then failed with the engine's CompileError.
    expect(result.available).toEqual(['js']);
    expect(result.auto).toBe('js');
    (result.firstExample as number[]).forEach((p, i) => expect(p).toBeCloseTo([0.659001, 0.242433, 0.098566][i], 6));
    const csp = "this page's Content-Security-Policy forbids compiling WebAssembly: add 'wasm-unsafe-eval' to its script-src";
    expect(result.simdError).toContain(`createBackend: ${csp}`);
    // It said the engine computes relaxed_madd unfused, and advised 'simd', which failed too.
    expect(result.relaxedError).toContain(`createBackend: ${csp}`);
    expect(result.wasmRequested).toBe(false);
  });

  it("in a Chromium without wasm SIMD: picks 'js', and says what the engine lacks when a build is asked for (not the Node flag)", async () => {
    // V8 without SSE4.1 has no wasm SIMD: WebAssembly.validate rejects both builds.
    const result = await backendReport({}, ['--no-enable-sse4-1']);
    expect(result.available).toEqual(['js']);
    expect(result.auto).toBe('js');
    expect(result.simdError).toBe("createBackend: this runtime cannot run the 'simd' build (WebAssembly.validate rejects it); this engine has no wasm SIMD");
    // It told a page to run node with --experimental-wasm-relaxed-simd.
    expect(result.relaxedError).toBe("createBackend: this runtime cannot run the 'relaxed-simd' build (WebAssembly.validate rejects it); this engine has no relaxed SIMD (Chrome has it from 114)");
    expect(result.wasmRequested).toBe(false);
  });
});
