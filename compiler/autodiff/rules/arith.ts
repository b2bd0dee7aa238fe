/**
 * Gradients of the training graphs' element-wise arithmetic: one row per binary and unary
 * function (their ONNX emission is compiler/graph/ops/arith.ts), x * scale + shift, constants.
 */
import type { GraphBuilder } from '../../graph/builder.js';
import type { BinaryFnName, OpAttrs, UnaryFnName } from '../../graph/ops.js';
import type { GradientRule } from '../rule.js';

type G = string;
/** d/da, d/db given upstream g (full broadcast shape; the engine reduces broadcast axes); null = a constant to autodiff. */
type BinaryGradient = ((b: GraphBuilder, g: G, x: G, y: G, out: G) => readonly (G | null)[]) | null;
type UnaryGradient = ((b: GraphBuilder, g: G, x: G, out: G) => G) | null;

const BINARY: Record<BinaryFnName, BinaryGradient> = {
  add: (_b, g) => [g, g],
  sub: (b, g) => [g, b.neg(g)],
  mul: (b, g, x, y) => [b.mul(g, y), b.mul(g, x)],
  // d(x/y) = g/y, -g x / y^2 = -(g/y) * out
  div: (b, g, _x, y, out) => {
    const gy = b.div(g, y);
    return [gy, b.neg(b.mul(gy, out))];
  },
  // Ties send the gradient to both sides (measure zero for real data).
  min: (b, g, x, y, out) => [b.mul(g, b.eq(x, out)), b.mul(g, b.eq(y, out))],
  max: (b, g, x, y, out) => [b.mul(g, b.eq(x, out)), b.mul(g, b.eq(y, out))],
  // d(x^y) = g y x^(y-1) = g y out / x, and g ln(x) out; used with a positive constant base (Adam's beta^t).
  pow: (b, g, x, y, out) => [b.div(b.mul(b.mul(g, y), out), x), b.mul(b.mul(g, b.log(x)), out)],
  eq: null,
};

const UNARY: Record<UnaryFnName, UnaryGradient> = {
  identity: (_b, g) => g,
  neg: (b, g) => b.neg(g),
  exp: (b, g, _x, out) => b.mul(g, out),
  log: (b, g, x) => b.div(g, x),
  sqrt: (b, g, _x, out) => b.div(b.affine(g, 0.5), out),
  reciprocal: (b, g, _x, out) => b.neg(b.mul(g, b.mul(out, out))),
  // d erf(x) = 2/sqrt(pi) exp(-x^2)
  erf: (b, g, x) => b.mul(g, b.affine(b.exp(b.neg(b.mul(x, x))), 2 / Math.sqrt(Math.PI))),
  step: null,
};

export const binaryGrad: GradientRule<OpAttrs['binary']> = (b, node, [g]) => {
  const rule = BINARY[node.attrs.fn];
  if (!rule || !g) return [null, null];
  return rule(b, g, node.inputs[0]!, node.inputs[1]!, node.outputs[0]!);
};

export const unaryGrad: GradientRule<OpAttrs['unary']> = (b, node, [g]) => {
  const rule = UNARY[node.attrs.fn];
  if (!rule || !g) return [null];
  return [rule(b, g, node.inputs[0]!, node.outputs[0]!)];
};

export const affineGrad: GradientRule<OpAttrs['affine']> = (b, node, [g]) => [g ? b.affine(g, node.attrs.scale) : null];
