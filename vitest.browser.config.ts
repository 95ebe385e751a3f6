// The browser suite (`npm run test:browser`, and the second half of `npm test`):
//  - 'chromium': the kernel test files of test/, unchanged, in browser mode in real Chromium
//    (the wasm builds are fetched over http by src/wasm/loader.ts, as in a user's page);
//  - 'e2e': Node tests in test-browser/ that drive Chromium with playwright-core: the built demo
//    page as a user would use it, the unbundled package from a static server, and bit-identity of
//    the baseline SIMD build between Node and Chromium.
import { defineConfig } from 'vitest/config';
import { playwright } from '@vitest/browser-playwright';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { launchOptions } from './test-browser/chromium.js';
import { relaxedSimdFlags } from './scripts/node-flags.js';

// Every test file of the Node suite runs in Chromium too, except those that need Node itself:
// the ones with a static import of a node: module are found here (a dynamic import('node:…')
// is fine in a test skipped outside Node); list below any that need Node only through what
// they import.
const nodeOnlyTests: string[] = [
  // The examples read their data from disk (examples/charlm.ts reads README.md with node:fs).
  'test/examples.test.ts',
  // Memory limits and the MLP under them are tested in child node processes (test/child-process.ts)
  // with flags such as --wasm-max-mem-pages; the rest of these files allocates up to 1 GiB.
  'test/memory.test.ts',
  'test/nn-reliability.test.ts',
];
const testDir = fileURLToPath(new URL('./test/', import.meta.url));
const importsNode = /\bfrom\s+['"]node:/;
const browserTests = readdirSync(testDir, { recursive: true, encoding: 'utf8' })
  .filter((name) => name.endsWith('.test.ts'))
  .map((name) => `test/${name.split('\\').join('/')}`)
  .filter((file) => !nodeOnlyTests.includes(file) && !importsNode.test(readFileSync(`${testDir}${file.slice('test/'.length)}`, 'utf8')))
  .sort();

export default defineConfig({
  // Vite's dependency cache per checkout (node_modules may be shared); .vite/ is ignored by git.
  cacheDir: '.vite/browser',
  test: {
    projects: [
      {
        test: {
          name: 'chromium',
          testTimeout: 120_000,
          include: browserTests,
          browser: {
            enabled: true,
            headless: true,
            provider: playwright({ launchOptions }),
            instances: [{ browser: 'chromium' }],
            screenshotFailures: false,
          },
        },
      },
      {
        test: {
          name: 'e2e',
          testTimeout: 180_000,
          hookTimeout: 300_000,
          include: ['test-browser/**/*.test.ts'],
          environment: 'node',
          execArgv: relaxedSimdFlags,
          globalSetup: ['test-browser/global-setup.ts'],
          // One Chromium at a time: the machine is small and the e2e test trains a network.
          fileParallelism: false,
        },
      },
    ],
  },
});
