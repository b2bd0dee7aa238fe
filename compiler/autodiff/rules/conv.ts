/** Gradients of the convolution-type ops. */
import type { GraphBuilder } from '../../graph/builder.js';
import type { OpAttrs } from '../../graph/ops.js';
import type { GradientRule } from '../rule.js';

const biasGrad = (b: GraphBuilder, g: string) => b.sum(g, b.dims(g).map((_, i) => i).filter((i) => i !== 1));

/** dx and dW by their own ops (conv_input_grad, conv_weight_grad), db = sum of g over batch and space. */
export const convGrad: GradientRule<OpAttrs['conv']> = (b, node, [g]) => {
  if (!g) return node.inputs.map(() => null);
  const [x, w] = node.inputs as [string, string];
  const { stride, pads } = node.attrs;
  const dx = b.op('conv_input_grad', 'dx', [g, w], { stride, pads, inputSize: b.dims(x).slice(2) });
  const dw = b.op('conv_weight_grad', 'dw', [x, g], { stride, pads, kernel: b.dims(w).slice(2) });
  return node.inputs.length > 2 ? [dx, dw, biasGrad(b, g)] : [dx, dw];
};

/**
 * Transposed conv with kernel = stride s: y[n, o, d*s + i] = sum_c x[n, c, d] w[c, o, i].
 * dx[n, c, d] = sum_{o, i} g[n, o, d*s + i] w[c, o, i], a strided conv of g with w read as
 * [C_out = c, C_in = o, k]. dW[c, o, i] = sum_{n, d} x[n, c, d] g[n, o, d*s + i]: one matrix
 * product per sample once g is split into its (o, i) taps.
 */
export const convTransposeGrad: GradientRule<OpAttrs['conv_transpose']> = (b, node, [g]) => {
  if (!g) return node.inputs.map(() => null);
  const [x, w] = node.inputs as [string, string];
  const s = node.attrs.stride;
  const [n, c, ...sp] = b.dims(x);
  const o = b.dims(w)[1]!;
  const dx = b.op('conv', 'dx', [g, w], { stride: s, pads: s.map(() => 0) });
  const voxels = sp.reduce((p, d) => p * d, 1);
  const taps = s.reduce((p, d) => p * d, 1);
  const split = b.reshape(g, [n!, o, ...sp.flatMap((d, a) => [d, s[a]!])]);
  // [N, O, d0, s0, d1, s1, ...] -> [N, d0, d1, ..., O, s0, s1, ...]
  const perm = [0, ...sp.map((_, a) => 2 + 2 * a), 1, ...sp.map((_, a) => 3 + 2 * a)];
  const gt = b.reshape(b.transpose(split, perm), [n!, voxels, o * taps]);
  const xm = b.reshape(x, [n!, c!, voxels]);
  const dw = b.reshape(b.sum(b.matmul(xm, gt), [0]), [c!, o, ...s]);
  return node.inputs.length > 2 ? [dx, dw, biasGrad(b, g)] : [dx, dw];
};

/** Average pooling with stride = kernel: each input voxel in a window gets g / |window|; the cut-off remainder gets 0. */
export const avgPoolGrad: GradientRule<OpAttrs['avg_pool']> = (b, node, [g]) => {
  if (!g) return [null];
  const k = node.attrs.kernel;
  const [n, c, ...sp] = b.dims(g);
  const x = b.dims(node.inputs[0]!);
  const spread = b.expand(b.reshape(g, [n!, c!, ...sp.flatMap((d) => [d, 1])]), [n!, c!, ...sp.flatMap((d, a) => [d, k[a]!])]);
  const windows = b.reshape(spread, [n!, c!, ...sp.map((d, a) => d * k[a]!)]);
  const scaled = b.affine(windows, 1 / k.reduce((p, v) => p * v, 1));
  const rest = x.map((d, a) => (a < 2 ? 0 : d - sp[a - 2]! * k[a - 2]!));
  return [rest.some((v) => v > 0) ? b.pad(scaled, x.map(() => 0), rest) : scaled];
};
