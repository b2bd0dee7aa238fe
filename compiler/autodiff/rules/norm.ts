/**
 * Gradients of normalisation. With xhat = (x - mean) / sqrt(var + eps) over `axes`
 * and y = gamma * xhat + beta, the standard identity is
 *   dx = (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)) / sqrt(var + eps),  dxhat = g * gamma,
 * dgamma = sum(g * xhat), dbeta = sum(g) over every axis but the channel axis.
 * Statistics are recomputed in the backward pass rather than kept from the forward one.
 */
import type { GraphBuilder } from '../../graph/builder.js';
import type { OpAttrs } from '../../graph/ops.js';
import type { GradientRule } from '../rule.js';

const notChannel = (rank: number) => Array.from({ length: rank }, (_, i) => i).filter((i) => i !== 1);

/**
 * [dx, dgamma, dbeta] for normalisation of x over `axes` with statistics from x itself. Written so
 * that 11 ops (reductions included) touch full-size tensors instead of 16 for the textbook form: with m1 = mean(g), m2 = mean(g xc) / sigma over `axes`
 * (xc = x - mean(x), sigma = sqrt(var + eps)) and a = gamma / sigma,
 *   dx = a (g - m1) - xc (a m2 / sigma),  dgamma = sum(m2) |axes|,  dbeta = sum(m1) |axes|,
 * the per-(sample, channel) factors being small tensors and xhat never formed.
 */
function normGrad(b: GraphBuilder, g: string, x: string, gamma: string, axes: readonly number[], eps: number): [string, string, string] {
  const dims = b.dims(x);
  const r = dims.length;
  const count = axes.reduce((p, a) => p * (dims[a] as number), 1);
  const xc = b.sub(x, b.mean(x, axes, true));
  const inv = b.reciprocal(b.sqrt(b.affine(b.mean(b.mul(xc, xc), axes, true), 1, eps)));
  const m1 = b.mean(g, axes, true);
  const m2 = b.mul(b.mean(b.mul(g, xc), axes, true), inv);
  const a = b.mul(b.channels(gamma, r), inv);
  const dx = b.sub(b.mul(b.sub(g, m1), a), b.mul(xc, b.mul(b.mul(a, m2), inv)));
  const perChannel = (m: string) => b.affine(b.sum(m, notChannel(r)), count);
  return [dx, perChannel(m2), perChannel(m1)];
}

/** Batch norm on batch statistics: as instance norm, over the batch and spatial axes; the running-statistics outputs get none. */
export const batchNormTrainGrad: GradientRule<OpAttrs['batch_norm_train']> = (b, node, [g]) => {
  if (!g) return [null, null, null, null, null];
  const [x, scale] = node.inputs as [string, string];
  return [...normGrad(b, g, x, scale, notChannel(b.dims(x).length), node.attrs.eps), null, null];
};

export const instanceNormGrad: GradientRule<OpAttrs['instance_norm']> = (b, node, [g]) => {
  if (!g) return [null, null, null];
  const [x, gamma] = node.inputs as [string, string];
  const spatial = b.dims(x).map((_, i) => i).slice(2);
  return normGrad(b, g, x, gamma, spatial, node.attrs.eps);
};

/** Inference-form batch norm: the running statistics are constants, so dx = g * gamma / sqrt(rv + eps). */
export const batchNormGrad: GradientRule<OpAttrs['batch_norm']> = (b, node, [g]) => {
  if (!g) return [null, null, null, null, null];
  const [x, gamma, , rm, rv] = node.inputs as [string, string, string, string, string];
  const r = b.dims(x).length;
  const inv = b.reciprocal(b.sqrt(b.affine(rv, 1, node.attrs.eps)));
  const xhat = b.mul(b.sub(x, b.channels(rm, r)), b.channels(inv, r));
  return [b.mul(g, b.channels(b.mul(gamma, inv), r)), b.sum(b.mul(g, xhat), notChannel(r)), b.sum(g, notChannel(r)), null, null];
};
