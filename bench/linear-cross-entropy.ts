// npm run bench:linear-ce [-- --runs N] [-- --backend relaxed-simd|simd]   (--help: the options)
//
// The fused linear + cross-entropy against the composition it replaces, on the shape
// (n = 2048 rows, h = 128 features, v = 32 768 classes), each variant in its own fresh Node
// process so wasm memory growth is measured from the same empty start:
// - fused:       linearCrossEntropy(x, W, targets, n, h, v, { grad: { dx, dw } })
// - composition: logits = matmul(x, W); crossEntropy(logits, targets, { grad: logits }) (a − y in
//                place over the logits); dx = matmul(g, W, transB); dW = matmul(x, g, transA) —
//                the most frugal composition: resident tensors, one logits buffer allocated once,
//                no copies, gradient in place.
// Both compute the same loss, dx and dW from resident inputs into resident outputs. The parent
// alternates the variants' processes and reports medians; the figures of a full run (no --runs,
// no --backend) go to bench/RESULTS.md between the LINEAR-CE markers.
import { execFileSync } from 'node:child_process';
import { copyFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { createBackend, type BackendKind } from '../src/index.js';
import type { WasmBackend } from '../src/wasm/backend.js';
import { toolOptions } from './cli.js';

const N = 2048, H = 128, V = 32768;
type Variant = 'fused' | 'composition';

interface ChildResult { variant: Variant; backend: BackendKind; growthBytes: number; heapBytes: number; ioBytes: number; wallMs: number[]; cpuMs: number[]; loss: number }

function seeded(length: number, scale: number, seed: number): Float32Array {
  const out = new Float32Array(length);
  let state = seed >>> 0;
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = (state / 2 ** 32 - 0.5) * scale;
  }
  return out;
}

async function child(variant: Variant, backend: BackendKind, runs: number): Promise<ChildResult> {
  const api = await createBackend({ backend });
  const start = api.backend.memoryBytes();
  const x = api.tensor(N, H, seeded(N * H, 2, 1));
  const w = api.tensor(H, V, seeded(H * V, 0.2, 2));
  const targets = Int32Array.from({ length: N }, (_, i) => (i * 7919) % V);
  const dx = api.tensor(N, H), dw = api.tensor(H, V);
  const ioBytes = 4 * (2 * N * H + 2 * H * V);
  // The composition's logits (and, in place, their gradient) live in one buffer reused by every run.
  const logits = variant === 'composition' ? api.tensor(N, V) : null;
  const once = (): number => {
    if (!logits) return api.linearCrossEntropy(x, w, targets, N, H, V, { grad: { dx, dw } }).loss;
    api.matmul(x, w, N, H, V, { out: logits });
    const { loss } = api.crossEntropy(logits, targets, V, { grad: logits });
    api.matmul(logits, w, N, V, H, { transB: true, out: dx });
    api.matmul(x, logits, H, N, V, { transA: true, out: dw });
    return loss;
  };
  const wallMs: number[] = [], cpuMs: number[] = [];
  let loss = 0;
  for (let i = 0; i <= runs; i++) {
    const wall = performance.now(), cpu = process.cpuUsage();
    loss = once();
    const used = process.cpuUsage(cpu);
    if (i > 0) { // the first run warms up (compiles, grows memory)
      wallMs.push(performance.now() - wall);
      cpuMs.push((used.user + used.system) / 1000);
    }
  }
  // Bytes in live heap blocks: the tensors (and the composition's logits) plus the arena, which
  // keeps one block the size of its largest call — the footprint the calls actually needed.
  const heapBytes = (api.backend as WasmBackend).heapState().liveBytes;
  return { variant, backend, growthBytes: api.backend.memoryBytes() - start, heapBytes, ioBytes, wallMs, cpuMs, loss };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);

async function parent(runs: number, backends: BackendKind[], record: boolean): Promise<void> {
  // This compiled copy of the library loads its kernels from build/bench/build/ (see main.ts).
  const from = new URL('../../', import.meta.url), to = new URL('../build/', import.meta.url);
  await mkdir(to, { recursive: true });
  for (const file of await readdir(from)) if (file.endsWith('.wasm')) await copyFile(new URL(file, from), new URL(file, to));

  const script = fileURLToPath(import.meta.url);
  const rows: string[] = [];
  console.log(`linearCrossEntropy vs composition, n = ${N}, h = ${H}, v = ${V} (logits would be ${mib(4 * N * V)} MiB)\n`);
  for (const backend of backends) {
    const results: Record<Variant, ChildResult[]> = { fused: [], composition: [] };
    for (let round = 0; round < 3; round++) {
      for (const variant of (round % 2 ? ['composition', 'fused'] : ['fused', 'composition']) as Variant[]) {
        // The children get this process's node flags: Node 20's relaxed-SIMD flag, from run-node.js.
        const out = execFileSync(process.execPath, [
          ...process.execArgv, script, '--child', variant, '--backend', backend, '--runs', String(runs),
        ], { encoding: 'utf8', maxBuffer: 1 << 20 });
        results[variant].push(JSON.parse(out) as ChildResult);
        process.stdout.write('.');
      }
    }
    const summary = (variant: Variant) => {
      const all = results[variant];
      return {
        growth: median(all.map((r) => r.growthBytes)),
        heap: median(all.map((r) => r.heapBytes)),
        extra: median(all.map((r) => r.heapBytes - r.ioBytes)),
        cpu: median(all.flatMap((r) => r.cpuMs)),
        wall: median(all.flatMap((r) => r.wallMs)),
        loss: all[0].loss,
      };
    };
    const fused = summary('fused'), composition = summary('composition');
    const line = (name: string, s: ReturnType<typeof summary>) =>
      `| ${backend} | ${name} | ${mib(s.heap)} | ${mib(s.extra)} | ${mib(s.growth)} | ${s.cpu.toFixed(0)} | ${s.wall.toFixed(0)} | ${s.loss.toFixed(6)} |`;
    const ratio = (a: number, b: number, digits: number) => `${(a / b).toFixed(digits)}×`;
    rows.push(line('fused', fused), line('composition', composition),
      `| ${backend} | **ratio composition / fused** | **${ratio(composition.heap, fused.heap, 1)}** | **${ratio(composition.extra, fused.extra, 1)}** | ${ratio(composition.growth, fused.growth, 1)} | **${ratio(composition.cpu, fused.cpu, 2)}** | ${ratio(composition.wall, fused.wall, 2)} | |`);
    console.log();
  }
  const table = [
    '| build | variant | heap in use (MiB) | of it beyond inputs and outputs (MiB) | wasm memory growth (MiB) | CPU ms (median) | wall ms (median) | loss |',
    '|---|---|---:|---:|---:|---:|---:|---:|',
    ...rows,
  ].join('\n');
  console.log(`\n${table}\n`);

  if (!record) {
    console.log('bench/RESULTS.md not updated: only a full run (no --runs, no --backend) is recorded there');
    return;
  }
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const section = [
    `Command: \`npm run bench:linear-ce\` (${runs} timed runs per process after one warm-up, 3 processes per variant, alternating).`,
    `Machine: ${cpu}, ${os.cpus().length} cores, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}.`,
    'Memory: the bytes in live wasm heap blocks after the runs — the tensors (inputs x, W and outputs dx, dW:',
    `${mib(4 * (2 * N * H + 2 * H * V))} MiB; the composition's logits) and the scratch arena, which keeps one block of its largest call —`,
    'and the part of it beyond the inputs and outputs; and the growth of the wasm memory itself, which',
    'AssemblyScript\'s TLSF allocator grows by at least doubling, so it moves in steps (a 2 MiB chunk',
    'would show no growth beyond the inputs and outputs at all). Targets: ≥ 8× less memory, time ≤ 1.15× the composition.',
    '',
    table,
  ].join('\n');
  const path = new URL('../../../bench/RESULTS.md', import.meta.url);
  const START = '<!-- LINEAR-CE:START (npm run bench:linear-ce regenerates this part) -->', END = '<!-- LINEAR-CE:END -->';
  let text = await readFile(path, 'utf8').catch(() => '# Benchmark results\n');
  if (!text.includes(START)) text += `\n## Fused linear + cross-entropy\n\n${START}\n${END}\n`;
  text = text.slice(0, text.indexOf(START)) + `${START}\n\n${section}\n\n${END}` + text.slice(text.indexOf(END) + END.length);
  await writeFile(path, text);
  console.log('bench/RESULTS.md updated');
}

const USAGE = `npm run bench:linear-ce [-- options]
  --runs N            timed runs per process (default 3)
  --backend KIND      relaxed-simd or simd (default: both)
                      (each also as --option=value; a run with neither is recorded in bench/RESULTS.md)
  --help              this text`;

// Strict: --runs=1 was once read as no option at all, and started the full run that rewrites RESULTS.md.
const { values: options, fail: usage } = toolOptions('bench:linear-ce', USAGE, { runs: { type: 'string' }, backend: { type: 'string' }, child: { type: 'string' } });
const runs = Number(options.runs ?? 3);
if (!(Number.isInteger(runs) && runs > 0)) usage(`--runs must be a positive integer, got '${options.runs}'`);
const only = options.backend as BackendKind | undefined;
if (only !== undefined && only !== 'relaxed-simd' && only !== 'simd') usage(`--backend: '${only}' is not relaxed-simd or simd`);
if (options.child) {
  process.stdout.write(JSON.stringify(await child(options.child as Variant, only!, runs)));
} else {
  // A smoke run with fewer runs or one build must not overwrite the recorded figures.
  await parent(runs, only ? [only] : ['relaxed-simd', 'simd'], options.runs === undefined && !only);
}
