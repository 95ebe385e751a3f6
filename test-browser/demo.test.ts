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

  /** A vertical stroke drawn with the mouse on the pad. */
  async function drawBar(): Promise<void> {
    await page.locator('#pad').scrollIntoViewIfNeeded();
    const pad = (await page.locator('#pad').boundingBox())!;
    await page.mouse.move(pad.x + pad.width * 0.5, pad.y + pad.height * 0.2);
    await page.mouse.down();
    for (let step = 1; step <= 10; step++) await page.mouse.move(pad.x + pad.width * 0.5, pad.y + pad.height * (0.2 + 0.06 * step));
    await page.mouse.up();
  }

  /**
   * A double-click whose second click comes only once `between` resolves: what a person's
   * double-click does when the page changes between its two clicks (the browser counts the
   * second as click 2, event.detail = 2, wherever it lands).
   */
  async function doubleClickAround(selector: string, between: () => Promise<unknown>): Promise<void> {
    const box = (await page.locator(selector).boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down({ clickCount: 1 });
    await page.mouse.up({ clickCount: 1 });
    await between();
    await page.mouse.down({ clickCount: 2 });
    await page.mouse.up({ clickCount: 2 });
  }

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

  it('gives assistive technology the explorer as a table: a header row, then one row per class', async () => {
    const table = page.getByRole('table', { name: 'Logits, target, probabilities and gradient per class' });
    const rows = table.getByRole('row');
    expect(await rows.count()).toBe(4);
    expect(await rows.nth(0).getByRole('columnheader').allTextContents())
      .toEqual(['class', 'logit z', 'target y', 'a = softmax(z/T)', '∂J/∂z = a − y']);
    const first = rows.nth(1);
    expect(await first.getByRole('rowheader').textContent()).toBe('0');
    expect(await first.getByRole('cell').count()).toBe(4);
    expect(await first.getByRole('cell').nth(0).getByRole('spinbutton', { name: 'logit z0' }).count()).toBe(1);
    expect(await first.getByRole('cell').nth(1).getByRole('radio', { name: 'target class 0' }).isChecked()).toBe(true);
    expect(await first.getByRole('cell').nth(2).textContent()).toBe('0.659001');
  });

  it('announces what changes: the status lines and the loss are live regions', async () => {
    const live = await page.getByRole('status', { includeHidden: true }).evaluateAll((nodes) => nodes.map((node) => node.id));
    for (const id of ['status', 'loss-line', 'explorer-warning', 'train-status', 'prediction-note', 'bench-status']) expect(live).toContain(id);
    expect(await page.locator('#loss-line').textContent()).toBe('J = −log a₀ = logsumexp(z) − z₀ = 0.417030');
  });

  it('keeps the keyboard focus on a button when "+ class" or "− class" reaches its limit', async () => {
    const focused = () => page.evaluate(() => document.activeElement?.id ?? '');
    await page.locator('#add-class').focus();
    for (let i = 0; i < 7; i++) await page.keyboard.press('Enter');
    expect(await page.locator('#explorer-rows .erow').count()).toBe(10);
    expect(await page.locator('#add-class').isDisabled()).toBe(true);
    expect(await focused()).toBe('remove-class');
    for (let i = 0; i < 8; i++) await page.keyboard.press('Enter');
    expect(await page.locator('#explorer-rows .erow').count()).toBe(2);
    expect(await page.locator('#remove-class').isDisabled()).toBe(true);
    expect(await focused()).toBe('add-class');
    await page.getByRole('button', { name: '[2.0, 1.0, 0.1] · class 0' }).click();
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

  it('says why a logit beyond float32 gives NaN, and puts back a half-typed one', async () => {
    const row = (i: number) => page.locator(`#explorer-rows .erow[data-class="${i}"]`);
    const warning = page.locator('#explorer-warning');
    await page.getByRole('button', { name: '[2.0, 1.0, 0.1] · class 0' }).click();
    expect(await warning.isHidden()).toBe(true);
    await row(1).locator('input.logit').fill('1e39');
    expect(await row(0).locator('.prob .value').textContent()).toBe('NaN');
    // NaN values have no bars (the last finite values' bars stayed) and no sign's colour.
    expect(await page.locator('#explorer-rows .fill').evaluateAll((fills) => fills.map((fill) =>
      `${(fill as HTMLElement).style.width}${fill.classList.contains('negative') ? ' negative' : ''}`)))
      .toEqual(Array(6).fill('0%'));
    expect(await warning.textContent()).toBe(
      'z₁ = 1e+39 is beyond float32\'s range (±3.4·10³⁸), so the kernels see +∞: a row with +∞ has no finite softmax, so every value is NaN (as in PyTorch).');
    await row(0).locator('input.logit').fill('-1e39');
    await row(1).locator('input.logit').fill('1');
    expect(await warning.textContent()).toMatch(/^z₀ = −1e\+39 .* see −∞: its probability is 0 and, as the target, its loss is ∞\.$/);
    expect(await page.locator('#loss').textContent()).toBe('∞');

    // Several logits out of range: the warning names each and says what the row gives.
    await row(2).locator('input.logit').fill('1e39');
    expect(await page.locator('#loss').textContent()).toBe('NaN');
    expect(await warning.textContent()).toBe('z₀ = −1e+39 and z₂ = 1e+39 are beyond float32\'s range (±3.4·10³⁸), so the kernels see '
      + '+∞ for z₂ and −∞ for z₀: a row with +∞ has no finite softmax, so every value is NaN (as in PyTorch).');
    await row(1).locator('input.logit').fill('-1e39');
    await row(2).locator('input.logit').fill('-1e39');
    expect(await row(0).locator('.prob .value').textContent()).toBe('NaN');
    expect(await page.locator('#loss').textContent()).toBe('NaN');
    expect(await warning.textContent()).toBe('z₀ = −1e+39, z₁ = −1e+39 and z₂ = −1e+39 are beyond float32\'s range (±3.4·10³⁸), so the '
      + 'kernels see −∞: a row that is all −∞ has no finite softmax, so every value is NaN (as in PyTorch).');
    await row(2).locator('input.logit').fill('1');
    expect(await row(1).locator('.prob .value').textContent()).toBe('0.000000');
    expect(await page.locator('#loss').textContent()).toBe('∞');
    expect(await warning.textContent()).toBe('z₀ = −1e+39 and z₁ = −1e+39 are beyond float32\'s range (±3.4·10³⁸), so the kernels see −∞: '
      + 'their probabilities are 0 and, as z₀ is the target, the loss is ∞.');

    // "-" is not a number yet: the field is marked and the last number stays; leaving it restores that number.
    const logit = row(2).locator('input.logit');
    await logit.fill('3');
    await logit.pressSequentially('-');
    await logit.fill('');
    expect(await logit.getAttribute('aria-invalid')).toBe('true');
    await logit.blur();
    expect(await logit.inputValue()).toBe('3');
    expect(await logit.getAttribute('aria-invalid')).toBe('false');
    await page.getByRole('button', { name: '[2.0, 1.0, 0.1] · class 0' }).click();
    expect(await warning.isHidden()).toBe(true);
  });

  it('stops the speed benchmark on request, and not on the second click of a double-click either way', async () => {
    const run = page.locator('#run-bench');
    await run.dblclick();
    await expect.poll(() => page.locator('#bench-status').textContent(), { timeout: 60_000 }).toMatch(/\(2 of 4\)/);
    expect(await run.textContent()).toBe('Stop');
    expect(await page.locator('#load-tf').textContent(), 'the double-click\'s second click hit the button beside').toBe('Load tfjs-wasm too');
    // Double-clicking "Stop": the run ends before the second click, which lands on "Run the
    // benchmark" and must not start it again.
    await doubleClickAround('#run-bench', () => page.waitForSelector('#speed[data-state=stopped]', { timeout: 60_000 }));
    expect(await page.locator('#speed').getAttribute('data-state')).toBe('stopped');
    expect(await page.locator('#bench-status').textContent()).toBe('Stopped after 1 of 4 cases.');
    // The case it stopped in is dropped: a row without its speed-ups is not a result.
    expect(await page.locator('#bench-table tbody tr').count()).toBe(1);
    expect(await page.locator('#bench-table tbody tr td .speedup').count()).toBeGreaterThan(0);
    expect(await run.textContent()).toBe('Run the benchmark');
    expect(await run.isEnabled()).toBe(true);
  });

  it('after a stopped benchmark, loading tfjs-wasm adds to the stop\'s line instead of replacing it', async () => {
    const fresh = await open(1280, 900);
    await fresh.locator('#run-bench').click();
    await expect.poll(() => fresh.locator('#bench-status').textContent(), { timeout: 60_000 }).toMatch(/^Running /);
    await fresh.locator('#run-bench').click();
    await fresh.waitForSelector('#speed[data-state=stopped]', { timeout: 60_000 });
    const stopped = await fresh.locator('#bench-status').textContent();
    expect(stopped).toMatch(/^Stopped after \d of 4 cases\.$/);
    await fresh.locator('#load-tf').click();
    await expect.poll(() => fresh.locator('#load-tf').textContent(), { timeout: 60_000 }).toBe('tfjs-wasm loaded');
    expect(await fresh.locator('#bench-status').textContent()).toBe(`${stopped} tfjs-wasm loaded: the next run includes it.`);
    await fresh.close();
  });

  it('runs the speed benchmark and fills the table, with the page responsive meanwhile', async () => {
    // Long tasks (over 50 ms) while it runs: each measurement used to hold the page for one task
    // of 250–300 ms; now it yields after every batch of calls (8–16 ms). One slow task is
    // allowed for a busy machine.
    await page.evaluate(() => {
      const w = window as unknown as { longTasks: number[] };
      w.longTasks = [];
      new PerformanceObserver((list) => { for (const e of list.getEntries()) w.longTasks.push(e.duration); }).observe({ type: 'longtask' });
    });
    await page.locator('#run-bench').click();
    await page.waitForSelector('#speed[data-state=done]', { timeout: 120_000 });
    const longTasks = await page.evaluate(() => (window as unknown as { longTasks: number[] }).longTasks);
    const slow = longTasks.filter((ms) => ms > 150);
    expect(slow.length, `long tasks: ${longTasks.map(Math.round).join(', ')} ms`).toBeLessThanOrEqual(1);
    const rows = page.locator('#bench-table tbody tr');
    expect(await rows.count()).toBe(4);
    const first = await rows.nth(0).locator('td.time').allTextContents();
    expect(first.length).toBeGreaterThanOrEqual(2);
    for (const cell of first) expect(cell).toMatch(/\d+(\.\d+)? (ms|µs)/);
    const key = /^Median time per call .*Run it again for steadier numbers\./;
    expect(await page.locator('#bench-status').textContent()).toMatch(key);

    // Loading tfjs afterwards adds to the key under the table instead of replacing it.
    await page.locator('#load-tf').click();
    await expect.poll(() => page.locator('#load-tf').textContent(), { timeout: 60_000 }).toBe('tfjs-wasm loaded');
    const status = await page.locator('#bench-status').textContent();
    expect(status).toMatch(key);
    expect(status).toMatch(/ tfjs-wasm loaded: the next run includes it\.$/);
  });

  it('trains the digit network in a worker past 80 % test accuracy, then reads a test digit and a drawing', async () => {
    const train = page.locator('#train');
    const button = page.locator('#train-button');
    await page.locator('#train-button:not([disabled])').waitFor({ timeout: 60_000 });
    // The probability bars are one picture to assistive technology, named by what they show.
    const bars = page.locator('#prediction');
    expect(await page.getByRole('img', { name: 'Predicted probability of each digit: none yet' }).count()).toBe(1);
    // Before training, a drawing gets a request to train first, and clearing it takes that back.
    const note = page.locator('#prediction-note');
    await drawBar();
    await expect.poll(() => note.textContent()).toBe('Train the network first (one epoch is enough to start), then its guesses appear here.');
    await page.locator('#clear-pad').click();
    expect(await note.textContent()).toBe('Train the network, then draw a digit (or show a test digit).');

    // More epochs than needed, so the run is still going when the test stops it. A double-click
    // starts it: the second click lands on "Stop" (near the left edge, inside the narrower
    // label too) and must not stop it.
    await page.locator('#epochs').selectOption('20');
    await button.dblclick({ position: { x: 12, y: 8 } });
    expect(await button.textContent()).toBe('Stop');
    expect(await page.locator('#train-status').textContent()).toMatch(/^Training 784 → 64 \(relu\) → 10/);
    await page.waitForFunction(
      () => Number(document.querySelector('#train')?.getAttribute('data-test-accuracy') ?? 0) > 0.8,
      undefined, { timeout: 240_000, polling: 250 },
    );
    expect(await page.locator('#stat-epoch').textContent()).toMatch(/^\d+ \/ 20$/);
    expect(await page.locator('#stat-time').textContent()).toMatch(/\d (ms|µs)$/);
    expect(Number.parseFloat((await page.locator('#stat-test-accuracy').textContent())!)).toBeGreaterThan(80);

    // Double-clicking "Stop": the epoch ends before the second click, which lands on "Train
    // again" and must not start a new run.
    await doubleClickAround('#train-button', () => page.waitForSelector('#train[data-state=done]', { timeout: 180_000 }));
    expect(await page.locator('#train').getAttribute('data-state')).toBe('done');
    expect(await page.locator('#train-status').textContent()).toMatch(/^Stopped after \d+ epochs?: \d+\.\d % of the 1,000 unseen test digits right/);
    expect(await button.textContent()).toBe('Train again');

    await page.locator('#test-digit').click();
    await expect.poll(() => page.locator('#prediction-note').textContent()).toMatch(/^A test digit labelled \d: the network says \d \(\d+ %\)\.$/);
    expect(await bars.getAttribute('role')).toBe('img');
    expect(await bars.getAttribute('aria-label')).toMatch(/^Predicted probability of each digit: 0: \d+ %, 1: \d+ %, (\d: \d+ %, ){7}9: \d+ %$/);

    // A stroke drawn with the mouse: a vertical bar, which the network should call a 1 most of the time;
    // the test only requires that a prediction for the drawing replaces the test digit's.
    await page.locator('#clear-pad').click();
    expect(await train.getAttribute('data-predicted')).toBe('');
    expect(await note.textContent()).toBe('Draw a digit (or show a test digit).');
    await drawBar();
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

    // "Train again" clears the last run's figures until its own first epoch ends (read in the
    // click's own task: an epoch can take under 50 ms).
    expect(await page.evaluate(() => {
      document.querySelector<HTMLButtonElement>('#train-button')!.click();
      return Array.from(document.querySelectorAll('.stats dd'), (dd) => `${dd.id} ${dd.textContent}`);
    })).toEqual(['epoch', 'loss', 'accuracy', 'test-accuracy', 'time'].map((stat) => `stat-${stat} –`));
    expect(await button.textContent()).toBe('Stop');
    await button.click();
    await page.waitForSelector('#train[data-state=done]', { timeout: 180_000 });
  });

  it('fits a phone screen without sideways scrolling, down to 320 pixels', async () => {
    for (const width of [390, 320]) {
      const phone = await open(width, 844);
      const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow, `${width} px`).toBeLessThanOrEqual(0);
      await phone.screenshot({ path: `${screenshots}demo-phone-${width}.png`, fullPage: true });
      await phone.close();
    }
  });

  it('on a phone, shows every gradient bar and the benchmark\'s timings without scrolling', async () => {
    const phone = await open(390, 844);
    // Each gradient's label sits on one side of the bar's centre line, not across the whole bar.
    for (const row of await phone.locator('#explorer-rows .erow').all()) {
      const bar = (await row.locator('.grad').boundingBox())!;
      const label = (await row.locator('.grad .value').boundingBox())!;
      expect(label.width).toBeLessThan(bar.width / 2);
    }
    await phone.locator('#run-bench').click();
    await phone.waitForSelector('#speed[data-state=done]', { timeout: 120_000 });
    const scroll = phone.locator('#speed .scroll');
    expect(await scroll.evaluate((node) => node.scrollWidth - node.clientWidth)).toBeLessThanOrEqual(0);
    const right = await scroll.evaluate((node) => node.getBoundingClientRect().right);
    for (const cell of await phone.locator('#bench-table tbody tr').first().locator('td.time').all()) {
      const box = (await cell.boundingBox())!;
      expect(box.x + box.width).toBeLessThanOrEqual(right + 0.5);
    }
    await phone.screenshot({ path: `${screenshots}demo-phone-speed.png`, fullPage: true });
    await phone.close();
  });

  it('when the digits fail to load, says so and keeps training and the test digits disabled', async () => {
    // Not through open(): this page's 404 is meant, and its console error with it.
    const failing = await browser.newPage();
    await failing.route('**/mnist-digits.bin', (route) => route.fulfill({ status: 404 }));
    await failing.goto(`${server.origin}/`);
    await failing.waitForSelector('#train[data-state=failed]', { timeout: 60_000 });
    expect(await failing.locator('#train-status').textContent()).toMatch(
      /^The digits did not load \(could not load .*mnist-digits\.bin: HTTP 404\)\. Reload the page to try again\.$/);
    expect(await failing.locator('#train-button').isDisabled()).toBe(true);
    expect(await failing.locator('#test-digit').isDisabled()).toBe(true);
    await failing.close();
  });

  it('when the kernels fail to load, runs every panel on the plain-TypeScript backend and says so', async () => {
    // Not through open(): this page's 404s are meant. Every .wasm file is missing (the worker's too).
    const failing = await browser.newPage();
    await failing.context().route('**/*.wasm', (route) => route.fulfill({ status: 404 }));
    await failing.goto(`${server.origin}/`);
    await failing.waitForSelector('body[data-ready]', { timeout: 30_000 });
    expect(await failing.locator('#status').textContent()).toBe('kernels: plain TypeScript (the WebAssembly kernels did not load)');
    expect(await failing.locator('#status').getAttribute('title')).toMatch(
      /^The WebAssembly kernels did not load \(could not load http:\S+\.wasm: HTTP 404\), so the page runs the library's plain-TypeScript backend/);
    // The explorer computes on it: MATH.md's first example.
    expect(await failing.locator('#loss').textContent()).toBe('0.417030');
    // So does the training, and the panel says on what.
    const button = failing.locator('#train-button');
    await failing.locator('#train-button:not([disabled])').waitFor({ timeout: 60_000 });
    expect(await failing.locator('#train-status').textContent()).toMatch(
      /loaded; the worker runs the library's plain-TypeScript backend, as the WebAssembly kernels did not load: training is slower\.$/);
    await button.click();
    await failing.waitForFunction(() => document.querySelector('#train')?.hasAttribute('data-test-accuracy'), undefined, { timeout: 120_000 });
    await button.click();
    await failing.waitForSelector('#train[data-state=done]', { timeout: 120_000 });
    expect(await failing.locator('#train-status').textContent()).toMatch(/^Stopped after \d+ epochs?: \d+\.\d % /);
    // The benchmark times that backend, under its name, and says why.
    expect(await failing.locator('#bench-status').textContent()).toBe(
      'The WebAssembly kernels did not load, so this times the library\'s plain-TypeScript backend (js) instead of its wasm builds. Takes a few seconds.');
    await failing.locator('#run-bench').click();
    await failing.waitForSelector('#speed[data-state=done]', { timeout: 180_000 });
    expect(await failing.locator('#bench-table thead th').allTextContents()).toEqual(['operation', 'softmax-wasm (js)', 'plain JS']);
    expect(await failing.locator('#bench-status').textContent()).toMatch(
      /^Median time per call .* The WebAssembly kernels did not load: softmax-wasm \(js\) is the library's plain-TypeScript backend, not its wasm builds\.$/);
    await failing.close();
  });

  it('when tfjs-wasm fails to load during a run, says so once the run ends instead of over its progress', async () => {
    // Not through open(): this page's failed download is meant.
    const failing = await browser.newPage();
    await failing.route('**/register_all_gradients*', (route) => route.abort());
    await failing.goto(`${server.origin}/`);
    await failing.waitForSelector('body[data-ready]', { timeout: 60_000 });
    await failing.locator('#run-bench').click();
    await expect.poll(() => failing.locator('#bench-status').textContent(), { timeout: 60_000 }).toMatch(/^Running /);
    await failing.locator('#load-tf').click();
    await expect.poll(() => failing.locator('#load-tf').isEnabled(), { timeout: 60_000 }).toBe(true); // the load failed
    expect(await failing.locator('#load-tf').textContent()).toBe('Load tfjs-wasm too');
    const during = await failing.locator('#bench-status').textContent();
    await failing.waitForSelector('#speed[data-state=done]', { timeout: 120_000 });
    expect(during).toMatch(/^Running /);
    expect(await failing.locator('#bench-status').textContent()).toMatch(/^Median time per call .* Could not load tfjs-wasm: .+$/);
    await failing.close();
  });

  it('loaded nothing from outside the local server and logged no errors', () => {
    expect(foreignRequests).toEqual([]);
    expect(pageErrors).toEqual([]);
    expect(server.missing).toEqual([]);
  });
});
