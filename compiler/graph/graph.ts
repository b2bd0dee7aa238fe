/**
 * The tensor-op graph: inputs, named parameters, op nodes (each checked by its op's
 * shape rule as it is added) and outputs. Builders (the U-Net lowering, autodiff, losses
 * and optimisers) only append, so a training graph is the forward graph plus more nodes
 * and outputs.
 */
import { ShapeError } from '../../src/errors.js';
import type { GraphNode, OpAttrs, OpKind } from './ops.js';
import { ops } from './registry.js';
import type { Shape } from './shape.js';

/** How a parameter starts: He-normal (Kaiming, leaky-ReLU gain) or a constant fill. */
export type InitRule = { readonly kind: 'he'; readonly fanIn: number; readonly slope: number } | { readonly kind: 'fill'; readonly value: number };

export interface Param {
  readonly name: string;
  readonly shape: readonly number[];
  readonly init: InitRule;
  /** False for buffers such as batch-norm running statistics. */
  readonly trainable: boolean;
}

export class Graph {
  readonly inputs: string[] = [];
  readonly params = new Map<string, Param>();
  readonly nodes: GraphNode[] = [];
  readonly outputs: string[] = [];
  private readonly shapes = new Map<string, Shape>();

  /** Declares a graph input and returns its name. */
  input(name: string, shape: Shape): string {
    this.define(name, shape);
    this.inputs.push(name);
    return name;
  }

  /** Declares a parameter (an initializer in inference ONNX, an input in a training graph). */
  param(name: string, shape: readonly number[], init: InitRule, trainable = true): string {
    this.define(name, shape);
    this.params.set(name, { name, shape, init, trainable });
    return name;
  }

  /** Appends an op node after checking its inputs with the op's shape rule; returns its output's name. */
  op<K extends OpKind>(kind: K, name: string, inputs: readonly string[], attrs: OpAttrs[K]): string {
    const def = ops[kind];
    const [min, max] = def.arity;
    if (inputs.length < min || inputs.length > max) throw new Error(`${kind} '${name}' takes ${min}..${max} inputs, got ${inputs.length}`);
    const inShapes = inputs.map((i) => this.shape(i));
    let outShapes: Shape[];
    try {
      outShapes = def.shape(inShapes, attrs);
    } catch (err) {
      if (err instanceof ShapeError) throw new ShapeError(`${kind} '${name}': ${err.message}`, undefined, { cause: err });
      throw err;
    }
    const outputs = outShapes.map((_, i) => (i === 0 ? name : `${name}:${i}`));
    outputs.forEach((o, i) => this.define(o, outShapes[i]!));
    this.nodes.push({ kind, name, inputs: [...inputs], outputs, attrs } as GraphNode);
    return name;
  }

  /** Marks a value as a graph output. */
  output(name: string): void {
    this.shape(name);
    if (!this.outputs.includes(name)) this.outputs.push(name);
  }

  shape(name: string): Shape {
    const s = this.shapes.get(name);
    if (!s) throw new Error(`unknown value '${name}'`);
    return s;
  }

  has(name: string): boolean {
    return this.shapes.has(name);
  }

  private define(name: string, shape: Shape): void {
    if (this.shapes.has(name)) throw new Error(`value '${name}' defined twice`);
    this.shapes.set(name, shape);
  }
}

/** Number of elements, with symbolic dimensions taken from `symbols` (e.g. {N: 2}). */
export function numel(shape: Shape, symbols: Readonly<Record<string, number>> = {}): number {
  return shape.reduce<number>((p, d) => {
    const v = typeof d === 'number' ? d : symbols[d];
    if (v === undefined) throw new Error(`no size given for symbolic dimension '${d}'`);
    return p * v;
  }, 1);
}
