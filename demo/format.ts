// Number formatting for the page: fixed decimals, a real minus sign, tabular figures via CSS.

export function fixed(value: number, digits: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? '∞' : '−∞';
  const text = Math.abs(value).toFixed(digits);
  // −0.000000 reads as a sign error: only a value that is non-zero at this precision gets a minus.
  return value < 0 && Number(text) !== 0 ? `−${text}` : text;
}

/** Milliseconds with a precision that suits the magnitude. */
export function millis(ms: number): string {
  if (ms >= 100) return `${ms.toFixed(0)} ms`;
  if (ms >= 10) return `${ms.toFixed(1)} ms`;
  if (ms >= 1) return `${ms.toFixed(2)} ms`;
  return `${(ms * 1000).toFixed(0)} µs`;
}

/** Creates an element with a class and optional text. */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, className = '', text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/**
 * What went wrong loading a build, in a few words: the library's message up to its advice (which
 * is about where the package's files sit, and a built page keeps them elsewhere), e.g. "could not
 * load http://…/assets/softmax-wasm.simd-….wasm: HTTP 404".
 */
export function loadFailure(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/^softmax-wasm: /, '').split(/; |\. /)[0].replace(/[.:]\s*$/, '');
}
