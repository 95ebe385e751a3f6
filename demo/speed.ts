// Panel 3: a quick benchmark in the reader's own browser. Each case runs the library's wasm
// builds, the plain-JS loops of plain.ts and, once the reader loads it, TensorFlow.js on its wasm
// backend, on the same seeded data; inputs are copied in and results copied out for everyone
// (tfjs: tensor2d + dataSync), so every column measures what an application would pay.
import { availableBackends, createBackend, type Api } from 'softmax-wasm';
import { el, millis } from './format.js';
import * as plain from './plain.js';

interface Case {
  name: string;
  rows: number;
  cols: number;
}

const CASES: Case[] = [
  { name: 'softmax', rows: 256, cols: 1000 },
  { name: 'logSoftmax', rows: 256, cols: 1000 },
  { name: 'crossEntropy + gradient', rows: 256, cols: 1000 },
  { name: 'softmax', rows: 4096, cols: 10 },
];

type Run = () => void;
type Tf = typeof import('@tensorflow/tfjs-core');

interface Column {
  label: string;
  prepare(c: Case, x: Float32Array, targets: Int32Array): Run;
}

function uniform(n: number, seed: number): Float32Array {
  let a = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a = (Math.imul(a, 1664525) + 1013904223) >>> 0;
    out[i] = (a / 4294967296) * 20 - 10;
  }
  return out;
}

function oursColumn(api: Api): Column {
  return {
    label: `softmax-wasm (${api.kind})`,
    prepare(c, x, targets) {
      const out = new Float32Array(x.length);
      if (c.name === 'softmax') return () => api.softmax(x, c.cols, out);
      if (c.name === 'logSoftmax') return () => api.logSoftmax(x, c.cols, out);
      return () => api.crossEntropy(x, targets, c.cols, { grad: out });
    },
  };
}

const plainColumn: Column = {
  label: 'plain JS',
  prepare(c, x, targets) {
    const out = new Float32Array(x.length);
    if (c.name === 'softmax') return () => plain.softmax(x, out, c.cols);
    if (c.name === 'logSoftmax') return () => plain.logSoftmax(x, out, c.cols);
    return () => plain.crossEntropy(x, targets, out, c.cols);
  },
};

function tfColumn(tf: Tf): Column {
  return {
    label: 'tfjs-wasm',
    prepare(c, x, targets) {
      const shape: [number, number] = [c.rows, c.cols];
      if (c.name === 'softmax') return () => tf.tidy(() => tf.softmax(tf.tensor2d(x, shape))).dataSync();
      if (c.name === 'logSoftmax') return () => tf.tidy(() => tf.logSoftmax(tf.tensor2d(x, shape))).dataSync();
      const oneHot = Float32Array.from({ length: x.length }, (_, i) => (targets[Math.floor(i / c.cols)] === i % c.cols ? 1 : 0));
      // The gradient of the mean loss, as tf.grad computes it (softmax, minus the one-hot, / rows).
      const lossGrad = tf.grad((z: import('@tensorflow/tfjs-core').Tensor) => tf.losses.softmaxCrossEntropy(tf.tensor2d(oneHot, shape), z));
      return () => tf.tidy(() => lossGrad(tf.tensor2d(x, shape))).dataSync();
    },
  };
}

/**
 * Lets the page handle input and paint between batches. A MessageChannel task rather than
 * setTimeout(0), which browsers clamp to 4 ms once such timeouts nest.
 */
function yieldToPage(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

/**
 * Milliseconds per call: batches of k calls, k doubled until a batch takes ≥ 8 ms (the page's
 * timer is coarse), then the median over batches within a small time budget. Each batch is
 * followed by a yield, so the page stays responsive (one batch, 8–16 ms, is the longest it
 * waits) and a Stop click is seen; `signal` aborts between batches.
 */
async function measure(run: Run, signal: AbortSignal): Promise<number> {
  // Two calls to warm up, in tasks of their own: plain JS's first calls run in the interpreter,
  // tens of milliseconds each at 256 × 1000.
  for (let i = 0; i < 2; i++) {
    await yieldToPage();
    run();
  }
  let k = 1;
  for (;;) {
    await yieldToPage();
    signal.throwIfAborted();
    const start = performance.now();
    for (let i = 0; i < k; i++) run();
    if (performance.now() - start >= 8 || k >= 1 << 16) break;
    k *= 2;
  }
  const perCall: number[] = [];
  const deadline = performance.now() + 250;
  while (perCall.length < 5 || (perCall.length < 25 && performance.now() < deadline)) {
    await yieldToPage();
    signal.throwIfAborted();
    const start = performance.now();
    for (let i = 0; i < k; i++) run();
    perCall.push((performance.now() - start) / k);
  }
  perCall.sort((a, b) => a - b);
  return perCall[perCall.length >> 1];
}

async function loadTf(): Promise<Tf> {
  // One after the other: tfjs-core registers its flags on load, and the rest reads them on load.
  const tf = await import('@tensorflow/tfjs-core');
  // tf.grad needs the gradient functions, which tfjs-core registers only on request.
  await import('@tensorflow/tfjs-core/dist/register_all_gradients');
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const [simd, threaded] = await Promise.all([
    import('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url'),
    import('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url'),
  ]);
  // Bundled with the page: no network beyond the server that serves it.
  wasm.setWasmPaths({
    'tfjs-backend-wasm.wasm': simd.default,
    'tfjs-backend-wasm-simd.wasm': simd.default,
    'tfjs-backend-wasm-threaded-simd.wasm': threaded.default,
  });
  if (!(await tf.setBackend('wasm'))) throw new Error('tfjs could not start its wasm backend');
  await tf.ready();
  return tf;
}

/** `fellBack`: the page runs the plain-TypeScript backend because the WebAssembly kernels did not load. */
export function setupSpeed(root: HTMLElement, fellBack: boolean): void {
  const runButton = root.querySelector<HTMLButtonElement>('#run-bench')!;
  const tfButton = root.querySelector<HTMLButtonElement>('#load-tf')!;
  const status = root.querySelector<HTMLElement>('#bench-status')!;
  const table = root.querySelector<HTMLTableElement>('#bench-table')!;
  let tf: Tf | null = null;
  // The run going on, which the run button (then reading "Stop") aborts between two batches of calls.
  let run: AbortController | null = null;

  // The status line carries a run's progress, then the key to its table; tfjs's loading shows on
  // its button, and what follows from it is added to the line, never put in the key's place.
  if (fellBack) {
    status.textContent = 'The WebAssembly kernels did not load, so this times the library\'s plain-TypeScript backend (js) '
      + `instead of its wasm builds. ${status.textContent ?? ''}`;
  }
  let key = status.textContent ?? '';
  let tfFailure = '';
  tfButton.addEventListener('click', async () => {
    tfButton.disabled = true;
    const label = tfButton.textContent;
    tfButton.textContent = 'Loading tfjs-wasm…';
    try {
      tf = await loadTf();
      tfButton.textContent = 'tfjs-wasm loaded';
      if (!run) status.textContent = `${key} tfjs-wasm loaded: the next run includes it.`;
    } catch (error) {
      tfButton.disabled = false;
      tfButton.textContent = label;
      // During a run the line shows its progress: the failure is told when the run ends.
      tfFailure = `Could not load tfjs-wasm: ${String(error)}`;
      if (!run) status.textContent = `${key} ${tfFailure}`;
    }
  });

  runButton.addEventListener('click', async (event) => {
    // A double-click is one request. Its second click lands on the button's other label: on
    // "Stop" after "Run the benchmark", and on "Run the benchmark" after "Stop" (a stop ends the
    // run within one batch, 8–16 ms, and enables the button again).
    if (event.detail > 1) return;
    if (run) {
      run.abort();
      runButton.disabled = true;
      return;
    }
    const controller = new AbortController();
    run = controller;
    const label = runButton.textContent;
    // Kept at its width, so "Load tfjs-wasm too" beside it does not slide under the pointer (the
    // second click of a double-click would land on it).
    runButton.style.minWidth = `${runButton.getBoundingClientRect().width}px`;
    runButton.textContent = 'Stop';
    runButton.classList.replace('primary', 'stop');
    tfFailure = '';
    root.dataset.state = 'running';
    let done = 0;
    try {
      // Each wasm build that loads; if none does, the library's plain-TypeScript backend, said so.
      const columns: Column[] = [];
      const failed: string[] = [];
      for (const kind of availableBackends()) {
        if (kind === 'js') continue;
        try {
          columns.push(oursColumn(await createBackend({ backend: kind })));
        } catch (error) {
          console.warn(`softmax-wasm demo: the '${kind}' build did not load`, error);
          failed.push(`'${kind}'`);
        }
      }
      const noWasm = columns.length === 0;
      if (noWasm) columns.push(oursColumn(await createBackend({ backend: 'js' })));
      const loadNote = failed.length === 0 ? ''
        : noWasm ? ' The WebAssembly kernels did not load: softmax-wasm (js) is the library\'s plain-TypeScript backend, not its wasm builds.'
          : ` The ${failed.join(' and ')} build did not load.`;
      columns.push(plainColumn);
      if (tf) columns.push(tfColumn(tf));
      const baseline = columns.indexOf(plainColumn);
      renderHead(table, columns);
      const body = el('tbody');
      table.tBodies[0]?.remove();
      table.append(body);
      for (const [index, c] of CASES.entries()) {
        status.textContent = `Running ${c.name} ${c.rows} × ${c.cols} (${index + 1} of ${CASES.length})…`;
        const x = uniform(c.rows * c.cols, 17 + index);
        const targets = Int32Array.from({ length: c.rows }, (_, r) => (r * 7) % c.cols);
        const row = el('tr');
        const name = el('th', '', c.name);
        name.append(el('span', 'shape', `${c.rows} × ${c.cols}`));
        row.append(name);
        const cells = columns.map(() => row.appendChild(el('td', 'time', '…')));
        body.append(row);
        const times: number[] = [];
        try {
          for (const [i, column] of columns.entries()) {
            times[i] = await measure(column.prepare(c, x, targets), controller.signal);
            cells[i].textContent = millis(times[i]);
          }
        } catch (error) {
          if (controller.signal.aborted) row.remove(); // a row without its speed-ups: not a result
          throw error;
        }
        for (const [i, cell] of cells.entries()) {
          if (i === baseline) continue;
          const speedup = times[baseline] / times[i];
          cell.append(el('span', speedup >= 1 ? 'speedup' : 'speedup slower', `×${speedup.toFixed(speedup >= 10 ? 0 : 1)}`));
        }
        done++;
      }
      const scrolls = table.parentElement!.scrollWidth > table.parentElement!.clientWidth;
      key = 'Median time per call (inputs copied in, results out); ×N = speed-up over plain JS. Run it again for steadier numbers.'
        + (scrolls ? ' Scroll the table sideways for every column.' : '') + loadNote;
      status.textContent = key
        + (tf && !columns.some((column) => column.label === 'tfjs-wasm') ? ' tfjs-wasm loaded during this run: run again to include it.' : '')
        + (tfFailure ? ` ${tfFailure}` : '');
      root.dataset.state = 'done';
    } catch (error) {
      // The line's new key, which a later tfjs load adds to (the last run's key no longer fits the table).
      if (controller.signal.aborted) {
        key = `Stopped after ${done} of ${CASES.length} cases.`;
        root.dataset.state = 'stopped';
      } else {
        key = `Benchmark failed: ${String(error)}`;
        root.dataset.state = 'failed';
      }
      status.textContent = key + (tfFailure ? ` ${tfFailure}` : '');
    } finally {
      run = null;
      runButton.textContent = label;
      runButton.style.minWidth = '';
      runButton.classList.replace('stop', 'primary');
      runButton.disabled = false;
    }
  });
}

function renderHead(table: HTMLTableElement, columns: Column[]): void {
  const head = table.tHead ?? table.createTHead();
  const row = el('tr');
  row.append(el('th', '', 'operation'));
  for (const column of columns) row.append(el('th', '', column.label));
  head.replaceChildren(row);
}
