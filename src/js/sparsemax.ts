// The oracle for sparsemax (Martins & Astudillo, 2016, "From Softmax to Sparsemax"): the
// Euclidean projection of a row z onto the probability simplex, y = max(z − τ, 0) with τ chosen
// so that Σ y = 1. Algorithm 1 of the paper, in f64: sort z in decreasing order, the support size
// is k = max{k : 1 + k·z_(k) > Σ_{j≤k} z_(j)}, and τ = (Σ_{j≤k} z_(j) − 1) / k.

/**
 * Row by row. Each row is first shifted by its maximum (sparsemax(z − c) = sparsemax(z), and it
 * keeps the sums exact for huge logits). A row with a NaN or +∞, or with every entry −∞, becomes
 * all NaN (as softmax); −∞ entries of other rows get exactly 0.
 */
export function sparsemax(x: Float32Array, out: Float32Array, rows: number, cols: number): void {
  const sorted = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    const start = r * cols;
    let m = -Infinity;
    for (let j = 0; j < cols; j++) m = Math.max(m, x[start + j]);
    if (!Number.isFinite(m)) {
      out.fill(NaN, start, start + cols);
      continue;
    }
    for (let j = 0; j < cols; j++) sorted[j] = x[start + j] - m;
    sorted.sort().reverse();
    let cumulative = 0;
    let support = 0;
    let supportSum = 0;
    for (let k = 1; k <= cols; k++) {
      cumulative += sorted[k - 1];
      if (1 + k * sorted[k - 1] > cumulative) {
        support = k;
        supportSum = cumulative;
      }
    }
    const tau = (supportSum - 1) / support;
    for (let j = 0; j < cols; j++) out[start + j] = Math.max(x[start + j] - m - tau, 0);
  }
}

/**
 * The Jacobian of sparsemax is diag(s) − s sᵀ/|S| with s the support indicator, so the
 * vector–Jacobian product is dx_j = [y_j > 0]·(dy_j − v̂), v̂ = mean of dy over the support.
 */
export function sparsemaxBackward(y: Float32Array, dy: Float32Array, dx: Float32Array, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) {
    const start = r * cols;
    let supportSum = 0;
    let support = 0;
    for (let j = 0; j < cols; j++) {
      if (y[start + j] > 0) {
        supportSum += dy[start + j];
        support++;
      }
    }
    const mean = supportSum / support;
    for (let j = 0; j < cols; j++) dx[start + j] = y[start + j] > 0 ? dy[start + j] - mean : 0;
  }
}
