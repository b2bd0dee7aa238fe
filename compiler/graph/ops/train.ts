/**
 * Ops that exist only in training graphs: batch norm with batch statistics (and the
 * running-statistics update as extra outputs) and the top-k mask of the TopK loss.
 */
import { ShapeError } from '../../../src/errors.js';
import { Emitter } from '../../onnx/emitter.js';
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
    const e = new Emitter(ctx, node.name);
    const chan = e.ints('chan_shape', [shape[1]!, ...shape.slice(2).map(() => 1)]);
    const vec = e.ints('vec_shape', [shape[1]!]);
    const statistic = (v: string, hint: string) => e.op('ReduceMean', [v], hint, { axes: { ints: axes }, keepdims: { i: 1 } });
    const mean = statistic(x, 'mean');
    const xc = e.op('Sub', [x, mean], 'xc');
    const variance = statistic(e.op('Mul', [xc, xc], 'sq'), 'var');
    const sd = e.op('Sqrt', [e.op('Add', [variance, e.floats('eps', [eps])], 'var_eps')], 'sd');
    const xhat = e.op('Div', [xc, sd], 'xhat');
    const [sb, bb] = [e.op('Reshape', [scale, chan], 'scale_b'), e.op('Reshape', [bias, chan], 'bias_b')];
    e.node('Add', [e.op('Mul', [xhat, sb], 'scaled'), bb], [node.outputs[0]!]);
    // Running statistics.
    const update = (running: string, stat: string, factor: number, out: string, hint: string) => {
      const flat = e.op('Reshape', [stat, vec], `${hint}_flat`);
      const old = e.op('Mul', [running, e.floats(`${hint}_keep`, [1 - momentum])], `${hint}_old`);
      e.node('Add', [old, e.op('Mul', [flat, e.floats(`${hint}_take`, [momentum * factor])], `${hint}_new`)], [out]);
    };
    update(rm, mean, 1, node.outputs[1]!, 'mean');
    update(rv, variance, count > 1 ? count / (count - 1) : 1, node.outputs[2]!, 'var');
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
    const e = new Emitter(ctx, node.name);
    const [values, indices] = [e.tmp('values'), e.tmp('indices')];
    e.node('TopK', [x, e.ints('k', [node.attrs.k])], [values, indices], { largest: { i: 1 }, axis: { i: 0 } });
    const zeros = e.op('Mul', [x, e.floats('zero', [0])], 'zeros');
    const ones = e.op('Add', [e.op('Mul', [values, e.floats('zero', [0])], 'value_zeros'), e.floats('one', [1])], 'ones');
    e.node('ScatterElements', [zeros, indices, ones], node.outputs, { axis: { i: 0 } });
  },
};
