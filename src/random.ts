// The library's one seeded generator: Mulberry32 (Tommy Ettinger, 2017), a 32-bit state advanced
// by a Weyl sequence and mixed by two multiply–xorshift rounds. Tiny, fast, full period for every
// seed (0 included), and far beyond what sampling, initialising and shuffling need. It makes
// sampleCategorical({ seed }) and a network's initialisation and shuffling reproducible bit for
// bit; Math.random cannot be seeded.
import { checkInteger } from './validate.js';

/** A source of uniform numbers in [0, 1), like Math.random. */
export type RandomSource = () => number;

export class Random {
  private state: number;

  /** seed: any integer; only its low 32 bits are used. */
  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A uniform float in [0, 1), with 32 random bits. */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** A uniform float in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** A uniform integer in [0, n), n ≤ 2^32. */
  below(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Fisher–Yates (Durstenfeld's in-place form): every permutation equally likely. */
  shuffle<T extends { length: number; [i: number]: unknown }>(items: T): T {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.below(i + 1);
      const held = items[i];
      items[i] = items[j];
      items[j] = held;
    }
    return items;
  }
}

/**
 * A seeded generator of uniform numbers in [0, 1) with 32 random bits each: the same seed gives
 * the same sequence on every platform, and the same one the MLP draws for that seed.
 */
export function seededRandom(seed: number): RandomSource {
  checkInteger('seededRandom', 'seed', seed, 0, 2 ** 32 - 1);
  const random = new Random(seed);
  return () => random.next();
}
