// One fully connected layer, z = a·W + b, a' = f(z), with every buffer resident in backend memory.
// The maths is MATH.md's "Back-propagation through a dense network": per layer one product for
// the forward pass (A·B), one for the weight gradient (Aᵀ·B) and one for the delta of the layer
// below (A·Bᵀ), all through Backend.matmul's transpose flags, so nothing is ever transposed in
// memory.
import type { Activation, Backend, F32Buffer } from '../backend.js';

/**
 * A layer's activation. 'softmax' is only valid for the output layer: its forward pass stops at
 * the logits z and the softmax is applied by the loss (fused with cross-entropy) or by predict.
 */
export type LayerActivation = Activation | 'softmax';

/** The backend buffers one network owns, so they can all be released at once. */
export class ResidentBuffers {
  private readonly buffers = new Set<F32Buffer>();

  constructor(readonly backend: Backend) {}

  /** A zero-filled buffer of `length` floats. */
  alloc(length: number): F32Buffer {
    const buffer = this.backend.allocF32(length);
    this.buffers.add(buffer);
    return buffer;
  }

  free(buffer: F32Buffer): void {
    if (this.buffers.delete(buffer)) this.backend.release(buffer);
  }

  freeAll(): void {
    for (const buffer of this.buffers) this.backend.release(buffer);
    this.buffers.clear();
  }
}

export class Dense {
  /** inputs × outputs, row-major: column j holds the weights into output unit j. */
  readonly weight: F32Buffer;
  readonly bias: F32Buffer;
  /** ∂C/∂W and ∂C/∂b of the last backward pass (already averaged over the batch). */
  readonly weightGrad: F32Buffer;
  readonly biasGrad: F32Buffer;
  /** Momentum state, allocated the first time a step uses momentum. */
  weightVelocity: F32Buffer | null = null;
  biasVelocity: F32Buffer | null = null;

  /** a = f(z) for up to `capacity` rows (for 'softmax' and 'linear': z itself). */
  output!: F32Buffer;
  /** δ = ∂C/∂z, rows × outputs. */
  delta!: F32Buffer;
  /** ∂C/∂a written by the layer above, before the activation's derivative is applied. */
  private upstream: F32Buffer | null = null;
  private capacity = 0;

  constructor(
    private readonly memory: ResidentBuffers,
    readonly inputs: number,
    readonly outputs: number,
    public activation: LayerActivation,
  ) {
    this.weight = memory.alloc(inputs * outputs);
    this.bias = memory.alloc(outputs);
    this.weightGrad = memory.alloc(inputs * outputs);
    this.biasGrad = memory.alloc(outputs);
  }

  get parameterCount(): number {
    return this.inputs * this.outputs + this.outputs;
  }

  /** Whether f is applied elementwise after the product (not for 'linear' and 'softmax'). */
  private get elementwise(): Exclude<Activation, 'linear'> | null {
    return this.activation === 'linear' || this.activation === 'softmax' ? null : this.activation;
  }

  /** Makes room for batches of up to `rows` rows; buffers are only ever grown. */
  reserve(rows: number): void {
    if (rows <= this.capacity) return;
    // No capacity until every buffer has grown: if an allocation below fails (memory full), the
    // freed buffers are never used, and the next reserve allocates them again.
    this.capacity = 0;
    for (const buffer of [this.output, this.delta, this.upstream]) if (buffer) this.memory.free(buffer);
    const length = rows * this.outputs;
    this.output = this.memory.alloc(length);
    this.delta = this.memory.alloc(length);
    this.upstream = this.elementwise ? this.memory.alloc(length) : null;
    this.capacity = rows;
  }

  /** Space for velocities, zeroed (a fresh momentum state). */
  resetVelocity(): void {
    this.weightVelocity ??= this.memory.alloc(this.inputs * this.outputs);
    this.biasVelocity ??= this.memory.alloc(this.outputs);
    this.weightVelocity.view().fill(0);
    this.biasVelocity.view().fill(0);
  }

  /** output = f(input·W + b) for `rows` rows of input (rows × inputs). */
  forward(backend: Backend, input: F32Buffer, rows: number): void {
    backend.matmul(input, this.weight, this.output, rows, this.inputs, this.outputs, false, false, 1, false, this.bias);
    const f = this.elementwise;
    if (f) backend.activation(f, this.output, this.output, rows * this.outputs);
  }

  /** Where the layer above must write ∂C/∂a for this layer. */
  get gradientTarget(): F32Buffer {
    return this.upstream ?? this.delta;
  }

  /** δ = (∂C/∂a) ⊙ f'(z), with f' written in terms of the output as MATH.md does. */
  finishDelta(backend: Backend, rows: number): void {
    const f = this.elementwise;
    if (f) backend.activationBackward(f, this.output, this.upstream!, this.delta, rows * this.outputs);
  }

  /** ∂C/∂W = inputᵀ·δ, ∂C/∂b = Σ_rows δ. */
  parameterGradients(backend: Backend, input: F32Buffer, rows: number): void {
    backend.matmul(input, this.delta, this.weightGrad, this.inputs, rows, this.outputs, true, false, 1, false, null);
    backend.sumRows(this.delta, this.biasGrad, rows, this.outputs, false);
  }

  /** ∂C/∂(input) = δ·Wᵀ, written into the layer below's gradient target. */
  propagate(backend: Backend, rows: number, below: F32Buffer): void {
    backend.matmul(this.delta, this.weight, below, rows, this.outputs, this.inputs, false, true, 1, false, null);
  }
}
