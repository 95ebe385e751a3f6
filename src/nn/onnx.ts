// ONNX interop for the MLP, written as pure functions over its JSON form so the network class
// only has to call them. Export: one Gemm per layer (z = a·W + b with W stored inputs × outputs,
// so transB = 0), the layer's activation, Softmax on the last axis, a dynamic batch dimension.
// Import: a chain of Gemm (transB either way, alpha/beta folded in) or MatMul (+ Add), each
// optionally followed by Sigmoid / Tanh / Relu / Softmax; anything else is refused by name.
//
// Encoding uses the compiled ONNX schema of onnx-proto (protobufjs static code). It is loaded
// with a dynamic import() here and nowhere else, so the core library loads without it.
import type * as OnnxProto from 'onnx-proto';
import { describe } from '../validate.js';

type Onnx = typeof OnnxProto.onnx;
type Node = OnnxProto.onnx.INodeProto;
type TensorProto = OnnxProto.onnx.ITensorProto;
type Int64 = number | { toNumber(): number };

export type MlpActivation = 'sigmoid' | 'tanh' | 'relu' | 'linear' | 'softmax';

/** One dense layer: z = a·W + b, then the activation. */
export interface MlpLayerJson {
  activation: MlpActivation;
  /** sizes[l] × sizes[l + 1], row-major (inputs × outputs). */
  weight: number[];
  bias: number[];
}

/** The MLP's serialised form (MLP.toJSON / MLP.fromJSON). */
export interface MlpJson {
  format: 'softmax-wasm.mlp';
  version: 1;
  sizes: number[];
  layers: MlpLayerJson[];
}

export interface ToOnnxOptions {
  /** Written to ModelProto.producer_version (the producer name is 'softmax-wasm'). */
  producerVersion: string;
  /** Name of the graph input, shape [batch, sizes[0]]. Default 'input'. */
  inputName?: string;
  /**
   * Name of the graph output, shape [batch, sizes.at(-1)]. Default 'probabilities' when the last
   * layer is softmax, otherwise 'output'.
   */
  outputName?: string;
}

/** The ONNX operator set the export targets: 13 is the first where Softmax acts on one axis only. */
export const ONNX_OPSET = 13;
/** IR version 7 is the one that introduced opset 13 (ONNX 1.8), so older runtimes load the file too. */
const IR_VERSION = 7;
const PRODUCER_NAME = 'softmax-wasm';
const EXPORT_FN = 'MLP.toONNX';
const IMPORT_FN = 'MLP.fromONNX';

const ACTIVATIONS: readonly MlpActivation[] = ['sigmoid', 'tanh', 'relu', 'linear', 'softmax'];
const ACTIVATION_OPS = { sigmoid: 'Sigmoid', tanh: 'Tanh', relu: 'Relu', softmax: 'Softmax' } as const;
// A final LogSoftmax (PyTorch's pairing with NLLLoss) is the same classifier as a Softmax, trained
// by the same loss: it is read as the MLP's softmax output.
const OP_ACTIVATIONS: Record<string, MlpActivation> = {
  Sigmoid: 'sigmoid', Tanh: 'tanh', Relu: 'relu', Softmax: 'softmax', LogSoftmax: 'softmax',
};
const LAYER_OPS = ['Gemm', 'MatMul', 'Add', 'Sigmoid', 'Tanh', 'Relu', 'Softmax', 'LogSoftmax'];
// Ops that leave a [batch, features] row-major tensor as it is at inference: passed over.
const PASS_THROUGH_OPS = ['Flatten', 'Reshape', 'Identity', 'Dropout'];
const SUPPORTED_OPS = [...LAYER_OPS, ...PASS_THROUGH_OPS];
const SUPPORTED_LIST = `${LAYER_OPS.join(', ')} (with ${PASS_THROUGH_OPS.join(', ')} passed over)`;
// What an unsupported op most likely means, and what to do about it.
const OP_HINTS: Record<string, string> = {
  Cast: 'a mixed-precision model: export it in float32',
  DequantizeLinear: 'a quantized model: export the float32 one',
  QuantizeLinear: 'a quantized model: export the float32 one',
  BatchNormalization: 'fold it into the layer before it, or export without it',
};

// TensorProto.DataType.FLOAT, TensorProto.DataLocation.EXTERNAL, AttributeProto.AttributeType.FLOAT / INT.
const FLOAT = 1;
const INT64 = 7;
const BOOL = 9;
const EXTERNAL = 1;
const ATTR_FLOAT = 1;
const ATTR_INT = 2;

let onnxModule: Promise<Onnx> | undefined;

/** The onnx-proto schema, imported on first use. */
function loadOnnx(fn: string): Promise<Onnx> {
  onnxModule ??= import('onnx-proto').then(
    // onnx-proto is CommonJS (`module.exports = $root`, holding the `onnx` namespace): Node's ESM
    // loader and bundlers expose module.exports as the default export, and some bundlers instead
    // hand back module.exports itself.
    (mod) => (mod.default ?? mod).onnx,
    (cause: unknown) => {
      onnxModule = undefined;
      throw new Error(
        `${fn}: could not load the 'onnx-proto' package that encodes ONNX (in Node: npm install onnx-proto; in a ` +
          'browser: load softmax-wasm through a bundler such as Vite, since onnx-proto is CommonJS, which a page cannot import ' +
          'as it is; Vite\'s dev server with softmax-wasm in optimizeDeps.exclude also needs include: [\'softmax-wasm > onnx-proto\'])',
        { cause },
      );
    },
  );
  return onnxModule;
}

// ---- export ---------------------------------------------------------------------------------

/** Structural checks, so a corrupt JSON cannot produce a model ONNX Runtime rejects later. */
function checkMlpJson(fn: string, json: unknown): MlpJson {
  const m = json as Partial<MlpJson> | null;
  if (typeof m !== 'object' || m === null || m.format !== 'softmax-wasm.mlp' || m.version !== 1) {
    throw new TypeError(`${fn}: expected an MLP JSON { format: 'softmax-wasm.mlp', version: 1, … }, got ${describe(json)}`);
  }
  const { sizes, layers } = m;
  if (!Array.isArray(sizes) || sizes.length < 2 || !sizes.every((s) => Number.isInteger(s) && s >= 1)) {
    throw new TypeError(`${fn}: sizes must be at least two positive integers, got ${JSON.stringify(sizes)}`);
  }
  if (!Array.isArray(layers) || layers.length !== sizes.length - 1) {
    throw new RangeError(`${fn}: layers must have sizes.length − 1 = ${sizes.length - 1} entries, got ${describe(layers)}`);
  }
  layers.forEach((layer, l) => {
    if (!ACTIVATIONS.includes(layer?.activation)) {
      throw new RangeError(`${fn}: layers[${l}].activation must be one of ${ACTIVATIONS.map((a) => `'${a}'`).join(', ')}, got ${describe(layer?.activation)}`);
    }
    for (const [name, length] of [['weight', sizes[l] * sizes[l + 1]], ['bias', sizes[l + 1]]] as const) {
      const values = layer[name];
      if (!Array.isArray(values) || values.length !== length || !values.every((v) => typeof v === 'number')) {
        throw new RangeError(`${fn}: layers[${l}].${name} must be ${length} numbers, got ${describe(values)}`);
      }
    }
  });
  return m as MlpJson;
}

/** Float32 little-endian bytes, as TensorProto.raw_data requires on every host. */
function rawFloat32(values: readonly number[]): Uint8Array {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  values.forEach((v, i) => view.setFloat32(i * 4, v, true));
  return bytes;
}

function floatTensorType(rows: string, cols: number): OnnxProto.onnx.ITypeProto {
  return { tensorType: { elemType: FLOAT, shape: { dim: [{ dimParam: rows }, { dimValue: cols }] } } };
}

/** The graph input and output names mlpJsonToOnnx gives a network with these options. */
export function onnxNames(json: Pick<MlpJson, 'layers'>, options: Partial<ToOnnxOptions> = {}): { input: string; output: string } {
  const last = json.layers[json.layers.length - 1].activation;
  return {
    input: options.inputName ?? 'input',
    output: options.outputName ?? (last === 'softmax' ? 'probabilities' : 'output'),
  };
}

/**
 * Encodes an MLP as an ONNX model (opset 13): per layer `layers.<l>.weight` [in, out] and
 * `layers.<l>.bias` [out] initialisers, a Gemm node and the activation node (none for 'linear';
 * Softmax with axis = −1). The input and output have shape [batch, features] with a symbolic batch.
 */
export async function mlpJsonToOnnx(json: MlpJson, options: ToOnnxOptions): Promise<Uint8Array> {
  const { sizes, layers } = checkMlpJson(EXPORT_FN, json);
  if (typeof options?.producerVersion !== 'string') {
    throw new TypeError(`${EXPORT_FN}: options.producerVersion must be a string, got ${describe(options?.producerVersion)}`);
  }
  const { input: inputName, output: outputName } = onnxNames({ layers }, options);
  for (const [name, value] of [['inputName', inputName], ['outputName', outputName]]) {
    if (typeof value !== 'string' || value === '') throw new TypeError(`${EXPORT_FN}: options.${name} must be a non-empty string, got ${describe(value)}`);
  }
  if (inputName === outputName) throw new RangeError(`${EXPORT_FN}: options.inputName and options.outputName must differ, both are '${inputName}'`);
  // The graph's own names (initialisers, intermediate values) all start with 'layers.': a given
  // name that did too could clash with one, which onnxruntime refuses ("Duplicate definition").
  for (const [name, value] of [['inputName', inputName], ['outputName', outputName]]) {
    if (value.startsWith('layers.')) {
      throw new RangeError(`${EXPORT_FN}: options.${name} may not start with 'layers.', which the graph's weights and intermediate values use, got '${value}'`);
    }
  }

  const onnx = await loadOnnx(EXPORT_FN);
  const nodes: Node[] = [];
  const initializers: TensorProto[] = [];
  let current = inputName;
  layers.forEach((layer, l) => {
    const prefix = `layers.${l}`;
    const isLast = l === layers.length - 1;
    const linear = isLast && layer.activation === 'linear' ? outputName : `${prefix}.linear`;
    initializers.push(
      { name: `${prefix}.weight`, dims: [sizes[l], sizes[l + 1]], dataType: FLOAT, rawData: rawFloat32(layer.weight) },
      { name: `${prefix}.bias`, dims: [sizes[l + 1]], dataType: FLOAT, rawData: rawFloat32(layer.bias) },
    );
    nodes.push({ name: `${prefix}/Gemm`, opType: 'Gemm', input: [current, `${prefix}.weight`, `${prefix}.bias`], output: [linear] });
    current = linear;
    if (layer.activation === 'linear') return;
    const op = ACTIVATION_OPS[layer.activation];
    const activated = isLast ? outputName : `${prefix}.${layer.activation}`;
    const attribute = op === 'Softmax' ? [{ name: 'axis', type: ATTR_INT, i: -1 }] : [];
    nodes.push({ name: `${prefix}/${op}`, opType: op, input: [current], output: [activated], attribute });
    current = activated;
  });

  const shape = `${sizes.join('-')} (${layers.map((l) => l.activation).join(', ')})`;
  const model = onnx.ModelProto.create({
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    producerName: PRODUCER_NAME,
    producerVersion: options.producerVersion,
    docString: `softmax-wasm MLP ${shape}`,
    graph: {
      name: 'mlp',
      node: nodes,
      initializer: initializers,
      input: [{ name: inputName, type: floatTensorType('batch', sizes[0]) }],
      output: [{ name: outputName, type: floatTensorType('batch', sizes[sizes.length - 1]) }],
    },
  });
  // In Node protobufjs returns a Buffer that may be a slice of a shared pool: copy it into a
  // Uint8Array of its own, so `bytes.buffer` holds exactly the model.
  return new Uint8Array(onnx.ModelProto.encode(model).finish());
}

// ---- import ---------------------------------------------------------------------------------

function toNumber(value: Int64 | null | undefined): number {
  if (value === null || value === undefined) return 0;
  // protobufjs decodes int64 as a Long object when the `long` package is available, else a number.
  return typeof value === 'number' ? value : value.toNumber();
}

/**
 * A name read from the file, quoted for a message: control and format characters escaped (a name
 * could otherwise break a log line or fake one), and cut to 60 characters (a name may be megabytes
 * long).
 */
function quoted(name: string | null | undefined): string {
  const text = name ?? '';
  let cut = text.length > 60 ? text.slice(0, 59) : text;
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1); // not half a surrogate pair
  const escaped = cut.replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`);
  return `'${escaped}${cut.length < text.length ? '…' : ''}'`;
}

/** "node 'fc1' (#2, Gemm)" — ONNX node names are optional, so the index is always given. */
function nodeLabel(node: Node, index: number): string {
  return `node ${node.name ? `${quoted(node.name)} ` : ''}(#${index}, ${node.opType ? quoted(node.opType).slice(1, -1) : 'no op type'})`;
}

function attribute(node: Node, index: number, name: string, type: number): number | undefined {
  const attr = node.attribute?.find((a) => a.name === name);
  if (!attr) return undefined;
  if (attr.type !== type) {
    // AttributeProto.AttributeType's names, as ONNX tools print them.
    const names = ['UNDEFINED', 'FLOAT', 'INT', 'STRING', 'TENSOR', 'GRAPH', 'FLOATS', 'INTS', 'STRINGS', 'TENSORS', 'GRAPHS'];
    const given = names[attr.type ?? 0] ?? String(attr.type);
    throw new Error(`${IMPORT_FN}: ${nodeLabel(node, index)} has attribute ${name} of type ${given}, expected ${type === ATTR_INT ? 'INT' : 'FLOAT'}`);
  }
  return type === ATTR_INT ? toNumber(attr.i) : attr.f ?? 0;
}

interface Tensor {
  dims: number[];
  data: Float32Array;
}

/** A float32 initialiser's dims and values (from raw_data or float_data). */
function readTensor(onnx: Onnx, tensor: TensorProto): Tensor {
  const label = `initializer ${quoted(tensor.name)}`;
  if (tensor.dataType !== FLOAT) {
    const type = onnx.TensorProto.DataType[tensor.dataType ?? 0] ?? String(tensor.dataType);
    throw new Error(`${IMPORT_FN}: ${label} has data type ${type}; an MLP holds FLOAT (float32) weights only (export the model in float32: model.float() in PyTorch)`);
  }
  if (tensor.dataLocation === EXTERNAL) {
    throw new Error(`${IMPORT_FN}: ${label} keeps its data in an external file; save the model with its weights inline (onnx.save(model, path, save_as_external_data=False))`);
  }
  if (tensor.dataLocation) throw new Error(`${IMPORT_FN}: ${label} has data_location ${tensor.dataLocation}, which ONNX does not define`);
  const dims = (tensor.dims ?? []).map(toNumber);
  // A dimension of 0 holds nothing whatever the others say, so the data checks below would pass
  // a weight of [1e15, 0] and its copy would loop 1e15 times.
  if (dims.some((d) => !(d >= 1))) throw new Error(`${IMPORT_FN}: ${label} has dims [${dims}]; a weight or bias has no dimension below 1`);
  const count = dims.reduce((a, b) => a * b, 1);
  const raw = tensor.rawData;
  if (raw && raw.length > 0 && tensor.floatData?.length) {
    throw new Error(`${IMPORT_FN}: ${label} holds both raw_data and float_data; ONNX allows one`);
  }
  if (raw && raw.length > 0) {
    if (raw.length !== count * 4) {
      throw new Error(`${IMPORT_FN}: ${label} has dims [${dims}] (${count} values) but ${raw.length} bytes of raw_data`);
    }
    const view = new DataView(raw.buffer, raw.byteOffset, raw.length);
    return { dims, data: Float32Array.from({ length: count }, (_, i) => view.getFloat32(i * 4, true)) };
  }
  const values = tensor.floatData ?? [];
  if (values.length !== count) {
    throw new Error(`${IMPORT_FN}: ${label} has dims [${dims}] (${count} values) but ${values.length} values in float_data`);
  }
  return { dims, data: Float32Array.from(values) };
}

/** The values of a small INT64 or BOOL initialiser (a Reshape's shape, a Dropout's training_mode). */
function readIntegers(onnx: Onnx, tensor: TensorProto, label: string): number[] {
  const type = tensor.dataType;
  if (type !== INT64 && type !== BOOL) {
    const name = onnx.TensorProto.DataType[type ?? 0] ?? String(type);
    throw new Error(`${IMPORT_FN}: ${label} has data type ${name}, expected INT64 or BOOL`);
  }
  const raw = tensor.rawData;
  if (raw && raw.length > 0) {
    const size = type === INT64 ? 8 : 1;
    if (raw.length % size !== 0) throw new Error(`${IMPORT_FN}: ${label} has ${raw.length} bytes of raw_data, not whole ${size}-byte values`);
    if (raw.length > 64 * size) throw new Error(`${IMPORT_FN}: ${label} holds ${raw.length / size} values, expected a few`);
    const view = new DataView(raw.buffer, raw.byteOffset, raw.length);
    return Array.from({ length: raw.length / size }, (_, i) => (size === 8 ? Number(view.getBigInt64(i * 8, true)) : view.getUint8(i)));
  }
  const values = type === INT64 ? tensor.int64Data ?? [] : tensor.int32Data ?? [];
  if (values.length > 64) throw new Error(`${IMPORT_FN}: ${label} holds ${values.length} values, expected a few`);
  return values.map((v) => toNumber(v as Int64));
}

/** A layer under construction: the linear part is known, the activation may follow. */
interface PendingLayer {
  inputs: number;
  outputs: number;
  /** inputs × outputs, row-major. */
  weight: Float32Array;
  bias: Float32Array;
  activation?: MlpActivation;
  /** The activation node, as errors name it. */
  activationNode?: string;
}

/**
 * Decodes an ONNX model and reads it as an MLP: one float32 input [batch, features] (or of higher
 * rank, flattened before the first layer), a chain of dense layers (Gemm, or MatMul with an
 * optional Add of a bias) each optionally followed by Sigmoid, Tanh, Relu or Softmax (on the last
 * axis; a final LogSoftmax reads as Softmax), one output; Flatten, Reshape to [-1, features],
 * Identity and inference-mode Dropout are passed over. Without an activation after a layer —
 * typically the last one — that layer is 'linear' and the network outputs its values (logits) as
 * they are. Anything else is refused with an error naming the node and its op.
 */
export async function onnxToMlpJson(bytes: Uint8Array | ArrayBuffer): Promise<MlpJson> {
  if (!(bytes instanceof Uint8Array) && !(bytes instanceof ArrayBuffer)) {
    throw new TypeError(`${IMPORT_FN}: bytes must be a Uint8Array or ArrayBuffer holding an .onnx file, got ${describe(bytes)}`);
  }
  const onnx = await loadOnnx(IMPORT_FN);
  const data = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let model: OnnxProto.onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(data);
  } catch (cause) {
    throw new Error(`${IMPORT_FN}: the ${data.length} bytes are not an ONNX model (protobuf decoding failed: ${(cause as Error).message})`, { cause });
  }
  const graph = model.graph;
  if (toNumber(model.irVersion) <= 0 || !graph) {
    throw new Error(`${IMPORT_FN}: the ${data.length} bytes are not an ONNX model (no ${graph ? 'ir_version' : 'graph'} field)`);
  }
  const opset = model.opsetImport.find((o) => !o.domain || o.domain === 'ai.onnx');
  if (!opset) throw new Error(`${IMPORT_FN}: the model imports no version of the default ONNX operator set`);
  const opsetVersion = toNumber(opset.version);

  const initializers = new Map<string, TensorProto>();
  for (const tensor of graph.initializer ?? []) {
    // onnxruntime refuses a file with two; here the later one would have won, silently.
    if (initializers.has(tensor.name ?? '')) throw new Error(`${IMPORT_FN}: two initializers are named ${quoted(tensor.name)}`);
    initializers.set(tensor.name ?? '', tensor);
  }
  // Before IR 4 initialisers were also listed as graph inputs: the data input is the one that is not.
  const dataInputs = (graph.input ?? []).filter((v) => !initializers.has(v.name ?? ''));
  if (dataInputs.length !== 1) {
    throw new Error(`${IMPORT_FN}: an MLP has exactly one input, this graph has ${dataInputs.length} (${dataInputs.map((v) => quoted(v.name)).join(', ')})`);
  }
  const input = dataInputs[0];
  const inputType = input.type?.tensorType;
  if (inputType && inputType.elemType !== FLOAT) {
    const type = onnx.TensorProto.DataType[inputType.elemType ?? 0] ?? String(inputType.elemType);
    throw new Error(`${IMPORT_FN}: input ${quoted(input.name)} has element type ${type}, expected FLOAT`);
  }
  const inputDims = inputType?.shape?.dim;
  if (inputDims && inputDims.length < 2) {
    throw new Error(`${IMPORT_FN}: input ${quoted(input.name)} has rank ${inputDims.length}, an MLP takes [batch, features]`);
  }
  // An input of rank 3 or more (an image [batch, 28, 28]) is read as rows of its trailing values,
  // as the Flatten or Reshape it must pass before the first layer does (row-major, nothing moves).
  const trailing = inputDims?.slice(1).map((d) => (d.dimValue != null ? toNumber(d.dimValue) : undefined)) ?? [];
  let declaredFeatures = trailing.every((d) => d !== undefined) && trailing.length > 0
    ? (trailing as number[]).reduce((a, b) => a * b, 1) : undefined;
  let flat = !inputDims || inputDims.length === 2;

  const layers: PendingLayer[] = [];
  let current = input.name ?? '';
  let pending: PendingLayer | undefined;
  /** Every name a value has had so far (ONNX assigns each once), and what gave it. */
  const defined = new Map<string, string>([[current, `input ${quoted(current)}`]]);
  for (const name of initializers.keys()) defined.set(name, `initializer ${quoted(name)}`);
  /** The node that read each initializer as a layer's weight. */
  const weightReaders = new Map<string, string>();
  const weightOf = (node: Node, index: number, slot: number): Tensor => {
    const name = node.input?.[slot] ?? '';
    const tensor = initializers.get(name);
    if (!tensor) throw new Error(`${IMPORT_FN}: ${nodeLabel(node, index)} reads ${quoted(name)}, which is not an initializer; an MLP's weights and biases must be constants`);
    const read = readTensor(onnx, tensor);
    const bad = read.data.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new Error(`${IMPORT_FN}: initializer ${quoted(name)} (read by ${nodeLabel(node, index)}) holds ${read.data[bad]} at [${bad}]; an MLP's weights must be finite`);
    return read;
  };
  /**
   * A Gemm's or MatMul's weight. Each layer of an MLP trains a weight of its own, so one that
   * several layers share is refused: copied per layer, a 256 × 256 weight read by 2 000 nodes made
   * a file of 300 KB a network of 2 GB, and with weights no layer shares the network is at most
   * about the file's size.
   */
  const layerWeightOf = (node: Node, index: number): Tensor => {
    const name = node.input?.[1] ?? '';
    const label = nodeLabel(node, index);
    const earlier = weightReaders.get(name);
    if (earlier) throw new Error(`${IMPORT_FN}: initializer ${quoted(name)} is the weight of ${earlier} and of ${label}; an MLP's layers each hold their own weights`);
    weightReaders.set(name, label);
    return weightOf(node, index, 1);
  };
  /** A bias of shape [], [1], [n] or [1, n], broadcast to n values. */
  const biasOf = (node: Node, index: number, tensor: Tensor, n: number): Float32Array => {
    const { dims, data: values } = tensor;
    const last = dims[dims.length - 1] ?? 1;
    if (dims.length > 2 || (dims.length === 2 && dims[0] !== 1) || (last !== n && last !== 1)) {
      throw new Error(`${IMPORT_FN}: ${nodeLabel(node, index)} adds a bias of shape [${dims}], expected [${n}] or [1, ${n}]`);
    }
    return values.length === n ? values : new Float32Array(n).fill(values[0]);
  };
  const startLayer = (node: Node, index: number, weight: Float32Array, inputs: number, outputs: number): PendingLayer => {
    const expected = pending ? pending.outputs : declaredFeatures;
    if (expected !== undefined && inputs !== expected) {
      throw new Error(`${IMPORT_FN}: ${nodeLabel(node, index)} takes ${inputs} features but its input ${quoted(current)} has ${expected}`);
    }
    if (pending) layers.push(pending);
    return { inputs, outputs, weight, bias: new Float32Array(outputs) };
  };

  /**
   * Flatten (axis 1), Reshape to [−1 or 0, features], Identity, and Dropout at inference (no
   * training_mode, or a constant false one): each leaves the rows as they are.
   */
  const passOver = (node: Node, index: number, op: string, label: string): void => {
    const inputs = node.input ?? [];
    if (op === 'Flatten') {
      const axis = attribute(node, index, 'axis', ATTR_INT) ?? 1;
      if (axis !== 1) throw new Error(`${IMPORT_FN}: ${label} has axis = ${axis}; an MLP flattens each row (axis 1)`);
      flat = true;
    } else if (op === 'Reshape') {
      const shape = initializers.get(inputs[1] ?? '');
      if (!shape) throw new Error(`${IMPORT_FN}: ${label} reshapes to ${quoted(inputs[1])}, which is not an initializer; an MLP reshapes only to a constant [-1, features]`);
      const target = readIntegers(onnx, shape, `initializer ${quoted(inputs[1])}`);
      const [batch, features] = target;
      const known = pending ? pending.outputs : declaredFeatures;
      if (target.length !== 2 || (batch !== -1 && batch !== 0) || !(features >= 1) || (known !== undefined && features !== known)) {
        throw new Error(`${IMPORT_FN}: ${label} reshapes to [${target}]; an MLP reshapes only to [-1, features]${known !== undefined ? ` = [-1, ${known}]` : ''}`);
      }
      if (!pending) declaredFeatures = features;
      flat = true;
    } else if (op === 'Dropout') {
      const mode = inputs[2] ? initializers.get(inputs[2]) : undefined;
      const training = inputs[2] ? (mode ? readIntegers(onnx, mode, `initializer ${quoted(inputs[2])}`).some((v) => v !== 0) : true) : false;
      if (training) throw new Error(`${IMPORT_FN}: ${label} drops units in training mode; export the model in inference mode (model.eval() in PyTorch), which leaves Dropout out`);
    }
  };

  (graph.node ?? []).forEach((node, index) => {
    const op = node.opType ?? '';
    const label = nodeLabel(node, index);
    if (node.domain && node.domain !== 'ai.onnx') {
      throw new Error(`${IMPORT_FN}: ${label} is op ${quoted(op)} of domain ${quoted(node.domain)}; only the default ONNX domain is supported (${SUPPORTED_LIST})`);
    }
    if (!SUPPORTED_OPS.includes(op)) {
      const hint = Object.hasOwn(OP_HINTS, op) ? ` (${OP_HINTS[op]})` : '';
      throw new Error(`${IMPORT_FN}: unsupported op ${quoted(op)} in ${label}${hint}; an MLP is a chain of ${SUPPORTED_LIST}`);
    }
    const inputs = node.input ?? [];
    const outputs = node.output ?? [];
    // Dropout may also write its mask, which nothing in an MLP reads.
    if (outputs.length !== 1 && !(op === 'Dropout' && outputs.length === 2)) throw new Error(`${IMPORT_FN}: ${label} has ${outputs.length} outputs, expected 1`);
    for (const output of outputs) {
      const earlier = defined.get(output);
      if (earlier !== undefined) {
        throw new Error(`${IMPORT_FN}: ${label} writes ${quoted(output)}, already the name of ${earlier}; an ONNX graph names each value once`);
      }
      defined.set(output, label);
    }
    // The data input: every op here reads the previous node's output (Add may take it second).
    const dataSlot = op === 'Add' && inputs[1] === current ? 1 : 0;
    if (inputs[dataSlot] !== current) {
      throw new Error(`${IMPORT_FN}: ${label} reads ${quoted(inputs[dataSlot])}, not the previous layer's output ${quoted(current)}; only a single chain of layers is supported`);
    }

    if (PASS_THROUGH_OPS.includes(op)) {
      passOver(node, index, op, label);
      current = outputs[0];
      return;
    }
    if ((op === 'Gemm' || op === 'MatMul') && !flat) {
      throw new Error(`${IMPORT_FN}: ${label} multiplies input ${quoted(input.name)} of rank ${inputDims!.length}; an MLP takes [batch, features]: flatten it first (a Flatten or Reshape node, as nn.Flatten exports), or export with a [batch, ${declaredFeatures ?? 'features'}] input`);
    }
    if (op === 'Gemm') {
      if (attribute(node, index, 'transA', ATTR_INT)) {
        throw new Error(`${IMPORT_FN}: ${label} has transA = 1; an MLP layer multiplies the batch [batch, features] as it is`);
      }
      const transB = attribute(node, index, 'transB', ATTR_INT) ?? 0;
      const alpha = attribute(node, index, 'alpha', ATTR_FLOAT) ?? 1;
      const beta = attribute(node, index, 'beta', ATTR_FLOAT) ?? 1;
      const b = layerWeightOf(node, index);
      if (b.dims.length !== 2) throw new Error(`${IMPORT_FN}: ${label} has a weight of rank ${b.dims.length}, expected 2`);
      const [rows, cols] = b.dims;
      const [k, n] = transB ? [cols, rows] : [rows, cols];
      // Y = alpha·A·op(B) + beta·C: fold alpha into W and beta into b; transB stores W as n × k.
      const weight = new Float32Array(k * n);
      for (let i = 0; i < k; i++) {
        for (let j = 0; j < n; j++) weight[i * n + j] = alpha * b.data[transB ? j * k + i : i * n + j];
      }
      pending = startLayer(node, index, weight, k, n);
      if (inputs[2]) pending.bias = biasOf(node, index, weightOf(node, index, 2), n).map((v) => beta * v);
      for (const [name, factor, values] of [['alpha', alpha, pending.weight], ['beta', beta, pending.bias]] as const) {
        const bad = values.findIndex((v) => !Number.isFinite(v));
        if (bad >= 0) throw new Error(`${IMPORT_FN}: ${label} has ${name} = ${factor}, which takes its ${name === 'alpha' ? 'weight' : 'bias'}[${bad}] to ${values[bad]} in float32`);
      }
    } else if (op === 'MatMul') {
      const b = layerWeightOf(node, index);
      if (b.dims.length !== 2) throw new Error(`${IMPORT_FN}: ${label} multiplies by a tensor of rank ${b.dims.length}, expected a 2-D weight`);
      pending = startLayer(node, index, b.data, b.dims[0], b.dims[1]);
    } else if (op === 'Add') {
      if (!pending || pending.activation) {
        throw new Error(`${IMPORT_FN}: ${label} is not a bias right after a Gemm or MatMul; an MLP cannot represent it`);
      }
      // Add before opset 7 broadcast by its attributes: axis 0 would add the bias per row.
      const axis = attribute(node, index, 'axis', ATTR_INT);
      if (axis !== undefined && axis !== 1 && axis !== -1) {
        throw new Error(`${IMPORT_FN}: ${label} broadcasts its bias along axis ${axis}; an MLP adds one bias per feature (axis 1)`);
      }
      const addend = biasOf(node, index, weightOf(node, index, 1 - dataSlot), pending.outputs);
      pending.bias = pending.bias.map((v, j) => v + addend[j]);
    } else {
      if (!pending || pending.activation) {
        throw new Error(`${IMPORT_FN}: ${label} is not right after a Gemm or MatMul layer; an MLP applies one activation per layer`);
      }
      if (op === 'Softmax' || op === 'LogSoftmax') {
        // Opset 13 made Softmax act on one axis (default −1); before, axis (default 1) flattened
        // the trailing axes — the same thing for the 2-D [batch, features] tensors of an MLP.
        const axis = attribute(node, index, 'axis', ATTR_INT) ?? (opsetVersion >= 13 ? -1 : 1);
        if (axis !== -1 && axis !== 1) throw new Error(`${IMPORT_FN}: ${label} has axis = ${axis}; an MLP's softmax runs over the features (axis −1 or 1)`);
      }
      pending.activation = OP_ACTIVATIONS[op];
      pending.activationNode = label;
    }
    current = outputs[0];
  });

  if (!pending) throw new Error(`${IMPORT_FN}: the graph has no Gemm or MatMul layer`);
  layers.push(pending);
  // An MLP's hidden layers take Sigmoid, Tanh, Relu or nothing, its last layer Softmax or nothing.
  layers.forEach((layer, l) => {
    const last = l === layers.length - 1;
    if (last ? layer.activation && layer.activation !== 'softmax' : layer.activation === 'softmax') {
      throw new Error(last
        ? `${IMPORT_FN}: ${layer.activationNode} follows the last layer; an MLP ends in Softmax, LogSoftmax or nothing (a 'linear' last layer, whose outputs predict() returns as they are)`
        : `${IMPORT_FN}: ${layer.activationNode} follows hidden layer ${l}; an MLP applies Softmax after its last layer only (hidden layers take Sigmoid, Tanh, Relu or nothing)`);
    }
  });
  const outputNames = (graph.output ?? []).map((v) => v.name);
  if (outputNames.length !== 1 || outputNames[0] !== current) {
    throw new Error(`${IMPORT_FN}: an MLP has one output, the last layer's ${quoted(current)}; this graph's outputs are ${outputNames.map(quoted).join(', ') || 'none'}`);
  }
  const declaredOutputs = graph.output?.[0]?.type?.tensorType?.shape?.dim?.[1]?.dimValue;
  if (declaredOutputs != null && toNumber(declaredOutputs) !== pending.outputs) {
    throw new Error(`${IMPORT_FN}: output ${quoted(current)} is declared with ${toNumber(declaredOutputs)} features, but its layer gives ${pending.outputs}`);
  }
  return {
    format: 'softmax-wasm.mlp',
    version: 1,
    sizes: [layers[0].inputs, ...layers.map((l) => l.outputs)],
    layers: layers.map((l) => ({ activation: l.activation ?? 'linear', weight: Array.from(l.weight), bias: Array.from(l.bias) })),
  };
}
