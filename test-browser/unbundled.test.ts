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
