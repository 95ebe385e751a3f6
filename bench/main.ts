// npm run bench [-- --quick] [-- --filter <regex>] [-- --rounds N] [-- --time ms] [-- --help]
//
// Runs every case (ours in each build and every peer, interleaved, in this one process), prints a
// table per case and the targets, writes bench/results/latest.json, and — after a full,
// unfiltered run — regenerates the measured part of bench/RESULTS.md from it.
import { execSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { copyFile, mkdir, readdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { parseArgs, USAGE, UsageError } from './cli.js';
import { runCase, type Case, type CaseResult, type RunOptions } from './harness.js';
import { describeEnvironment, evaluateTargets, targetsText, textTable, writeResultsMarkdown, type Meta, type Results } from './report.js';
import { kinds, label, wasmKinds } from './ours.js';
import { loadTfjs } from './peers/tfjs.js';
import { loadOrt } from './peers/ort.js';
import { rowwiseCase } from './cases/rowwise.js';
import { crossEntropyCase } from './cases/crossEntropy.js';
import { ASCII, matmulCase, PRODUCTS } from './cases/matmul.js';
import { mnistCase } from './cases/mnist.js';
import { matmulCopiesCase, softmaxCopiesCase } from './cases/copies.js';

type CaseFactory = { id: string; make: () => Promise<Case> };

// The node flags `npm run bench` itself passes; any other (a V8 flag such as
// --no-concurrent-array-buffer-sweeping, which halved the plain 32 × 10 softmax call here:
// RESULTS.md, "Where the targets stand") moves the results, so the run's header names it.
const SUITE_NODE_FLAGS = new Set(['--experimental-wasm-relaxed-simd', '--expose-gc']);

// VMs often report a bare "AMD EPYC": on Linux the family and model tell the core apart.
function cpuName(): string {
  const model = os.cpus()[0]?.model ?? 'unknown';
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    const family = /^cpu family\s*:\s*(\d+)/m.exec(info)?.[1], number = /^model\s*:\s*(\d+)/m.exec(info)?.[1];
    return family && number ? `${model} (family ${family}, model ${number})` : model;
  } catch {
    return model;
  }
}

const ROW_SHAPES: [number, number][] = [[32, 10], [128, 1000], [1024, 4096]];
const CUBES = [128, 256, 512, 1024];
const MLP_SHAPES: [number, number, number][] = [[128, 784, 128], [128, 128, 10]];
const MNIST_TRAIN = 8000, MNIST_TRAIN_QUICK = 2000, MNIST_PAIRED_STARTS = 5, MNIST_PAIRED_STARTS_QUICK = 2;

// Quick runs (npm run bench:quick, under a minute once the wasm is built) keep one case per target.
function caseList(quick: boolean): CaseFactory[] {
  const list: CaseFactory[] = [];
  const add = (id: string, make: () => Promise<Case>) => list.push({ id, make });
  const softmaxShapes = quick ? [ROW_SHAPES[0], ROW_SHAPES[2]] : ROW_SHAPES;
  for (const [r, c] of softmaxShapes) add(`softmax ${r}x${c}`, () => rowwiseCase('softmax', r, c));
  if (!quick) for (const [r, c] of ROW_SHAPES) add(`logSoftmax ${r}x${c}`, () => rowwiseCase('logSoftmax', r, c));
  for (const [r, c] of quick ? [ROW_SHAPES[2]] : ROW_SHAPES) add(`crossEntropy ${r}x${c}`, () => crossEntropyCase(r, c));
  for (const product of PRODUCTS) {
    const shapes: [number, number, number][] = quick ? [[256, 256, 256]] : [...CUBES.map((s): [number, number, number] => [s, s, s]), ...MLP_SHAPES];
    for (const [m, k, n] of shapes) add(`matmul ${ASCII[product]} ${m}x${k}x${n}`, () => matmulCase(product, m, k, n));
  }
  const train = quick ? MNIST_TRAIN_QUICK : MNIST_TRAIN;
  add(`mnist epoch ${train}`, () => mnistCase(train, quick ? MNIST_PAIRED_STARTS_QUICK : MNIST_PAIRED_STARTS));
  for (const [r, c] of quick ? [ROW_SHAPES[2]] : ROW_SHAPES.slice(1)) add(`copies softmax ${r}x${c}`, () => softmaxCopiesCase(r, c));
  add('copies matmul 256', () => matmulCopiesCase(256));
  return list;
}

function gitCommit(): string {
  try {
    const sha = execSync('git rev-parse --short HEAD', { encoding: 'utf8' }).trim();
    const dirty = execSync('git status --porcelain --untracked-files=no', { encoding: 'utf8' }).trim() ? '+changes' : '';
    return sha + dirty;
  } catch {
    return 'unknown';
  }
}

// This compiled copy of the library (build/bench/src) loads its kernels from build/bench/build/,
// two levels above its loader as dist/ does; put the fresh build there before any backend loads.
async function placeKernels(): Promise<void> {
  const from = new URL('../../../build/', import.meta.url), to = new URL('../build/', import.meta.url);
  await mkdir(to, { recursive: true });
  for (const file of await readdir(from)) {
    if (file.endsWith('.wasm')) await copyFile(new URL(file, from), new URL(file, to));
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const ids = (quick: boolean) => caseList(quick).map((factory) => factory.id);
  if (args.help) {
    console.log(`${USAGE}\n\ncases: ${ids(false).join(', ')}\nquick: ${ids(true).join(', ')}`);
    return;
  }
  const factories = caseList(args.quick).filter((factory) => !args.filter || args.filter.test(factory.id));
  if (!factories.length) {
    throw new UsageError(`--filter ${args.filter} matches no case of this ${args.quick ? 'quick' : 'full'} run; its cases: ${ids(args.quick).join(', ')}`);
  }
  await placeKernels();
  const opts: RunOptions = args.quick
    ? { rounds: args.rounds ?? 3, roundMs: args.time ?? 30, warmupMs: 20, slowRounds: 3, slowCallMs: 50, maxCallMs: 2000, quick: true, log: console.log }
    : { rounds: args.rounds ?? 7, roundMs: args.time ?? 200, warmupMs: 200, slowRounds: 3, slowCallMs: 500, maxCallMs: 3000, quick: false, log: console.log };
  const loadStart = os.loadavg();
  const tfjs = await loadTfjs();
  const ort = loadOrt();
  const meta: Meta = {
    date: new Date().toISOString(),
    command: commandLine(),
    mode: args.quick ? 'quick' : 'full',
    node: process.version,
    v8: process.versions.v8,
    cpu: cpuName(),
    cores: os.cpus().length,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    commit: gitCommit(),
    loadAverage: { start: loadStart, end: [] },
    // Settings that move the results, e.g. GLIBC_TUNABLES=glibc.malloc.hugetlb=1 (RESULTS.md,
    // "Where the targets stand"): a run with them says so.
    environment: Object.entries(process.env)
      .filter(([name]) => name === 'GLIBC_TUNABLES' || name === 'NODE_OPTIONS' || name.startsWith('MALLOC_'))
      .map(([name, value]) => `${name}=${value}`)
      .concat(process.execArgv.filter((flag) => !SUITE_NODE_FLAGS.has(flag)).map((flag) => `node ${flag}`)),
    ours: kinds.map(label),
    tfjs: `@tensorflow/tfjs ${tfjs.version} (wasm: ${tfjs.wasmBinary}, SIMD ${tfjs.simd ? 'on' : 'off'}, ${tfjs.threads} thread${tfjs.threads === 1 ? '' : 's'}; cpu backend)`,
    ort: `onnxruntime-web ${ort.version} (wasm EP, ${ort.threads} thread, SIMD ${ort.simd ? 'on' : 'off'})`,
    rounds: opts.rounds,
    roundMs: opts.roundMs,
  };
  console.log(`${meta.command} — ${meta.cpu}, Node ${meta.node}, load ${loadStart.map((x) => x.toFixed(2)).join(' ')}, ${describeEnvironment(meta.environment!)}`);
  console.log(`ours: ${meta.ours.join(', ')}; ${meta.tfjs}; ${meta.ort}\n`);
  if (!wasmKinds.includes('relaxed-simd')) console.log('note: relaxed-simd build not runnable here (Node 20 needs --experimental-wasm-relaxed-simd)\n');

  const cases: CaseResult[] = [];
  for (const [index, factory] of factories.entries()) {
    console.log(`[${index + 1}/${factories.length}] ${factory.id}`);
    const started = performance.now();
    const result = await runCase(await factory.make(), opts);
    cases.push(result);
    console.log(`${textTable(result)}\n(${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
  }
  meta.loadAverage.end = os.loadavg();

  const notRun = args.filter ? 'case not run (filtered out)' : args.quick ? 'full run only' : 'case not run';
  const targets = evaluateTargets(cases, wasmKinds.map(label), notRun);
  // A quick run's three 30 ms rounds can put a noisy peer's median anywhere: calls of a few µs were
  // seen at 11.6× in a quick run and 3.3× in the full run of the same day.
  const caveat = args.quick ? '; a quick run\'s few short rounds make these verdicts indicative, the full run decides' : '';
  console.log(`Targets (peer time / ours, same run${caveat}):\n${targetsText(targets)}\n`);
  const results: Results = { meta, cases, targets };
  const dir = new URL('../../../bench/results/', import.meta.url);
  await mkdir(dir, { recursive: true });
  await writeFile(new URL('latest.json', dir), JSON.stringify(results, null, 2));
  console.log(`wrote ${new URL('latest.json', dir).pathname}`);
  if (!args.quick && !args.filter) {
    // Kept apart from latest.json, which the next quick run overwrites.
    await writeFile(new URL('full.json', dir), JSON.stringify(results, null, 2));
    const stale = await writeResultsMarkdown(new URL('../../../bench/RESULTS.md', import.meta.url), results);
    console.log('wrote bench/results/full.json, regenerated bench/RESULTS.md');
    if (stale) {
      console.log(`note: RESULTS.md's hand-written notes (and the README's figures) describe the run of ${stale}, not this one: `
        + 'update them, or `git checkout bench/RESULTS.md` to keep the recorded run');
    }
  }
}

/** How this run was started, as a command to paste: arguments with spaces or quotes quoted. */
function commandLine(): string {
  const event = process.env.npm_lifecycle_event;
  const args = process.argv.slice(2).map((a) => (/^[\w.,:=+\/-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`));
  if (!event) return ['node', ...process.execArgv, 'build/bench/bench/main.js', ...args].join(' ');
  return `npm run ${event}${args.length ? ` -- ${args.join(' ')}` : ''}`;
}

try {
  await main();
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  console.error(`bench: ${error.message}\n\n${USAGE}`);
  process.exitCode = 2;
}
