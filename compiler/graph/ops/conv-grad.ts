/**
 * The two halves of a convolution's backward pass as ops of their own, so their
 * lowering (the expensive part of a training step) is decided in one place:
 * - conv_input_grad: dx from upstream g and w. Stride 1: a plain Conv of g with w's
 *   channels swapped and its kernel flipped, pad k-1-p (same result as ConvTranspose,
 *   ~10x faster on CPU). Otherwise ConvTranspose with the output padding that restores x's size.
 * - conv_weight_grad: dW from x and g, as a Conv of x (N and C swapped) with g (N and O
 *   swapped) as weights, dilated by the stride, sliced to the kernel and transposed back.
 * Both were verified against float64 finite differences (see ../shared/reference/onnxruntime-node.md).
 * Neither is differentiated again (no second-order gradients).
 */
import { ShapeError } from '../../../src/errors.js';
import type { EmitContext } from '../../onnx/context.js';
import type { Shape } from '../graph.js';
import type { OpAttrs, OpDef } from '../ops.js';
import { perSample, prod, rank, sameDim, spatialSize } from './shape-util.js';

const swap01 = (r: number) => [1, 0, ...Array.from({ length: r - 2 }, (_, i) => i + 2)];
const sizes = (s: Shape, what: string) => s.map((d, i) => (i < 2 ? d : spatialSize(d, `${what} axis ${i}`)));

export const convInputGrad: OpDef<OpAttrs['conv_input_grad']> = {
  arity: [2, 2],
  shape([g, w], { stride, pads, inputSize }) {
    const r = stride.length;
    rank(g!, r + 2, 'upstream gradient');
    rank(w!, r + 2, 'conv weight');
    sameDim(g![1]!, w![0]!, 'gradient channels vs weight out-channels');
    const k = sizes(w!, 'kernel').slice(2) as number[];
    sizes(g!, 'gradient').slice(2).forEach((o, i) => {
      if (Math.floor((inputSize[i]! + 2 * pads[i]! - k[i]!) / stride[i]!) + 1 !== o) throw new ShapeError(`gradient axis ${i} of size ${o} does not come from an input of size ${inputSize[i]}`);
    });
    return [[g![0]!, w![1]!, ...inputSize]];
  },
  flops: (inputs, [out]) => 2 * (inputs[0]![1] as number) * prod(inputs[1]!.slice(2) as number[]) * perSample(inputs[0]!.slice(2)) * ((out![1] as number) / 1),
  emit(ctx, node) {
    const { stride, pads, inputSize } = node.attrs;
    const [g, w] = node.inputs as [string, string];
    const r = stride.length;
    const k = ctx.shape(w).slice(2) as number[];
    const o = ctx.shape(g).slice(2) as number[];
    if (stride.every((s) => s === 1) && pads.every((p, i) => p <= k[i]! - 1)) {
      const wt = ctx.tmp(`${node.name}.w_t`);
      ctx.node('Transpose', [w], [wt], { perm: { ints: swap01(r + 2) } });
      const flipped = ctx.tmp(`${node.name}.w_flip`);
      const c = (s: string, v: number[]) => ctx.constant(`${node.name}.${s}`, 'int64', [r], v);
      ctx.node('Slice', [wt, c('starts', k.map(() => -1)), c('ends', k.map(() => -(2 ** 62))), c('axes', k.map((_, i) => i + 2)), c('steps', k.map(() => -1))], [flipped]);
      const p = pads.map((pp, i) => k[i]! - 1 - pp);
      ctx.node('Conv', [g, flipped], node.outputs, { kernel_shape: { ints: k }, pads: { ints: [...p, ...p] } });
      return;
    }
    const outputPadding = inputSize.map((d, i) => d - ((o[i]! - 1) * stride[i]! - 2 * pads[i]! + k[i]!));
    ctx.node('ConvTranspose', [g, w], node.outputs, {
      kernel_shape: { ints: k },
      strides: { ints: stride },
      pads: { ints: [...pads, ...pads] },
      output_padding: { ints: outputPadding },
    });
  },
  gradient: null,
};

export const convWeightGrad: OpDef<OpAttrs['conv_weight_grad']> = {
  arity: [2, 2],
  shape([x, g], { stride, kernel }) {
    const r = stride.length;
    rank(x!, r + 2, 'conv input');
    rank(g!, r + 2, 'upstream gradient');
    sameDim(x![0]!, g![0]!, 'batch of input vs gradient');
    return [[g![1]!, x![1]!, ...kernel]];
  },
  flops: ([x, g], _out, { kernel }) => 2 * (x![1] as number) * (g![1] as number) * prod(kernel) * perSample(g!.slice(2)),
  emit(ctx: EmitContext, node) {
    if ((ctx.lowering.convWeightGrad ?? 'gemm') === 'gemm') emitWeightGradGemm(ctx, node);
    else emitWeightGradDilated(ctx, node);
  },
  gradient: null,
};

type WeightGradNode = Parameters<typeof convWeightGrad.emit>[1];

/** dW as a Conv of x (N, C swapped) with g (N, O swapped) as weights, dilated by the stride, cut to the kernel. */
function emitWeightGradDilated(ctx: EmitContext, node: WeightGradNode): void {
  const { stride, pads, kernel } = node.attrs;
  const [x, g] = node.inputs as [string, string];
  const r = stride.length + 2;
  const t = (s: string) => ctx.tmp(`${node.name}.${s}`);
  const [xt, gt, full, cut] = [t('x_t'), t('g_t'), t('full'), t('cut')];
  ctx.node('Transpose', [x], [xt], { perm: { ints: swap01(r) } });
  ctx.node('Transpose', [g], [gt], { perm: { ints: swap01(r) } });
  const o = ctx.shape(g).slice(2) as number[];
  ctx.node('Conv', [xt, gt], [full], { kernel_shape: { ints: o }, dilations: { ints: stride }, pads: { ints: [...pads, ...pads] } });
  const c = (s: string, v: readonly number[]) => ctx.constant(`${node.name}.${s}`, 'int64', [v.length], v);
  ctx.node('Slice', [full, c('starts', kernel.map(() => 0)), c('ends', kernel), c('axes', kernel.map((_, i) => i + 2))], [cut]);
  ctx.node('Transpose', [cut], node.outputs, { perm: { ints: swap01(r) } });
}

/**
 * dW[o, c, k] = sum over n and output positions p of g[n, o, p] x_pad[n, c, p*s + k]: with x as
 * [C, N, ...] and g as [N*P, O], each kernel offset k is one strided slice of x and one GEMM
 * [C, N*P] x [N*P, O]; the offsets' [C, O] blocks are stacked and transposed to [O, C, ...k].
 */
function emitWeightGradGemm(ctx: EmitContext, node: WeightGradNode): void {
  const { stride, pads, kernel } = node.attrs;
  const [x, g] = node.inputs as [string, string];
  const [n, c] = ctx.shape(x) as [number, number];
  const [, o, ...out] = ctx.shape(g) as number[];
  const r = stride.length;
  const np = n * out.reduce((a, b) => a * b, 1);
  const t = (s: string) => ctx.tmp(`${node.name}.${s}`);
  const i64 = (s: string, v: readonly number[]) => ctx.constant(`${node.name}.${s}`, 'int64', [v.length], v);
  const [xt, xp, gt, gm] = [t('x_t'), t('x_pad'), t('g_t'), t('g_mat')];
  ctx.node('Transpose', [x], [xt], { perm: { ints: swap01(r + 2) } });
  ctx.node('Pad', [xt, i64('pads', [0, 0, ...pads, 0, 0, ...pads])], [xp]);
  ctx.node('Transpose', [g], [gt], { perm: { ints: [0, ...out.map((_, a) => a + 2), 1] } });
  ctx.node('Reshape', [gt, i64('g_shape', [np, o!])], [gm]);
  const taps = kernel.reduce((a, b) => a * b, 1);
  const axes = i64('axes', kernel.map((_, a) => a + 2));
  const steps = i64('steps', stride);
  const rowShape = i64('row_shape', [c, np]);
  const blocks: string[] = [];
  for (let k = 0; k < taps; k++) {
    const offset = kernel.map((_, a) => Math.floor(k / kernel.slice(a + 1).reduce((p, v) => p * v, 1)) % kernel[a]!);
    const [sl, rows, prod] = [t(`slice${k}`), t(`rows${k}`), t(`block${k}`)];
    ctx.node('Slice', [xp, i64(`starts${k}`, offset), i64(`ends${k}`, offset.map((s, a) => s + (out[a]! - 1) * stride[a]! + 1)), axes, steps], [sl]);
    ctx.node('Reshape', [sl, rowShape], [rows]);
    ctx.node('MatMul', [rows, gm], [prod]);
    blocks.push(prod);
  }
  // [taps * C, O] -> [taps, C, O] -> [O, C, taps] -> [O, C, ...k]
  const [stacked, cube, oct] = [t('stacked'), t('cube'), t('o_c_taps')];
  ctx.node('Concat', blocks, [stacked], { axis: { i: 0 } });
  ctx.node('Reshape', [stacked, i64('cube_shape', [taps, c, o!])], [cube]);
  ctx.node('Transpose', [cube], [oct], { perm: { ints: [2, 1, 0] } });
  ctx.node('Reshape', [oct, i64('out_shape', [o!, c, ...kernel])], node.outputs);
}
