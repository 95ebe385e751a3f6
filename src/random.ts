// Seeded pseudo-random numbers, for reproducible sampling (sampleCategorical) and for the nn
// layer's initialisation and shuffling: xoshiro128** (Blackman & Vigna, 2018) — 128 bits of state,
// period 2^128 − 1, passes BigCrush — seeded from one 32-bit seed through SplitMix32 (a Weyl
// sequence through MurmurHash3's finaliser), so nearby seeds give unrelated streams.
import { checkInteger } from './validate.js';

/** A source of uniform numbers in [0, 1), like Math.random. */
export type RandomSource = () => number;

const rotl = (x: number, k: number): number => (x << k) | (x >>> (32 - k));

/**
 * A seeded generator of uniform numbers in [0, 1) with 32 random bits each. The same seed gives
 * the same sequence on every platform.
 */
export function seededRandom(seed: number): RandomSource {
  checkInteger('seededRandom', 'seed', seed, 0, 2 ** 32 - 1);
  let weyl = seed >>> 0;
  const splitMix32 = (): number => {
    weyl = (weyl + 0x9e3779b9) | 0;
    let z = weyl;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return z ^ (z >>> 16);
  };
  // SplitMix32 is a bijection of its counter, so four consecutive outputs are never all zero
  // (the one state xoshiro cannot leave).
  let s0 = splitMix32(), s1 = splitMix32(), s2 = splitMix32(), s3 = splitMix32();
  return () => {
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = rotl(s3, 11);
    return result / 2 ** 32;
  };
}
