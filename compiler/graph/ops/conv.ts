/** Convolution-type ops: conv, transposed conv (kernel = stride), average pooling. */
import { ShapeError } from '../../../src/errors.js';
import type { Shape } from '../shape.js';
import { Emitter } from '../../onnx/emitter.js';
import type { OpAttrs, OpDef } from '../ops.js';
import { perSample, prod, rank, sameDim, spatialSize } from './shape-util.js';

function kernelOf(w: Shape, r: number): number[] {
  return w.slice(2).map((d, i) => spatialSize(d, `kernel axis ${i}`)).slice(0, r);
}

function checkBias(inputs: readonly Shape[], channels: number | string): void {
  const b = inputs[2];
  if (b === undefined) return;
  rank(b, 1, 'bias');
  sameDim(b[0]!, channels, 'bias length vs output channels');
}

export const conv: OpDef<OpAttrs['conv']> = {
  arity: [2, 3],
  shape([x, w, ...rest], { stride, pads }) {
    const r = stride.length;
    rank(x!, r + 2, 'conv input');
    rank(w!, r + 2, 'conv weight');
    if (pads.length !== r) throw new ShapeError(`pads must have ${r} entries, got ${pads.length}`);
    sameDim(x![1]!, w![1]!, 'input channels vs weight in-channels');
    checkBias([x!, w!, ...rest], w![0]!);
    const k = kernelOf(w!, r);
    const out = x!.slice(2).map((d, i) => {
      const o = Math.floor((spatialSize(d, `input axis ${i}`) + 2 * pads[i]! - k[i]!) / stride[i]!) + 1;
      if (o < 1) throw new ShapeError(`spatial axis ${i} of size ${d} is too small for kernel ${k[i]}, pad ${pads[i]}`);
      return o;
    });
    return [[x![0]!, w![0]!, ...out]];
  },
  flops(inputs, [out]) {
    const w = inputs[1]!;
    const macs = (w[1] as number) * prod(w.slice(2) as number[]) * perSample(out!);
    return 2 * macs + (inputs.length > 2 ? perSample(out!) : 0);
  },
  emit(ctx, node) {
    const k = ctx.shape(node.inputs[1]!).slice(2) as number[];
    ctx.node('Conv', node.inputs, node.outputs, {
      kernel_shape: { ints: k },
      strides: { ints: node.attrs.stride },
      pads: { ints: [...node.attrs.pads, ...node.attrs.pads] },
    });
  },
};

export const convTranspose: OpDef<OpAttrs['conv_transpose']> = {
  arity: [2, 3],
  shape([x, w, ...rest], { stride }) {
    const r = stride.length;
    rank(x!, r + 2, 'transposed conv input');
    rank(w!, r + 2, 'transposed conv weight');
    sameDim(x![1]!, w![0]!, 'input channels vs weight in-channels');
    checkBias([x!, w!, ...rest], w![1]!);
    const k = kernelOf(w!, r);
    if (k.some((kk, i) => kk !== stride[i])) throw new ShapeError(`kernel [${k.join(', ')}] must equal the stride [${stride.join(', ')}]`);
    return [[x![0]!, w![1]!, ...x!.slice(2).map((d, i) => spatialSize(d, `input axis ${i}`) * stride[i]!)]];
  },
  flops(inputs, [out]) {
    // kernel = stride: every output voxel receives exactly one kernel tap per input channel.
    const c = inputs[0]![1] as number;
    return 2 * c * perSample(out!) + (inputs.length > 2 ? perSample(out!) : 0);
  },
  emit(ctx, node) {
    const { stride } = node.attrs;
    const [x, w, b] = node.inputs as [string, string, string | undefined];
    if (ctx.lowering.convTranspose === 'native') {
      ctx.node('ConvTranspose', node.inputs, node.outputs, { kernel_shape: { ints: stride }, strides: { ints: stride } });
      return;
    }
    // Depth-to-space form: y[n, o, d*s + i] = sum_c x[n, c, d] w[c, o, i] is a 1x1 conv to
    // O * prod(s) channels followed by interleaving each (d, i) pair.
    const e = new Emitter(ctx, node.name);
    const r = stride.length;
    const [c, o] = e.shape(w) as [number, number];
    const sp = e.shape(x).slice(2) as number[];
    const w1 = e.reshape(e.transpose(w, [1, ...stride.map((_, a) => 2 + a), 0], 'w_t'), [o * prod(stride), c, ...stride.map(() => 1)], 'w_1x1');
    const y = e.op('Conv', [x, w1], 'conv1x1', { kernel_shape: { ints: stride.map(() => 1) } });
    const split = e.reshape(y, [0, o, ...stride, ...sp], 'split');
    const inter = e.transpose(split, [0, 1, ...sp.flatMap((_, a) => [2 + r + a, 2 + a])], 'interleave');
    const up = e.reshape(inter, [0, o, ...sp.map((d, a) => d * stride[a]!)], 'nobias', b === undefined ? node.outputs[0]! : undefined);
    if (b !== undefined) e.node('Add', [up, e.reshape(b, [o, ...stride.map(() => 1)], 'bias_b')], node.outputs);
  },
};

export const avgPool: OpDef<OpAttrs['avg_pool']> = {
  arity: [1, 1],
  shape([x], { kernel }) {
    rank(x!, kernel.length + 2, 'pooling input');
    return [[x![0]!, x![1]!, ...x!.slice(2).map((d, i) => {
      const o = Math.floor(spatialSize(d, `input axis ${i}`) / kernel[i]!);
      if (o < 1) throw new ShapeError(`spatial axis ${i} of size ${d} is smaller than the pooling kernel ${kernel[i]}`);
      return o;
    })]];
  },
  flops: (_in, [out], { kernel }) => prod(kernel) * perSample(out!),
  emit(ctx, node) {
    ctx.node('AveragePool', node.inputs, node.outputs, { kernel_shape: { ints: node.attrs.kernel }, strides: { ints: node.attrs.kernel } });
  },
};
