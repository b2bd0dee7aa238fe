/**
 * The two halves of a convolution's backward pass as ops of their own, so their
 * lowering (the expensive part of a training step) is decided in one place:
 * - conv_input_grad: dx from upstream g and w, as stride-1 Convs of g over the stride phases
 *   (stride 1: w's channels swapped and its kernel flipped, pad k-1-p), faster on CPU than ONNX
 *   ConvTranspose at the sizes that dominate a step; ConvTranspose stays selectable
 *   (LoweringOptions.convInputGrad).
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
    const strided = node.attrs.stride.some((s) => s > 1);
    const how = ctx.lowering.convInputGrad ?? 'phase_convs';
    if (strided && how === 'conv_transpose') emitInputGradTransposed(ctx, node);
    else emitInputGradPhases(ctx, node, how === 'phase_conv');
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

type InputGradNode = Parameters<typeof convInputGrad.emit>[1];
type WeightGradNode = Parameters<typeof convWeightGrad.emit>[1];

/** dx = ConvTranspose(g, w) with the output padding that restores x's size (slow on CPU, 3D unsupported by WebGPU). */
function emitInputGradTransposed(ctx: EmitContext, node: InputGradNode): void {
  const { stride, pads, inputSize } = node.attrs;
  const [g, w] = node.inputs as [string, string];
  const k = ctx.shape(w).slice(2) as number[];
  const o = ctx.shape(g).slice(2) as number[];
  ctx.node('ConvTranspose', [g, w], node.outputs, {
    kernel_shape: { ints: k },
    strides: { ints: stride },
    pads: { ints: [...pads, ...pads] },
    output_padding: { ints: inputSize.map((d, i) => d - ((o[i]! - 1) * stride[i]! - 2 * pads[i]! + k[i]!)) },
  });
}

/**
 * dx by stride-1 Convs of g over the stride phases. Per axis, the forward conv reads x[o*s - p + k],
 * so dx at i = q*s + ph collects g[q + d] w[ph + p - d*s] over the offsets d with a tap in the kernel.
 * 'phase_conv': one Conv over a window covering every phase's offsets, prod(s) * C output channels (a
 * tap a phase lacks is 0: for k 3, s 2 that is 64 taps for 27); 'phase_convs': one Conv per phase
 * with exactly its taps, concatenated. Depth-to-space then interleaves the phases. Stride 1 is the
 * flipped-weight Conv with pad k-1-p. Weights come from w by one Gather of constant tap indices.
 */
function emitInputGradPhases(ctx: EmitContext, node: InputGradNode, oneConv: boolean): void {
  const { stride: s, pads: p, inputSize } = node.attrs;
  const [o, c, ...k] = ctx.shape(node.inputs[1]!) as number[];
  const r = s.length;
  const t = (name: string) => ctx.tmp(`${node.name}.${name}`);
  const i64 = (name: string, v: readonly number[]) => ctx.constant(`${node.name}.${name}`, 'int64', [v.length], v);
  const q = inputSize.map((d, a) => Math.ceil(d / s[a]!));
  const phases = [...grid(s)];
  // Offsets d of each phase and axis; a phase without taps on an axis keeps one (zero) offset.
  const windowOf = (ph: number[]) => ph.map((v, a) => {
    const lo = Math.ceil((v + p[a]! - k[a]! + 1) / s[a]!);
    return [lo, Math.max(lo, Math.floor((v + p[a]!) / s[a]!))] as const;
  });
  const groups = oneConv
    ? [{ phases, window: s.map((_, a) => [Math.min(...phases.map((ph) => windowOf(ph)[a]![0])), Math.max(...phases.map((ph) => windowOf(ph)[a]![1]))] as const) }]
    : phases.map((ph) => ({ phases: [ph], window: windowOf(ph) }));

  // w as [O, C, prod(k) + 1], the last tap 0, so every (phase, offset) is one Gather index.
  const [wFlat, wZero] = [t('w_flat'), t('w_zero')];
  ctx.node('Reshape', [node.inputs[1]!, i64('w_flat_shape', [o, c, prod(k)])], [wFlat]);
  ctx.node('Pad', [wFlat, i64('w_zero_pads', [0, 0, 0, 0, 0, 1])], [wZero]);
  const direct = phases.length === 1;
  const outs = groups.map((grp, gi) => emitPhaseGroupConv(ctx, node, wZero, grp.phases, grp.window, q, direct ? node.outputs[0]! : t(`phases${gi}`), `g${gi}`));
  if (direct) return;
  let y = outs[0]!;
  if (outs.length > 1) ctx.node('Concat', outs, [(y = t('phases'))], { axis: { i: 1 } });
  // [N, s0*s1*..*C, q...] -> [N, s..., C, q...] -> [N, C, q0, s0, q1, s1, ...] -> [N, C, q0*s0, ...]
  const [split, inter, full] = [t('split'), t('interleave'), t('full')];
  ctx.node('Reshape', [y, i64('split_shape', [0, ...s, c, ...q])], [split]);
  ctx.node('Transpose', [split], [inter], { perm: { ints: [0, r + 1, ...s.flatMap((_, a) => [r + 2 + a, 1 + a])] } });
  const whole = q.every((v, a) => v * s[a]! === inputSize[a]);
  ctx.node('Reshape', [inter, i64('full_shape', [0, c, ...q.map((v, a) => v * s[a]!)])], whole ? node.outputs : [full]);
  if (!whole) ctx.node('Slice', [full, i64('starts', s.map(() => 0)), i64('ends', inputSize), i64('axes', s.map((_, a) => a + 2))], node.outputs);
}

/** One stride-1 Conv computing `phases` (channel blocks in that order) of dx over the offset `window`; returns `out`. */
function emitPhaseGroupConv(ctx: EmitContext, node: InputGradNode, wZero: string, phases: readonly number[][], window: readonly (readonly [number, number])[], q: readonly number[], out: string, tag: string): string {
  const { stride: s, pads: p } = node.attrs;
  const g = node.inputs[0]!;
  const [o, c, ...k] = ctx.shape(node.inputs[1]!) as number[];
  const gSize = ctx.shape(g).slice(2) as number[];
  const t = (name: string) => ctx.tmp(`${node.name}.${tag}.${name}`);
  const i64 = (name: string, v: readonly number[]) => ctx.constant(`${node.name}.${tag}.${name}`, 'int64', [v.length], v);
  const lo = window.map(([l]) => l);
  const m = window.map(([l, h]) => h - l + 1);
  const taps: number[] = [];
  for (const ph of phases)
    for (const mm of grid(m)) {
      const kk = mm.map((v, a) => ph[a]! + p[a]! - (lo[a]! + v) * s[a]!);
      taps.push(kk.some((v, a) => v < 0 || v >= k[a]!) ? prod(k) : kk.reduce((f, v, a) => f * k[a]! + v, 0));
    }
  const [wTaps, wSplit, wPerm, wPhase] = [t('w_taps'), t('w_split'), t('w_perm'), t('w_phase')];
  ctx.node('Gather', [wZero, i64('taps', taps)], [wTaps], { axis: { i: 2 } });
  ctx.node('Reshape', [wTaps, i64('w_split_shape', [o, c, phases.length, prod(m)])], [wSplit]);
  ctx.node('Transpose', [wSplit], [wPerm], { perm: { ints: [2, 1, 0, 3] } });
  ctx.node('Reshape', [wPerm, i64('w_phase_shape', [phases.length * c, o, ...m])], [wPhase]);
  // Output q reads g[q + lo .. q + hi]: zero-pad outside g, cut what is never read.
  const before = lo.map((d) => -d);
  const after = window.map(([, h], a) => q[a]! - 1 + h - (gSize[a]! - 1));
  let gIn = g;
  if ([...before, ...after].some((v) => v < 0)) {
    gIn = t('g_cut');
    const starts = before.map((b) => Math.max(0, -b));
    const ends = after.map((e, a) => gSize[a]! + Math.min(0, e));
    ctx.node('Slice', [g, i64('g_starts', starts), i64('g_ends', ends), i64('g_axes', s.map((_, a) => a + 2))], [gIn]);
  }
  ctx.node('Conv', [gIn, wPhase], [out], { kernel_shape: { ints: m }, pads: { ints: [...before, ...after].map((v) => Math.max(0, v)) } });
  return out;
}

/** All index tuples of a box of the given sizes, last axis fastest. */
function* grid(sizes: readonly number[]): Generator<number[]> {
  const total = prod(sizes);
  for (let f = 0; f < total; f++) {
    let rest = f;
    yield sizes.map((_, a) => {
      const inner = prod(sizes.slice(a + 1));
      const v = Math.floor(rest / inner);
      rest -= v * inner;
      return v;
    });
  }
}

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
