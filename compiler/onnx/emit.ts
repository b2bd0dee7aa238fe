/**
 * Graph -> ONNX ModelProto bytes (onnx-proto). Each graph op is lowered by its own
 * emission rule (graph/registry.ts); this module only assembles the model: inputs with a
 * symbolic batch dimension, parameters as initializers (inference) or graph inputs
 * (training graphs feed them), constants, outputs with their inferred shapes.
 */
import { endianness } from 'node:os';
import pkg from 'onnx-proto';
import { ConfigError } from '../../src/errors.js';
import type { Graph } from '../graph/graph.js';
import { ops } from '../graph/registry.js';
import type { Shape } from '../graph/shape.js';
import type { Weights } from '../weights/init.js';
import { DEFAULT_LOWERING, type AttrValue, type EmitContext, type LoweringOptions } from './context.js';

const { onnx } = pkg;

/** ONNX opset and IR version we target (onnxruntime-node accepts opset <= 26, IR 8..11). */
export const OPSET = 17;
export const IR_VERSION = 8;

/** Protocol buffers cannot exceed 2 GiB; keep a margin for the graph itself. */
const MAX_PROTO_BYTES = 2 ** 31 - 2 ** 26;

export interface EmitOptions {
  /** Parameter values; required when params are initializers. */
  readonly weights?: Weights;
  /** 'initializers' = self-contained inference model; 'inputs' = parameters fed at run time. */
  readonly params?: 'initializers' | 'inputs';
  readonly lowering?: Partial<LoweringOptions>;
  readonly graphName?: string;
  /** Model metadata (metadata_props), e.g. the architecture IR as JSON. */
  readonly metadata?: Readonly<Record<string, string>>;
}

export function emitOnnx(graph: Graph, options: EmitOptions = {}): Uint8Array {
  const paramsAs = options.params ?? 'initializers';
  const nodes: pkg.onnx.INodeProto[] = [];
  const initializers: pkg.onnx.ITensorProto[] = [];
  const used = new Set<string>();
  const fresh = (hint: string) => {
    let name = hint;
    for (let i = 1; used.has(name) || graph.has(name); i++) name = `${hint}_${i}`;
    used.add(name);
    return name;
  };
  const ctx: EmitContext = {
    lowering: { ...DEFAULT_LOWERING, ...options.lowering },
    shape: (v) => graph.shape(v),
    node(opType, inputs, outputs, attrs = {}) {
      if (ctx.lowering.opSubset === 'webgpu' && opType in WEBGPU_FORMS) return WEBGPU_FORMS[opType]!(ctx, inputs, outputs[0]!);
      nodes.push({ opType, input: [...inputs], output: [...outputs], name: fresh(`${outputs[0]}/${opType}`), attribute: Object.entries(attrs).map(([n, a]) => attribute(n, a)) });
    },
    tmp: fresh,
    constant(hint, dtype, dims, values) {
      const name = fresh(hint);
      initializers.push(dtype === 'float' ? floatTensor(name, dims, Float32Array.from(values)) : int64Tensor(name, dims, values));
      return name;
    },
  };
  for (const node of graph.nodes) (ops[node.kind].emit as (c: EmitContext, n: typeof node) => void)(ctx, node);

  const params = [...graph.params.values()];
  if (paramsAs === 'initializers') {
    const weights = options.weights;
    if (!weights) throw new Error('emitOnnx: weights are required when parameters are initializers');
    assertFitsOneFile(graph);
    for (const p of params) {
      const w = weights.get(p.name);
      if (!w) throw new Error(`emitOnnx: no weights for parameter '${p.name}'`);
      initializers.push(floatTensor(p.name, p.shape, w));
    }
  }
  const inputNames = paramsAs === 'inputs' ? [...graph.inputs, ...params.map((p) => p.name)] : graph.inputs;
  const model: pkg.onnx.IModelProto = {
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: OPSET }],
    producerName: 'hnas',
    producerVersion: '0.1.0',
    metadataProps: Object.entries(options.metadata ?? {}).map(([key, value]) => ({ key, value })),
    graph: {
      name: options.graphName ?? 'hnas_unet',
      node: nodes,
      initializer: initializers,
      input: inputNames.map((n) => valueInfo(n, graph.shape(n))),
      output: graph.outputs.map((n) => valueInfo(n, graph.shape(n))),
    },
  };
  return onnx.ModelProto.encode(onnx.ModelProto.fromObject(model)).finish();
}

/** LoweringOptions.opSubset 'webgpu': ops the WebGPU provider lacks, from ones it has. */
const WEBGPU_FORMS: Readonly<Record<string, (ctx: EmitContext, inputs: readonly string[], out: string) => void>> = {
  Identity: (ctx, [x], out) => ctx.node('Add', [x!, ctx.constant('zero', 'float', [], [0])], [out]),
  Sum: (ctx, xs, out) => fold(ctx, xs, out, (a, b, o) => ctx.node('Add', [a, b], [o])),
  Max: (ctx, xs, out) => fold(ctx, xs, out, (a, b, o) => select(ctx, 'Greater', a, b, o)),
  Min: (ctx, xs, out) => fold(ctx, xs, out, (a, b, o) => select(ctx, 'Less', a, b, o)),
  PRelu: (ctx, [x, slope], out) => {
    const negative = ctx.tmp(`${out}_negative`);
    const scaled = ctx.tmp(`${out}_scaled`);
    ctx.node('Less', [x!, ctx.constant('zero', 'float', [], [0])], [negative]);
    ctx.node('Mul', [x!, slope!], [scaled]);
    ctx.node('Where', [negative, scaled, x!], [out]);
  },
};

function select(ctx: EmitContext, compare: 'Greater' | 'Less', a: string, b: string, out: string): void {
  const pick = ctx.tmp(`${out}_${compare.toLowerCase()}`);
  ctx.node(compare, [a, b], [pick]);
  ctx.node('Where', [pick, a, b], [out]);
}

function fold(ctx: EmitContext, xs: readonly string[], out: string, pair: (a: string, b: string, o: string) => void): void {
  if (xs.length === 1) return WEBGPU_FORMS.Identity!(ctx, xs, out);
  let acc = xs[0]!;
  xs.slice(1).forEach((x, i) => {
    const o = i === xs.length - 2 ? out : ctx.tmp(`${out}_partial`);
    pair(acc, x, o);
    acc = o;
  });
}

/** Throws a ConfigError when the parameters cannot be initializers of one protobuf file (2 GiB). */
export function assertFitsOneFile(graph: Graph): void {
  let bytes = 0;
  for (const p of graph.params.values()) bytes += 4 * p.shape.reduce((a, b) => a * b, 1);
  if (bytes > MAX_PROTO_BYTES)
    throw new ConfigError(`the network has ${(bytes / 2 ** 30).toFixed(2)} GiB of weights; a self-contained ONNX file holds at most 2 GiB (use fewer features or blocks, or feed the parameters as inputs)`);
}

function attribute(name: string, a: AttrValue): pkg.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if ('i' in a) return { name, type: T.INT, i: a.i };
  if ('f' in a) return { name, type: T.FLOAT, f: a.f };
  if ('ints' in a) return { name, type: T.INTS, ints: [...a.ints] };
  return { name, type: T.STRING, s: Buffer.from(a.s, 'utf8') };
}

function valueInfo(name: string, shape: Shape): pkg.onnx.IValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  };
}

function floatTensor(name: string, dims: readonly number[], data: Float32Array): pkg.onnx.ITensorProto {
  return { name, dims: [...dims], dataType: onnx.TensorProto.DataType.FLOAT, rawData: littleEndianBytes(data) };
}

/** The float32 values as little-endian bytes (ONNX raw_data): a view on little-endian hosts. */
function littleEndianBytes(data: Float32Array): Uint8Array {
  if (endianness() === 'LE') return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const raw = new Uint8Array(data.length * 4);
  const view = new DataView(raw.buffer);
  for (let i = 0; i < data.length; i++) view.setFloat32(4 * i, data[i]!, true);
  return raw;
}

function int64Tensor(name: string, dims: readonly number[], values: readonly number[]): pkg.onnx.ITensorProto {
  const raw = new Uint8Array(values.length * 8);
  const view = new DataView(raw.buffer);
  values.forEach((v, i) => view.setBigInt64(8 * i, BigInt(v), true));
  return { name, dims: [...dims], dataType: onnx.TensorProto.DataType.INT64, rawData: raw };
}
