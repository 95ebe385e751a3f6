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
