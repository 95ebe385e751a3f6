// The built demo page (build/demo/, made by global-setup.ts) used as a person would: served by a
// plain static server, opened in Chromium at desktop and phone widths, clicked and read.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { launchOptions } from './chromium.js';
import { serveDirectory, type StaticServer } from './static-server.js';

const repo = fileURLToPath(new URL('..', import.meta.url));
const screenshots = `${repo}test-results/`;

describe('the demo page in Chromium', () => {
  let server: StaticServer;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];
  const foreignRequests: string[] = [];

  async function open(width: number, height: number): Promise<Page> {
    const p = await browser.newPage({ viewport: { width, height } });
    p.on('pageerror', (error) => pageErrors.push(String(error)));
    p.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text());
    });
    // The page must need nothing beyond the server that serves it.
    p.on('request', (request) => {
      const url = request.url();
      if (!url.startsWith(server.origin) && !url.startsWith('data:') && !url.startsWith('blob:')) foreignRequests.push(url);
    });
    await p.goto(`${server.origin}/`);
    await p.waitForSelector('body[data-ready]', { timeout: 60_000 });
    return p;
  }

  beforeAll(async () => {
    server = await serveDirectory(`${repo}build/demo`);
    browser = await chromium.launch(launchOptions);
    mkdirSync(screenshots, { recursive: true });
    page = await open(1280, 900);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('shows the first worked example of MATH.md: a = [0.659, 0.242, 0.099], loss 0.417', async () => {
    const row = (i: number) => page.locator(`#explorer-rows .erow[data-class="${i}"]`);
    await expect.poll(() => row(0).locator('.prob .value').textContent()).toContain('0.659');
    expect(await row(0).locator('.prob .value').textContent()).toBe('0.659001');
    expect(await row(1).locator('.prob .value').textContent()).toBe('0.242433');
    expect(await row(2).locator('.prob .value').textContent()).toBe('0.098566');
    expect(await row(0).locator('.grad .value').textContent()).toBe('−0.340999');
    expect(await page.locator('#loss').textContent()).toBe('0.417030');
  });

  it('follows the reader: the second example, a new target, the temperature, the Jacobian', async () => {
    const row = (i: number) => page.locator(`#explorer-rows .erow[data-class="${i}"]`);
    await page.getByRole('button', { name: '[1, 5, 3] · class 1' }).click();
    expect(await row(1).locator('.prob .value').textContent()).toBe('0.866813');
    expect(await row(1).locator('.grad .value').textContent()).toBe('−0.133187');
    expect(await page.locator('#loss').textContent()).toBe('0.142932');

    // Editing a logit: z = [1, 5, 5] splits the mass of classes 1 and 2 evenly.
    await row(2).locator('input.logit').fill('5');
    expect(await row(1).locator('.prob .value').textContent()).toBe(await row(2).locator('.prob .value').textContent());

    // Target class 2: its gradient becomes a₂ − 1 < 0 and class 1's becomes a₁ > 0.
    await row(2).locator('input[type=radio]').check();
    expect(await row(2).locator('.grad .value').textContent()).toMatch(/^−0\.5/);
    expect(await row(1).locator('.grad .value').textContent()).toMatch(/^0\.4/);

    // A high temperature flattens the distribution: softmax([1, 5, 5] / 5)₀ = e^0.2 / (e^0.2 + 2e).
    const cold = Number(await row(0).locator('.prob .value').textContent());
    await page.locator('#temperature').fill('5');
    const flat = Number(await row(0).locator('.prob .value').textContent());
    expect(flat).toBeCloseTo(Math.exp(0.2) / (Math.exp(0.2) + 2 * Math.E), 5);
    expect(flat).toBeGreaterThan(cold * 10);
    expect(await page.locator('#grad-header').textContent()).toBe('∂J/∂z = (a − y)/T');

    await page.locator('#show-jacobian').check();
    const cells = page.locator('#jacobian .heat-cell');
    expect(await cells.count()).toBe(9);
    await page.getByRole('button', { name: '[2.0, 1.0, 0.1] · class 0' }).click();
    // J₀₀ = a₀(1 − a₀) = 0.659001 · 0.340999, J₀₁ = −a₀a₁.
    expect(await cells.nth(0).textContent()).toBe('0.225');
    expect(await cells.nth(1).textContent()).toBe('−0.160');
  });

  it('runs the speed benchmark and fills the table', async () => {
    await page.locator('#run-bench').click();
    await page.waitForSelector('#speed[data-state=done]', { timeout: 120_000 });
    const rows = page.locator('#bench-table tbody tr');
    expect(await rows.count()).toBe(4);
    const first = await rows.nth(0).locator('td.time').allTextContents();
    expect(first.length).toBeGreaterThanOrEqual(2);
    for (const cell of first) expect(cell).toMatch(/\d+(\.\d+)? (ms|µs)/);
  });

  it('trains the digit network in a worker past 80 % test accuracy, then reads a test digit and a drawing', async () => {
    const train = page.locator('#train');
    const button = page.locator('#train-button');
    await page.locator('#train-button:not([disabled])').waitFor({ timeout: 60_000 });
    // More epochs than needed, so the run is still going when the test stops it.
    await page.locator('#epochs').selectOption('20');
    await button.click();
    expect(await button.textContent()).toBe('Stop');
    await page.waitForFunction(
      () => Number(document.querySelector('#train')?.getAttribute('data-test-accuracy') ?? 0) > 0.8,
      undefined, { timeout: 240_000, polling: 250 },
    );
    expect(await page.locator('#stat-epoch').textContent()).toMatch(/^\d+ \/ 20$/);
    expect(await page.locator('#stat-time').textContent()).toMatch(/\d (ms|µs)$/);
    expect(Number.parseFloat((await page.locator('#stat-test-accuracy').textContent())!)).toBeGreaterThan(80);

    await button.click();
    await page.waitForSelector('#train[data-state=done]', { timeout: 180_000 });
    expect(await page.locator('#train-status').textContent()).toMatch(/^Stopped after \d+ epochs?: \d+\.\d % of the 1,000 unseen test digits right/);
    expect(await button.textContent()).toBe('Train again');

    await page.locator('#test-digit').click();
    await expect.poll(() => page.locator('#prediction-note').textContent()).toMatch(/^A test digit labelled \d: the network says \d \(\d+ %\)\.$/);

    // A stroke drawn with the mouse: a vertical bar, which the network should call a 1 most of the time;
    // the test only requires that a prediction for the drawing replaces the test digit's.
    await page.locator('#clear-pad').click();
    expect(await train.getAttribute('data-predicted')).toBe('');
    const pad = (await page.locator('#pad').boundingBox())!;
    await page.mouse.move(pad.x + pad.width * 0.5, pad.y + pad.height * 0.2);
    await page.mouse.down();
    for (let step = 1; step <= 10; step++) await page.mouse.move(pad.x + pad.width * 0.5, pad.y + pad.height * (0.2 + 0.06 * step));
    await page.mouse.up();
    await expect.poll(() => page.locator('#prediction-note').textContent()).toMatch(/^The network says \d \(\d+ %\)\.$/);
    expect(await train.getAttribute('data-predicted')).toMatch(/^\d$/);
    await page.screenshot({ path: `${screenshots}demo-desktop.png`, fullPage: true });

    // The README's picture (docs/demo.png), refreshed on request: a test digit on the pad and
    // the page from the top to the end of the training panel.
    if (process.env.UPDATE_DEMO_SCREENSHOT) {
      await page.locator('#test-digit').click();
      await expect.poll(() => page.locator('#prediction-note').textContent()).toMatch(/^A test digit labelled \d: the network says/);
      const bottom = await page.locator('#train').evaluate((node) => node.getBoundingClientRect().bottom + window.scrollY + 12);
      await page.screenshot({ path: `${repo}docs/demo.png`, fullPage: true, clip: { x: 0, y: 0, width: 1280, height: bottom } });
    }
  });

  it('fits a phone screen without sideways scrolling', async () => {
    const phone = await open(390, 844);
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await phone.screenshot({ path: `${screenshots}demo-phone.png`, fullPage: true });
    await phone.close();
  });

  it('loaded nothing from outside the local server and logged no errors', () => {
    expect(foreignRequests).toEqual([]);
    expect(pageErrors).toEqual([]);
    expect(server.missing).toEqual([]);
  });
});
