// Throughput of matmul in GFLOP/s against tfjs-backend-wasm (XNNPACK), one thread, same process.
// How to run it: npm run bench:matmul (bench/RESULTS.md, "Matmul on its own"). Inputs and outputs are resident on both sides, so only the product
// is timed. With --ort, onnxruntime-web's wasm (one thread) too, as a user calls it: session.run
// on Float32Arrays, its copies in and out included.
import { Bench } from 'tinybench';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths, setThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import os from 'node:os';
import { createBackend, type Api, type BackendKind } from '../src/index.js';
import { matmulRunner } from './peers/ort.js';
import { FMA_PEAK, fmaPeak, iterationsFor } from './fma-peak.js';
import { toolOptions } from './cli.js';

const require = createRequire(import.meta.url);
const USAGE = `npm run bench:matmul [-- options]
  --shapes 256,512,64x784x128   cube sizes or m×k×n (default 256,512)
  --backends relaxed-simd,simd  our builds to time (default both)
  --time ms                     tinybench time per contender (default 1000)
  --ort                         onnxruntime-web's wasm too (session.run with its copies)
  --pairs N                     instead: N pairs of (our first build's A·B, the FMA loop), back to back
                                (each also as --option=value)
  --help                        this text`;

// --time=ms as well as --time ms; an unknown option stops it.
const { values: options, fail: usage } = toolOptions('bench:matmul', USAGE, {
  shapes: { type: 'string' }, backends: { type: 'string' }, time: { type: 'string' }, pairs: { type: 'string' }, ort: { type: 'boolean' },
});
const option = (name: 'shapes' | 'backends' | 'time' | 'pairs'): string | undefined => {
  const v = options[name];
  if (v === '') usage(`--${name} needs a value`);
  return v;
};
const shapes = (option('shapes') ?? '256,512').split(',').map((s) => {
  const dims = s.split(/[x×]/).map(Number);
  if (!(dims.length === 1 || dims.length === 3) || !dims.every((d) => Number.isInteger(d) && d > 0)) {
    usage(`--shapes: '${s}' is neither a cube size nor m×k×n of positive integers`);
  }
  return dims.length === 1 ? [dims[0], dims[0], dims[0]] : dims;
});
const kinds = (option('backends') ?? 'relaxed-simd,simd').split(',') as BackendKind[];
for (const kind of kinds) if (kind !== 'relaxed-simd' && kind !== 'simd') usage(`--backends: '${kind}' is not relaxed-simd or simd`);
const time = Number(option('time') ?? 1000);
if (!(time > 0)) usage(`--time must be a positive number of ms, got '${option('time')}'`);
const withOrt = options.ort === true;
const pairs = Number(option('pairs') ?? 0);
if (!Number.isInteger(pairs) || pairs < 0) usage(`--pairs must be a whole number, got '${option('pairs')}'`);

type Product = 'A·B' | 'A·Bᵀ' | 'Aᵀ·B' | 'Aᵀ·Bᵀ';
const products: [Product, boolean, boolean][] = [['A·B', false, false], ['A·Bᵀ', false, true], ['Aᵀ·B', true, false], ['Aᵀ·Bᵀ', true, true]];

function cpuTimeMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

function random(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1);
}

/**
 * The FMA loop right after each product, N times, ~10 ms each: both see the core in the same
 * state, so their ratio is how much of what the core delivers at that moment the product gets.
 * Printed sorted by the loop's rate, every N/10th pair, then the medians.
 */
async function pairsMain(api: Api, kind: BackendKind, [m, k, n]: number[]): Promise<void> {
  const peak = fmaPeak();
  if (!peak) throw new Error('--pairs needs relaxed SIMD (Node 20: --experimental-wasm-relaxed-simd)');
  const flop = 2 * m * k * n, reps = Math.max(1, Math.round(2e8 / flop));
  const iterations = iterationsFor(flop);
  const a = api.tensor(m, k, random(m * k, 1)), b = api.tensor(k, n, random(k * n, 2)), out = api.tensor(m, n);
  const product = () => { for (let i = 0; i < reps; i++) api.matmul(a, b, m, k, n, { out }); };
  const loop = () => { for (let i = 0; i < reps; i++) peak.run(iterations); };
  for (let i = 0; i < 20; i++) { product(); loop(); } // tier both up
  const rows: { ours: number; peak: number; share: number }[] = [];
  for (let i = 0; i < pairs; i++) {
    let t = cpuTimeMs(); product(); const tOurs = cpuTimeMs() - t;
    t = cpuTimeMs(); loop(); const tPeak = cpuTimeMs() - t;
    const ours = flop * reps / tOurs / 1e6, rate = flop * reps / tPeak / 1e6;
    rows.push({ ours, peak: rate, share: ours / rate });
  }
  a.dispose(); b.dispose(); out.dispose();
  rows.sort((x, y) => x.peak - y.peak);
  console.log(`${m}×${k}×${n} A·B, ${kind} resident, then the FMA loop: ${pairs} pairs of ${reps} call${reps > 1 ? 's' : ''} each (GFLOP/s, CPU time), by the loop's rate`);
  const step = Math.max(1, Math.floor(pairs / 10));
  for (let i = 0; i < rows.length; i += step) {
    const r = rows[i];
    console.log(`  FMA loop ${r.peak.toFixed(1).padStart(5)}  ours ${r.ours.toFixed(1).padStart(5)}  ours / loop ${r.share.toFixed(2)}`);
  }
  const median = (key: 'ours' | 'peak' | 'share') => rows.map((r) => r[key]).sort((x, y) => x - y)[rows.length >> 1];
  console.log(`  medians: FMA loop ${median('peak').toFixed(1)}, ours ${median('ours').toFixed(1)}, ours / loop ${median('share').toFixed(2)}`);
}

async function main(): Promise<void> {
  setWasmPaths(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm')) + '/');
  setThreadsCount(1);
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  await tf.setBackend('wasm');
  await tf.ready();
  const apis: [BackendKind, Api][] = [];
  for (const kind of kinds) apis.push([kind, await createBackend({ backend: kind })]);
  if (pairs) {
    for (const shape of shapes) await pairsMain(apis[0][1], apis[0][0], shape);
    return;
  }
  console.log(`matmul, resident inputs and outputs, one thread; ${process.version}, ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${new Date().toISOString()}`);
  console.log('GFLOP/s = 2·m·k·n / CPU time per call: the median (and the best) call, or batch of calls under 10⁷ flop; ×: our rate / tfjs-wasm\'s (> 1: ours faster)\n');

  for (const [m, k, n] of shapes) {
    const label = m === k && k === n ? `${m}³` : `${m}×${k}×${n}`;
    const flop = 2 * m * k * n;
    // Small products run `reps` times per sample: the CPU clock counts microseconds, and one
    // 16³ product takes about one, so a single call's time was 0, 1 or 2 µs (rates of ∞ or 2×).
    const reps = Math.max(1, Math.round(1e7 / flop)), flopPerSample = flop * reps;
    const aData = random(m * k, 1), bData = random(k * n, 2);
    // Timed in CPU time of this process: with other processes on the machine's two cores, wall
    // time mostly measures how often this one was descheduled.
    const bench = new Bench({ time, warmup: true, warmupTime: 200, now: cpuTimeMs });
    const release: (() => unknown)[] = []; // after this shape's run: tensors, sessions
    for (const [name, transA, transB] of products) {
      const tA = tf.tensor2d(aData, transA ? [k, m] : [m, k]), tB = tf.tensor2d(bData, transB ? [n, k] : [k, n]);
      release.push(() => tf.dispose([tA, tB]));
      bench.add(`tfjs-wasm ${name}`, () => { for (let r = 0; r < reps; r++) tf.matMul(tA, tB, transA, transB).dispose(); });
      for (const [kind, api] of apis) {
        const a = api.tensor(m, k, aData), b = api.tensor(k, n, bData), out = api.tensor(m, n);
        release.push(() => { a.dispose(); b.dispose(); out.dispose(); });
        bench.add(`${kind} ${name}`, () => { for (let r = 0; r < reps; r++) api.matmul(a, b, m, k, n, { transA, transB, out }); });
      }
      if (withOrt) {
        const ort = await matmulRunner(m, k, n, transA, transB);
        release.push(() => ort.session.release());
        bench.add(`ort-wasm ${name}`, async () => { for (let r = 0; r < reps; r++) await ort.run(aData, bData); });
      }
    }
    // What the core delivers to FMAs alone meanwhile, as many flops as one product
    // (bench/fma-peak.ts): when it is low, so is every contender's rate.
    const peak = fmaPeak(), iterations = iterationsFor(flopPerSample);
    if (peak) bench.add(FMA_PEAK, () => { peak.run(iterations); });
    await bench.run();
    for (const free of release) await free();
    // GFLOP/s from the median and from the fastest run: on a busy machine the fastest run is the
    // one least disturbed by other processes.
    type Latency = { latency: { p50: number; min: number } };
    const gflops = new Map(bench.tasks.map((t) => {
      const { p50, min } = (t.result as unknown as Latency).latency;
      return [t.name, { median: flopPerSample / p50 / 1e6, best: flopPerSample / min / 1e6 }];
    }));
    for (const [name] of products) {
      const base = gflops.get(`tfjs-wasm ${name}`)!;
      const line = [`${label} ${name}`.padEnd(20), `tfjs-wasm ${base.median.toFixed(1).padStart(5)} (best ${base.best.toFixed(1)})`];
      for (const [kind] of apis) {
        const g = gflops.get(`${kind} ${name}`)!;
        line.push(`${kind} ${g.median.toFixed(1).padStart(5)} (${(g.median / base.median).toFixed(2)}×; best ${g.best.toFixed(1)}, ${(g.best / base.best).toFixed(2)}×)`);
      }
      const ort = gflops.get(`ort-wasm ${name}`);
      if (ort) line.push(`ort-wasm ${ort.median.toFixed(1).padStart(5)} (best ${ort.best.toFixed(1)})`);
      console.log(line.join('  '));
    }
    const fma = gflops.get(FMA_PEAK);
    if (fma) console.log(`${label} ${FMA_PEAK} ${fma.median.toFixed(1)} (best ${fma.best.toFixed(1)})`);
  }
}

await main();
