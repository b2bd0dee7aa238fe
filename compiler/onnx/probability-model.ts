/**
 * An inference ONNX model turned into a self-describing probability model for use outside
 * hnas: only the full-resolution head is kept (the deep-supervision heads and everything
 * that feeds only them are pruned), a Softmax over the class axis is appended, and
 * metadata_props are replaced by the caller's.
 *
 * Example:
 *   const bytes = probabilityModel(readFileSync('fold_0/model.onnx'), { metadata: { labels: '...' } });
 */
import pkg from 'onnx-proto';
import { ShapeError } from '../../src/errors.js';

const { onnx } = pkg;

export interface ProbabilityModelOptions {
  /** Which of the model's outputs is the full-resolution logits (the compiler lists it first). */
  readonly output?: number;
  /** Name of the probabilities output. */
  readonly outputName?: string;
  /** Softmax axis: the class axis of [N, K, X, Y, Z]. */
  readonly axis?: number;
  readonly metadata?: Readonly<Record<string, string>>;
}

export function probabilityModel(bytes: Uint8Array, options: ProbabilityModelOptions = {}): Uint8Array {
  const { output = 0, outputName = 'probabilities', axis = 1 } = options;
  const model = onnx.ModelProto.decode(bytes);
  if (!model.graph) throw new ShapeError('the ONNX model has no graph');
  const graph = model.graph as pkg.onnx.GraphProto;
  const logits = graph.output[output];
  if (!logits) throw new ShapeError(`the ONNX model has ${graph.output.length} output(s), no output ${output}`);

  // Keep the nodes the chosen output depends on, in their (topological) order.
  const producer = new Map<string, pkg.onnx.INodeProto>();
  for (const n of graph.node) for (const o of n.output ?? []) producer.set(o, n);
  const needed = new Set<string>();
  const keep = new Set<pkg.onnx.INodeProto>();
  const stack = [logits.name!];
  while (stack.length) {
    const name = stack.pop()!;
    if (needed.has(name)) continue;
    needed.add(name);
    const n = producer.get(name);
    if (n && !keep.has(n)) {
      keep.add(n);
      for (const i of n.input ?? []) if (i) stack.push(i);
    }
  }
  const nodes = graph.node.filter((n) => keep.has(n));
  nodes.push(onnx.NodeProto.fromObject({ opType: 'Softmax', name: `${outputName}/Softmax`, input: [logits.name!], output: [outputName], attribute: [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: axis }] }));

  const kept = <T extends { name?: string | null }>(list: T[] | null | undefined) => (list ?? []).filter((v) => needed.has(v.name!));
  const probabilities = onnx.ValueInfoProto.fromObject({ ...onnx.ValueInfoProto.toObject(logits as pkg.onnx.ValueInfoProto), name: outputName });
  graph.node = nodes as pkg.onnx.NodeProto[];
  graph.initializer = kept(graph.initializer);
  graph.input = kept(graph.input);
  graph.valueInfo = kept(graph.valueInfo);
  graph.output = [probabilities];
  model.metadataProps = Object.entries(options.metadata ?? {}).map(([key, value]) => onnx.StringStringEntryProto.create({ key, value }));
  return onnx.ModelProto.encode(model).finish();
}
