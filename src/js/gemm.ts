// The oracle's matrix product: the textbook triple loop in f64, one dot product per entry.

export function matmul(
  a: Float32Array, b: Float32Array, c: Float32Array, m: number, k: number, n: number,
  transA: boolean, transB: boolean, alpha: number, accumulate: boolean, bias: Float32Array | null,
): void {
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let dot = 0;
      for (let p = 0; p < k; p++) {
        const aip = transA ? a[p * m + i] : a[i * k + p];
        const bpj = transB ? b[j * k + p] : b[p * n + j];
        dot += aip * bpj;
      }
      let value = alpha * dot;
      if (bias) value += bias[j];
      if (accumulate) value += c[i * n + j];
      c[i * n + j] = value;
    }
  }
}
