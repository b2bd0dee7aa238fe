/**
 * Element-wise arithmetic for training graphs (backward passes, losses, optimisers):
 * broadcasting binary ops, unary functions, x * a + b with constant a, b, and constants.
 * Each function is one row of a table (ONNX lowering + gradient), so adding one is a row.
 */
import { ShapeError } from '../../../src/errors.js';
import { GraphBuilder } from '../../autodiff/builder.js';
import type { EmitContext } from '../../onnx/context.js';
import type { Dim, Shape } from '../graph.js';
import type { GradientRule, OpAttrs, OpDef } from '../ops.js';
import { perSample, prod } from './shape-util.js';

/** Numpy broadcasting (right-aligned, 1 stretches). */
export function broadcastShapes(a: Shape, b: Shape): Shape {
  const r = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < r; i++) {
    const da = a[a.length - r + i] ?? 1;
    const db = b[b.length - r + i] ?? 1;
    if (da === db || db === 1) out.push(da);
    else if (da === 1) out.push(db);
    else throw new ShapeError(`cannot broadcast [${a.join(', ')}] with [${b.join(', ')}]`);
  }
  return out;
}

type G = string;
type Emit = (ctx: EmitContext, inputs: readonly string[], out: string, name: string) => void;

const castFloat = (ctx: EmitContext, op: string, inputs: readonly string[], out: string, name: string) => {
  const bool = ctx.tmp(`${name}.bool`);
  ctx.node(op, inputs, [bool]);
  ctx.node('Cast', [bool], [out], { to: { i: 1 } });
};

interface BinaryFn {
  readonly emit: Emit;
  /** d/da, d/db given upstream g (full broadcast shape; the engine reduces broadcast axes). */
  readonly grad: ((b: GraphBuilder, g: G, x: G, y: G, out: G) => readonly (G | null)[]) | null;
}

export type BinaryFnName = 'add' | 'sub' | 'mul' | 'div' | 'min' | 'max' | 'pow' | 'eq';

export const BINARY: Record<BinaryFnName, BinaryFn> = {
  add: { emit: (c, i, o) => c.node('Add', i, [o]), grad: (_b, g) => [g, g] },
  sub: { emit: (c, i, o) => c.node('Sub', i, [o]), grad: (b, g) => [g, b.neg(g)] },
  mul: { emit: (c, i, o) => c.node('Mul', i, [o]), grad: (b, g, x, y) => [b.mul(g, y), b.mul(g, x)] },
  // d(x/y) = g/y, -g x / y^2 = -(g/y) * out
  div: { emit: (c, i, o) => c.node('Div', i, [o]), grad: (b, g, _x, y, out) => { const gy = b.div(g, y); return [gy, b.neg(b.mul(gy, out))]; } },
  // Ties send the gradient to both sides (measure zero for real data).
  min: { emit: (c, i, o) => c.node('Min', i, [o]), grad: (b, g, x, y, out) => [b.mul(g, b.eq(x, out)), b.mul(g, b.eq(y, out))] },
  max: { emit: (c, i, o) => c.node('Max', i, [o]), grad: (b, g, x, y, out) => [b.mul(g, b.eq(x, out)), b.mul(g, b.eq(y, out))] },
  // d(x^y) = g y x^(y-1) = g y out / x, and g ln(x) out; used with a positive constant base (Adam's beta^t).
  pow: { emit: (c, i, o) => c.node('Pow', i, [o]), grad: (b, g, x, y, out) => [b.div(b.mul(b.mul(g, y), out), x), b.mul(b.mul(g, b.log(x)), out)] },
  /** 1.0 where equal, else 0.0 (no gradient). */
  eq: { emit: (c, i, o, n) => castFloat(c, 'Equal', i, o, n), grad: null },
};

interface UnaryFn {
  readonly emit: Emit;
  readonly grad: ((b: GraphBuilder, g: G, x: G, out: G) => G) | null;
}

export type UnaryFnName = 'identity' | 'neg' | 'exp' | 'log' | 'sqrt' | 'reciprocal' | 'erf' | 'step';

export const UNARY: Record<UnaryFnName, UnaryFn> = {
  /** Gives a value a chosen name (e.g. a training step's `updated.<param>` outputs). */
  identity: { emit: (c, i, o) => c.node('Identity', i, [o]), grad: (_b, g) => g },
  neg: { emit: (c, i, o) => c.node('Neg', i, [o]), grad: (b, g) => b.neg(g) },
  exp: { emit: (c, i, o) => c.node('Exp', i, [o]), grad: (b, g, _x, out) => b.mul(g, out) },
  log: { emit: (c, i, o) => c.node('Log', i, [o]), grad: (b, g, x) => b.div(g, x) },
  sqrt: { emit: (c, i, o) => c.node('Sqrt', i, [o]), grad: (b, g, _x, out) => b.div(b.affine(g, 0.5), out) },
  reciprocal: { emit: (c, i, o) => c.node('Reciprocal', i, [o]), grad: (b, g, _x, out) => b.neg(b.mul(g, b.mul(out, out))) },
  // d erf(x) = 2/sqrt(pi) exp(-x^2)
  erf: { emit: (c, i, o) => c.node('Erf', i, [o]), grad: (b, g, x) => b.mul(g, b.affine(b.exp(b.neg(b.mul(x, x))), 2 / Math.sqrt(Math.PI))) },
  /** 1.0 where x > 0, else 0.0: masks for ReLU-type gradients (no gradient itself). */
  step: { emit: (c, i, o, n) => castFloat(c, 'Greater', [i[0]!, c.constant(`${n}.zero`, 'float', [], [0])], o, n), grad: null },
};

const binaryGrad: GradientRule<OpAttrs['binary']> = (graph, node, [g]) => {
  const rule = BINARY[node.attrs.fn].grad;
  if (!rule || !g) return [null, null];
  return rule(new GraphBuilder(graph, `${node.name}.grad`), g, node.inputs[0]!, node.inputs[1]!, node.outputs[0]!);
};

export const binary: OpDef<OpAttrs['binary']> = {
  arity: [2, 2],
  shape: ([a, b]) => [broadcastShapes(a!, b!)],
  flops: (_in, [out]) => perSample(out!),
  emit: (ctx, n) => BINARY[n.attrs.fn].emit(ctx, n.inputs, n.outputs[0]!, n.name),
  gradient: binaryGrad,
};

export const unary: OpDef<OpAttrs['unary']> = {
  arity: [1, 1],
  shape: ([x]) => [x!],
  flops: (_in, [out]) => perSample(out!),
  emit: (ctx, n) => UNARY[n.attrs.fn].emit(ctx, n.inputs, n.outputs[0]!, n.name),
  gradient(graph, node, [g]) {
    const rule = UNARY[node.attrs.fn].grad;
    if (!rule || !g) return [null];
    return [rule(new GraphBuilder(graph, `${node.name}.grad`), g, node.inputs[0]!, node.outputs[0]!)];
  },
};

/** y = x * scale + shift with constant scale and shift. */
export const affine: OpDef<OpAttrs['affine']> = {
  arity: [1, 1],
  shape: ([x]) => [x!],
  flops: (_in, [out]) => 2 * perSample(out!),
  emit(ctx, n) {
    const { scale, shift } = n.attrs;
    const out = n.outputs[0]!;
    const scaled = shift === 0 ? out : ctx.tmp(`${n.name}.scaled`);
    ctx.node('Mul', [n.inputs[0]!, ctx.constant(`${n.name}.scale`, 'float', [], [scale])], [scaled]);
    if (shift !== 0) ctx.node('Add', [scaled, ctx.constant(`${n.name}.shift`, 'float', [], [shift])], [out]);
  },
  gradient: (graph, node, [g]) => [g ? new GraphBuilder(graph, `${node.name}.grad`).affine(g, node.attrs.scale) : null],
};

/** A constant tensor; `values` has one entry per element, or one entry filling all. */
export const constant: OpDef<OpAttrs['constant']> = {
  arity: [0, 0],
  shape(_in, { shape, values }) {
    if (values.length !== 1 && values.length !== prod(shape)) throw new ShapeError(`constant of shape [${shape.join(', ')}] needs 1 or ${prod(shape)} values, got ${values.length}`);
    return [shape];
  },
  flops: () => 0,
  emit(ctx, n) {
    const { shape, values } = n.attrs;
    const full = values.length === 1 ? new Array<number>(prod(shape)).fill(values[0]!) : values;
    ctx.node('Identity', [ctx.constant(`${n.name}.value`, 'float', shape, full)], n.outputs);
  },
  gradient: () => [],
};
