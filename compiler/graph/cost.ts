/**
 * Architecture summary from the graph: parameter counts, FLOPs (each op's own cost rule)
 * and activation-memory estimates for a batch.
 */
import type { Graph } from './graph.js';
import { ops } from './registry.js';
import { perSample } from './ops/shape-util.js';

export interface CostSummary {
  /** Trainable parameters. */
  readonly parameters: number;
  /** Non-trainable buffers (batch-norm running statistics). */
  readonly buffers: number;
  /** FLOPs of one forward pass of one sample (2 per multiply-add; see docs/compiler.md). */
  readonly flopsPerSample: number;
  /** nnU-Net's VRAM proxy: elements of every conv-type output (and of pooling-only residual skips) for one sample. */
  readonly convOutputElementsPerSample: number;
  /** Elements of every op output for one sample (what a training step keeps for the backward pass). */
  readonly activationElementsPerSample: number;
  readonly batchSize: number;
  /** float32 bytes of all op outputs for the batch: the activation memory of a training step. */
  readonly activationBytes: number;
}

const CONV_KINDS = new Set(['conv', 'conv_transpose']);

export function summarizeCost(graph: Graph, batchSize: number): CostSummary {
  let parameters = 0;
  let buffers = 0;
  for (const p of graph.params.values()) {
    const n = p.shape.reduce((a, b) => a * b, 1);
    if (p.trainable) parameters += n;
    else buffers += n;
  }
  // nnU-Net's proxy counts a residual skip whenever it changes the shape, also one that only pools.
  const added = new Set(graph.nodes.filter((n) => n.kind === 'add').flatMap((n) => n.inputs));
  let flops = 0;
  let convOut = 0;
  let activations = 0;
  for (const node of graph.nodes) {
    const ins = node.inputs.map((i) => graph.shape(i));
    const outs = node.outputs.map((o) => graph.shape(o));
    flops += (ops[node.kind].flops as (i: typeof ins, o: typeof outs, a: unknown) => number)(ins, outs, node.attrs);
    const elements = outs.reduce((s, o) => s + perSample(o), 0);
    activations += elements;
    if (CONV_KINDS.has(node.kind) || (node.kind === 'avg_pool' && added.has(node.outputs[0]!))) convOut += elements;
  }
  return {
    parameters,
    buffers,
    flopsPerSample: flops,
    convOutputElementsPerSample: convOut,
    activationElementsPerSample: activations,
    batchSize,
    activationBytes: 4 * activations * batchSize,
  };
}
