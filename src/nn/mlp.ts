// A multi-layer perceptron classifier trained by mini-batch SGD: dense layers with sigmoid, tanh
// or ReLU hidden units and a softmax output fused with cross-entropy (δ = a − y, MATH.md).
// Written against the Backend interface only. Parameters, gradients, velocities and the
// activations of the largest batch seen stay resident in backend memory, so a training step
// after the first allocates no backend memory: its scratch (the batch's row indices, labels and
// predicted classes, and the matrix products' packing space) comes from the per-call arena, which
// reuses the same space every step.
import type { Api, ClassIndices } from '../api.js';
import type { Backend, BackendKind, CrossEntropyParams, F32Buffer, I32Buffer, Scope } from '../backend.js';
// Only the function is imported (called at construction time), so this cycle with index.ts,
// which re-exports MLP, is harmless: the default instance lives there, set by init().
import { defaultInstance } from '../index.js';
import { disposeSymbol } from '../dispose-symbol.js';
import { inspectSymbol } from '../inspect-symbol.js';
import {
  checkFloat32Array, checkInteger, checkLength, checkNumber, checkOneOf, checkOptions, describe, FLOAT32_MAX, isClassIndexArray,
  SPLIT_THE_DATA,
} from '../validate.js';
import { VERSION } from '../version.js';
import { linearCrossEntropyChunks } from '../linear-cross-entropy.js';
import { Dense, ResidentBuffers, type LayerActivation } from './dense.js';
import { mlpJsonToOnnx, onnxToMlpJson } from './onnx.js';
import { Random } from '../random.js';
import { Tensor } from '../tensor.js';

export type { LayerActivation } from './dense.js';
export type HiddenActivation = 'sigmoid' | 'tanh' | 'relu' | 'linear';
export type WeightInit = 'xavier' | 'uniform';

export interface MLPOptions {
  /**
   * Activation of the hidden layers: one for all, or one per hidden layer (e.g. ['linear',
   * 'tanh'] for an embedding-like linear layer followed by a tanh layer). Default 'sigmoid'.
   */
  hidden?: HiddenActivation | readonly HiddenActivation[];
  /** Seeds initialisation and shuffling: the same seed gives the same run, bit for bit, on the same backend. Default 0. */
  seed?: number;
  /**
   * 'xavier' (default): Glorot uniform, W ~ U(−√(6/(in+out)), +√(6/(in+out))), b = 0.
   * 'uniform': W and b ~ U(−0.5, 0.5), the reference training example's initialisation.
   */
  init?: WeightInit;
  /** The instance (from init() or createBackend()) whose memory and kernels the net uses. Default: the init() instance. */
  backend?: Api;
  /**
   * Train the output layer through the fused linear + cross-entropy (linearCrossEntropy's chunk
   * loop), so a batch's batch × classes logits never exist at once: 'auto' (default) does it
   * from FUSED_OUTPUT_MIN_CLASSES = 1024 classes, where those logits dominate memory.
   */
  fusedOutput?: boolean | 'auto';
}

export interface FromJSONOptions {
  /** The instance to run on (from init() or createBackend()). Default: the one init() set. */
  backend?: Api;
  /** As MLPOptions.fusedOutput. */
  fusedOutput?: boolean | 'auto';
  /** Seeds the shuffling of later fit() calls. Default 0. */
  seed?: number;
}

/** The serialised network. z = a·W + b per layer, W stored inputs × outputs row-major. */
export interface MLPJSON {
  format: 'softmax-wasm.mlp';
  version: 1;
  /** Units per layer, inputs first. */
  sizes: number[];
  /** Per layer: its activation, W (inputs × outputs, row-major) and b (outputs), as float32 values. */
  layers: Array<{ activation: LayerActivation; weight: number[]; bias: number[] }>;
}

export interface EpochStats {
  /** 1-based. */
  epoch: number;
  /** Mean cross-entropy over the epoch's training rows, each batch measured before its update (as Keras reports it). */
  loss: number;
  /** Fraction of the epoch's training rows classified correctly, measured as for loss. */
  accuracy: number;
  /** On options.validation after the epoch; undefined without validation data. */
  valLoss?: number;
  /** As valLoss: the fraction of the validation rows classified correctly. */
  valAccuracy?: number;
  /** Wall-clock milliseconds of the epoch's training steps (not validation, nor the tasks fit yielded to). */
  ms: number;
}

/** The stats of an epoch trained with options.validation: its two figures are always there. */
export interface ValidatedEpochStats extends EpochStats {
  valLoss: number;
  valAccuracy: number;
}

/** Held-out rows for FitOptions.validation. */
export interface ValidationData {
  x: Float32Array;
  labels: ClassIndices;
}

export interface BatchProgress {
  /** 1-based index of the epoch being trained. */
  epoch: number;
  /** 1-based index of the batch just trained. */
  batch: number;
  /** Batches per epoch. */
  batches: number;
  /** Mean loss of that batch before its update. */
  loss: number;
}

export interface StepOptions {
  /** η. Default 0.1. */
  learningRate?: number;
  /** μ in [0, 1): v ← μ·v + g, p ← p − η·v. Default 0 (plain SGD). */
  momentum?: number;
  /** Rescales the gradients when their global L2 norm (over all parameters) exceeds this. Default: no clipping. */
  clipNorm?: number;
}

/**
 * Options of MLP.fit. `Stats` is what onEpoch receives: with a `validation`, fit's overload
 * gives ValidatedEpochStats, whose valLoss and valAccuracy need no check for undefined.
 */
export interface FitOptions<Stats extends EpochStats = EpochStats> extends StepOptions {
  /** Passes over the training data. Default 10. */
  epochs?: number;
  /** Rows per step (the gradient is averaged over them); the last batch of an epoch may be smaller. Default 32. */
  batchSize?: number;
  /** Reshuffle the rows before every epoch. Default true. */
  shuffle?: boolean;
  /** Evaluated after every epoch. */
  validation?: ValidationData;
  /** Called after every epoch; fit awaits it if it returns a promise. */
  onEpoch?: (stats: Stats) => void | Promise<void>;
  /** Called after every batch; fit awaits it if it returns a promise. */
  onBatch?: (progress: BatchProgress) => void | Promise<void>;
  /**
   * An AbortSignal: aborting stops training before the next batch; fit then resolves with
   * `aborted: true`. Typed by the one property fit reads, so the declarations need neither the DOM
   * nor Node's types.
   */
  signal?: { readonly aborted: boolean };
}

export interface FitHistory<Stats extends EpochStats = EpochStats> {
  /** One entry per completed epoch. */
  epochs: Stats[];
  /** Whether options.signal stopped training early (a partial epoch is not recorded). */
  aborted: boolean;
}

export interface ToONNXOptions {
  /** Name of the graph input, shape [batch, inputs]. Default 'input'. */
  inputName?: string;
  /** Name of the graph output. Default 'probabilities' (softmax last layer) or 'output' ('linear'). */
  outputName?: string;
}

/** One layer's share of lossAndGradients(). */
export interface LayerGradients {
  /** ∂loss/∂W, inputs × outputs, row-major like the layer's weights. */
  weight: Float32Array;
  /** ∂loss/∂b, one per output. */
  bias: Float32Array;
}

const FORMAT = 'softmax-wasm.mlp';
const HIDDEN: readonly HiddenActivation[] = ['sigmoid', 'tanh', 'relu', 'linear'];
const INITS: readonly WeightInit[] = ['xavier', 'uniform'];
const JSON_OUTPUT: readonly LayerActivation[] = ['softmax', 'linear'];
// Labels are validated to lie in [0, classes), so no row is ever ignored.
const NO_IGNORED_INDEX = -1;
// predict and evaluate work through their input in chunks of at least this many rows, so their
// activation buffers stay bounded however large the input.
const INFERENCE_ROWS = 256;
// From this many classes the output layer trains through the fused linear + cross-entropy, in
// chunks whose logits take at most FUSED_CHUNK_BYTES (the MNIST-sized nets keep the plain path).
const FUSED_OUTPUT_MIN_CLASSES = 1024;
const FUSED_CHUNK_BYTES = 4 * 1024 * 1024;
// Every option each method reads: any other key is a misspelling, refused rather than ignored.
const MLP_OPTION_KEYS: readonly (keyof MLPOptions)[] = ['hidden', 'seed', 'init', 'backend', 'fusedOutput'];
const FROM_JSON_OPTION_KEYS: readonly (keyof FromJSONOptions)[] = ['backend', 'seed', 'fusedOutput'];
const STEP_OPTION_KEYS: readonly (keyof StepOptions)[] = ['learningRate', 'momentum', 'clipNorm'];
const FIT_OPTION_KEYS: readonly (keyof FitOptions)[] = [
  ...STEP_OPTION_KEYS, 'epochs', 'batchSize', 'shuffle', 'validation', 'onEpoch', 'onBatch', 'signal',
];
const TO_ONNX_OPTION_KEYS: readonly (keyof ToONNXOptions)[] = ['inputName', 'outputName'];

const forgotten = new FinalizationRegistry<ResidentBuffers>((memory) => memory.freeAll());

/** A backend's allocation RangeError, reworded to name the network's operation and what it allocated. */
function namedAllocationError(fn: string, what: string, error: unknown, remedy?: string): unknown {
  if (!(error instanceof RangeError)) return error;
  let reason = error.message.replace(/^softmax-wasm: /, '');
  // The memory's generic advice fits data; a network's own buffers have their own remedy.
  const generic = `; ${SPLIT_THE_DATA}`;
  if (remedy && reason.endsWith(generic)) reason = `${reason.slice(0, -generic.length)}; ${remedy}`;
  return new RangeError(`${fn}: cannot allocate ${what}: ${reason}`);
}

/** What to change when the activations of one call's rows do not fit, by the call. */
function activationRemedy(fn: string): string {
  if (fn === 'MLP.fit') return 'use a smaller options.batchSize';
  if (fn === 'MLP.trainBatch' || fn === 'MLP.lossAndGradients') return 'pass fewer rows per call';
  // predict and evaluate already work in chunks of at most INFERENCE_ROWS rows: a layer that
  // is too wide for one block even so must be made narrower.
  return 'use narrower layers';
}

/**
 * How long fit() computes before it lets the event loop run: long enough that the yields cost
 * nothing measurable, short enough that timers, an abort signal's source and a page's input are
 * served within a frame or two.
 */
const YIELD_EVERY_MS = 20;

/** Resolves on the next macrotask, so that pending I/O, timers and rendering run. */
function nextMacrotask(): Promise<void> {
  return new Promise((resolve) => {
    if (typeof setImmediate === 'function') {
      setImmediate(resolve);
    } else if (typeof MessageChannel === 'function') {
      // Browsers clamp nested setTimeout(0) to 4 ms; a message is delivered without delay.
      const channel = new MessageChannel();
      channel.port1.onmessage = () => {
        channel.port1.close();
        resolve();
      };
      channel.port2.postMessage(null);
    } else {
      setTimeout(resolve, 0);
    }
  });
}

/**
 * A multi-layer perceptron classifier: dense layers with sigmoid, tanh or ReLU hidden units and
 * a softmax output, trained with cross-entropy by mini-batch SGD (`fit`). Its memory stays in
 * the backend until `dispose()` (or `using`).
 */
export class MLP {
  readonly #api: Api;
  readonly #backend: Backend;
  readonly #sizes: readonly number[];
  readonly #layers: Dense[];
  readonly #memory: ResidentBuffers;
  readonly #random: Random;
  // Reused by every loss evaluation; only gradScale and grad change.
  readonly #lossParams: CrossEntropyParams = {
    weight: null, labelSmoothing: 0, zLoss: 0, invTemperature: 1, gradScale: 1, grad: null, losses: null,
  };
  /** Rows per chunk of the fused output layer, or 0 when it trains on whole batches. */
  readonly #fusedChunkRows: number;
  /** Gathered training batch, capacity × inputs. */
  #input: F32Buffer | null = null;
  #capacity = 0;
  #disposed = false;
  #fitting = false;

  /**
   * sizes: units per layer, inputs first and classes last, e.g. [784, 128, 10]. Hidden layers use
   * options.hidden, the output layer is softmax. Initialisation draws, layer by layer, every
   * weight in row-major order and then (for 'uniform') every bias, from a Mulberry32 stream
   * seeded with options.seed.
   */
  constructor(sizes: readonly number[], options?: MLPOptions) {
    const fn = MLP.#constructingFor ?? 'MLP';
    if (!Array.isArray(sizes)) throw new TypeError(`${fn}: sizes must be an array of layer sizes such as [4, 5, 2], got ${describe(sizes)}`);
    if (sizes.length < 2) throw new RangeError(`${fn}: sizes needs at least 2 entries (inputs and classes), got ${sizes.length}`);
    sizes.forEach((size, i) => checkInteger(fn, `sizes[${i}]`, size, 1));
    const opts = checkOptions(fn, options, MLP_OPTION_KEYS) as MLPOptions;
    const hidden = MLP.#hiddenActivations(fn, opts.hidden, sizes.length - 2);
    const init = opts.init === undefined ? 'xavier' : checkOneOf(fn, 'options.init', opts.init, INITS);
    const seed = opts.seed === undefined ? 0 : checkInteger(fn, 'options.seed', opts.seed, 0, 2 ** 32 - 1);
    this.#api = MLP.#resolveApi(fn, opts.backend);
    this.#backend = this.#api.backend;
    this.#sizes = Object.freeze([...sizes]);
    const classes = sizes[sizes.length - 1];
    const { fusedOutput = 'auto' } = opts;
    if (fusedOutput !== 'auto' && typeof fusedOutput !== 'boolean') {
      throw new TypeError(`${fn}: options.fusedOutput must be true, false or 'auto', got ${describe(fusedOutput)}`);
    }
    const fused = fusedOutput === 'auto' ? classes >= FUSED_OUTPUT_MIN_CLASSES : fusedOutput;
    this.#fusedChunkRows = fused ? Math.max(1, Math.floor(FUSED_CHUNK_BYTES / (4 * classes))) : 0;
    this.#random = new Random(seed);
    this.#memory = new ResidentBuffers(this.#backend);
    forgotten.register(this, this.#memory, this);
    this.#layers = [];
    try {
      for (let l = 0; l + 1 < sizes.length; l++) {
        const activation = l + 2 === sizes.length ? 'softmax' : hidden[l];
        this.#layers.push(new Dense(this.#memory, sizes[l], sizes[l + 1], activation));
      }
    } catch (error) {
      // Memory cannot hold the parameters: give back the layers allocated so far, now.
      forgotten.unregister(this);
      this.#memory.freeAll();
      throw namedAllocationError(fn, `the parameters of a ${sizes.join('→')} network`, error,
        'use fewer or narrower layers, or the \'js\' backend');
    }
    for (const layer of this.#layers) this.#initialise(layer, init);
  }

  /** options.hidden as one activation per hidden layer. */
  static #hiddenActivations(fn: string, hidden: unknown, layers: number): HiddenActivation[] {
    if (hidden === undefined) return Array(layers).fill('sigmoid');
    if (!Array.isArray(hidden)) return Array(layers).fill(checkOneOf(fn, 'options.hidden', hidden, HIDDEN));
    if (hidden.length !== layers) {
      throw new RangeError(`${fn}: options.hidden must list one activation per hidden layer (${layers}), got ${hidden.length}`);
    }
    return hidden.map((h, i) => checkOneOf(fn, `options.hidden[${i}]`, h, HIDDEN));
  }

  static #resolveApi(fn: string, backend: unknown): Api {
    if (backend === undefined) return defaultInstance(fn);
    if (typeof backend !== 'object' || backend === null || !('backend' in backend) || !('kind' in backend)) {
      throw new TypeError(`${fn}: options.backend must be an instance from init() or createBackend(), got ${describe(backend)}`);
    }
    return backend as Api;
  }

  #initialise(layer: Dense, init: WeightInit): void {
    const weight = new Float32Array(layer.inputs * layer.outputs);
    const bias = new Float32Array(layer.outputs);
    if (init === 'xavier') {
      const limit = Math.sqrt(6 / (layer.inputs + layer.outputs));
      for (let i = 0; i < weight.length; i++) weight[i] = this.#random.uniform(-limit, limit);
    } else {
      for (let i = 0; i < weight.length; i++) weight[i] = this.#random.uniform(-0.5, 0.5);
      for (let j = 0; j < bias.length; j++) bias[j] = this.#random.uniform(-0.5, 0.5);
    }
    layer.weight.view().set(weight);
    layer.bias.view().set(bias);
  }

  /**
   * A network from toJSON() output (or its JSON text). Hidden layers may have any of 'sigmoid',
   * 'tanh', 'relu', 'linear', each its own; the last layer 'softmax' or 'linear'. With a 'linear'
   * last layer predict() returns the logits instead of probabilities; fit() and evaluate() still
   * use softmax cross-entropy on them, and predictClass() is unaffected.
   */
  static fromJSON(json: MLPJSON | string, options?: FromJSONOptions): MLP {
    const fn = 'MLP.fromJSON';
    if (json instanceof MLP) throw new TypeError(`${fn}: json is an MLP itself; pass net.toJSON() (or its JSON text)`);
    if (ArrayBuffer.isView(json) || json instanceof ArrayBuffer) {
      // readFile() without an encoding gives a Buffer, a fetch arrayBuffer() an ArrayBuffer.
      throw new TypeError(`${fn}: json is ${describe(json)}, bytes rather than text; decode them first (new TextDecoder().decode(bytes), or readFile(path, 'utf8'))`);
    }
    const data = MLP.#checkJSON(fn, typeof json === 'string' ? MLP.#parse(fn, json) : json);
    return MLP.#fromData(fn, data, checkOptions(fn, options, FROM_JSON_OPTION_KEYS) as FromJSONOptions);
  }

  /**
   * The public method a constructor call runs for, which its errors name: fromJSON's and
   * fromONNX's options and allocation failures were reported as the constructor's ("MLP: …").
   */
  static #constructingFor: string | undefined;

  /** A network from checked toJSON() data and options; fn names the public method in errors. */
  static #fromData(fn: string, data: MLPJSON, opts: FromJSONOptions): MLP {
    let net: MLP;
    MLP.#constructingFor = fn;
    try {
      net = new MLP(data.sizes, { backend: MLP.#resolveApi(fn, opts.backend), seed: opts.seed, fusedOutput: opts.fusedOutput });
    } finally {
      MLP.#constructingFor = undefined;
    }
    data.layers.forEach((spec, l) => {
      const layer = net.#layers[l];
      // Layers have not reserved activation buffers yet, so their activation may still change.
      layer.activation = spec.activation;
      layer.weight.view().set(spec.weight);
      layer.bias.view().set(spec.bias);
    });
    return net;
  }

  static #parse(fn: string, text: string): unknown {
    try {
      return JSON.parse(text);
    } catch (error) {
      throw new TypeError(`${fn}: json is a string but not valid JSON (${(error as Error).message})`);
    }
  }

  static #checkJSON(fn: string, json: unknown): MLPJSON {
    if (typeof json !== 'object' || json === null || Array.isArray(json)) {
      throw new TypeError(`${fn}: json must be an object from MLP.toJSON() (or its JSON text), got ${describe(json)}`);
    }
    const data = json as Partial<MLPJSON>;
    if (data.format !== FORMAT) throw new TypeError(`${fn}: json.format must be '${FORMAT}', got ${describe(data.format)}`);
    if (data.version !== 1) throw new RangeError(`${fn}: json.version must be 1, got ${describe(data.version)}`);
    const sizes = data.sizes;
    if (!Array.isArray(sizes) || sizes.length < 2) {
      throw new TypeError(`${fn}: json.sizes must be an array of at least 2 layer sizes, got ${describe(sizes)}`);
    }
    sizes.forEach((size, i) => checkInteger(fn, `json.sizes[${i}]`, size, 1));
    const layers = data.layers;
    if (!Array.isArray(layers)) throw new TypeError(`${fn}: json.layers must be an array, got ${describe(layers)}`);
    checkLength(fn, 'json.layers', layers.length, sizes.length - 1, 'one per pair of consecutive sizes');
    layers.forEach((layer, l) => {
      const at = `json.layers[${l}]`;
      if (typeof layer !== 'object' || layer === null) throw new TypeError(`${fn}: ${at} must be an object, got ${describe(layer)}`);
      const last = l === layers.length - 1;
      checkOneOf(fn, `${at}.activation`, layer.activation, last ? JSON_OUTPUT : HIDDEN);
      const [inputs, outputs] = [sizes[l], sizes[l + 1]];
      MLP.#checkNumbers(fn, `${at}.weight`, layer.weight, inputs * outputs, `inputs × outputs = ${inputs} × ${outputs}`);
      MLP.#checkNumbers(fn, `${at}.bias`, layer.bias, outputs, `outputs = ${outputs}`);
    });
    return data as MLPJSON;
  }

  static #checkNumbers(fn: string, name: string, values: unknown, length: number, what: string): void {
    if (!Array.isArray(values)) throw new TypeError(`${fn}: ${name} must be an array of numbers, got ${describe(values)}`);
    checkLength(fn, name, values.length, length, what);
    // An indexed loop: forEach would skip the holes of a sparse array, which read as undefined.
    for (let i = 0; i < values.length; i++) {
      const v: unknown = values[i];
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new TypeError(`${fn}: ${name}[${i}] must be a finite number, got ${describe(v)}`);
      // Weights are float32: 1e39 would become Infinity.
      if (!Number.isFinite(Math.fround(v))) throw new RangeError(`${fn}: ${name}[${i}] must be a finite float32 (|v| ≤ 3.4028234663852886e+38), got ${v}`);
    }
  }

  /** The serialised network; JSON.stringify(net) uses it. Weights are copied out as plain numbers (exact float32 values). */
  toJSON(): MLPJSON {
    return this.#serialised('MLP.toJSON');
  }

  /**
   * toJSON's data for toJSON and toONNX. A network whose training diverged (NaN or ±∞ weights) is
   * refused here: JSON would write them as null and fromJSON / fromONNX refuse them, so the file
   * could not be loaded back.
   */
  #serialised(fn: string): MLPJSON {
    this.#live(fn);
    const layers = this.#layers.map((layer, l) => {
      const weight = Array.from(layer.weight.view()), bias = Array.from(layer.bias.view());
      for (const [name, values] of [['weight', weight], ['bias', bias]] as const) {
        const i = values.findIndex((v) => !Number.isFinite(v));
        if (i >= 0) {
          throw new RangeError(`${fn}: layer ${l}'s ${name}[${i}] is ${values[i]}: the network's training diverged (a NaN or ±∞ in the training data, which clipNorm does not stop, or too high a learningRate), and a file of it could not be loaded back`);
        }
      }
      return { activation: layer.activation, weight, bias };
    });
    return { format: FORMAT, version: 1, sizes: [...this.#sizes], layers };
  }

  /** Units per layer, inputs first. */
  get sizes(): number[] {
    return [...this.#sizes];
  }

  /** Each layer's activation, the output layer's last. */
  get activations(): LayerActivation[] {
    return this.#layers.map((layer) => layer.activation);
  }

  /** The backend the network runs on. */
  get kind(): BackendKind {
    return this.#backend.kind;
  }

  /** The number of weights and biases over all layers. */
  get parameterCount(): number {
    return this.#layers.reduce((total, layer) => total + layer.parameterCount, 0);
  }

  /** Whether dispose() has run; a disposed network refuses every call. */
  get disposed(): boolean {
    return this.#disposed;
  }

  get #inputs(): number {
    return this.#sizes[0];
  }

  get #classes(): number {
    return this.#sizes[this.#sizes.length - 1];
  }

  get #output(): Dense {
    return this.#layers[this.#layers.length - 1];
  }

  // ---- validation ---------------------------------------------------------------------------

  #live(fn: string): void {
    if (this.#disposed) throw new Error(`${fn}: this MLP (${this.#sizes.join('→')}) was disposed and cannot be used`);
  }

  /** Rows of x, checked to be a Float32Array of whole rows of `inputs` values. */
  #rows(fn: string, name: string, x: unknown): number {
    if (x instanceof Tensor) {
      throw new TypeError(`${fn}: ${name} must be a Float32Array, got a Tensor (${x.rows}×${x.cols}); the network copies rows into its own buffers from Float32Arrays only: pass ${name}.toArray()`);
    }
    const data = checkFloat32Array(fn, name, x);
    if (data.length === 0 || data.length % this.#inputs !== 0) {
      throw new RangeError(`${fn}: ${name}.length must be a positive multiple of inputs = ${this.#inputs}, got ${data.length}`);
    }
    return data.length / this.#inputs;
  }

  /** The labels as a new Int32Array, each checked to be a class index. */
  #labels(fn: string, name: string, labels: unknown, rows: number): Int32Array {
    if (!isClassIndexArray(labels)) {
      // Float labels (a Float32Array from a data loader, say) are whole numbers more often than not.
      // The Number map also converts a BigInt64Array (PyTorch's int64 labels), which plain Int32Array.from refuses.
      const hint = ArrayBuffer.isView(labels) ? ` (convert with Int32Array.from(${name}, Number))` : '';
      throw new TypeError(`${fn}: ${name} must be class indices (number[] or an integer typed array), got ${describe(labels)}${hint}`);
    }
    const of = name.startsWith('options.validation.') ? 'options.validation.x' : 'x';
    checkLength(fn, name, labels.length, rows, `one class index per row of ${of}`);
    const copy = new Int32Array(rows);
    for (let r = 0; r < rows; r++) {
      const label = labels[r];
      if (typeof label !== 'number') throw new TypeError(`${fn}: ${name}[${r}] must be an integer class index, got ${describe(label)}`);
      if (!Number.isInteger(label)) throw new RangeError(`${fn}: ${name}[${r}] = ${label} is not an integer class index`);
      if (label < 0 || label >= this.#classes) {
        throw new RangeError(`${fn}: ${name}[${r}] = ${label} is outside [0, ${this.#classes})`);
      }
      copy[r] = label;
    }
    return copy;
  }

  /** A softmax over one class is 1 whatever the weights: loss and gradients are 0 and nothing would train. */
  #trainable(fn: string): void {
    if (this.#classes === 1) {
      throw new RangeError(`${fn}: this MLP has 1 output class, whose softmax is always 1 (loss and gradients 0, so nothing trains); a binary classifier needs 2 classes, e.g. [${this.#sizes.slice(0, -1).join(', ')}, 2] with labels 0 and 1`);
    }
  }

  #stepOptions(fn: string, opts: StepOptions): Required<StepOptions> {
    // The update kernel takes both as float32: a learning rate that rounds to 0 trained nothing,
    // one beyond FLT_MAX made every weight NaN, and a momentum that rounds to 1 never decays.
    const learningRate = opts.learningRate === undefined ? 0.1
      : checkNumber(fn, 'options.learningRate', opts.learningRate, 0, FLOAT32_MAX, { openMin: true });
    if (Math.fround(learningRate) === 0) {
      throw new RangeError(`${fn}: options.learningRate must be at least the smallest float32, 1.4e-45 (the update takes it as one), got ${learningRate}`);
    }
    const momentum = opts.momentum === undefined ? 0 : opts.momentum;
    if (typeof momentum !== 'number' || Number.isNaN(momentum)) checkNumber(fn, 'options.momentum', momentum, 0, 1);
    if (!(momentum >= 0 && Math.fround(momentum) < 1)) {
      throw new RangeError(`${fn}: options.momentum must be in [0, 1) (below 1 as a float32, too), got ${momentum}`);
    }
    const clipNorm = opts.clipNorm === undefined ? Infinity
      : checkNumber(fn, 'options.clipNorm', opts.clipNorm, 0, Infinity, { openMin: true });
    return { learningRate, momentum, clipNorm };
  }

  // ---- resident buffers ---------------------------------------------------------------------

  /** Grows the activation buffers (and the batch input) to hold `rows` rows. */
  #reserve(fn: string, rows: number): void {
    if (rows <= this.#capacity) return;
    // Until every buffer has grown the network has no capacity: if an allocation below fails
    // (memory full), no freed buffer stays in use, and the next call grows them again.
    this.#capacity = 0;
    if (this.#input) this.#memory.free(this.#input);
    this.#input = null;
    try {
      this.#input = this.#memory.alloc(rows * this.#inputs);
      for (const layer of this.#layers) layer.reserve(layer === this.#output ? this.#outputRows(rows) : rows);
    } catch (error) {
      throw namedAllocationError(fn, `the activations of ${rows} rows`, error, `${activationRemedy(fn)}, or the 'js' backend`);
    }
    this.#capacity = rows;
  }

  /**
   * Floats of packing scratch the largest product of a pass over `rows` rows takes (forward,
   * weight gradient, delta below): each call reserves it, with the rest of its scratch, before it
   * copies anything, so a call that cannot fit fails with nothing copied or changed.
   */
  #productScratch(rows: number): number {
    const backend = this.#backend;
    let most = 0;
    for (const { inputs, outputs } of this.#layers) {
      most = Math.max(
        most, backend.matmulScratchLength(rows, inputs, outputs), backend.matmulScratchLength(inputs, rows, outputs),
        backend.matmulScratchLength(rows, outputs, inputs),
      );
    }
    return most;
  }

  /** Rows the output layer's buffers hold for batches of `rows`: one chunk when it is fused. */
  #outputRows(rows: number): number {
    return this.#fusedChunkRows ? Math.min(rows, this.#fusedChunkRows) : rows;
  }

  /** Rows per chunk when predicting or evaluating `total` rows. */
  #chunkRows(total: number): number {
    return this.#outputRows(Math.min(total, Math.max(this.#capacity, INFERENCE_ROWS)));
  }

  // ---- the computation ----------------------------------------------------------------------

  /** Runs the layers on `rows` rows of input; returns the output layer's buffer (logits z). */
  #forward(input: F32Buffer, rows: number): F32Buffer {
    let activations = input;
    for (const layer of this.#layers) {
      layer.forward(this.#backend, activations, rows);
      activations = layer.output;
    }
    return activations;
  }

  /**
   * Forward and backward pass over one batch: fills every layer's weightGrad and biasGrad with
   * the gradient of the batch's mean cross-entropy and returns that mean loss.
   */
  #backpropagate(input: F32Buffer, targets: I32Buffer, rows: number): number {
    const backend = this.#backend;
    const output = this.#output;
    const hidden = this.#layers.slice(0, -1);
    let activations = input;
    for (const layer of hidden) {
      layer.forward(backend, activations, rows);
      activations = layer.output;
    }
    const last = hidden.at(-1) ?? null;
    const params = this.#lossParams;
    params.gradScale = 1 / rows;
    let total: number;
    if (this.#fusedChunkRows) {
      // The output layer through the fused linear + cross-entropy: per chunk of rows its logits
      // (in the output buffer, one chunk long), δ = (a − y)/rows in place over them, and their
      // contributions to ∂C/∂W, ∂C/∂b and the layer below's gradient.
      total = linearCrossEntropyChunks(backend, {
        x: activations, w: output.weight, bias: output.bias, targets, logits: output.output,
        dx: last ? last.gradientTarget : null, dw: output.weightGrad, db: output.biasGrad, losses: null,
      }, rows, output.inputs, output.outputs, this.#fusedChunkRows, NO_IGNORED_INDEX, params);
    } else {
      // δ^L = (a − y) / rows: the fused softmax + cross-entropy gradient of the mean loss.
      output.forward(backend, activations, rows);
      params.grad = output.delta;
      total = backend.crossEntropyIndex(output.output, targets, rows, this.#classes, NO_IGNORED_INDEX, params, 0);
      params.grad = null;
      output.parameterGradients(backend, activations, rows);
      if (last) output.propagate(backend, rows, last.gradientTarget);
    }
    for (let l = hidden.length - 1; l >= 0; l--) {
      const layer = hidden[l];
      layer.finishDelta(backend, rows);
      const below = l > 0 ? hidden[l - 1] : null;
      layer.parameterGradients(backend, below ? below.output : input, rows);
      if (below) layer.propagate(backend, rows, below.gradientTarget);
    }
    return total / rows;
  }

  /**
   * Every layer's velocities, before any step uses one: allocated a layer at a time inside the
   * step, a full memory updated the first layers and then threw. `reset` zeroes those that exist
   * too (fit starts from rest; trainBatch keeps its momentum across calls).
   */
  #velocities(fn: string, reset: boolean): void {
    try {
      for (const layer of this.#layers) if (reset || !layer.weightVelocity) layer.resetVelocity();
    } catch (error) {
      throw namedAllocationError(fn, 'the momentum (one velocity per parameter)', error, "train without momentum, or on the 'js' backend");
    }
  }

  /** One SGD step with the gradients of the last backward pass (velocities allocated by #velocities). */
  #update({ learningRate, momentum, clipNorm }: Required<StepOptions>): void {
    const backend = this.#backend;
    let gradScale = 1;
    if (clipNorm !== Infinity) {
      let squares = 0;
      for (const layer of this.#layers) {
        squares += backend.sumSquares(layer.weightGrad, layer.weightGrad.length);
        squares += backend.sumSquares(layer.biasGrad, layer.biasGrad.length);
      }
      const norm = Math.sqrt(squares);
      if (norm > clipNorm) gradScale = clipNorm / norm;
    }
    for (const layer of this.#layers) {
      const withMomentum = momentum > 0;
      backend.sgdStep(layer.weight, layer.weightGrad, withMomentum ? layer.weightVelocity : null,
        layer.weightGrad.length, learningRate, momentum, gradScale);
      backend.sgdStep(layer.bias, layer.biasGrad, withMomentum ? layer.biasVelocity : null,
        layer.biasGrad.length, learningRate, momentum, gradScale);
    }
  }

  /** How many of `rows` rows the output layer's logits classify as labels[offset + r]. */
  #countCorrect(scope: Scope, labels: Int32Array, offset: number, rows: number): number {
    const predicted = scope.i32Empty(rows);
    this.#backend.argmax(this.#output.output, predicted, rows, this.#classes);
    const classes = predicted.view();
    let correct = 0;
    for (let r = 0; r < rows; r++) if (classes[r] === labels[offset + r]) correct++;
    return correct;
  }

  /**
   * Loss and accuracy over `total` rows, chunk by chunk; load(scope, start, count) places rows
   * start … start + count − 1 in backend memory.
   */
  #evaluateChunks(
    fn: string, total: number, labels: Int32Array, load: (scope: Scope, start: number, count: number) => F32Buffer,
    loadLength: (count: number) => number,
  ): { loss: number; accuracy: number } {
    const chunk = this.#chunkRows(total);
    this.#reserve(fn, chunk);
    let lossSum = 0;
    let correct = 0;
    for (let start = 0; start < total; start += chunk) {
      const count = Math.min(chunk, total - start);
      this.#backend.scoped((scope) => {
        scope.reserve(fn, [loadLength(count), this.#productScratch(count), count, count]);
        const logits = this.#forward(load(scope, start, count), count);
        const targets = scope.i32(labels.subarray(start, start + count));
        lossSum = this.#backend.crossEntropyIndex(logits, targets, count, this.#classes, NO_IGNORED_INDEX, this.#lossParams, lossSum);
        correct += this.#countCorrect(scope, labels, start, count);
      });
    }
    return { loss: lossSum / total, accuracy: correct / total };
  }

  /** Rows start … start + count − 1 of a resident rows × inputs buffer, gathered into the batch input. */
  #gatherRange(scope: Scope, data: F32Buffer, start: number, count: number): F32Buffer {
    const indices = scope.i32Empty(count);
    const view = indices.view();
    for (let r = 0; r < count; r++) view[r] = start + r;
    this.#backend.gatherRows(data, indices, this.#input!, count, this.#inputs);
    return this.#input!;
  }

  // ---- public operations --------------------------------------------------------------------

  /**
   * The mean cross-entropy of one batch and its gradient with respect to every parameter,
   * without updating anything (what each training step computes before its update).
   */
  lossAndGradients(x: Float32Array, labels: ClassIndices): { loss: number; gradients: LayerGradients[] } {
    const fn = 'MLP.lossAndGradients';
    this.#live(fn);
    const rows = this.#rows(fn, 'x', x);
    const targets = this.#labels(fn, 'labels', labels, rows);
    this.#reserve(fn, rows);
    const loss = this.#backend.scoped((scope) => {
      scope.reserve(fn, [x.length, rows, this.#productScratch(rows)]);
      return this.#backpropagate(scope.f32(x), scope.i32(targets), rows);
    });
    const gradients = this.#layers.map((layer) => ({
      weight: layer.weightGrad.view().slice(),
      bias: layer.biasGrad.view().slice(),
    }));
    return { loss, gradients };
  }

  /**
   * One SGD step on one batch (the gradient averaged over its rows); returns the batch's mean
   * loss before the update. Momentum state persists across calls.
   */
  trainBatch(x: Float32Array, labels: ClassIndices, options?: StepOptions): number {
    const fn = 'MLP.trainBatch';
    this.#live(fn);
    if (this.#fitting) throw new Error(`${fn}: this MLP is training (a fit() has not finished); a step now would change its weights mid-epoch`);
    this.#trainable(fn);
    const rows = this.#rows(fn, 'x', x);
    const targets = this.#labels(fn, 'labels', labels, rows);
    const step = this.#stepOptions(fn, checkOptions(fn, options, STEP_OPTION_KEYS) as StepOptions);
    this.#reserve(fn, rows);
    if (step.momentum > 0) this.#velocities(fn, false);
    return this.#backend.scoped((scope) => {
      scope.reserve(fn, [x.length, rows, this.#productScratch(rows)]);
      const loss = this.#backpropagate(scope.f32(x), scope.i32(targets), rows);
      this.#update(step);
      return loss;
    });
  }

  /**
   * Mini-batch SGD: every epoch reshuffles the rows (unless shuffle is false), splits them into
   * batches of batchSize, and takes one step per batch with the batch's mean gradient. x (rows ×
   * inputs) is copied into backend memory once; batches are gathered there. Momentum starts
   * from zero on every call. Yields to the event loop every 20 ms or so, between batches, and
   * after every epoch, so timers and an abort signal are served while it trains.
   */
  fit(x: Float32Array, labels: ClassIndices, options: FitOptions<ValidatedEpochStats> & { validation: ValidationData }): Promise<FitHistory<ValidatedEpochStats>>;
  fit(x: Float32Array, labels: ClassIndices, options?: FitOptions): Promise<FitHistory>;
  async fit(x: Float32Array, labels: ClassIndices, options?: FitOptions | FitOptions<ValidatedEpochStats>): Promise<FitHistory> {
    const fn = 'MLP.fit';
    this.#live(fn);
    if (this.#fitting) throw new Error(`${fn}: this MLP is already training (an earlier fit() has not finished)`);
    this.#trainable(fn);
    const rows = this.#rows(fn, 'x', x);
    const targets = this.#labels(fn, 'labels', labels, rows);
    const opts = checkOptions(fn, options, FIT_OPTION_KEYS) as FitOptions;
    const step = this.#stepOptions(fn, opts);
    const epochs = opts.epochs === undefined ? 10 : checkInteger(fn, 'options.epochs', opts.epochs, 1);
    // Any batch size from rows up is one full batch: Infinity too, the natural way to ask for it.
    const requested = opts.batchSize ?? 32;
    const batchSize = typeof requested === 'number' && requested >= rows && (requested === Infinity || Number.isInteger(requested))
      ? rows : checkInteger(fn, 'options.batchSize', requested, 1);
    if (opts.shuffle !== undefined && typeof opts.shuffle !== 'boolean') {
      throw new TypeError(`${fn}: options.shuffle must be a boolean, got ${describe(opts.shuffle)}`);
    }
    const shuffle = opts.shuffle ?? true;
    for (const name of ['onEpoch', 'onBatch'] as const) {
      if (opts[name] !== undefined && typeof opts[name] !== 'function') {
        throw new TypeError(`${fn}: options.${name} must be a function, got ${describe(opts[name])}`);
      }
    }
    const signal = opts.signal;
    if (signal !== undefined && (typeof signal !== 'object' || signal === null || typeof signal.aborted !== 'boolean')) {
      throw new TypeError(`${fn}: options.signal must be an AbortSignal, got ${describe(signal)}`);
    }
    let validation: { x: Float32Array; labels: Int32Array; rows: number } | null = null;
    if (opts.validation !== undefined) {
      // Other keys are allowed: a data set's own object ({ x, labels, rows }) can be passed as it is.
      const v = checkOptions(fn, opts.validation, undefined, 'options.validation') as { x?: unknown; labels?: unknown };
      const valRows = this.#rows(fn, 'options.validation.x', v.x);
      validation = { x: v.x as Float32Array, labels: this.#labels(fn, 'options.validation.labels', v.labels, valRows), rows: valRows };
    }

    const backend = this.#backend;
    const history: FitHistory = { epochs: [], aborted: false };
    const order = Int32Array.from({ length: rows }, (_, r) => r);
    const batchLabels = new Int32Array(batchSize);
    const batches = Math.ceil(rows / batchSize);
    let data: F32Buffer | null = null;
    let valData: F32Buffer | null = null;
    this.#fitting = true;
    try {
      this.#reserve(fn, batchSize);
      if (validation) this.#reserve(fn, this.#chunkRows(validation.rows));
      if (step.momentum > 0) this.#velocities(fn, true);
      // Both allocated before either is copied: a full memory fails with nothing copied.
      try {
        data = backend.allocF32(x.length);
        if (validation) valData = backend.allocF32(validation.x.length);
      } catch (error) {
        throw namedAllocationError(fn, 'a resident copy of the training data', error);
      }
      data.view().set(x);
      if (validation && valData) valData.view().set(validation.x);

      let lastYield = performance.now();
      for (let epoch = 1; epoch <= epochs && !history.aborted; epoch++) {
        // Before the shuffle: an aborted fit draws nothing from the seeded stream, so a twin
        // network without the aborted call trains to the same weights.
        if (signal?.aborted) {
          history.aborted = true;
          break;
        }
        if (shuffle) this.#random.shuffle(order);
        const started = performance.now();
        let paused = 0; // time yielded to other tasks, left out of the epoch's ms
        let lossSum = 0;
        let correct = 0;
        for (let batch = 0; batch < batches; batch++) {
          if (signal?.aborted) {
            history.aborted = true;
            break;
          }
          this.#live(fn);
          // Every batch: a call made meanwhile (from onBatch, a timer) that failed to grow the
          // buffers leaves them freed and the capacity 0, and this grows them again.
          this.#reserve(fn, batchSize);
          const start = batch * batchSize;
          const count = Math.min(batchSize, rows - start);
          for (let r = 0; r < count; r++) batchLabels[r] = targets[order[start + r]];
          const resident = data;
          const loss = backend.scoped((scope) => {
            scope.reserve(fn, [count, count, this.#productScratch(count), count]);
            const indices = scope.i32(order.subarray(start, start + count));
            const batchTargets = scope.i32(batchLabels.subarray(0, count));
            backend.gatherRows(resident, indices, this.#input!, count, this.#inputs);
            const batchLoss = this.#backpropagate(this.#input!, batchTargets, count);
            correct += this.#countCorrect(scope, batchLabels, 0, count);
            this.#update(step);
            return batchLoss;
          });
          lossSum += loss * count;
          // Awaited when it returns a promise, as onEpoch is: its rejection then rejects fit
          // instead of going unhandled.
          const progress = opts.onBatch?.({ epoch, batch: batch + 1, batches, loss });
          // Any thenable, as `await` (and so onEpoch) treats it: a promise from another realm or library too.
          if (progress != null && typeof (progress as PromiseLike<void>).then === 'function') {
            const waited = performance.now();
            await progress;
            paused += performance.now() - waited; // its time is not the epoch's training time
          }
          const now = performance.now();
          if (now - lastYield >= YIELD_EVERY_MS) {
            await nextMacrotask();
            lastYield = performance.now();
            paused += lastYield - now;
          }
        }
        if (history.aborted) break;
        this.#live(fn); // disposed from the last onBatch or while fit yielded
        const ms = performance.now() - started - paused;
        const stats: EpochStats = { epoch, loss: lossSum / rows, accuracy: correct / rows, ms };
        if (validation && valData) {
          const resident = valData;
          const v = this.#evaluateChunks(fn, validation.rows, validation.labels, (scope, start, count) => this.#gatherRange(scope, resident, start, count), (count) => count);
          stats.valLoss = v.loss;
          stats.valAccuracy = v.accuracy;
        }
        history.epochs.push(stats);
        // A copy: a callback that rounds or annotates its figures must not rewrite the history.
        await opts.onEpoch?.({ ...stats });
        await nextMacrotask();
        lastYield = performance.now();
      }
    } finally {
      this.#fitting = false;
      if (data) backend.release(data);
      if (valData) backend.release(valData);
    }
    return history;
  }

  /**
   * Class probabilities, rows × classes (softmax of the logits); logits instead if the last
   * layer is 'linear' (a network from fromJSON).
   */
  predict(x: Float32Array): Float32Array {
    const fn = 'MLP.predict';
    this.#live(fn);
    const rows = this.#rows(fn, 'x', x);
    const classes = this.#classes;
    const result = new Float32Array(rows * classes);
    const chunk = this.#chunkRows(rows);
    this.#reserve(fn, chunk);
    const softmax = this.#output.activation === 'softmax';
    for (let start = 0; start < rows; start += chunk) {
      const count = Math.min(chunk, rows - start);
      this.#backend.scoped((scope) => {
        scope.reserve(fn, [count * this.#inputs, this.#productScratch(count)]);
        const logits = this.#forward(scope.f32(x.subarray(start * this.#inputs, (start + count) * this.#inputs)), count);
        if (softmax) this.#backend.softmax(logits, logits, count, classes, 1);
        result.set(logits.view().subarray(0, count * classes), start * classes);
      });
    }
    return result;
  }

  /** The most probable class per row (the first on ties). */
  predictClass(x: Float32Array): Int32Array {
    const fn = 'MLP.predictClass';
    this.#live(fn);
    const rows = this.#rows(fn, 'x', x);
    const result = new Int32Array(rows);
    const chunk = this.#chunkRows(rows);
    this.#reserve(fn, chunk);
    for (let start = 0; start < rows; start += chunk) {
      const count = Math.min(chunk, rows - start);
      this.#backend.scoped((scope) => {
        scope.reserve(fn, [count * this.#inputs, this.#productScratch(count), count]);
        const logits = this.#forward(scope.f32(x.subarray(start * this.#inputs, (start + count) * this.#inputs)), count);
        const predicted = scope.i32Empty(count);
        this.#backend.argmax(logits, predicted, count, this.#classes);
        result.set(predicted.view(), start);
      });
    }
    return result;
  }

  /** Mean cross-entropy and the fraction of rows classified correctly. */
  evaluate(x: Float32Array, labels: ClassIndices): { loss: number; accuracy: number } {
    const fn = 'MLP.evaluate';
    this.#live(fn);
    const rows = this.#rows(fn, 'x', x);
    const targets = this.#labels(fn, 'labels', labels, rows);
    const inputs = this.#inputs;
    return this.#evaluateChunks(fn, rows, targets, (scope, start, count) => scope.f32(x.subarray(start * inputs, (start + count) * inputs)), (count) => count * inputs);
  }

  // ---- ONNX (the conversions are src/nn/onnx.ts, over the JSON form; documented in the README's ONNX section) ----

  /** The network as the bytes of an .onnx file (opset 13, a Gemm and an activation per layer). */
  async toONNX(options?: ToONNXOptions): Promise<Uint8Array> {
    const fn = 'MLP.toONNX';
    this.#live(fn);
    const opts = checkOptions(fn, options, TO_ONNX_OPTION_KEYS) as ToONNXOptions;
    return mlpJsonToOnnx(this.#serialised(fn), { inputName: opts.inputName, outputName: opts.outputName, producerVersion: VERSION });
  }

  /**
   * A network from an .onnx file holding an MLP (a chain of Gemm or MatMul + Add layers, each
   * optionally followed by Sigmoid, Tanh, Relu or Softmax). A last layer without Softmax becomes
   * 'linear': predict then returns its raw outputs.
   */
  static async fromONNX(bytes: Uint8Array | ArrayBuffer, options?: FromJSONOptions): Promise<MLP> {
    const fn = 'MLP.fromONNX';
    const opts = checkOptions(fn, options, FROM_JSON_OPTION_KEYS) as FromJSONOptions;
    return MLP.#fromData(fn, MLP.#checkJSON(fn, await onnxToMlpJson(bytes)), opts);
  }

  /** Frees the network's backend memory; any later use throws. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    forgotten.unregister(this);
    this.#memory.freeAll();
    this.#input = null;
  }

  /** dispose(), for `using`. */
  [disposeSymbol](): void {
    this.dispose();
  }

  /** `MLP(2→8→3, relu→softmax, simd)`: the sizes, each layer's activation and the backend. */
  toString(): string {
    const activations = this.#layers.map((layer) => layer.activation).join('→');
    return `MLP(${this.#sizes.join('→')}, ${activations}, ${this.#backend.kind}${this.#disposed ? ', disposed' : ''})`;
  }

  /** For console.log in Node: toString(), not the empty `MLP {}` of its private fields. */
  [inspectSymbol](): string {
    return this.toString();
  }
}
