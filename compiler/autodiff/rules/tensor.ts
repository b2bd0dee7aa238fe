/** Gradients of the structural training-graph ops: reductions, reshape, transpose, expand, slice, pad, matmul. */
import type { OpAttrs } from '../../graph/ops.js';
import { prod } from '../../graph/ops/shape-util.js';
import type { GradientRule } from '../rule.js';

/** Sum and mean spread g back over the reduced axes; max is a constant to autodiff (see GraphBuilder.maxStop). */
export const reduceGrad: GradientRule<OpAttrs['reduce']> = (b, node, [g]) => {
  const { fn, axes } = node.attrs;
  if (!g || fn === 'max') return [null];
  const x = b.dims(node.inputs[0]!);
  const kept = b.reshape(g, x.map((d, i) => (axes.includes(i) ? 1 : d)));
  const spread = b.expand(kept, x);
  return [fn === 'sum' ? spread : b.affine(spread, 1 / prod(axes.map((a) => x[a]!)))];
};

export const reshapeGrad: GradientRule<OpAttrs['reshape']> = (b, node, [g]) => [g ? b.reshape(g, b.dims(node.inputs[0]!)) : null];

export const transposeGrad: GradientRule<OpAttrs['transpose']> = (b, node, [g]) => {
  if (!g) return [null];
  const inverse = node.attrs.perm.map((_, i) => node.attrs.perm.indexOf(i));
  return [b.transpose(g, inverse)];
};

/** The engine sums g over the broadcast axes. */
export const expandGrad: GradientRule<OpAttrs['expand']> = (_b, _node, [g]) => [g ?? null];

export const sliceGrad: GradientRule<OpAttrs['slice']> = (b, node, [g]) => {
  if (!g) return [null];
  if (node.attrs.steps.some((s) => s !== 1)) throw new Error(`slice '${node.name}' with steps is not differentiable (used for label downsampling only)`);
  const x = b.dims(node.inputs[0]!);
  const out = b.dims(node.outputs[0]!);
  return [b.pad(g, node.attrs.starts, x.map((d, i) => d - node.attrs.starts[i]! - out[i]!))];
};

export const padGrad: GradientRule<OpAttrs['pad']> = (b, node, [g]) => {
  if (!g) return [null];
  const x = b.dims(node.inputs[0]!);
  return [b.slice(g, node.attrs.before, x.map((d, i) => node.attrs.before[i]! + d))];
};

export const matmulGrad: GradientRule<OpAttrs['matmul']> = (b, node, [g]) => {
  if (!g) return [null, null];
  const [x, y] = node.inputs as [string, string];
  const r = b.dims(x).length;
  const swap = [...Array.from({ length: r - 2 }, (_, i) => i), r - 1, r - 2];
  return [b.matmul(g, b.transpose(y, swap)), b.matmul(b.transpose(x, swap), g)];
};
