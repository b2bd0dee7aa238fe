/**
 * The two halves of a convolution's backward pass as ops of their own, so their
 * lowering (the expensive part of a training step) is decided in one place:
 * - conv_input_grad: dx from upstream g and w, as stride-1 Convs of g over the stride phases
 *   (stride 1: w's channels swapped and its kernel flipped, pad k-1-p), faster on CPU than ONNX
 *   ConvTranspose at the sizes that dominate a step; ConvTranspose stays selectable
 *   (LoweringOptions.convInputGrad).
 * - conv_weight_grad: dW from x and g as GEMMs over copies of x (and g) per kernel offset: by default
 *   one GEMM per chunk over shifted copies on a flat grid (stride 1) or over stacked strided slices
 *   (im2col, strided); one GEMM per offset and a dilated Conv stay selectable
 *   (LoweringOptions.convWeightGrad; measurements in docs/training.md).
 * Every form is checked against float64 references (test/autodiff/ops.test.ts).
 * Neither is differentiated again (no second-order gradients).
 */
import { ShapeError } from '../../../src/errors.js';
import type { EmitContext } from '../../onnx/context.js';
import type { Shape } from '../shape.js';
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
    const how = ctx.lowering.convInputGrad;
    if (strided && how === 'conv_transpose') emitInputGradTransposed(ctx, node);
    else emitInputGradPhases(ctx, node, how === 'phase_conv');
  },
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
    const how = ctx.lowering.convWeightGrad;
    if (how === 'gemm') emitWeightGradGemm(ctx, node);
    else if (how === 'im2col' || (how === 'shifted' && node.attrs.stride.some((v) => v > 1))) emitWeightGradIm2col(ctx, node);
    else if (how === 'shifted') emitWeightGradShifted(ctx, node);
    else emitWeightGradDilated(ctx, node);
  },
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
 * flipped-weight Conv with pad k-1-p. Weights come from w by one MatMul with a constant 0/1 tap selection.
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

  const wFlat = t('w_flat'); // [O, C, taps]
  ctx.node('Reshape', [node.inputs[1]!, i64('w_flat_shape', [o, c, prod(k)])], [wFlat]);
  const direct = phases.length === 1;
  const outs = groups.map((grp, gi) => emitPhaseGroupConv(ctx, node, wFlat, grp.phases, grp.window, q, direct ? node.outputs[0]! : t(`phases${gi}`), `g${gi}`));
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
function emitPhaseGroupConv(ctx: EmitContext, node: InputGradNode, wFlat: string, phases: readonly number[][], window: readonly (readonly [number, number])[], q: readonly number[], out: string, tag: string): string {
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
  // The taps picked by a 0/1 selection matrix (a zero column where a phase has no tap): one small
  // GEMM, exact, and much faster than a Gather of single elements along the last axis.
  const selection = Array.from({ length: prod(k) * taps.length }, (_, e) => (taps[e % taps.length] === Math.floor(e / taps.length) ? 1 : 0));
  const [wTaps, wSplit, wPerm, wPhase] = [t('w_taps'), t('w_split'), t('w_perm'), t('w_phase')];
  ctx.node('MatMul', [wFlat, ctx.constant(`${node.name}.${tag}.tap_selection`, 'float', [prod(k), taps.length], selection)], [wTaps]);
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
  const np = n * prod(out);
  const t = (s: string) => ctx.tmp(`${node.name}.${s}`);
  const i64 = (s: string, v: readonly number[]) => ctx.constant(`${node.name}.${s}`, 'int64', [v.length], v);
  const [xt, xp, gt, gm] = [t('x_t'), t('x_pad'), t('g_t'), t('g_mat')];
  ctx.node('Transpose', [x], [xt], { perm: { ints: swap01(r + 2) } });
  ctx.node('Pad', [xt, i64('pads', [0, 0, ...pads, 0, 0, ...pads])], [xp]);
  ctx.node('Transpose', [g], [gt], { perm: { ints: [0, ...out.map((_, a) => a + 2), 1] } });
  ctx.node('Reshape', [gt, i64('g_shape', [np, o!])], [gm]);
  const axes = i64('axes', kernel.map((_, a) => a + 2));
  const steps = i64('steps', stride);
  const rowShape = i64('row_shape', [c, np]);
  const blocks = [...grid(kernel)].map((offset, k) => {
    const [sl, rows, block] = [t(`slice${k}`), t(`rows${k}`), t(`block${k}`)];
    ctx.node('Slice', [xp, i64(`starts${k}`, offset), i64(`ends${k}`, offset.map((s, a) => s + (out[a]! - 1) * stride[a]! + 1)), axes, steps], [sl]);
    ctx.node('Reshape', [sl, rowShape], [rows]);
    ctx.node('MatMul', [rows, gm], [block]);
    return block;
  });
  const stacked = t('stacked');
  ctx.node('Concat', blocks, [stacked], { axis: { i: 0 } });
  stackedToWeight(ctx, node, stacked, blocks.length, c, o!);
}

/**
 * dW by im2col per chunk: for a chunk of output rows of one sample (whole, else slabs of the first
 * spatial axis), the kernel offsets' strided slices of the padded x are stacked into [taps*C, rows] and
 * one Gemm with g's rows ([O, rows], transposed by the Gemm) gives the chunk's [taps*C, O]; chunks are
 * summed. Against one GEMM per offset, g is packed once per chunk rather than once per offset, the
 * GEMM has taps*C rows instead of C, and neither x nor g is transposed. Chunks keep the stacked copy
 * under `weightGradChunkMiB`.
 */
function emitWeightGradIm2col(ctx: EmitContext, node: WeightGradNode): void {
  const { stride, pads, kernel } = node.attrs;
  const [x, g] = node.inputs as [string, string];
  const [n, c] = ctx.shape(x) as [number, number];
  const [, o, depth, ...rest] = ctx.shape(g) as number[];
  const plane = prod(rest);
  const taps = prod(kernel);
  const t = (s: string) => ctx.tmp(`${node.name}.${s}`);
  const i64 = (s: string, v: readonly number[]) => ctx.constant(`${node.name}.${s}`, 'int64', [v.length], v);
  const xp = t('x_pad');
  ctx.node('Pad', [x, i64('pads', [0, 0, ...pads, 0, 0, ...pads])], [xp]);
  const spatialAxes = kernel.map((_, a) => a + 2);
  const [xAxes, xSteps, gAxes] = [i64('x_axes', [0, ...spatialAxes]), i64('x_steps', [1, ...stride]), i64('g_axes', [0, 2])];
  const budgetRows = (ctx.lowering.weightGradChunkMiB * 2 ** 20) / (4 * taps * c);
  const slabs = Math.max(1, Math.min(depth!, Math.floor(budgetRows / plane)));
  const partials: string[] = [];
  for (let s = 0; s < n; s++)
    for (let d0 = 0; d0 < depth!; d0 += slabs) {
      const d1 = Math.min(depth!, d0 + slabs);
      const tag = `n${s}d${d0}`;
      const slices = [...grid(kernel)].map((off, k) => {
        const sl = t(`${tag}.slice${k}`);
        const starts = [s, off[0]! + d0 * stride[0]!, ...off.slice(1)];
        const ends = [s + 1, off[0]! + (d1 - 1) * stride[0]! + 1, ...off.slice(1).map((v, a) => v + (rest[a]! - 1) * stride[a + 1]! + 1)];
        ctx.node('Slice', [xp, i64(`${tag}.starts${k}`, starts), i64(`${tag}.ends${k}`, ends), xAxes, xSteps], [sl]);
        return sl;
      });
      const [cols, colMat, gSlab, gMat, partial] = [t(`${tag}.cols`), t(`${tag}.col_mat`), t(`${tag}.g_slab`), t(`${tag}.g_mat`), t(`${tag}.partial`)];
      const rows = (d1 - d0) * plane;
      ctx.node('Concat', slices, [cols], { axis: { i: 0 } });
      ctx.node('Reshape', [cols, i64(`${tag}.col_shape`, [taps * c, rows])], [colMat]);
      ctx.node('Slice', [g, i64(`${tag}.g_starts`, [s, d0]), i64(`${tag}.g_ends`, [s + 1, d1]), gAxes], [gSlab]);
      ctx.node('Reshape', [gSlab, i64(`${tag}.g_shape`, [o!, rows])], [gMat]);
      ctx.node('Gemm', [colMat, gMat], [partial], { transB: { i: 1 } });
      partials.push(partial);
    }
  let stacked = partials[0]!;
  if (partials.length > 1) ctx.node('Sum', partials, [(stacked = t('stacked'))]);
  stackedToWeight(ctx, node, stacked, taps, c, o!);
}

/**
 * dW of a stride-1 conv from shifted copies of flattened grids. Lay x (padded) and g out on one flat
 * grid per sample, g's rows widened to x's padded widths: the forward conv reads x_flat[j + off(k)]
 * for g's grid index j, with off(k) = a(k's leading axes) + b(the other axes). So
 *   dW[k] = sum_j g_flat[j] x_flat[j + a + b] = sum_i G_b[i] X_a[i],  X_a[i] = x_flat[i + a], G_b[i] = g_flat[i - b]:
 * X stacks one shifted slice of x per leading-axes offset a, G one shifted (zero-padded) copy of g per
 * offset b, and one GEMM [na*C, len] x [len, nb*O] gives every offset. Where the axes split is chosen to
 * copy the fewest values (for C = O: x's first axis, 3 + 9 copies instead of im2col's 27); the GEMM also
 * runs over the padding columns of the widened rows (+9 % at 40x56x40). Chunks of the flat grid bound
 * the copies by `weightGradChunkMiB`; chunks and samples are summed.
 */
function emitWeightGradShifted(ctx: EmitContext, node: WeightGradNode): void {
  const { pads, kernel } = node.attrs;
  const [x, g] = node.inputs as [string, string];
  const [n, c, ...xSize] = ctx.shape(x) as number[];
  const [, o, ...gSize] = ctx.shape(g) as number[];
  const r = kernel.length;
  const t = (s: string) => ctx.tmp(`${node.name}.${s}`);
  const i64 = (s: string, v: readonly number[]) => ctx.constant(`${node.name}.${s}`, 'int64', [v.length], v);
  const width = xSize.map((d, a) => d + 2 * pads[a]!); // x's padded grid
  const flatStride = width.map((_, a) => prod(width.slice(a + 1)));
  // The split: kernel axes < q shift x, the rest shift g; fewest values copied.
  const split = (q: number) => ({ q, na: prod(kernel.slice(0, q)), nb: prod(kernel.slice(q)) });
  const { q, na, nb } = [...Array(r + 1).keys()].map(split).reduce((best, cur) => (cur.na * c! + cur.nb * o! < best.na * c! + best.nb * o! ? cur : best));
  const offsetsA = [...grid(kernel.slice(0, q))].map((k) => k.reduce((f, v, a) => f + v * flatStride[a]!, 0));
  const offsetsB = [...grid(kernel.slice(q))].map((k) => k.reduce((f, v, a) => f + v * flatStride[q + a]!, 0));
  const bMax = Math.max(...offsetsB);
  const gLength = gSize[0]! * flatStride[0]!;
  // x padded, plus one more row on the first axis when the last offsets read past x's grid.
  const extra = offsetsA.at(-1)! + bMax + gLength > width[0]! * flatStride[0]! ? 1 : 0;
  const [xPad, xFlat, gPad, gFlat] = [t('x_pad'), t('x_flat'), t('g_pad'), t('g_flat')];
  ctx.node('Pad', [x, i64('x_pads', [0, 0, ...pads, 0, 0, pads[0]! + extra, ...pads.slice(1)])], [xPad]);
  ctx.node('Reshape', [xPad, i64('x_flat_shape', [n!, c!, -1])], [xFlat]);
  // g widened to x's rows, with whole zero rows before and after (at least bMax values) for the shifts.
  const zeroRows = Math.ceil(bMax / flatStride[0]!);
  const gPads = [0, 0, zeroRows, ...gSize.slice(1).map(() => 0), 0, 0, zeroRows, ...gSize.slice(1).map((d, a) => width[a + 1]! - d)];
  let gIn = g;
  if (gPads.some((v) => v > 0)) ctx.node('Pad', [g, i64('g_pads', gPads)], [(gIn = gPad)]);
  ctx.node('Reshape', [gIn, i64('g_flat_shape', [n!, o!, -1])], [gFlat]);
  const front = zeroRows * flatStride[0]!;

  // Sum over i in [0, gLength + bMax) of G_b[i] X_a[i], in chunks of i.
  const total = gLength + bMax;
  const length = Math.max(1, Math.floor((ctx.lowering.weightGradChunkMiB * 2 ** 20) / (4 * (na * c! + nb * o!))));
  const axes = i64('axes', [0, 2]);
  const xOnTop = na * c! >= nb * o!; // the larger stack is the GEMM's A (read in place), the smaller is packed
  const partials: string[] = [];
  for (let s = 0; s < n!; s++)
    for (let i0 = 0; i0 < total; i0 += length) {
      const i1 = Math.min(total, i0 + length);
      const tag = `n${s}i${i0}`;
      // One slice per shift, stacked channel-major ([channels, shifts, columns]: rows (c, a) and (o, b)).
      const stack = (from: string, starts: readonly number[], channels: number, name: string) => {
        const columnShape = starts.length > 1 ? i64(`${tag}.${name}_col_shape`, [channels, 1, i1 - i0]) : '';
        const parts = starts.map((start, k) => {
          const sl = t(`${tag}.${name}${k}`);
          ctx.node('Slice', [from, i64(`${tag}.${name}${k}_starts`, [s, start]), i64(`${tag}.${name}${k}_ends`, [s + 1, start + i1 - i0]), axes], [sl]);
          if (starts.length === 1) return sl;
          const column = t(`${tag}.${name}${k}_col`);
          ctx.node('Reshape', [sl, columnShape], [column]);
          return column;
        });
        const [cat, mat] = [t(`${tag}.${name}`), t(`${tag}.${name}_mat`)];
        if (parts.length > 1) ctx.node('Concat', parts, [cat], { axis: { i: 1 } });
        ctx.node('Reshape', [parts.length > 1 ? cat : parts[0]!, i64(`${tag}.${name}_shape`, [channels * starts.length, i1 - i0])], [mat]);
        return mat;
      };
      const xm = stack(xFlat, offsetsA.map((a) => i0 + a), c!, 'x');
      const gm = stack(gFlat, offsetsB.map((b) => front + i0 - b), o!, 'g');
      const partial = t(`${tag}.partial`);
      ctx.node('Gemm', xOnTop ? [xm, gm] : [gm, xm], [partial], { transB: { i: 1 } });
      partials.push(partial);
    }
  let result = partials[0]!;
  if (partials.length > 1) ctx.node('Sum', partials, [(result = t('sum'))]);
  // [C, na, O, nb] (or [O, nb, C, na]) -> [O, C, na, nb] -> [O, C, ...k]; channel-major stacks keep
  // this transpose's runs long (measured 2-4x faster than from shift-major stacks).
  const [blocks, oc] = [t('blocks'), t('o_c_taps')];
  ctx.node('Reshape', [result, i64('blocks_shape', xOnTop ? [c!, na, o!, nb] : [o!, nb, c!, na])], [blocks]);
  ctx.node('Transpose', [blocks], [oc], { perm: { ints: xOnTop ? [2, 0, 1, 3] : [0, 2, 3, 1] } });
  ctx.node('Reshape', [oc, i64('out_shape', [o!, c!, ...kernel])], node.outputs);
}

/** [taps * C, O] (offsets major, last kernel axis fastest) -> [taps, C, O] -> [O, C, taps] -> the weight's [O, C, ...k]. */
function stackedToWeight(ctx: EmitContext, node: WeightGradNode, stacked: string, taps: number, c: number, o: number): void {
  const t = (s: string) => ctx.tmp(`${node.name}.${s}`);
  const i64 = (s: string, v: readonly number[]) => ctx.constant(`${node.name}.${s}`, 'int64', [v.length], v);
  const [cube, oct] = [t('cube'), t('o_c_taps')];
  ctx.node('Reshape', [stacked, i64('cube_shape', [taps, c, o])], [cube]);
  ctx.node('Transpose', [cube], [oct], { perm: { ints: [2, 1, 0] } });
  ctx.node('Reshape', [oct, i64('out_shape', [o, c, ...node.attrs.kernel])], node.outputs);
}
