// The browser suite (`npm run test:browser`, and the second half of `npm test`):
//  - 'chromium': the kernel test files of test/, unchanged, in browser mode in real Chromium
//    (the wasm builds are fetched over http by src/wasm/loader.ts, as in a user's page);
//  - 'e2e': Node tests in test-browser/ that drive Chromium with playwright-core: the built demo
//    page as a user would use it, the unbundled package from a static server, and bit-identity of
//    the baseline SIMD build between Node and Chromium.
import { defineConfig } from 'vitest/config';
import { playwright } from '@vitest/browser-playwright';
import { launchOptions } from './test-browser/chromium.js';

// Kernel tests only: they import src/ and nothing of Node. A test file that needs Node (files,
// child processes) stays out of this list.
const kernelTests = [
  'test/softmax.test.ts',
  'test/{loss,cross-entropy,crossentropy,rows,activation,gemm,matmul,optim}*.test.ts',
];

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'chromium',
          testTimeout: 120_000,
          include: kernelTests,
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
          execArgv: ['--experimental-wasm-relaxed-simd'],
          globalSetup: ['test-browser/global-setup.ts'],
          // One Chromium at a time: the machine is small and the e2e test trains a network.
          fileParallelism: false,
        },
      },
    ],
  },
});
