// The MNIST subset the page trains on, as one small binary asset (mnist-digits.bin) made from the
// `mnist` package's JSON at serve/build time by the Vite plugin in vite.config.ts. Layout: every
// sample's 28 × 28 pixels as bytes (0…255, row-major), then every sample's label as a byte; the
// first TRAIN_COUNT samples are the training set, the rest the test set. Shared by the plugin
// (Node) and the worker (browser), so it imports only the package, which both load from dist/
// (built before the demo anyway): Node by the package's own name, the page through the Vite alias.
import { seededRandom } from 'softmax-wasm';

export const SIDE = 28;
export const PIXELS = SIDE * SIDE;
export const CLASSES = 10;
/** Per digit: the first TRAIN_PER_DIGIT samples of the package train, the next TEST_PER_DIGIT test. */
export const TRAIN_PER_DIGIT = 400;
export const TEST_PER_DIGIT = 100;
export const TRAIN_COUNT = TRAIN_PER_DIGIT * CLASSES;
export const TEST_COUNT = TEST_PER_DIGIT * CLASSES;
export const ASSET_NAME = 'mnist-digits.bin';

export interface DigitSet {
  /** count × PIXELS values in [0, 1]. */
  images: Float32Array;
  labels: Int32Array;
  count: number;
}

/** A fixed, seeded shuffle (the library's Mulberry32), so the asset is the same on every build. */
function shuffled(count: number, seed: number): number[] {
  const order = Array.from({ length: count }, (_, i) => i);
  const next = seededRandom(seed);
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

/**
 * Encodes the asset from the package's per-digit arrays (pixel values in [0, 1], stored as
 * multiples of 1/255). Each set is shuffled so that any contiguous batch mixes the classes.
 */
export function encodeDigits(perDigit: readonly ArrayLike<number>[]): Uint8Array {
  const count = TRAIN_COUNT + TEST_COUNT;
  const bytes = new Uint8Array(count * (PIXELS + 1));
  const samples: [digit: number, index: number][] = [];
  for (const [first, perSet, seed] of [[0, TRAIN_PER_DIGIT, 1], [TRAIN_PER_DIGIT, TEST_PER_DIGIT, 2]]) {
    const set: [number, number][] = [];
    for (let digit = 0; digit < CLASSES; digit++) {
      for (let i = 0; i < perSet; i++) set.push([digit, first + i]);
    }
    for (const k of shuffled(set.length, seed)) samples.push(set[k]);
  }
  samples.forEach(([digit, index], sample) => {
    const raw = perDigit[digit];
    for (let p = 0; p < PIXELS; p++) bytes[sample * PIXELS + p] = Math.round(raw[index * PIXELS + p] * 255);
    bytes[count * PIXELS + sample] = digit;
  });
  return bytes;
}

/** The training and test sets of the asset. */
export function decodeDigits(bytes: Uint8Array): { train: DigitSet; test: DigitSet } {
  const count = TRAIN_COUNT + TEST_COUNT;
  if (bytes.length !== count * (PIXELS + 1)) {
    throw new Error(`${ASSET_NAME}: expected ${count * (PIXELS + 1)} bytes, got ${bytes.length}`);
  }
  const set = (start: number, size: number): DigitSet => {
    const images = new Float32Array(size * PIXELS);
    for (let i = 0; i < images.length; i++) images[i] = bytes[start * PIXELS + i] / 255;
    const labels = Int32Array.from(bytes.subarray(count * PIXELS + start, count * PIXELS + start + size));
    return { images, labels, count: size };
  };
  return { train: set(0, TRAIN_COUNT), test: set(TRAIN_COUNT, TEST_COUNT) };
}
