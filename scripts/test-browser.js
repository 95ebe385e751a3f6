// The browser half of the test suite: vitest.browser.config.ts (the test/ files in Chromium, and
// the e2e tests that drive Chromium with playwright-core). `npm test` runs it after the Node suite
// with --if-chromium: without Chromium it prints a "skipped" line and succeeds, except in CI
// (CI=true), where a missing browser is a failure. `npm run test:browser` always requires it.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { chromiumPath, hasChromium } from '../test-browser/chromium.js';

const args = process.argv.slice(2);
const optional = args.includes('--if-chromium');
const vitestArgs = args.filter((a) => a !== '--if-chromium');

if (!hasChromium()) {
  if (optional && !process.env.CI) {
    console.log(`\nskipped: no Chromium at ${chromiumPath} — the browser tests did not run (apt-get install chromium, or set CHROMIUM_PATH)`);
    process.exit(0);
  }
  console.error(`\nerror: no Chromium at ${chromiumPath} — the browser tests cannot run${process.env.CI ? ' (CI=true: a missing browser fails the run)' : ''}`);
  process.exit(1);
}

const require = createRequire(import.meta.url);
const vitest = join(dirname(require.resolve('vitest/package.json')), 'vitest.mjs');
console.log(`\nbrowser tests: Chromium at ${chromiumPath}`);
const run = spawnSync(process.execPath, [vitest, 'run', '--config', 'vitest.browser.config.ts', ...vitestArgs], { stdio: 'inherit' });
process.exit(run.status ?? 1);
