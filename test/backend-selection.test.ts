// The relaxed-SIMD build reduces its exponentials' arguments in one f32x4.relaxed_madd, which is
// accurate only when the engine fuses it (assembly/vmath.ts, reduceLn2): the library offers that
// build only where a probe finds the multiply-add fused. Node only: V8's --no-enable-fma3 stands
// in for a CPU without FMA, in a child process.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { availableBackends } from '../src/index.js';
import { relaxedMaddFuses, validates } from '../src/wasm/loader.js';
import { runChild } from './child-process.js';

// V8 prints the CPU features it found (`SSE3=1 … FMA3=1 …`) at the top of --v8-options.
const cpuHasFma3 = /\bFMA3=1\b/.test(execFileSync(process.execPath, ['--v8-options'], { encoding: 'utf8' }));

describe('choosing the relaxed-SIMD build', () => {
  it('finds relaxed_madd fused exactly where V8 reports FMA3, and offers the build there first', () => {
    expect(validates('relaxed-simd')).toBe(true); // the suite runs with Node 20's flag
    expect(relaxedMaddFuses()).toBe(cpuHasFma3);
    expect(availableBackends()[0]).toBe(cpuHasFma3 ? 'relaxed-simd' : 'simd');
  });

  it('falls back to simd, and refuses a forced relaxed-simd, where relaxed_madd is not fused', () => {
    const report = runChild('backend-choice.mjs', ['--no-enable-fma3']);
    expect(report.fuses).toBe(false);
    expect(report.available).toEqual(['simd', 'js']);
    expect(report.auto).toBe('simd');
    expect(report.forced).toBeUndefined();
    expect(report.forcedError).toBe(
      "createBackend: the 'relaxed-simd' build needs a fused multiply-add, and this engine computes " +
      "f32x4.relaxed_madd as a multiply and an add (as on CPUs without FMA); use 'simd', as 'auto' does");
  });

  it.runIf(cpuHasFma3)('picks relaxed-simd in the same child process without the flag', () => {
    const report = runChild('backend-choice.mjs', []);
    expect(report).toMatchObject({ fuses: true, available: ['relaxed-simd', 'simd', 'js'], auto: 'relaxed-simd', forced: 'relaxed-simd' });
  });
});
