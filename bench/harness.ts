// The benchmark runner. A case is one piece of work (softmax of a 1024 × 4096 matrix, …) and a
// list of contenders that each do that work their own way. Fairness on a shared, noisy machine
// comes from interleaving: every round runs each contender once (for a short time budget, in a
// shuffled order, after a GC), and the reported time is the median of all samples of all rounds —
// so load from other processes lands on every contender alike instead of on whoever ran during
// the busy second. tinybench does the timing and sample collection within a round.
import { Bench, type Fn } from 'tinybench';
import { rng } from './data.js';

/** A copy of `items` in a random order (Fisher–Yates) drawn from `next`, uniform in [0, 1). */
function shuffled<T>(items: readonly T[], next: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

export type Family = 'softmax' | 'logSoftmax' | 'crossEntropy' | 'matmul' | 'mnist' | 'copies';

export interface Contender {
  /** 'ours relaxed-simd', 'tfjs-wasm', … — stable: targets and RESULTS.md refer to it. */
  name: string;
  /** 'ours' for this library, 'peer' for everything it is compared with, 'reference' for a
   *  yardstick that is neither (the machine's FMA peak). */
  side: 'ours' | 'peer' | 'reference';
  /** What one timed call does, e.g. "softmax(x, cols) → new Float32Array". */
  does: string;
  /** The timed call; its result is checked before the timing and again after it (see Case.check). */
  run: () => unknown;
  /** run returns a promise (ORT, tfjs model.fit). */
  async?: boolean;
  /** Untimed, before each round of this contender: switch a tfjs backend, create resident inputs. */
  before?: () => void | Promise<void>;
  /** Untimed, after each round: dispose what `before` created, check for leaks. */
  after?: () => void | Promise<void>;
  /** Untimed, before every timed call (a fresh model for a training epoch). Forces batch 1. */
  beforeEach?: () => void | Promise<void>;
  /** Untimed, after every timed call (evaluate the model just trained). */
  afterEach?: () => void | Promise<void>;
  /** Untimed, once the case is over: free what the contender holds for all rounds (an ORT session). */
  dispose?: () => void | Promise<void>;
  /** The result is not comparable (kernel-only variants that do not read back). */
  noCheck?: boolean;
  /** Takes seconds per call: run in fewer rounds (full mode) and skipped in quick mode. */
  slow?: boolean;
  /** Set when the contender cannot run here; it is listed with this note and not timed. */
  skip?: string;
}

export interface Case {
  id: string;
  family: Family;
  title: string;
  /** Elements processed per call, for ns/element (0: not meaningful). */
  elements: number;
  /** Bytes a call must read and write at least (inputs + outputs), for GB/s. */
  bytes: number;
  /** Floating-point operations per call, for GFLOP/s (matmul: 2·m·k·n). */
  flops: number;
  /** The contender the ratios are computed against. */
  baseline: string;
  contenders: Contender[];
  /** Checks one contender's result; returns an error message or null. */
  check?: (result: unknown) => string | null;
  /** Untimed, after the timed rounds: more measurements for extras (the MNIST case's paired
   *  accuracy check). A failure is logged and leaves them out. */
  afterTiming?: (log: (line: string) => void) => Promise<void>;
  /** Extra per-contender measurements to report (accuracy after the epoch, …). */
  extras?: (name: string) => Record<string, number | string> | undefined;
  /** Untimed: frees everything the case built (sessions, tensors, arrays). */
  dispose?: () => void | Promise<void>;
}

export interface RunOptions {
  rounds: number;
  /** Time budget per contender per round, ms. */
  roundMs: number;
  /** Warm-up budget per contender before the first round, ms. */
  warmupMs: number;
  /** Rounds for slow contenders: those flagged slow, and those whose first call took longer than
   *  slowCallMs. */
  slowRounds: number;
  slowCallMs: number;
  /** Quick mode skips slow contenders. */
  quick: boolean;
  /** A contender whose checking call takes longer than this is reported from that call alone. */
  maxCallMs: number;
  log: (line: string) => void;
}

export interface ContenderResult {
  name: string;
  side: Contender['side'];
  does: string;
  status: 'ok' | 'skipped' | 'mismatch' | 'error';
  note?: string;
  /** Median wall time per call, ms. */
  medianMs?: number;
  /** Median CPU time per call, ms (see taskFn). */
  cpuMedianMs?: number;
  /** Interquartile range / median: how noisy this contender's samples were. */
  spread?: number;
  minMs?: number;
  samples?: number;
  /** Calls timed together per sample (tiny calls are batched to be above timer resolution). */
  batch?: number;
  nsPerElement?: number;
  gbPerS?: number;
  gflopPerS?: number;
  /** This contender's median / the baseline's median: peer / ours, > 1 when ours is faster. */
  ratio?: number;
  /** The same ratio from CPU-time medians. */
  cpuRatio?: number;
  extras?: Record<string, number | string>;
}

/** A case's description (the plain fields of Case) with each contender's measurements. */
export interface CaseResult extends Pick<Case, 'id' | 'family' | 'title' | 'elements' | 'bytes' | 'flops' | 'baseline'> {
  contenders: ContenderResult[];
}

const gc: () => void = (globalThis as { gc?: () => void }).gc ?? (() => {});

function median(sorted: number[]): number {
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function quantile(sorted: number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos), hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

// A sample should last ≥ 0.5 ms so the clocks' resolution (1 µs for process.cpuUsage) and their
// cost (≈ 0.4 µs) stay below 0.3 % of it.
const SAMPLE_TARGET_MS = 0.5;

async function callOnce(c: Contender): Promise<{ result: unknown; ms: number; cpuMs: number }> {
  if (c.beforeEach) await c.beforeEach();
  const c0 = cpuNow(), t0 = performance.now();
  const result = c.async ? await (c.run() as Promise<unknown>) : c.run();
  const ms = performance.now() - t0, cpuMs = cpuNow() - c0;
  if (c.afterEach) await c.afterEach();
  return { result, ms, cpuMs };
}

/** CPU time of this process (all threads: the main thread plus V8's GC helpers), ms. */
function cpuNow(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/**
 * The task function: `batch` calls, reported to tinybench as the mean wall time per call. The
 * CPU time of the same calls goes to `cpu` (ms per call): on a machine shared with other work,
 * wall time also counts the time other processes held the core; CPU time does not.
 */
function taskFn(c: Contender, batch: number, cpu: number[]): Fn {
  const { run } = c;
  if (c.async) {
    return async () => {
      const c0 = cpuNow(), t0 = performance.now();
      for (let i = 0; i < batch; i++) await run();
      const dt = performance.now() - t0;
      cpu.push((cpuNow() - c0) / batch);
      return { overriddenDuration: dt / batch, overriddenIterationCost: dt };
    };
  }
  return () => {
    const c0 = cpuNow(), t0 = performance.now();
    for (let i = 0; i < batch; i++) run();
    const dt = performance.now() - t0;
    cpu.push((cpuNow() - c0) / batch);
    return { overriddenDuration: dt / batch, overriddenIterationCost: dt };
  };
}

export async function runCase(c: Case, opts: RunOptions): Promise<CaseResult> {
  const results = new Map<string, ContenderResult>();
  const live: Contender[] = [];
  const slow = new Set<string>();
  const single = new Map<string, { ms: number; cpuMs: number }>();
  const batches = new Map<string, number>();

  // Check every contender's result once and size its batch from a few untimed calls.
  for (const contender of c.contenders) {
    const base: ContenderResult = { name: contender.name, side: contender.side, does: contender.does, status: 'ok' };
    results.set(contender.name, base);
    if (contender.skip || (contender.slow && opts.quick)) {
      Object.assign(base, { status: 'skipped', note: contender.skip ?? 'slow: full run only' });
      continue;
    }
    try {
      if (contender.before) await contender.before();
      const first = await callOnce(contender);
      const problem = contender.noCheck || !c.check ? null : c.check(first.result);
      // A first call also grows memory and compiles: judge slowness on a second, warm call, so
      // that one cold call does not leave a fast contender with a single sample.
      const warm = !contender.slow && first.ms > opts.slowCallMs && first.ms <= opts.maxCallMs ? await callOnce(contender) : first;
      let perCall = Math.min(first.ms, warm.ms);
      // Slow calls are warmed by the checking calls alone and timed in opts.slowRounds rounds.
      if (contender.slow || perCall > opts.slowCallMs) slow.add(contender.name);
      if (!slow.has(contender.name)) {
        // Warm up (JIT tiers, caches) for warmupMs; calls slower than that get one more call.
        const deadline = performance.now() + opts.warmupMs;
        const minCalls = perCall > opts.warmupMs ? 1 : 2;
        let calls = 0;
        while (calls < minCalls || performance.now() < deadline) {
          // The fastest warm call sizes the batch: the mean would count JIT compilation and
          // preemption by other processes, and give tiny calls too small a batch.
          perCall = Math.min(perCall, (await callOnce(contender)).ms);
          calls++;
        }
      }
      if (contender.after) await contender.after();
      if (problem) {
        Object.assign(base, { status: 'mismatch', note: problem });
        continue;
      }
      if (first.ms > opts.maxCallMs) {
        single.set(contender.name, first);
        continue;
      }
      const batch = contender.beforeEach || contender.afterEach ? 1 : Math.max(1, Math.min(100_000, Math.round(SAMPLE_TARGET_MS / Math.max(perCall, 1e-6))));
      batches.set(contender.name, batch);
      live.push(contender);
    } catch (error) {
      Object.assign(base, { status: 'error', note: (error as Error).message.split('\n')[0] });
    }
  }

  // Interleaved rounds.
  const samples = new Map<string, number[]>(live.map((x) => [x.name, []]));
  const cpuSamples = new Map<string, number[]>(live.map((x) => [x.name, []]));
  const nextOrder = rng(live.length * 7919 + opts.rounds);
  for (let round = 0; round < opts.rounds; round++) {
    // A seeded shuffle, not a rotation: a rotation keeps every contender behind the same one (and
    // the garbage or cache state it leaves), round after round.
    const order = shuffled(live, nextOrder).filter((x) => !slow.has(x.name) || round < opts.slowRounds);
    const bench = new Bench({
      time: opts.roundMs,
      iterations: 1,
      warmup: false,
      retainSamples: true,
      throws: true,
    });
    for (const contender of order) {
      const cpuThisRound: number[] = [];
      bench.add(contender.name, taskFn(contender, batches.get(contender.name)!, cpuThisRound), {
        async: contender.async ?? false,
        beforeAll: async () => {
          gc();
          if (contender.before) await contender.before();
        },
        afterAll: async (mode) => {
          if (contender.after) await contender.after();
          if (mode === 'run') cpuSamples.get(contender.name)!.push(...cpuThisRound);
        },
        beforeEach: contender.beforeEach ? async () => { await contender.beforeEach!(); } : undefined,
        afterEach: contender.afterEach ? async () => { await contender.afterEach!(); } : undefined,
      });
    }
    try {
      const tasks = await bench.run();
      for (const task of tasks) {
        const r = task.result;
        if (r.state === 'completed' && r.latency.samples) samples.get(task.name)!.push(...r.latency.samples);
      }
    } catch (error) {
      opts.log(`  round ${round}: ${(error as Error).message.split('\n')[0]}`);
    }
  }

  // Checked again on a last call after the timing: a contender that cached its result, or did
  // less work, after its first call would otherwise be timed doing less than it was checked for.
  if (c.check) {
    for (const contender of live) {
      if (contender.noCheck) continue;
      const res = results.get(contender.name)!;
      try {
        if (contender.before) await contender.before();
        const problem = c.check((await callOnce(contender)).result);
        if (contender.after) await contender.after();
        if (problem) Object.assign(res, { status: 'mismatch', note: `after the timing: ${problem}` });
      } catch (error) {
        Object.assign(res, { status: 'error', note: `after the timing: ${(error as Error).message.split('\n')[0]}` });
      }
    }
  }

  if (c.afterTiming) {
    try {
      await c.afterTiming(opts.log);
    } catch (error) {
      opts.log(`  ${c.id}: ${(error as Error).message.split('\n')[0]}`);
    }
  }

  const medianOf = (list: number[] | undefined) => (list && list.length ? median([...list].sort((a, b) => a - b)) : undefined);
  const baselineMs = medianOf(samples.get(c.baseline));
  const baselineCpuMs = medianOf(cpuSamples.get(c.baseline));
  for (const [name, call] of single) {
    samples.set(name, [call.ms]);
    cpuSamples.set(name, [call.cpuMs]);
    results.get(name)!.note = `one call (over ${opts.maxCallMs / 1000} s)`;
  }
  for (const contender of [...live, ...c.contenders.filter((x) => single.has(x.name))]) {
    const res = results.get(contender.name)!;
    if (res.status !== 'ok') continue; // failed the check after the timing
    const s = samples.get(contender.name)!.sort((a, b) => a - b);
    if (!s.length) {
      Object.assign(res, { status: 'error', note: res.note ?? 'no samples' });
      continue;
    }
    const ms = median(s);
    res.medianMs = ms;
    res.minMs = s[0];
    res.spread = (quantile(s, 0.75) - quantile(s, 0.25)) / ms;
    res.samples = s.length;
    res.batch = batches.get(contender.name);
    if (c.elements) res.nsPerElement = (ms * 1e6) / c.elements;
    if (c.bytes) res.gbPerS = c.bytes / (ms * 1e6);
    if (c.flops) res.gflopPerS = c.flops / (ms * 1e6);
    res.cpuMedianMs = medianOf(cpuSamples.get(contender.name));
    if (baselineMs !== undefined) res.ratio = ms / baselineMs;
    if (baselineCpuMs !== undefined && res.cpuMedianMs !== undefined) res.cpuRatio = res.cpuMedianMs / baselineCpuMs;
    const extras = c.extras?.(contender.name);
    if (extras) res.extras = extras;
  }
  for (const contender of c.contenders) {
    try {
      if (contender.dispose) await contender.dispose();
    } catch (error) {
      opts.log(`  ${contender.name}: dispose: ${(error as Error).message.split('\n')[0]}`);
    }
  }
  if (c.dispose) await c.dispose();
  return {
    id: c.id, family: c.family, title: c.title, elements: c.elements, bytes: c.bytes, flops: c.flops,
    baseline: c.baseline, contenders: c.contenders.map((x) => results.get(x.name)!),
  };
}
