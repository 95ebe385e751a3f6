// The oracle's row utilities.

export function argmax(x: Float32Array, out: Int32Array, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let j = 1; j < cols; j++) {
      const v = x[r * cols + j];
      if (Number.isNaN(x[r * cols + best])) break;
      if (v > x[r * cols + best] || Number.isNaN(v)) best = j;
    }
    out[r] = best;
  }
}

export function gatherRows(src: Float32Array, indices: Int32Array, dst: Float32Array, count: number, cols: number): void {
  for (let r = 0; r < count; r++) {
    const from = indices[r] * cols;
    for (let j = 0; j < cols; j++) dst[r * cols + j] = src[from + j];
  }
}

export function sumRows(x: Float32Array, out: Float32Array, rows: number, cols: number, accumulate: boolean): void {
  for (let j = 0; j < cols; j++) {
    let total = accumulate ? out[j] : 0;
    for (let r = 0; r < rows; r++) total += x[r * cols + j];
    out[j] = total;
  }
}

/**
 * Inverse-CDF sampling from softmax(x/T), one uniform u ∈ [0, 1) per row (as two floats, u =
 * uniforms[2r] + uniforms[2r + 1], as Backend.sampleCategorical takes it): the first class whose
 * cumulative probability exceeds u (classes of probability 0 are never chosen). A row with no
 * distribution (a NaN or +∞ logit, or every logit −∞) gives −1.
 */
export function sampleCategorical(
  x: Float32Array, uniforms: Float32Array, out: Int32Array, rows: number, cols: number, invTemperature: number,
): void {
  const weights = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    const start = r * cols;
    let m = -Infinity;
    for (let j = 0; j < cols; j++) m = Math.max(m, x[start + j]);
    let total = 0;
    for (let j = 0; j < cols; j++) total += (weights[j] = Math.exp((x[start + j] - m) * invTemperature));
    if (Number.isNaN(total)) {
      out[r] = -1;
      continue;
    }
    const threshold = (uniforms[2 * r] + uniforms[2 * r + 1]) * total;
    let cumulative = 0;
    let chosen = -1;
    for (let j = 0; j < cols; j++) {
      if (weights[j] === 0) continue;
      cumulative += weights[j];
      chosen = j;
      if (cumulative > threshold) break;
    }
    out[r] = chosen;
  }
}
