// `npm start`: trains one of the examples (MNIST by default), shows a progress bar per epoch and
// a line per epoch, and writes the loss and accuracy curves to training.svg.
//
//   npm start -- --example seed|iris|mnist|charlm --epochs 15 --batch-size 128 --lr 0.1 --momentum 0.9
//                --backend auto|relaxed-simd|simd|js --seed 1 --out training.svg --export model.onnx
import { accessSync, constants, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { init, MLP, type EpochStats } from 'softmax-wasm';
import type { Example } from './example.js';
import { exportOnnx } from './export-onnx.js';
import { chartsSvg } from './plot.js';
import { charlm } from './charlm.js';
import { iris } from './iris.js';
import { mnist } from './mnist.js';
import { seed } from './seed.js';

const examples: Record<string, Example> = { seed, iris, mnist, charlm };
const BACKENDS = ['auto', 'relaxed-simd', 'simd', 'js'] as const;

const usage = `Usage: npm start -- [options]

  --example <name>     ${Object.keys(examples).join(' | ')} (default mnist)
  --epochs <n>         passes over the training data (default: the example's)
  --batch-size <n>     rows per SGD step (default: the example's)
  --lr <η>             learning rate (default: the example's)
  --momentum <μ>       momentum in [0, 1) (default: the example's)
  --backend <kind>     ${BACKENDS.join(' | ')} (default auto: the fastest this runtime runs)
  --seed <n>           seeds the split, the initialisation and the shuffling (default 1)
  --out <file>         where to write the SVG plot (default training.svg)
  --export <file>      also write the trained network as an ONNX model (e.g. model.onnx)
  --help               this text
`;

function fail(message: string): never {
  console.error(`${message}\n\n${usage}`);
  process.exit(2);
}

function parse() {
  let parsed;
  try {
    parsed = parseArgs({
      options: {
        example: { type: 'string', default: 'mnist' },
        epochs: { type: 'string' },
        'batch-size': { type: 'string' },
        lr: { type: 'string' },
        momentum: { type: 'string' },
        backend: { type: 'string', default: 'auto' },
        seed: { type: 'string', default: '1' },
        out: { type: 'string', default: 'training.svg' },
        export: { type: 'string' },
        help: { type: 'boolean', default: false },
      },
    }).values;
  } catch (error) {
    fail((error as Error).message);
  }
  if (parsed.help) {
    console.log(usage);
    process.exit(0);
  }
  const example = Object.hasOwn(examples, parsed.example) ? examples[parsed.example] : undefined;
  if (!example) fail(`Unknown --example '${parsed.example}'`);
  const backend = BACKENDS.find((b) => b === parsed.backend);
  if (!backend) fail(`Unknown --backend '${parsed.backend}'`);
  // Checked here, before any data is loaded, with the option's own name and exit code 2: the
  // library's ranges (MLP.fit, seededRandom) with the CLI's wording.
  const number = (name: string, text: string | undefined, fallback: number, integer: boolean, ok: (v: number) => boolean, range: string): number => {
    if (text === undefined) return fallback;
    // Number() alone would also take '0x10', '1e3' and '0b1' as integers; counts are written in decimal.
    const value = text.trim() === '' || (integer && !/^\s*\+?\d+\s*$/.test(text)) ? NaN : Number(text);
    if (!Number.isFinite(value) || (integer && !Number.isInteger(value))) fail(`--${name} must be ${integer ? 'a whole number in decimal digits' : 'a number'}, got '${text}'`);
    if (!ok(value)) fail(`--${name} must be ${range}, got ${text}`);
    return value;
  };
  const { defaults } = example;
  // npm runs scripts in the package folder; INIT_CWD is where the user typed `npm start`.
  const typedIn = process.env.INIT_CWD ?? '.';
  return {
    example,
    backend,
    epochs: number('epochs', parsed.epochs, defaults.epochs, true, (v) => v >= 1 && v <= 2 ** 31 - 1, 'in [1, 2147483647]'),
    batchSize: number('batch-size', parsed['batch-size'], defaults.batchSize, true, (v) => v >= 1, 'at least 1'), // past the rows: full batches
    learningRate: number('lr', parsed.lr, defaults.learningRate, false, (v) => v > 0 && Math.fround(v) > 0 && Number.isFinite(Math.fround(v)), 'positive (and a finite float32)'),
    momentum: number('momentum', parsed.momentum, defaults.momentum, false, (v) => v >= 0 && Math.fround(v) < 1, 'in [0, 1)'),
    seed: number('seed', parsed.seed, 1, true, (v) => v >= 0 && v <= 2 ** 32 - 1, 'in [0, 4294967295]'),
    out: resolve(typedIn, parsed.out),
    onnx: parsed.export === undefined ? null : resolve(typedIn, parsed.export),
  };
}

const percent = (fraction: number | undefined): string => (fraction === undefined ? '' : `${(100 * fraction).toFixed(2)}%`);

function epochLine(stats: EpochStats, epochs: number): string {
  const width = String(epochs).length;
  const parts = [
    `epoch ${String(stats.epoch).padStart(width)}/${epochs}`,
    `loss ${stats.loss.toFixed(4)}`,
    `acc ${percent(stats.accuracy).padStart(7)}`,
  ];
  if (stats.valAccuracy !== undefined) parts.push(`val loss ${stats.valLoss!.toFixed(4)}`, `val acc ${percent(stats.valAccuracy).padStart(7)}`);
  parts.push(`${stats.ms.toFixed(stats.ms < 10 ? 2 : 0).padStart(6)} ms`);
  return parts.join('  ');
}

async function main(): Promise<void> {
  const options = parse();
  // The folders of --out and --export exist before training starts: a path that cannot be
  // written then fails now, not after the training it would have recorded.
  for (const [option, file] of [['--out', options.out], ['--export', options.onnx]] as const) {
    if (!file) continue;
    try {
      mkdirSync(dirname(file), { recursive: true });
      if (statSync(file, { throwIfNoEntry: false })?.isDirectory()) throw new Error('it is a folder');
      accessSync(dirname(file), constants.W_OK);
    } catch (error) {
      fail(`${option} ${file} cannot be written: ${(error as Error).message}`);
    }
  }
  if (options.onnx === options.out) fail('--out and --export name the same file');
  const { example, epochs } = options;
  const loadStarted = performance.now();
  const api = await init({ backend: options.backend });
  const loadMs = performance.now() - loadStarted;
  console.log(`${example.title}\n  network  ${example.network}\n  data     ${example.data}`);
  console.log(`  backend  ${api.kind} (loaded in ${loadMs.toFixed(0)} ms)   epochs ${epochs}   batch ${options.batchSize}   lr ${options.learningRate}   momentum ${options.momentum}   seed ${options.seed}\n`);

  // The bar only makes sense on a terminal and for epochs with several batches.
  const bar = process.stdout.isTTY
    ? new cliProgress.SingleBar({
      format: ' epoch {epoch} [{bar}] {value}/{total} batches  loss {loss}',
      clearOnComplete: true,
      hideCursor: true,
    }, cliProgress.Presets.shades_classic)
    : null;
  let barRunning = false;
  let lastBatch = { epoch: 0, batch: 0, batches: 0 };
  const controller = new AbortController();
  process.once('SIGINT', () => {
    controller.abort();
    if (barRunning) {
      bar!.stop(); // shows the cursor again
      barRunning = false;
    }
    console.error('\nstopping after the current batch (Ctrl-C again to quit without writing the results)');
    process.once('SIGINT', () => process.exit(130));
  });

  const started = performance.now();
  const result = await example.run({
    ...options,
    api,
    signal: controller.signal,
    onBatch: ({ epoch, batch, batches, loss }) => {
      lastBatch = { epoch, batch, batches };
      if (!bar || batches < 4 || controller.signal.aborted) return;
      if (!barRunning) {
        bar.start(batches, 0, { epoch, loss: '—' });
        barRunning = true;
      }
      bar.update(batch, { epoch, loss: loss.toFixed(4) });
    },
    onEpoch: (stats) => {
      if (barRunning) {
        bar!.stop();
        barRunning = false;
      }
      if (stats.epoch === 1 || stats.epoch % example.logEvery === 0 || stats.epoch === epochs) console.log(epochLine(stats, epochs));
    },
  });
  if (barRunning) bar!.stop();
  const seconds = (performance.now() - started) / 1000;

  const { history } = result;
  const trainMs = history.epochs.reduce((total, e) => total + e.ms, 0);
  const epochsRun = `${history.epochs.length} epoch${history.epochs.length === 1 ? '' : 's'}`;
  // fit stops between batches: the weights (and the numbers below) may include part of an epoch
  // that has no point on the curves.
  if (history.aborted) {
    console.log(`\nstopped after ${epochsRun}${lastBatch.epoch > history.epochs.length ? ` and ${lastBatch.batch}/${lastBatch.batches} batches of epoch ${lastBatch.epoch} (in the final numbers and the export, not on the curves)` : ''}`);
    process.exitCode = 130; // interrupted (Ctrl-C), as a shell reports it; the results are still written
  }

  console.log(`\n${result.evaluatedOn}: loss ${result.loss.toFixed(4)}, accuracy ${percent(result.accuracy)}`);
  if (result.notes) console.log(`\n${result.notes}\n`);
  const perEpoch = trainMs / Math.max(1, history.epochs.length);
  console.log(`time: ${seconds.toFixed(1)} s for ${epochsRun} with data preparation and validation; `
    + `training ${perEpoch.toFixed(perEpoch < 10 ? 2 : 0)} ms per epoch on ${api.kind}`);

  const points = (pick: (e: EpochStats) => number | undefined): Array<[number, number]> =>
    history.epochs.filter((e) => pick(e) !== undefined).map((e) => [e.epoch, pick(e)!]);
  const validated = history.epochs.some((e) => e.valAccuracy !== undefined);
  const subtitle = `${example.network}; ${api.kind} backend, batch ${options.batchSize}, `
    + `lr ${options.learningRate}, momentum ${options.momentum}, seed ${options.seed}`;
  const svg = chartsSvg(example.title, subtitle, [
    {
      title: 'Cross-entropy loss', xLabel: 'epoch', yLabel: 'loss', logY: true, legend: 'top',
      series: [
        { name: 'training', color: '#1f77b4', points: points((e) => e.loss) },
        ...(validated ? [{ name: 'validation', color: '#ff7f0e', points: points((e) => e.valLoss) }] : []),
      ],
    },
    {
      title: 'Accuracy', xLabel: 'epoch', yLabel: 'fraction correct', legend: 'bottom',
      series: [
        { name: 'training', color: '#1f77b4', points: points((e) => e.accuracy) },
        ...(validated ? [{ name: 'validation', color: '#ff7f0e', points: points((e) => e.valAccuracy) }] : []),
      ],
    },
  ]);
  writeFileSync(options.out, svg);
  console.log(`plot: ${options.out}`);
  if (options.onnx) {
    using net = MLP.fromJSON(result.model, { backend: api });
    await exportOnnx(net, options.onnx);
  }
}

// `npm start | head`: a closed pipe ends the program quietly, as SIGPIPE does for other tools.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

try {
  await main();
} catch (error) {
  // Bad options reach the library's validation (e.g. --momentum 1): show its message, not a stack.
  console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
