// onnxruntime-web as a peer: its wasm execution provider (MLAS kernels, SIMD) on one thread,
// running one-node (or few-node) ONNX graphs built here with onnx-proto. A call is what a user
// writes: wrap the Float32Array in an ort.Tensor (no copy), await session.run (ORT copies the
// inputs into its heap and the outputs back out), read output.data.
import * as ort from 'onnxruntime-web';
import onnxProto from 'onnx-proto';
import type { onnx } from 'onnx-proto';
import type { Contender } from '../harness.js';

// onnx-proto is CommonJS: its namespace object is the default export at run time.
const proto = onnxProto.onnx;
const FLOAT = proto.TensorProto.DataType.FLOAT;
const INT64 = proto.TensorProto.DataType.INT64;
const OPSET = 13;

export interface OrtInfo {
  version: string;
  threads: number;
  simd: boolean;
}

let configured = false;

export function loadOrt(): OrtInfo {
  if (!configured) {
    ort.env.wasm.numThreads = 1;
    ort.env.wasm.simd = true;
    ort.env.wasm.proxy = false;
    ort.env.logLevel = 'error';
    configured = true;
  }
  return { version: ort.env.versions.web ?? 'unknown', threads: Number(ort.env.wasm.numThreads), simd: ort.env.wasm.simd !== false };
}

/**
 * The ort-wasm contender of a case: `start` builds the session and returns it with the timed call;
 * the session is released when the case is over. Where that fails (no ORT build for this runtime,
 * an op it lacks), the contender is listed as skipped with the error, described by `op` alone.
 */
export async function ortContender(
  does: string, op: string,
  start: () => Promise<{ session: ort.InferenceSession; call: () => Promise<unknown> }>,
): Promise<Contender> {
  try {
    const { session, call } = await start();
    return { name: 'ort-wasm', side: 'peer', does, async: true, run: call, dispose: () => session.release() };
  } catch (error) {
    return { name: 'ort-wasm', side: 'peer', does: op, run: () => null, skip: (error as Error).message };
  }
}

type Dims = readonly number[];

function valueInfo(name: string, elemType: number, dims: Dims): onnx.IValueInfoProto {
  return { name, type: { tensorType: { elemType, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } };
}

function intAttr(name: string, value: number): onnx.IAttributeProto {
  return { name, type: proto.AttributeProto.AttributeType.INT, i: value };
}

function stringAttr(name: string, value: string): onnx.IAttributeProto {
  return { name, type: proto.AttributeProto.AttributeType.STRING, s: new TextEncoder().encode(value) };
}

interface Graph {
  nodes: onnx.INodeProto[];
  inputs: onnx.IValueInfoProto[];
  outputs: onnx.IValueInfoProto[];
  initializers?: onnx.ITensorProto[];
}

function encodeModel(graph: Graph): Uint8Array {
  const model = proto.ModelProto.create({
    irVersion: 8,
    producerName: 'softmax-wasm-bench',
    opsetImport: [{ domain: '', version: OPSET }],
    graph: {
      name: 'bench',
      node: graph.nodes,
      input: graph.inputs,
      output: graph.outputs,
      initializer: graph.initializers ?? [],
    },
  });
  return proto.ModelProto.encode(model).finish();
}

async function session(graph: Graph): Promise<ort.InferenceSession> {
  loadOrt();
  return ort.InferenceSession.create(encodeModel(graph), {
    executionProviders: ['wasm'],
    graphOptimizationLevel: 'all',
  });
}

/** y = Softmax(x) or LogSoftmax(x) along the last axis of a rows × cols matrix. */
export async function rowwiseRunner(op: 'Softmax' | 'LogSoftmax', rows: number, cols: number) {
  const s = await session({
    nodes: [{ opType: op, input: ['x'], output: ['y'], attribute: [intAttr('axis', 1)] }],
    inputs: [valueInfo('x', FLOAT, [rows, cols])],
    outputs: [valueInfo('y', FLOAT, [rows, cols])],
  });
  return {
    session: s,
    run: async (x: Float32Array): Promise<Float32Array> => {
      const { y } = await s.run({ x: new ort.Tensor('float32', x, [rows, cols]) });
      return y.data as Float32Array;
    },
  };
}

/**
 * The loss and its gradient: SoftmaxCrossEntropyLoss (mean) also yields log a, and the gradient
 * is (exp(log a) − onehot) / rows — the graph a user would export for "loss + grad" inference.
 */
export async function crossEntropyRunner(rows: number, cols: number) {
  const scale: onnx.ITensorProto = { name: 'scale', dataType: FLOAT, dims: [], floatData: [1 / rows] };
  const s = await session({
    nodes: [
      { opType: 'SoftmaxCrossEntropyLoss', input: ['logits', 'labels'], output: ['loss', 'logp'], attribute: [stringAttr('reduction', 'mean')] },
      { opType: 'Exp', input: ['logp'], output: ['p'] },
      { opType: 'Sub', input: ['p', 'onehot'], output: ['diff'] },
      { opType: 'Mul', input: ['diff', 'scale'], output: ['grad'] },
    ],
    inputs: [
      valueInfo('logits', FLOAT, [rows, cols]),
      valueInfo('labels', INT64, [rows]),
      valueInfo('onehot', FLOAT, [rows, cols]),
    ],
    outputs: [valueInfo('loss', FLOAT, []), valueInfo('grad', FLOAT, [rows, cols])],
    initializers: [scale],
  });
  return {
    session: s,
    run: async (logits: Float32Array, labels: BigInt64Array, onehot: Float32Array) => {
      const out = await s.run({
        logits: new ort.Tensor('float32', logits, [rows, cols]),
        labels: new ort.Tensor('int64', labels, [rows]),
        onehot: new ort.Tensor('float32', onehot, [rows, cols]),
      });
      return { loss: (out.loss.data as Float32Array)[0], grad: out.grad.data as Float32Array };
    },
  };
}

/**
 * C = op(A)·op(B): MatMul for the plain product (what exporters emit for x·W), Gemm with its
 * transA / transB attributes for the transposed ones.
 */
export async function matmulRunner(m: number, k: number, n: number, transA: boolean, transB: boolean) {
  const aDims = transA ? [k, m] : [m, k];
  const bDims = transB ? [n, k] : [k, n];
  const node: onnx.INodeProto = transA || transB
    ? { opType: 'Gemm', input: ['a', 'b'], output: ['c'], attribute: [intAttr('transA', transA ? 1 : 0), intAttr('transB', transB ? 1 : 0)] }
    : { opType: 'MatMul', input: ['a', 'b'], output: ['c'] };
  const s = await session({
    nodes: [node],
    inputs: [valueInfo('a', FLOAT, aDims), valueInfo('b', FLOAT, bDims)],
    outputs: [valueInfo('c', FLOAT, [m, n])],
  });
  return {
    session: s,
    run: async (a: Float32Array, b: Float32Array): Promise<Float32Array> => {
      const { c } = await s.run({ a: new ort.Tensor('float32', a, aDims), b: new ort.Tensor('float32', b, bDims) });
      return c.data as Float32Array;
    },
  };
}
