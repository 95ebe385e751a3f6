import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The wasm builds are compiled by `npm run build` (pretest); tests import src/ directly.
    // Node 20 needs the flag for the relaxed-SIMD build, so the suite covers every build; on
    // Node 22+ it is on by default and the flag is harmless.
    execArgv: ['--experimental-wasm-relaxed-simd'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
