// Panel 2: training in a Web Worker (worker.ts) with live curves, then a drawing pad whose
// digit the trained network classifies. The page only draws; all numerics run in the worker.
import { drawChart, type Series } from './chart.js';
import { drawPreview, setupDrawingPad } from './draw.js';
import { CLASSES, TEST_COUNT } from './digits.js';
import { el, fixed, millis } from './format.js';
import type { EpochReport, FromWorker, ToWorker, TrainSettings } from './protocol.js';
import type { BackendKind } from 'softmax-wasm';

const IDLE_NOTE = 'Train the network, then draw a digit (or show a test digit).';

/**
 * `backend`: the build the page runs, which the worker loads too; `fellBack`: the page runs the
 * plain-TypeScript backend because the WebAssembly kernels did not load.
 */
export function setupTraining(root: HTMLElement, dataUrl: string, backend: BackendKind, fellBack: boolean): void {
  const $ = <T extends HTMLElement>(selector: string) => root.querySelector<T>(selector)!;
  const button = $<HTMLButtonElement>('#train-button');
  const status = $('#train-status');
  const progress = $('#progress-fill');
  const chart = $<HTMLCanvasElement>('#chart');
  const stats = {
    epoch: $('#stat-epoch'), loss: $('#stat-loss'), accuracy: $('#stat-accuracy'),
    testAccuracy: $('#stat-test-accuracy'), time: $('#stat-time'),
  };
  const units = $<HTMLSelectElement>('#hidden-units');
  const activation = $<HTMLSelectElement>('#hidden-activation');
  const learningRate = $<HTMLSelectElement>('#learning-rate');
  const epochs = $<HTMLSelectElement>('#epochs');
  const prediction = $('#prediction');
  const predictionNote = $('#prediction-note');
  const preview = $<HTMLCanvasElement>('#preview');

  const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
  const send = (message: ToWorker, transfer: Transferable[] = []) => worker.postMessage(message, transfer);
  let loaded = false;
  let training = false;
  let trained = false;
  let reports: EpochReport[] = [];
  let plannedEpochs = Number(epochs.value);
  let predictionId = 0;
  let sampleIndex = 0;
  /**
   * The test digit on the pad, until the reader draws over it: predicted from its own pixels,
   * not from the upscaled picture, so the page shows what the test accuracy measures.
   */
  let shown: { pixels: Float32Array; label: number } | null = null;

  // Solid for the training figures and dashed for the test figures, on both axes.
  const series = (): Series[] => [
    { label: 'training loss', color: '#1d2330', axis: 'loss', values: reports.map((r) => r.loss) },
    { label: 'test loss', color: '#1d2330', axis: 'loss', dashed: true, values: reports.map((r) => r.testLoss) },
    { label: 'training accuracy', color: '#3b5bdb', axis: 'accuracy', values: reports.map((r) => r.accuracy) },
    { label: 'test accuracy', color: '#3b5bdb', axis: 'accuracy', dashed: true, values: reports.map((r) => r.testAccuracy) },
  ];
  const redraw = () => drawChart(chart, series(), plannedEpochs);
  new ResizeObserver(redraw).observe(chart);

  // ---- predictions ----
  const bars: HTMLElement[] = [];
  for (let digit = 0; digit < CLASSES; digit++) {
    const column = el('div', 'digit');
    const track = el('div', 'digit-track');
    const fill = el('span', 'digit-fill');
    track.append(fill);
    column.append(el('span', 'digit-value', ''), track, el('span', 'digit-label', String(digit)));
    prediction.append(column);
    bars.push(column);
  }
  function showPrediction(probabilities: Float32Array | null): void {
    let best = -1;
    if (probabilities) best = probabilities.indexOf(Math.max(...probabilities));
    bars.forEach((column, digit) => {
      const p = probabilities ? probabilities[digit] : 0;
      column.querySelector<HTMLElement>('.digit-fill')!.style.height = `${(p * 100).toFixed(1)}%`;
      column.querySelector<HTMLElement>('.digit-value')!.textContent = probabilities ? `${Math.round(p * 100)}%` : '';
      column.classList.toggle('best', digit === best);
    });
    root.dataset.predicted = best >= 0 ? String(best) : '';
    // The bars are one picture (role="img" in index.html) to assistive technology: its name reads them.
    prediction.setAttribute('aria-label', `Predicted probability of each digit: ${probabilities
      ? Array.from(probabilities, (p, digit) => `${digit}: ${Math.round(p * 100)} %`).join(', ')
      : 'none yet'}`);
  }
  showPrediction(null);

  const pad = setupDrawingPad($<HTMLCanvasElement>('#pad'), () => {
    shown = null;
    predict();
  });
  function predict(): void {
    const pixels = shown ? shown.pixels.slice() : pad.pixels();
    drawPreview(preview, pixels);
    if (!pixels) {
      showPrediction(null);
      predictionNote.textContent = trained ? 'Draw a digit (or show a test digit).' : IDLE_NOTE;
      return;
    }
    if (!trained) {
      predictionNote.textContent = 'Train the network first (one epoch is enough to start), then its guesses appear here.';
      return;
    }
    send({ type: 'predict', id: ++predictionId, pixels }, [pixels.buffer]);
  }
  $('#clear-pad').addEventListener('click', () => {
    shown = null;
    pad.clear();
    predict();
  });
  const testDigit = $<HTMLButtonElement>('#test-digit');
  testDigit.addEventListener('click', () => send({ type: 'sample', index: sampleIndex++ * 37 }));

  // ---- training ----
  function settings(): TrainSettings {
    return {
      hiddenUnits: Number(units.value),
      hidden: activation.value as TrainSettings['hidden'],
      epochs: Number(epochs.value),
      batchSize: 32,
      learningRate: Number(learningRate.value),
      momentum: 0.9,
      seed: 1 + Math.floor(Math.random() * 1e6),
    };
  }
  function setControls(): void {
    button.textContent = training ? 'Stop' : reports.length > 0 ? 'Train again' : 'Start training';
    button.classList.toggle('stop', training);
    for (const select of [units, activation, learningRate, epochs]) select.disabled = training;
  }
  button.addEventListener('click', (event) => {
    // A double-click is one request. Its second click lands on the button's other label: on
    // "Stop" after "Start training", and on "Train again" after "Stop" when the epoch ends (and
    // the button is enabled again) between the two clicks.
    if (event.detail > 1) return;
    if (training) {
      send({ type: 'stop' });
      button.disabled = true;
      status.textContent = 'Stopping after this epoch…';
      return;
    }
    const chosen = settings();
    plannedEpochs = chosen.epochs;
    reports = [];
    training = true;
    root.dataset.state = 'training';
    delete root.dataset.testAccuracy;
    status.textContent = `Training 784 → ${chosen.hiddenUnits} (${chosen.hidden}) → 10, batch ${chosen.batchSize}, η = ${chosen.learningRate}, momentum ${chosen.momentum}…`;
    progress.style.width = '0%';
    // The last run's figures are not this run's: blank until its first epoch ends.
    for (const stat of Object.values(stats)) stat.textContent = '–';
    setControls();
    redraw();
    send({ type: 'start', settings: chosen });
  });

  worker.onmessage = (event: MessageEvent<FromWorker>) => {
    const message = event.data;
    switch (message.type) {
      case 'ready':
        loaded = true;
        button.disabled = false;
        testDigit.disabled = false;
        status.textContent = `${message.train.toLocaleString('en')} training and ${message.test.toLocaleString('en')} test digits loaded; `
          + (message.backend !== 'js' ? `the worker runs the ${message.backend} kernels.`
            : message.fallback !== undefined || fellBack
              ? 'the worker runs the library\'s plain-TypeScript backend, as the WebAssembly kernels did not load: training is slower.'
              : 'the worker runs the library\'s plain-TypeScript backend (this browser lacks WebAssembly SIMD): training is slower.');
        break;
      case 'batch': {
        const done = (message.epoch - 1 + message.batch / message.batches) / plannedEpochs;
        progress.style.width = `${(done * 100).toFixed(1)}%`;
        break;
      }
      case 'epoch': {
        reports.push(message);
        trained = true;
        stats.epoch.textContent = `${message.epoch} / ${message.epochs}`;
        stats.loss.textContent = fixed(message.loss, 4);
        stats.accuracy.textContent = `${(message.accuracy * 100).toFixed(1)} %`;
        stats.testAccuracy.textContent = `${(message.testAccuracy * 100).toFixed(1)} %`;
        stats.time.textContent = millis(message.ms);
        root.dataset.testAccuracy = String(message.testAccuracy);
        redraw();
        predict();
        break;
      }
      case 'done': {
        training = false;
        button.disabled = false;
        root.dataset.state = 'done';
        progress.style.width = message.stopped ? progress.style.width : '100%';
        const last = reports[reports.length - 1];
        status.textContent = last
          ? `${message.stopped ? 'Stopped' : 'Done'} after ${last.epoch} epoch${last.epoch === 1 ? '' : 's'}: ${(last.testAccuracy * 100).toFixed(1)} % of the ${TEST_COUNT.toLocaleString('en')} unseen test digits right. Draw one!`
          : 'Stopped before the first epoch ended.';
        setControls();
        break;
      }
      case 'prediction':
        if (message.id === predictionId) {
          showPrediction(message.probabilities);
          const best = message.probabilities.indexOf(Math.max(...message.probabilities));
          const says = `network says ${best} (${Math.round(message.probabilities[best] * 100)} %).`;
          predictionNote.textContent = shown ? `A test digit labelled ${shown.label}: the ${says}` : `The ${says}`;
        }
        break;
      case 'sample':
        pad.show(message.pixels);
        shown = { pixels: message.pixels, label: message.label };
        predictionNote.textContent = `A test digit labelled ${message.label}.`;
        predict();
        break;
      case 'error':
        training = false;
        root.dataset.state = 'failed';
        status.textContent = loaded
          ? `Training failed: ${message.message}`
          : `The digits did not load (${message.message}). Reload the page to try again.`;
        setControls();
        // Without the digits there is nothing to train on.
        button.disabled = !loaded;
        break;
    }
  };
  worker.onerror = (event) => {
    root.dataset.state = 'failed';
    status.textContent = `The worker failed: ${event.message}`;
  };
  send({ type: 'load', dataUrl, backend });
  setControls();
  button.disabled = true;
  testDigit.disabled = true;
}

