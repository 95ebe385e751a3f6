// Panel 1: the derivation of MATH.md made visible. Every number comes from the library: softmax
// for the probabilities, crossEntropy (grad: true) for the loss and ∂J/∂z = (a − y)/T, and
// softmaxJacobian for J = diag(a) − a aᵀ.
import type { Api } from 'softmax-wasm';
import { el, fixed } from './format.js';

interface Example {
  logits: number[];
  target: number;
}

/** MATH.md's worked examples. */
const EXAMPLES: Example[] = [
  { logits: [2.0, 1.0, 0.1], target: 0 },
  { logits: [1, 5, 3], target: 1 },
];
const MAX_CLASSES = 10;

interface State extends Example {
  temperature: number;
}

export function setupExplorer(api: Api, root: HTMLElement): void {
  const state: State = { ...EXAMPLES[0], logits: [...EXAMPLES[0].logits], temperature: 1 };
  const rows = root.querySelector<HTMLElement>('#explorer-rows')!;
  const temperature = root.querySelector<HTMLInputElement>('#temperature')!;
  const temperatureValue = root.querySelector<HTMLOutputElement>('#temperature-value')!;
  const lossValue = root.querySelector<HTMLElement>('#loss')!;
  const lossFormula = root.querySelector<HTMLElement>('#loss-formula')!;
  const gradHeader = root.querySelector<HTMLElement>('#grad-header')!;
  const showJacobian = root.querySelector<HTMLInputElement>('#show-jacobian')!;
  const jacobian = root.querySelector<HTMLElement>('#jacobian')!;
  const addClass = root.querySelector<HTMLButtonElement>('#add-class')!;
  const removeClass = root.querySelector<HTMLButtonElement>('#remove-class')!;
  const presets = root.querySelectorAll<HTMLButtonElement>('[data-example]');
  const warning = root.querySelector<HTMLElement>('#explorer-warning')!;

  function compute() {
    const cols = state.logits.length;
    const z = Float32Array.from(state.logits);
    const probs = api.softmax(z, cols, { temperature: state.temperature });
    const { loss, grad } = api.crossEntropy(z, [state.target], cols, { temperature: state.temperature, grad: true });
    return { probs, loss, grad: grad!, jacobian: api.softmaxJacobian(probs) };
  }

  function renderRows(): void {
    rows.replaceChildren();
    state.logits.forEach((logit, i) => {
      // A row of the table (role="table" in index.html) to assistive technology: the class heads
      // the row, and each control or bar is a cell of it.
      const row = el('div', 'erow');
      row.setAttribute('role', 'row');
      row.dataset.class = String(i);
      const cls = el('span', 'cls', String(i));
      cls.setAttribute('role', 'rowheader');
      row.append(cls);

      const input = el('input', 'logit');
      input.type = 'number';
      input.step = '0.1';
      input.value = String(logit);
      input.setAttribute('aria-label', `logit z${i}`);
      // Until the field holds a number again (while "-" or "1e" is being typed) the last number
      // stays in use, and the field says so; leaving it puts that number back.
      input.addEventListener('input', () => {
        const value = Number(input.value);
        const valid = input.value.trim() !== '' && Number.isFinite(value);
        input.setAttribute('aria-invalid', String(!valid));
        if (valid) {
          state.logits[i] = value;
          update();
        }
      });
      input.addEventListener('change', () => {
        input.value = String(state.logits[i]);
        input.setAttribute('aria-invalid', 'false');
      });
      // In a cell of its own: the field keeps its role (spinbutton).
      const logitCell = el('span', 'logit-cell');
      logitCell.setAttribute('role', 'cell');
      logitCell.append(input);
      row.append(logitCell);

      const target = el('label', 'target');
      target.setAttribute('role', 'cell');
      const radio = el('input');
      radio.type = 'radio';
      radio.name = 'target';
      radio.checked = i === state.target;
      radio.setAttribute('aria-label', `target class ${i}`);
      radio.addEventListener('change', () => {
        state.target = i;
        update();
      });
      target.append(radio, el('span', 'target-y'));
      row.append(target);

      const prob = el('div', 'bar prob');
      prob.append(el('span', 'fill'), el('span', 'value'));
      const grad = el('div', 'bar grad');
      grad.append(el('span', 'axis'), el('span', 'fill'), el('span', 'value'));
      for (const cell of [prob, grad]) cell.setAttribute('role', 'cell');
      row.append(prob, grad);
      rows.append(row);
    });
  }

  function update(): void {
    const { probs, loss, grad, jacobian: jac } = compute();
    const cols = state.logits.length;
    // A NaN value gets no bar: the browser ignores a width of "NaN%" and would leave the last
    // value's bar standing (and NaN < 0 is false, which would colour a gradient positive).
    const gradScale = Math.max(1, ...Array.from(grad, Math.abs).filter((v) => !Number.isNaN(v)));
    rows.querySelectorAll<HTMLElement>('.erow').forEach((row, i) => {
      row.classList.toggle('is-target', i === state.target);
      row.querySelector<HTMLElement>('.target-y')!.textContent = i === state.target ? '1' : '0';
      const prob = row.querySelector<HTMLElement>('.prob')!;
      const p = probs[i];
      prob.querySelector<HTMLElement>('.fill')!.style.width = Number.isNaN(p) ? '0%' : `${(p * 100).toFixed(2)}%`;
      prob.querySelector<HTMLElement>('.value')!.textContent = fixed(p, 6);
      const g = grad[i];
      const fill = row.querySelector<HTMLElement>('.grad .fill')!;
      const half = Number.isNaN(g) ? 0 : (Math.abs(g) / gradScale) * 50;
      fill.style.width = `${half.toFixed(2)}%`;
      fill.style.left = g < 0 ? `${(50 - half).toFixed(2)}%` : '50%';
      fill.classList.toggle('negative', g < 0);
      row.querySelector<HTMLElement>('.grad .value')!.textContent = fixed(g, 6);
    });
    const t = state.temperature;
    const unit = t === 1;
    gradHeader.textContent = unit ? '∂J/∂z = a − y' : '∂J/∂z = (a − y)/T';
    lossFormula.textContent = unit
      ? `J = −log a${sub(state.target)} = logsumexp(z) − z${sub(state.target)}`
      : `J = −log a${sub(state.target)} = logsumexp(z/T) − z${sub(state.target)}/T`;
    lossValue.textContent = fixed(loss, 6);
    temperatureValue.textContent = t.toFixed(2);
    // A focused button that disables itself drops the keyboard focus to <body>: at its limit, the
    // focus moves to the other button first.
    addClass.disabled = removeClass.disabled = false;
    if (cols >= MAX_CLASSES && document.activeElement === addClass) removeClass.focus();
    if (cols <= 2 && document.activeElement === removeClass) addClass.focus();
    addClass.disabled = cols >= MAX_CLASSES;
    removeClass.disabled = cols <= 2;
    presets.forEach((button) => {
      const example = EXAMPLES[Number(button.dataset.example)];
      const active = t === 1 && example.target === state.target
        && example.logits.length === cols && example.logits.every((v, i) => v === state.logits[i]);
      button.setAttribute('aria-pressed', String(active));
    });
    warning.textContent = rangeWarning(state);
    warning.hidden = warning.textContent === '';
    if (showJacobian.checked) renderJacobian(jacobian, jac, cols);
    jacobian.hidden = !showJacobian.checked;
  }

  presets.forEach((button) => {
    button.addEventListener('click', () => {
      const example = EXAMPLES[Number(button.dataset.example)];
      state.logits = [...example.logits];
      state.target = example.target;
      state.temperature = 1;
      temperature.value = '1';
      renderRows();
      update();
    });
  });
  temperature.addEventListener('input', () => {
    state.temperature = Number(temperature.value);
    update();
  });
  addClass.addEventListener('click', () => {
    state.logits.push(0);
    renderRows();
    update();
  });
  removeClass.addEventListener('click', () => {
    state.logits.pop();
    state.target = Math.min(state.target, state.logits.length - 1);
    renderRows();
    update();
  });
  showJacobian.addEventListener('change', update);
  renderRows();
  update();
}

/**
 * Logits beyond float32's range reach the kernels as ±∞ (the library computes in float32), which
 * the page would otherwise show as NaN or ∞ without a word. The warning names every such logit
 * and says what the row gives, by the README's rules ("Data is not validated: NaN and ±∞"): a
 * +∞ makes the whole row NaN, and so does a row that is all −∞; a −∞ among finite logits has
 * probability 0 and, as the target, loss ∞.
 */
function rangeWarning(state: State): string {
  const beyond = state.logits.flatMap((v, i) => (Number.isFinite(Math.fround(v)) ? [] : [{ i, v, name: `z${sub(i)}` }]));
  if (beyond.length === 0) return '';
  const positive = beyond.filter(({ v }) => v > 0);
  const negative = beyond.filter(({ v }) => v < 0);
  const seen = positive.length === 0 ? '−∞' : negative.length === 0 ? '+∞'
    : `+∞ for ${list(positive.map(({ name }) => name))} and −∞ for ${list(negative.map(({ name }) => name))}`;
  const one = beyond.length === 1;
  const targetMasked = negative.some(({ i }) => i === state.target);
  let effect: string;
  if (positive.length > 0) effect = 'a row with +∞ has no finite softmax, so every value is NaN (as in PyTorch)';
  else if (negative.length === state.logits.length) effect = 'a row that is all −∞ has no finite softmax, so every value is NaN (as in PyTorch)';
  else if (one) effect = `its probability is 0${targetMasked ? ' and, as the target, its loss is ∞' : ''}`;
  else effect = `their probabilities are 0${targetMasked ? ` and, as z${sub(state.target)} is the target, the loss is ∞` : ''}`;
  const named = list(beyond.map(({ name, v }) => `${name} = ${String(v).replace('-', '−')}`));
  return `${named} ${one ? 'is' : 'are'} beyond float32's range (±3.4·10³⁸), so the kernels see ${seen}: ${effect}.`;
}

/** "a", "a and b", "a, b and c". */
function list(items: string[]): string {
  return items.length < 2 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

const SUBSCRIPTS = '₀₁₂₃₄₅₆₇₈₉';
function sub(n: number): string {
  return String(n).replace(/\d/g, (d) => SUBSCRIPTS[Number(d)]);
}

/** A diverging heat map: positive entries (the diagonal a_i(1 − a_i)) warm, negative (−a_i a_j) cool. */
function renderJacobian(container: HTMLElement, jac: Float32Array, cols: number): void {
  const scale = Math.max(1e-12, ...Array.from(jac, Math.abs));
  const grid = el('div', 'heat');
  grid.style.gridTemplateColumns = `auto repeat(${cols}, minmax(0, 1fr))`;
  grid.append(el('span', 'heat-corner', '∂aᵢ/∂zⱼ'));
  for (let j = 0; j < cols; j++) grid.append(el('span', 'heat-head', `z${sub(j)}`));
  for (let i = 0; i < cols; i++) {
    grid.append(el('span', 'heat-head', `a${sub(i)}`));
    for (let j = 0; j < cols; j++) {
      const value = jac[i * cols + j];
      const cell = el('span', 'heat-cell', cols <= 6 ? fixed(value, 3) : '');
      const strength = Math.abs(value) / scale;
      cell.style.background = value >= 0
        ? `rgba(220, 95, 40, ${(0.08 + 0.85 * strength).toFixed(3)})`
        : `rgba(40, 110, 220, ${(0.08 + 0.85 * strength).toFixed(3)})`;
      cell.classList.toggle('strong', strength > 0.55);
      cell.title = `∂a${sub(i)}/∂z${sub(j)} = ${fixed(value, 6)}`;
      grid.append(cell);
    }
  }
  const note = el('p', 'note',
    'Diagonal aᵢ(1 − aᵢ) > 0, off-diagonal −aᵢaⱼ < 0; every row sums to 0 because the probabilities always sum to 1. '
    + 'Training never forms this matrix: softmaxBackward applies it as a ⊙ (g − ⟨g, a⟩) in O(cols).');
  container.replaceChildren(grid, note);
}
