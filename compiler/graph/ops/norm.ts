/** Normalisation ops over the channel axis (axis 1). */
import type { Shape } from '../shape.js';
import type { OpAttrs, OpDef } from '../ops.js';
import { perSample, rank, sameDim } from './shape-util.js';

function channelVectors(inputs: readonly Shape[], what: string[]): void {
  const c = inputs[0]![1]!;
  inputs.slice(1).forEach((s, i) => {
    rank(s, 1, what[i]!);
    sameDim(s[0]!, c, `${what[i]} length vs channels`);
  });
}

/** Normalisation costs ~4 FLOPs per element (statistics, centre, scale, shift). */
const NORM_FLOPS = 4;

export const instanceNorm: OpDef<OpAttrs['instance_norm']> = {
  arity: [3, 3],
  shape(inputs) {
    if (inputs[0]!.length < 3) rank(inputs[0]!, 3, 'instance norm input (at least)');
    channelVectors(inputs, ['scale', 'bias']);
    return [inputs[0]!];
  },
  flops: (_in, [out]) => NORM_FLOPS * perSample(out!),
  emit(ctx, node) {
    ctx.node('InstanceNormalization', node.inputs, node.outputs, { epsilon: { f: node.attrs.eps } });
  },
};

export const batchNorm: OpDef<OpAttrs['batch_norm']> = {
  arity: [5, 5],
  shape(inputs) {
    if (inputs[0]!.length < 2) rank(inputs[0]!, 2, 'batch norm input (at least)');
    channelVectors(inputs, ['scale', 'bias', 'running mean', 'running var']);
    return [inputs[0]!];
  },
  flops: (_in, [out]) => NORM_FLOPS * perSample(out!),
  emit(ctx, node) {
    ctx.node('BatchNormalization', node.inputs, node.outputs, { epsilon: { f: node.attrs.eps } });
  },
};
