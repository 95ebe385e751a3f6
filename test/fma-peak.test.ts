// The benchmark's FMA yardstick (bench/fma-peak.ts) is a wasm module written byte by byte; these
// check that it is the loop it claims to be: 12 chains of c ← c·0.5 + 1, started at 1…12, one
// step of each per iteration. Every step is exact in float32 (a halving and a small add), fused
// or not, so the sums are exact.
import { describe, expect, it } from 'vitest';
import { FLOPS_PER_ITERATION, fmaPeak, iterationsFor } from '../bench/fma-peak.js';

describe('bench FMA peak loop', () => {
  const peak = fmaPeak();

  it('validates where relaxed SIMD does (the suite runs with the Node 20 flag)', () => {
    expect(peak).not.toBeNull();
  });

  it('runs the number of iterations asked, on 12 independent chains', () => {
    expect(peak!.run(0)).toBe(78); // 1 + 2 + … + 12
    expect(peak!.run(1)).toBe(51); // Σ (i/2 + 1)
    expect(peak!.run(2)).toBe(37.5); // Σ (i/4 + 3/2)
    expect(peak!.run(3)).toBe(30.75); // Σ (i/8 + 7/4)
    expect(peak!.run(100_000)).toBe(24); // every chain at its fixed point 2
  });

  it('counts 12 chains × 4 lanes × (multiply + add) per iteration, and sizes a run by flops', () => {
    expect(FLOPS_PER_ITERATION).toBe(96);
    expect(iterationsFor(96 * 7)).toBe(7);
    expect(iterationsFor(2 * 256 ** 3)).toBe(349_525);
    expect(iterationsFor(10)).toBe(1); // at least one
  });
});
