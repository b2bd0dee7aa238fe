/**
 * Ops that exist only in training graphs: batch norm with batch statistics (and the
 * running-statistics update as extra outputs) and the top-k mask of the TopK loss.
 */
import { ShapeError } from '../../../src/errors.js';
import type { OpAttrs, OpDef } from '../ops.js';
import { perSample, prod, rank, sameDim, spatialSize } from './shape-util.js';

/**
 * Inputs x, scale, bias, running mean, running var; outputs y (normalised with the batch's
 * mean and biased variance), then the updated running mean and running var (PyTorch:
 * r <- (1 - momentum) r + momentum * stat, with the unbiased variance).
 */
export const batchNormTrain: OpDef<OpAttrs['batch_norm_train']> = {
  arity: [5, 5],
  shape(inputs) {
    const x = inputs[0]!;
    if (x.length < 3) rank(x, 3, 'batch norm input (at least)');
    inputs.slice(1).forEach((s, i) => {
      rank(s, 1, `batch norm vector ${i + 1}`);
      sameDim(s[0]!, x[1]!, 'batch norm vector length vs channels');
    });
    return [x, inputs[3]!, inputs[4]!];
  },
  flops: ([x]) => 8 * perSample(x!),
  emit(ctx, node) {
    const { eps, momentum } = node.attrs;
    const [x, scale, bias, rm, rv] = node.inputs as [string, string, string, string, string];
    const shape = ctx.shape(x).map((d, i) => spatialSize(d, `batch norm input axis ${i}`));
    const axes = shape.map((_, i) => i).filter((i) => i !== 1);
    const count = prod(axes.map((a) => shape[a]!));
    const t = (s: string) => ctx.tmp(`${node.name}.${s}`);
    const f = (s: string, v: number) => ctx.constant(`${node.name}.${s}`, 'float', [], [v]);
    const chan = ctx.constant(`${node.name}.chan_shape`, 'int64', [shape.length - 1], [shape[1]!, ...shape.slice(2).map(() => 1)]);
    const vec = ctx.constant(`${node.name}.vec_shape`, 'int64', [1], [shape[1]!]);
    const [mean, xc, sq, variance, ve, sd, xhat, sb, bb, scaled] = ['mean', 'xc', 'sq', 'var', 'var_eps', 'sd', 'xhat', 'scale_b', 'bias_b', 'scaled'].map(t) as string[];
    ctx.node('ReduceMean', [x], [mean!], { axes: { ints: axes }, keepdims: { i: 1 } });
    ctx.node('Sub', [x, mean!], [xc!]);
    ctx.node('Mul', [xc!, xc!], [sq!]);
    ctx.node('ReduceMean', [sq!], [variance!], { axes: { ints: axes }, keepdims: { i: 1 } });
    ctx.node('Add', [variance!, f('eps', eps)], [ve!]);
    ctx.node('Sqrt', [ve!], [sd!]);
    ctx.node('Div', [xc!, sd!], [xhat!]);
    ctx.node('Reshape', [scale, chan], [sb!]);
    ctx.node('Reshape', [bias, chan], [bb!]);
    ctx.node('Mul', [xhat!, sb!], [scaled!]);
    ctx.node('Add', [scaled!, bb!], [node.outputs[0]!]);
    // Running statistics.
    const update = (running: string, stat: string, factor: number, out: string, hint: string) => {
      const [flat, a, b] = [t(`${hint}_flat`), t(`${hint}_old`), t(`${hint}_new`)];
      ctx.node('Reshape', [stat, vec], [flat]);
      ctx.node('Mul', [running, f(`${hint}_keep`, 1 - momentum)], [a]);
      ctx.node('Mul', [flat, f(`${hint}_take`, momentum * factor)], [b]);
      ctx.node('Add', [a, b], [out]);
    };
    update(rm, mean!, 1, node.outputs[1]!, 'mean');
    update(rv, variance!, count > 1 ? count / (count - 1) : 1, node.outputs[2]!, 'var');
  },
};

/** 1.0 at the k largest entries of a vector, else 0.0 (ties broken by position). */
export const topkMask: OpDef<OpAttrs['topk_mask']> = {
  arity: [1, 1],
  shape([x], { k }) {
    rank(x!, 1, 'top-k input');
    const n = spatialSize(x![0]!, 'top-k input');
    if (!(Number.isInteger(k) && k >= 1 && k <= n)) throw new ShapeError(`k must be in 1..${n}, got ${k}`);
    return [x!];
  },
  flops: ([x]) => 2 * perSample(x!),
  emit(ctx, node) {
    const x = node.inputs[0]!;
    const t = (s: string) => ctx.tmp(`${node.name}.${s}`);
    const [values, indices, zeros, valueZeros, ones] = [t('values'), t('indices'), t('zeros'), t('value_zeros'), t('ones')];
    ctx.node('TopK', [x, ctx.constant(`${node.name}.k`, 'int64', [1], [node.attrs.k])], [values, indices], { largest: { i: 1 }, axis: { i: 0 } });
    ctx.node('Mul', [x, ctx.constant(`${node.name}.zero`, 'float', [], [0])], [zeros]);
    ctx.node('Mul', [values, ctx.constant(`${node.name}.zero`, 'float', [], [0])], [valueZeros]);
    ctx.node('Add', [valueZeros, ctx.constant(`${node.name}.one`, 'float', [], [1])], [ones]);
    ctx.node('ScatterElements', [zeros, indices, ones], node.outputs, { axis: { i: 0 } });
  },
};
