/** Gradients of the activations and the structural forward ops (add, concat, softmax, dropout). */
import type { GraphBuilder } from '../../graph/builder.js';
import type { OpAttrs } from '../../graph/ops.js';
import type { GradientRule } from '../rule.js';

type Unary<A> = (b: GraphBuilder, g: string, x: string, y: string, attrs: A) => string;

/** Wraps a one-input rule: null upstream gradient handled once. */
const unaryRule = <A>(f: Unary<A>): GradientRule<A> => (b, node, [g]) => [g ? f(b, g, node.inputs[0]!, node.outputs[0]!, node.attrs) : null];

export const reluGrad = unaryRule<OpAttrs['relu']>((b, g, x) => b.mul(g, b.step(x)));

/** d = 1 for x > 0, slope otherwise: slope + (1 - slope) * step(x). */
export const leakyReluGrad = unaryRule<OpAttrs['leaky_relu']>((b, g, x, _y, { slope }) => b.mul(g, b.affine(b.step(x), 1 - slope, slope)));

/** For x <= 0, elu = alpha (e^x - 1), so d = alpha e^x = y + alpha; 1 for x > 0. */
export const eluGrad = unaryRule<OpAttrs['elu']>((b, g, x, y, { alpha }) => {
  const mask = b.step(x);
  const neg = b.affine(y, 1, alpha);
  return b.mul(g, b.add(mask, b.sub(neg, b.mul(mask, neg))));
});

/** gelu = x Phi(x): d = Phi(x) + x phi(x), Phi(x) = (1 + erf(x / sqrt 2)) / 2, phi the normal density. */
export const geluGrad = unaryRule<OpAttrs['gelu']>((b, g, x) => {
  const cdf = b.affine(b.erf(b.affine(x, Math.SQRT1_2)), 0.5, 0.5);
  const pdf = b.affine(b.exp(b.affine(b.mul(x, x), -0.5)), 1 / Math.sqrt(2 * Math.PI));
  return b.mul(g, b.add(cdf, b.mul(x, pdf)));
});

/** Dropout at inference is the identity (training graphs replace it by a masked product). */
export const dropoutGrad = unaryRule<OpAttrs['dropout']>((_b, g) => g);

/** prelu = x for x > 0, a x otherwise: dx = g (m + a (1 - m)), da = sum g x (1 - m) (the engine sums over broadcast axes). */
export const preluGrad: GradientRule<OpAttrs['prelu']> = (b, node, [g]) => {
  if (!g) return [null, null];
  const [x, a] = node.inputs as [string, string];
  const mask = b.step(x);
  const negPart = b.sub(x, b.mul(x, mask));
  return [b.mul(g, b.add(mask, b.sub(a, b.mul(mask, a)))), b.mul(g, negPart)];
};

export const addGrad: GradientRule<OpAttrs['add']> = (_b, _node, [g]) => [g ?? null, g ?? null];

/** Each input gets its slab of g along the concat axis. */
export const concatGrad: GradientRule<OpAttrs['concat']> = (b, node, [g]) => {
  if (!g) return node.inputs.map(() => null);
  const { axis } = node.attrs;
  const full = b.dims(g);
  let start = 0;
  return node.inputs.map((input) => {
    const size = b.dims(input)[axis]!;
    const starts = full.map((_, i) => (i === axis ? start : 0));
    const ends = full.map((d, i) => (i === axis ? start + size : d));
    start += size;
    return b.slice(g, starts, ends);
  });
};

/** y = softmax(x): dx = y (g - sum(g y)) along the axis. */
export const softmaxGrad = unaryRule<OpAttrs['softmax']>((b, g, _x, y, { axis }) => b.mul(y, b.sub(g, b.sum(b.mul(g, y), [axis], true))));
