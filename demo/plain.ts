// "Plain JS": what one writes without this library — the same numerically stable algorithms as
// textbook loops over Float32Array with Math.exp and Math.log. The speed panel's baseline.

export function softmax(x: Float32Array, out: Float32Array, cols: number): void {
  for (let start = 0; start < x.length; start += cols) {
    let max = -Infinity;
    for (let j = 0; j < cols; j++) max = Math.max(max, x[start + j]);
    let sum = 0;
    for (let j = 0; j < cols; j++) {
      const e = Math.exp(x[start + j] - max);
      out[start + j] = e;
      sum += e;
    }
    for (let j = 0; j < cols; j++) out[start + j] /= sum;
  }
}

export function logSoftmax(x: Float32Array, out: Float32Array, cols: number): void {
  for (let start = 0; start < x.length; start += cols) {
    let max = -Infinity;
    for (let j = 0; j < cols; j++) max = Math.max(max, x[start + j]);
    let sum = 0;
    for (let j = 0; j < cols; j++) sum += Math.exp(x[start + j] - max);
    const lse = max + Math.log(sum);
    for (let j = 0; j < cols; j++) out[start + j] = x[start + j] - lse;
  }
}

/** Mean cross-entropy over rows and its gradient (a − y)/rows. */
export function crossEntropy(logits: Float32Array, targets: Int32Array, grad: Float32Array, cols: number): number {
  const rows = logits.length / cols;
  let total = 0;
  for (let r = 0; r < rows; r++) {
    const start = r * cols;
    let max = -Infinity;
    for (let j = 0; j < cols; j++) max = Math.max(max, logits[start + j]);
    let sum = 0;
    for (let j = 0; j < cols; j++) sum += Math.exp(logits[start + j] - max);
    const lse = max + Math.log(sum);
    total += lse - logits[start + targets[r]];
    for (let j = 0; j < cols; j++) grad[start + j] = Math.exp(logits[start + j] - lse) / rows;
    grad[start + targets[r]] -= 1 / rows;
  }
  return total / rows;
}
