/**
 * Concise, auto-named construction of op nodes, used by gradient rules, losses and
 * optimisers: `b.mul(g, b.step(x))` appends a node and returns its output's name.
 * Names are `<prefix>.<hint>` made unique against the graph.
 */
import type { Graph } from './graph.js';
import type { OpAttrs, OpKind } from './ops.js';
import type { Shape } from './shape.js';

export class GraphBuilder {
  constructor(readonly graph: Graph, readonly prefix: string) {}

  /** A name for a new value that the graph does not have yet. */
  fresh(hint: string): string {
    const base = `${this.prefix}.${hint}`;
    let name = base;
    for (let i = 1; this.graph.has(name); i++) name = `${base}_${i}`;
    return name;
  }

  op<K extends OpKind>(kind: K, hint: string, inputs: readonly string[], attrs: OpAttrs[K]): string {
    return this.graph.op(kind, this.fresh(hint), inputs, attrs);
  }

  shape(v: string): Shape {
    return this.graph.shape(v);
  }

  /** Shape with every dimension a number (training graphs fix the batch size). */
  dims(v: string): number[] {
    return this.graph.shape(v).map((d) => {
      if (typeof d !== 'number') throw new Error(`value '${v}' has symbolic dimension '${d}'; training graphs need fixed sizes`);
      return d;
    });
  }

  add = (a: string, b: string): string => this.op('binary', 'add', [a, b], { fn: 'add' });
  sub = (a: string, b: string): string => this.op('binary', 'sub', [a, b], { fn: 'sub' });
  mul = (a: string, b: string): string => this.op('binary', 'mul', [a, b], { fn: 'mul' });
  div = (a: string, b: string): string => this.op('binary', 'div', [a, b], { fn: 'div' });
  min = (a: string, b: string): string => this.op('binary', 'min', [a, b], { fn: 'min' });
  max = (a: string, b: string): string => this.op('binary', 'max', [a, b], { fn: 'max' });
  pow = (a: string, b: string): string => this.op('binary', 'pow', [a, b], { fn: 'pow' });
  eq = (a: string, b: string): string => this.op('binary', 'eq', [a, b], { fn: 'eq' });

  neg = (x: string): string => this.op('unary', 'neg', [x], { fn: 'neg' });
  exp = (x: string): string => this.op('unary', 'exp', [x], { fn: 'exp' });
  log = (x: string): string => this.op('unary', 'log', [x], { fn: 'log' });
  sqrt = (x: string): string => this.op('unary', 'sqrt', [x], { fn: 'sqrt' });
  reciprocal = (x: string): string => this.op('unary', 'reciprocal', [x], { fn: 'reciprocal' });
  erf = (x: string): string => this.op('unary', 'erf', [x], { fn: 'erf' });
  /** 1 where x > 0, else 0. */
  step = (x: string): string => this.op('unary', 'step', [x], { fn: 'step' });

  /** x * scale + shift. */
  affine = (x: string, scale: number, shift = 0): string => this.op('affine', 'affine', [x], { scale, shift });
  constant = (shape: readonly number[], values: readonly number[], hint = 'const'): string => this.op('constant', hint, [], { shape, values });
  scalar = (value: number, hint = 'scalar'): string => this.constant([], [value], hint);

  sum = (x: string, axes: readonly number[], keepdims = false): string => this.op('reduce', 'sum', [x], { fn: 'sum', axes, keepdims });
  mean = (x: string, axes: readonly number[], keepdims = false): string => this.op('reduce', 'mean', [x], { fn: 'mean', axes, keepdims });
  /** Maximum, treated as a constant by autodiff (used only where its derivative cancels, e.g. log-sum-exp). */
  maxStop = (x: string, axes: readonly number[], keepdims = false): string => this.op('reduce', 'max', [x], { fn: 'max', axes, keepdims });
  /** Sum over every axis, to a scalar. */
  total = (x: string): string => this.sum(x, this.shape(x).map((_, i) => i));

  reshape = (x: string, shape: readonly number[]): string => this.op('reshape', 'reshape', [x], { shape });
  transpose = (x: string, perm: readonly number[]): string => this.op('transpose', 'transpose', [x], { perm });
  expand = (x: string, shape: readonly number[]): string => this.op('expand', 'expand', [x], { shape });
  slice = (x: string, starts: readonly number[], ends: readonly number[], steps?: readonly number[]): string =>
    this.op('slice', 'slice', [x], { starts, ends, steps: steps ?? starts.map(() => 1) });
  pad = (x: string, before: readonly number[], after: readonly number[]): string => this.op('pad', 'pad', [x], { before, after });
  matmul = (a: string, b: string): string => this.op('matmul', 'matmul', [a, b], {});

  /** A channel vector [C] shaped to broadcast over [N, C, ...spatial] of rank r. */
  channels = (v: string, rank: number): string => this.reshape(v, [...this.dims(v), ...new Array<number>(rank - 2).fill(1)]);
}
