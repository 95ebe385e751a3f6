// A character-level language model trained on this package's own README: the previous CONTEXT
// characters, one-hot, → a linear embedding layer → tanh hidden units → softmax over the
// characters. The first layer on one-hot input is an embedding lookup (one vector per
// position and character, summed). After training it writes text by sampling the next
// character from softmax(logits / temperature) with sampleCategorical — the "soft" max that
// lets less likely characters win sometimes.
import { existsSync, readFileSync } from 'node:fs';
import { MLP, type Api } from 'softmax-wasm';
import type { Example } from './example.js';

const CONTEXT = 6;
const EMBEDDING = 32;
const HIDDEN = 192;
const MAX_CHARS = 24_000;
const SAMPLE_LENGTH = 280;
const TEMPERATURE = 0.7;

/** The corpus: README.md at the package root (examples run from examples/ or build/examples/). */
function corpus(): string {
  for (const relative of ['../README.md', '../../README.md']) {
    const url = new URL(relative, import.meta.url);
    if (existsSync(url)) {
      // Collapse runs of blanks so the model spends its capacity on words, not indentation.
      return readFileSync(url, 'utf8').replace(/[ \t]+/g, ' ').slice(0, MAX_CHARS);
    }
  }
  throw new Error('charlm: README.md not found next to the package');
}

interface Encoded { x: Float32Array; labels: Int32Array; rows: number }

/** Every position i ≥ CONTEXT of `ids` as (one-hot of ids[i−CONTEXT … i−1], ids[i]). */
function encode(ids: Int32Array, vocabulary: number): Encoded {
  const rows = ids.length - CONTEXT;
  const inputs = CONTEXT * vocabulary;
  const x = new Float32Array(rows * inputs);
  const labels = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    for (let k = 0; k < CONTEXT; k++) x[r * inputs + k * vocabulary + ids[r + k]] = 1;
    labels[r] = ids[r + CONTEXT];
  }
  return { x, labels, rows };
}

/** SAMPLE_LENGTH characters continuing `prompt`, one sampleCategorical draw per character. */
function generate(api: Api, net: MLP, prompt: string, chars: string[], index: Map<string, number>, seed: number): string {
  const vocabulary = chars.length;
  const window = [...prompt.slice(-CONTEXT)].map((c) => index.get(c)!);
  const input = new Float32Array(CONTEXT * vocabulary);
  const logProbs = new Float32Array(vocabulary);
  const next = new Int32Array(1);
  let text = prompt;
  for (let i = 0; i < SAMPLE_LENGTH; i++) {
    input.fill(0);
    window.forEach((id, k) => (input[k * vocabulary + id] = 1));
    const probs = net.predict(input);
    // log p are logits of the same distribution, so softmax(log p / T) ∝ p^(1/T).
    for (let j = 0; j < vocabulary; j++) logProbs[j] = Math.log(probs[j]);
    api.sampleCategorical(logProbs, vocabulary, { temperature: TEMPERATURE, seed: seed + i, out: next });
    text += chars[next[0]];
    window.shift();
    window.push(next[0]);
  }
  return text;
}

export const charlm: Example = {
  name: 'charlm',
  title: 'Character-level language model (this package\'s README)',
  network: `${CONTEXT} chars one-hot → ${EMBEDDING} linear (embedding) → ${HIDDEN} tanh → softmax over the characters`,
  data: `the first ${MAX_CHARS.toLocaleString('en')} characters of README.md, 90 % train / 10 % held out (contiguous)`,
  defaults: { epochs: 8, batchSize: 64, learningRate: 0.1, momentum: 0.9 },
  logEvery: 1,
  async run({ api, epochs, batchSize, learningRate, momentum, seed, onEpoch, onBatch, signal }) {
    const text = corpus();
    const chars = [...new Set(text)].sort();
    const index = new Map(chars.map((c, i) => [c, i]));
    const ids = Int32Array.from(text, (c) => index.get(c)!);
    const split = Math.floor(ids.length * 0.9);
    const train = encode(ids.subarray(0, split), chars.length);
    const test = encode(ids.subarray(split - CONTEXT), chars.length);
    using net = new MLP([CONTEXT * chars.length, EMBEDDING, HIDDEN, chars.length], {
      hidden: ['linear', 'tanh'], seed, backend: api,
    });
    const history = await net.fit(train.x, train.labels, {
      epochs, batchSize, learningRate, momentum, clipNorm: 5, validation: test, onEpoch, onBatch, signal,
    });
    const { loss, accuracy } = net.evaluate(test.x, test.labels);
    const prompt = 'The softmax';
    const sample = generate(api, net, prompt, chars, index, seed);
    return {
      history,
      evaluatedOn: `held-out text (${test.rows} characters, ${chars.length}-character vocabulary; `
        + `${(loss / Math.LN2).toFixed(2)} bits per character)`,
      loss,
      accuracy,
      model: net.toJSON(),
      notes: `sample at temperature ${TEMPERATURE}:\n${sample}`,
    };
  },
};
