/**
 * conv_weight_grad, dW of a conv from x and upstream g, as an op of its own so its lowering (the
 * most expensive part of a training step) is decided here, by one row of WEIGHT_GRAD_LOWERINGS per
 * LoweringOptions.convWeightGrad (measurements in docs/training.md). ONNX has no strided views, so
 * each form copies x (and g) once per kernel offset somewhere and differs in how many values it
 * copies and how well its GEMMs are shaped. Every row is checked against float64 references
 * (test/compiler/autodiff/ops.test.ts).
 */
import type { LoweringOptions } from '../../onnx/context.js';
import { Emitter } from '../../onnx/emitter.js';
import type { GraphNode, OpAttrs, OpDef } from '../ops.js';
import { grid, perSample, prod, rank, sameDim } from './shape-util.js';

type Node = GraphNode & { readonly attrs: OpAttrs['conv_weight_grad'] };

export const WEIGHT_GRAD_LOWERINGS: Readonly<Record<LoweringOptions['convWeightGrad'], (e: Emitter, node: Node) => void>> = {
  /** Default: shifted copies for stride 1, im2col for strided convs. */
  shifted: (e, node) => (node.attrs.stride.some((s) => s > 1) ? emitIm2col : emitShifted)(e, node),
  im2col: emitIm2col,
  /** One Conv (cuDNN's backward-filter shape): few nodes, for GPU providers (src/runtime/providers.ts). */
  conv: emitAsConv,
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
  emit: (ctx, node) => WEIGHT_GRAD_LOWERINGS[ctx.lowering.convWeightGrad](new Emitter(ctx, node.name), node),
};

/** Rows of one chunk's stacked copies that fit `weightGradChunkMiB` (float32) when each row holds `values`. */
const chunkRows = (e: Emitter, values: number) => (e.lowering.weightGradChunkMiB * 2 ** 20) / (4 * values);

/**
 * dW by im2col per chunk: for a chunk of output rows of one sample (whole, else slabs of the first
 * spatial axis), the kernel offsets' strided slices of the padded x are stacked into [taps*C, rows] and
 * one Gemm with g's rows ([O, rows], transposed by the Gemm) gives the chunk's [taps*C, O]; chunks are
 * summed. Against one GEMM per offset, g is packed once per chunk rather than once per offset, the
 * GEMM has taps*C rows instead of C, and neither x nor g is transposed. Chunks keep the stacked copy
 * under `weightGradChunkMiB`.
 */
function emitIm2col(e: Emitter, node: Node): void {
  const { stride, pads, kernel } = node.attrs;
  const [x, g] = node.inputs as [string, string];
  const [n, c] = e.shape(x) as [number, number];
  const [, o, depth, ...rest] = e.shape(g) as number[];
  const plane = prod(rest);
  const taps = prod(kernel);
  const xp = e.pad(x, [0, 0, ...pads, 0, 0, ...pads], 'x_pad');
  const [xAxes, xSteps, gAxes] = [e.ints('x_axes', [0, ...kernel.map((_, a) => a + 2)]), e.ints('x_steps', [1, ...stride]), e.ints('g_axes', [0, 2])];
  const slabs = Math.max(1, Math.min(depth!, Math.floor(chunkRows(e, taps * c) / plane)));
  const partials: string[] = [];
  for (let s = 0; s < n; s++)
    for (let d0 = 0; d0 < depth!; d0 += slabs) {
      const d1 = Math.min(depth!, d0 + slabs);
      const chunk = e.within(`n${s}d${d0}`);
      const slices = [...grid(kernel)].map((off, k) => {
        const starts = [s, off[0]! + d0 * stride[0]!, ...off.slice(1)];
        const ends = [s + 1, off[0]! + (d1 - 1) * stride[0]! + 1, ...off.slice(1).map((v, a) => v + (rest[a]! - 1) * stride[a + 1]! + 1)];
        return chunk.slice(xp, { starts, ends, axes: xAxes, steps: xSteps }, `slice${k}`);
      });
      const rows = (d1 - d0) * plane;
      const colMat = chunk.reshape(chunk.concat(slices, 0, 'cols'), [taps * c, rows], 'col_mat');
      const gMat = chunk.reshape(chunk.slice(g, { starts: [s, d0], ends: [s + 1, d1], axes: gAxes }, 'g_slab'), [o!, rows], 'g_mat');
      partials.push(chunk.op('Gemm', [colMat, gMat], 'partial', { transB: { i: 1 } }));
    }
  const stacked = partials.length > 1 ? e.op('Sum', partials, 'stacked') : partials[0]!;
  // [taps * C, O] (offsets major, last kernel axis fastest) -> [taps, C, O] -> [O, C, taps] -> [O, C, ...k]
  const oct = e.transpose(e.reshape(stacked, [taps, c, o!], 'cube'), [2, 1, 0], 'o_c_taps');
  e.reshape(oct, [o!, c, ...kernel], 'out', node.outputs[0]!);
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
function emitShifted(e: Emitter, node: Node): void {
  const { pads, kernel } = node.attrs;
  const [x, g] = node.inputs as [string, string];
  const [n, c, ...xSize] = e.shape(x) as number[];
  const [, o, ...gSize] = e.shape(g) as number[];
  const r = kernel.length;
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
  const xFlat = e.reshape(e.pad(x, [0, 0, ...pads, 0, 0, pads[0]! + extra, ...pads.slice(1)], 'x_pad'), [n!, c!, -1], 'x_flat');
  // g widened to x's rows, with whole zero rows before and after (at least bMax values) for the shifts.
  const zeroRows = Math.ceil(bMax / flatStride[0]!);
  const gPads = [0, 0, zeroRows, ...gSize.slice(1).map(() => 0), 0, 0, zeroRows, ...gSize.slice(1).map((d, a) => width[a + 1]! - d)];
  const gFlat = e.reshape(gPads.some((v) => v > 0) ? e.pad(g, gPads, 'g_pad') : g, [n!, o!, -1], 'g_flat');
  const front = zeroRows * flatStride[0]!;

  // Sum over i in [0, gLength + bMax) of G_b[i] X_a[i], in chunks of i.
  const total = gLength + bMax;
  const length = Math.max(1, Math.floor(chunkRows(e, na * c! + nb * o!)));
  const axes = e.ints('axes', [0, 2]);
  const xOnTop = na * c! >= nb * o!; // the larger stack is the GEMM's A (read in place), the smaller is packed
  const partials: string[] = [];
  for (let s = 0; s < n!; s++)
    for (let i0 = 0; i0 < total; i0 += length) {
      const i1 = Math.min(total, i0 + length);
      const chunk = e.within(`n${s}i${i0}`);
      // One slice per shift, stacked channel-major ([channels, shifts, columns]: rows (c, a) and (o, b)).
      const stack = (from: string, starts: readonly number[], channels: number, name: string) => {
        const columnShape = starts.length > 1 ? chunk.ints(`${name}_col_shape`, [channels, 1, i1 - i0]) : '';
        const parts = starts.map((start, k) => {
          const sl = chunk.slice(from, { starts: [s, start], ends: [s + 1, start + i1 - i0], axes }, `${name}${k}`);
          return starts.length === 1 ? sl : chunk.op('Reshape', [sl, columnShape], `${name}${k}_col`);
        });
        return chunk.reshape(parts.length > 1 ? chunk.concat(parts, 1, name) : parts[0]!, [channels * starts.length, i1 - i0], `${name}_mat`);
      };
      const xm = stack(xFlat, offsetsA.map((a) => i0 + a), c!, 'x');
      const gm = stack(gFlat, offsetsB.map((b) => front + i0 - b), o!, 'g');
      partials.push(chunk.op('Gemm', xOnTop ? [xm, gm] : [gm, xm], 'partial', { transB: { i: 1 } }));
    }
  const result = partials.length > 1 ? e.op('Sum', partials, 'sum') : partials[0]!;
  // [C, na, O, nb] (or [O, nb, C, na]) -> [O, C, na, nb] -> [O, C, ...k]; channel-major stacks keep
  // this transpose's runs long (measured 2-4x faster than from shift-major stacks).
  const blocks = e.reshape(result, xOnTop ? [c!, na, o!, nb] : [o!, nb, c!, na], 'blocks');
  const oc = e.transpose(blocks, xOnTop ? [2, 0, 1, 3] : [0, 2, 3, 1], 'o_c_taps');
  e.reshape(oc, [o!, c!, ...kernel], 'out', node.outputs[0]!);
}

/**
 * dW as one Conv: x with N and C swapped is the input, g with N and O swapped the weights, dilated by
 * the stride; the result, cut to the kernel, is dW with O and C swapped. Slow on CPU (1.56x the
 * default step, docs/training.md) but three nodes where the GEMM forms need dozens.
 */
function emitAsConv(e: Emitter, node: Node): void {
  const { stride, pads, kernel } = node.attrs;
  const [x, g] = node.inputs as [string, string];
  const swap01 = [1, 0, ...kernel.map((_, a) => a + 2)];
  const out = e.shape(g).slice(2) as number[];
  const full = e.op('Conv', [e.transpose(x, swap01, 'x_t'), e.transpose(g, swap01, 'g_t')], 'full', { kernel_shape: { ints: out }, dilations: { ints: stride }, pads: { ints: [...pads, ...pads] } });
  const cut = e.slice(full, { starts: kernel.map(() => 0), ends: kernel, axes: kernel.map((_, a) => a + 2) }, 'cut');
  e.transpose(cut, swap01, 'dw', node.outputs[0]!);
}
