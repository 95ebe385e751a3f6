// Plain float32 JavaScript: the loops a careful developer writes without a library — row max
// subtracted, Math.exp, results in a new Float32Array, loop orders that walk memory in order.
// They are a peer, not the oracle (src/js/ computes in f64 and is tested against MATH.md).

export function softmax(x: Float32Array, cols: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let start = 0; start < x.length; start += cols) {
    let max = -Infinity;
    for (let j = 0; j < cols; j++) if (x[start + j] > max) max = x[start + j];
    let sum = 0;
    for (let j = 0; j < cols; j++) {
      const e = Math.exp(x[start + j] - max);
      out[start + j] = e;
      sum += e;
    }
    const inv = 1 / sum;
    for (let j = 0; j < cols; j++) out[start + j] *= inv;
  }
  return out;
}

export function logSoftmax(x: Float32Array, cols: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let start = 0; start < x.length; start += cols) {
    let max = -Infinity;
    for (let j = 0; j < cols; j++) if (x[start + j] > max) max = x[start + j];
    let sum = 0;
    for (let j = 0; j < cols; j++) sum += Math.exp(x[start + j] - max);
    const shift = max + Math.log(sum);
    for (let j = 0; j < cols; j++) out[start + j] = x[start + j] - shift;
  }
  return out;
}

/** Mean cross-entropy over rows and its gradient (softmax − onehot) / rows. */
export function crossEntropy(logits: Float32Array, targets: Int32Array, cols: number): { loss: number; grad: Float32Array } {
  const rows = targets.length;
  const grad = new Float32Array(logits.length);
  let total = 0;
  for (let r = 0; r < rows; r++) {
    const start = r * cols;
    let max = -Infinity;
    for (let j = 0; j < cols; j++) if (logits[start + j] > max) max = logits[start + j];
    let sum = 0;
    for (let j = 0; j < cols; j++) {
      const e = Math.exp(logits[start + j] - max);
      grad[start + j] = e;
      sum += e;
    }
    const t = targets[r];
    total += max + Math.log(sum) - logits[start + t];
    const scale = 1 / (sum * rows);
    for (let j = 0; j < cols; j++) grad[start + j] *= scale;
    grad[start + t] -= 1 / rows;
  }
  return { loss: total / rows, grad };
}

/** C[m×n] = op(A)·op(B), row-major; A is k×m when transA, B is n×k when transB. */
export function matmul(a: Float32Array, b: Float32Array, m: number, k: number, n: number, transA: boolean, transB: boolean): Float32Array {
  const c = new Float32Array(m * n);
  if (transB && !transA) {
    // Rows of A and of B are both contiguous: one dot product per output.
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let sum = 0;
        for (let p = 0; p < k; p++) sum += a[i * k + p] * b[j * k + p];
        c[i * n + j] = sum;
      }
    }
    return c;
  }
  // i-p-j order: the inner loop streams a row of B into a row of C.
  for (let i = 0; i < m; i++) {
    const ci = i * n;
    for (let p = 0; p < k; p++) {
      const aip = transA ? a[p * m + i] : a[i * k + p];
      if (transB) {
        for (let j = 0; j < n; j++) c[ci + j] += aip * b[j * k + p];
      } else {
        const bp = p * n;
        for (let j = 0; j < n; j++) c[ci + j] += aip * b[bp + j];
      }
    }
  }
  return c;
}
