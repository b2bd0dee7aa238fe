/**
 * Rebuilding a graph node by node: to drop nodes no output needs (gradients of inputs
 * nobody asked for) and to rewrite nodes (the training transform). Node and value names
 * are kept, so a replayed graph is interchangeable with its source.
 */
import { Graph } from './graph.js';
import type { GraphNode } from './ops.js';
import type { Shape } from './shape.js';

export interface ReplayOptions {
  /** Shape of each graph input in the new graph (e.g. the batch dimension fixed). */
  readonly inputShape?: (name: string, shape: Shape) => Shape;
  /** Called instead of copying a node; returns true when it has appended its replacement. */
  readonly rewrite?: (graph: Graph, node: GraphNode) => boolean;
}

export function replay(src: Graph, options: ReplayOptions = {}): Graph {
  const g = new Graph();
  for (const i of src.inputs) g.input(i, options.inputShape?.(i, src.shape(i)) ?? src.shape(i));
  for (const p of src.params.values()) g.param(p.name, p.shape, p.init, p.trainable);
  for (const n of src.nodes) if (!options.rewrite?.(g, n)) g.op(n.kind, n.name, n.inputs, n.attrs);
  for (const o of src.outputs) g.output(o);
  return g;
}

/** The graph with only the nodes some output depends on. */
export function prune(src: Graph): Graph {
  const needed = new Set(src.outputs);
  const keep = new Set<GraphNode>();
  for (let k = src.nodes.length - 1; k >= 0; k--) {
    const n = src.nodes[k]!;
    if (n.outputs.some((o) => needed.has(o))) {
      keep.add(n);
      n.inputs.forEach((i) => needed.add(i));
    }
  }
  return replay(src, { rewrite: (_g, n) => !keep.has(n) });
}
