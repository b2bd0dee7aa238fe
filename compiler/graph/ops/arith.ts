/**
 * Element-wise arithmetic for training graphs (backward passes, losses, optimisers):
 * broadcasting binary ops, unary functions, x * a + b with constant a, b, and constants.
 * Each function is one row of a table of ONNX lowerings (and one of gradients in
 * compiler/autodiff/rules/arith.ts), so adding one is a row in each.
 */
import { ShapeError } from '../../../src/errors.js';
import type { EmitContext } from '../../onnx/context.js';
import type { BinaryFnName, OpAttrs, OpDef, UnaryFnName } from '../ops.js';
import type { Dim, Shape } from '../shape.js';
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

type Emit = (ctx: EmitContext, inputs: readonly string[], out: string, name: string) => void;

const castFloat = (ctx: EmitContext, op: string, inputs: readonly string[], out: string, name: string) => {
  const bool = ctx.tmp(`${name}.bool`);
  ctx.node(op, inputs, [bool]);
  ctx.node('Cast', [bool], [out], { to: { i: 1 } });
};

/** Functions that are one ONNX op of the same name. */
function oneOp<K extends string>(opTypes: Record<K, string>): Record<K, Emit> {
  const emits = {} as Record<K, Emit>;
  for (const fn in opTypes) emits[fn] = (c, i, o) => c.node(opTypes[fn], i, [o]);
  return emits;
}

const BINARY: Record<BinaryFnName, Emit> = {
  ...oneOp({ add: 'Add', sub: 'Sub', mul: 'Mul', div: 'Div', min: 'Min', max: 'Max', pow: 'Pow' }),
  /** 1.0 where equal, else 0.0. */
  eq: (c, i, o, n) => castFloat(c, 'Equal', i, o, n),
};

const UNARY: Record<UnaryFnName, Emit> = {
  // identity gives a value a chosen name (e.g. a training step's `updated.<param>` outputs).
  ...oneOp({ identity: 'Identity', neg: 'Neg', exp: 'Exp', log: 'Log', sqrt: 'Sqrt', reciprocal: 'Reciprocal', erf: 'Erf' }),
  /** 1.0 where x > 0, else 0.0: masks for ReLU-type gradients. */
  step: (c, i, o, n) => castFloat(c, 'Greater', [i[0]!, c.constant(`${n}.zero`, 'float', [], [0])], o, n),
};

export const binary: OpDef<OpAttrs['binary']> = {
  arity: [2, 2],
  shape: ([a, b]) => [broadcastShapes(a!, b!)],
  flops: (_in, [out]) => perSample(out!),
  emit: (ctx, n) => BINARY[n.attrs.fn](ctx, n.inputs, n.outputs[0]!, n.name),
};

export const unary: OpDef<OpAttrs['unary']> = {
  arity: [1, 1],
  shape: ([x]) => [x!],
  flops: (_in, [out]) => perSample(out!),
  emit: (ctx, n) => UNARY[n.attrs.fn](ctx, n.inputs, n.outputs[0]!, n.name),
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
};
