// The oracle for the softmax family: plain TypeScript in f64, written the way MATH.md derives
// it. Results are stored as float32 like the wasm kernels'. It is also the shipped fallback
// where wasm SIMD is missing.

/** The row maximum; NaN if the row holds a NaN (Math.max). */
export function rowMax(x: Float32Array, start: number, cols: number): number {
  let m = -Infinity;
  for (let j = 0; j < cols; j++) m = Math.max(m, x[start + j]);
  return m;
}

/** a_j = e^{z_j/T − max} / Σ_k e^{z_k/T − max}, row by row. */
export function softmax(x: Float32Array, out: Float32Array, rows: number, cols: number, invTemperature: number): void {
  for (let r = 0; r < rows; r++) {
    const start = r * cols;
    const m = rowMax(x, start, cols);
    let total = 0;
    for (let j = 0; j < cols; j++) total += Math.exp((x[start + j] - m) * invTemperature);
    for (let j = 0; j < cols; j++) out[start + j] = Math.exp((x[start + j] - m) * invTemperature) / total;
  }
}

/** logsumexp(z/T) of one row; an infinite max is not subtracted, as in PyTorch. */
function logSumExpRow(x: Float32Array, start: number, cols: number, invTemperature: number): number {
  let m = rowMax(x, start, cols);
  if (!Number.isFinite(m) && !Number.isNaN(m)) m = 0;
  let total = 0;
  for (let j = 0; j < cols; j++) total += Math.exp((x[start + j] - m) * invTemperature);
  return m * invTemperature + Math.log(total);
}

/** log a_j = (z_j − max)/T − log Σ_k e^{(z_k − max)/T}. */
export function logSoftmax(x: Float32Array, out: Float32Array, rows: number, cols: number, invTemperature: number): void {
  for (let r = 0; r < rows; r++) {
    const start = r * cols;
    const m = rowMax(x, start, cols);
    let total = 0;
    for (let j = 0; j < cols; j++) total += Math.exp((x[start + j] - m) * invTemperature);
    const logTotal = Math.log(total);
    for (let j = 0; j < cols; j++) out[start + j] = (x[start + j] - m) * invTemperature - logTotal;
  }
}

export function logSumExp(x: Float32Array, out: Float32Array, rows: number, cols: number, invTemperature: number): void {
  for (let r = 0; r < rows; r++) out[r] = logSumExpRow(x, r * cols, cols, invTemperature);
}

/** dx = y ⊙ (dy − ⟨dy, y⟩): the vector–Jacobian product of softmax, O(cols) per row. */
export function softmaxBackward(y: Float32Array, dy: Float32Array, dx: Float32Array, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) {
    const start = r * cols;
    let dot = 0;
    for (let j = 0; j < cols; j++) dot += dy[start + j] * y[start + j];
    for (let j = 0; j < cols; j++) dx[start + j] = y[start + j] * (dy[start + j] - dot);
  }
}
