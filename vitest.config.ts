import { defineConfig } from 'vitest/config';
import { relaxedSimdFlags } from './scripts/node-flags.js';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Tests import src/ directly; the wasm builds, dist/ and the examples' build are brought up to
    // date first (`npm test` builds them too, in pretest).
    globalSetup: ['test/build-setup.ts'],
    // Node 20 needs a flag for the relaxed-SIMD build, so the suite covers every build; Node 22+
    // has it on and refuses the flag (scripts/node-flags.js).
    execArgv: relaxedSimdFlags,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
