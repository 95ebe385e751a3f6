// softmax-wasm: numerically stable softmax, cross-entropy and their gradients in SIMD
// WebAssembly, with a plain-TypeScript oracle as fallback. The module-level functions use the
// default instance set up by init(); createBackend() makes independent ones.
import { Api } from './api.js';
import type { Backend, BackendKind, WasmPath } from './backend.js';
import { JsBackend } from './js/backend.js';
import { compilesWasm, relaxedMaddFuses, supports, validates } from './wasm/loader.js';
import { WasmBackend } from './wasm/backend.js';
import { checkOneOf, checkOptions, describe } from './validate.js';

export { Api } from './api.js';
export type {
  Data, Reduction, ClassIndices, SoftmaxOptions, SoftmaxOptionsAfterOut, CrossEntropyOptions, CrossEntropyResult, CrossEntropyResultFor, GradResultType,
  LinearCrossEntropyOptions, LinearCrossEntropyResult, LinearCrossEntropyGrads, LinearCrossEntropyGradType, LinearCrossEntropyAsked,
} from './api.js';
export type { MatmulOptions } from './api.js';
export { Tensor } from './tensor.js';
export type { ElementwiseLossOptions, ElementwiseLossResult, SampleOptions } from './api.js';
export { seededRandom, type RandomSource } from './random.js';
export type { Backend, BackendKind, F32Buffer, I32Buffer, Scope, WasmPath } from './backend.js';

export interface InitOptions {
  /**
   * 'auto' (default) picks the fastest build this runtime can run: 'relaxed-simd' (where the
   * engine validates relaxed SIMD and its f32x4.relaxed_madd is a fused multiply-add), then
   * 'simd', then the plain-TypeScript 'js' backend. Naming one forces it (and fails if the
   * runtime cannot run it).
   */
  backend?: 'auto' | BackendKind;
  /**
   * The folder holding the package's two builds (softmax-wasm.simd.wasm and
   * softmax-wasm.relaxed-simd.wasm): a URL, or a string — an absolute URL, or a path resolved
   * against the page in a browser and the working directory in Node. Default: the package's own
   * build/ folder, found from its code's URL (import.meta.url), as Vite and unbundled pages serve
   * it. For bundlers that do not copy the files (esbuild, a CommonJS bundle).
   */
  wasmPath?: WasmPath;
}

const CHOICES = ['auto', 'relaxed-simd', 'simd', 'js'] as const;

/** The backends this runtime can run, fastest first. */
export function availableBackends(): BackendKind[] {
  const kinds: BackendKind[] = [];
  if (supports('relaxed-simd')) kinds.push('relaxed-simd');
  if (supports('simd')) kinds.push('simd');
  kinds.push('js');
  return kinds;
}

interface Request {
  kind: BackendKind;
  /** Whether the call named the build ('auto' did not). */
  named: boolean;
  wasmPath?: WasmPath;
}

/** The build a call asks for: its options checked, and 'auto' resolved to the fastest here. */
function requested(fn: string, options: unknown): Request {
  const opts = checkOptions(fn, options, ['backend', 'wasmPath']) as InitOptions;
  const choice = opts.backend === undefined ? 'auto' : checkOneOf(fn, 'options.backend', opts.backend, CHOICES);
  const { wasmPath } = opts;
  const isUrl = typeof wasmPath === 'object' && wasmPath !== null && typeof wasmPath.href === 'string';
  if (wasmPath !== undefined && !isUrl && !(typeof wasmPath === 'string' && wasmPath !== '')) {
    throw new TypeError(`${fn}: options.wasmPath must be a URL or a non-empty string (the folder holding the .wasm files), got ${describe(wasmPath)}`);
  }
  const kind = choice === 'auto' ? availableBackends()[0] : choice;
  return { kind, named: choice !== 'auto', wasmPath };
}

async function loadBackend(fn: string, { kind, wasmPath }: Request): Promise<Backend> {
  if (kind === 'js') return new JsBackend();
  if (!validates(kind)) {
    // The Node flag means something only in Node; a browser is told what it lacks.
    const inNode = typeof process === 'object' && typeof process.versions?.node === 'string';
    const hint = kind === 'simd' ? '; this engine has no wasm SIMD' : inNode
      ? '; on Node 20 run node with --experimental-wasm-relaxed-simd' : '; this engine has no relaxed SIMD (Chrome has it from 114)';
    throw new Error(`${fn}: this runtime cannot run the '${kind}' build (WebAssembly.validate rejects it)${hint}`);
  }
  if (!compilesWasm()) {
    throw new Error(`${fn}: this page's Content-Security-Policy forbids compiling WebAssembly: add 'wasm-unsafe-eval' ` +
      `to its script-src (not the broader 'unsafe-eval' the browser's own message names), or use the 'js' backend, ` +
      `as 'auto' does here`);
  }
  if (kind === 'relaxed-simd' && !relaxedMaddFuses()) {
    throw new Error(`${fn}: the 'relaxed-simd' build needs a fused multiply-add, and this engine computes ` +
      `f32x4.relaxed_madd as a multiply and an add (as on CPUs without FMA); use 'simd', as 'auto' does`);
  }
  return WasmBackend.create(kind, wasmPath);
}

/** An independent instance: its own wasm memory, sharing no state with any other. */
export async function createBackend(options?: InitOptions): Promise<Api> {
  return new Api(await loadBackend('createBackend', requested('createBackend', options)));
}

// The default instance, and the init() call that made it or is making it. Later init() calls get
// the same instance unless they name another build: two modules that each `await init()` must
// not orphan each other's tensors. When calls overlap, the last one's build becomes the default.
let defaultApi: Api | null = null;
let defaultInit: { kind: BackendKind; api: Promise<Api> } | null = null;

/**
 * Loads the kernels and sets the default instance used by the module-level functions. Called
 * again, it returns the same instance, unless options.backend names another build: that makes
 * a new default instance, and tensors and networks of the old one stay with the old one.
 * (options.wasmPath is read when a build is loaded, so a call that returns the existing instance
 * ignores it.)
 */
export async function init(options?: InitOptions): Promise<Api> {
  const request = requested('init', options);
  const { kind, named } = request;
  if (defaultInit && (!named || defaultInit.kind === kind)) return defaultInit.api;
  const previous = defaultInit;
  const entry: { kind: BackendKind; api: Promise<Api> } = {
    kind,
    api: loadBackend('init', request).then((backend) => {
      const api = new Api(backend);
      if (defaultInit === entry) defaultApi = api;
      return api;
    }, (error: unknown) => {
      if (defaultInit === entry) defaultInit = previous;
      throw error;
    }),
  };
  defaultInit = entry;
  return entry.api;
}

/** The default instance; throws if init() has not resolved yet. */
export function defaultInstance(fn = 'defaultInstance'): Api {
  if (!defaultApi) throw new Error(`softmax-wasm: ${fn}() was called before init(); call \`await init()\` once first`);
  return defaultApi;
}

/** Which backend the default instance runs on. */
export function backendKind(): BackendKind {
  return defaultInstance('backendKind').kind;
}

// Module-level functions: the default instance's methods, with their overloads and docs. Every
// public method of Api except the accessors (and the inspector) can be bound. Each is annotated Api['name'] so the
// emitted .d.ts refers to the method; inferred, it was an inline copy of the overloads without
// their JSDoc, and editors showed users no documentation.
type BoundName = Exclude<keyof Api, 'backend' | 'kind' | symbol>;

function bound<K extends BoundName>(name: K): Api[K] {
  return ((...args: unknown[]) => {
    const api = defaultInstance(name);
    return (api[name] as (...a: unknown[]) => unknown).apply(api, args);
  }) as Api[K];
}

export const softmax: Api['softmax'] = bound('softmax');
export const logSoftmax: Api['logSoftmax'] = bound('logSoftmax');
export const logSumExp: Api['logSumExp'] = bound('logSumExp');
export const softmaxBackward: Api['softmaxBackward'] = bound('softmaxBackward');
export const crossEntropy: Api['crossEntropy'] = bound('crossEntropy');
export const tensor: Api['tensor'] = bound('tensor');
export const linearCrossEntropy: Api['linearCrossEntropy'] = bound('linearCrossEntropy');

// ---- activations, other losses, row utilities ----
export const sigmoid: Api['sigmoid'] = bound('sigmoid');
export const tanh: Api['tanh'] = bound('tanh');
export const relu: Api['relu'] = bound('relu');
export const sigmoidBackward: Api['sigmoidBackward'] = bound('sigmoidBackward');
export const tanhBackward: Api['tanhBackward'] = bound('tanhBackward');
export const reluBackward: Api['reluBackward'] = bound('reluBackward');
export const binaryCrossEntropyWithLogits: Api['binaryCrossEntropyWithLogits'] = bound('binaryCrossEntropyWithLogits');
export const mse: Api['mse'] = bound('mse');
export const argmax: Api['argmax'] = bound('argmax');
export const sampleCategorical: Api['sampleCategorical'] = bound('sampleCategorical');
export const softmaxJacobian: Api['softmaxJacobian'] = bound('softmaxJacobian');
export const sparsemax: Api['sparsemax'] = bound('sparsemax');
export const sparsemaxBackward: Api['sparsemaxBackward'] = bound('sparsemaxBackward');
export const matmul: Api['matmul'] = bound('matmul');

// ---- nn ----
export { MLP } from './nn/mlp.js';
export type {
  MLPOptions, MLPJSON, FromJSONOptions, FitOptions, FitHistory, EpochStats, ValidatedEpochStats, ValidationData, BatchProgress, StepOptions,
  HiddenActivation, LayerActivation, LayerGradients, WeightInit, ToONNXOptions,
} from './nn/mlp.js';
