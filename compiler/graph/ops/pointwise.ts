/** Element-wise and structural ops: activations, dropout, add, concat, softmax. */
import { ShapeError } from '../../../src/errors.js';
import type { Shape } from '../shape.js';
import type { OpAttrs, OpDef } from '../ops.js';
import { perSample, rank, sameDim, sameShape } from './shape-util.js';

/** A one-input op that keeps its input's shape and costs `flopsPerElement`. */
function unary<A>(flopsPerElement: number, emit: OpDef<A>['emit']): OpDef<A> {
  return { arity: [1, 1], shape: ([x]) => [x!], flops: (_in, [out]) => flopsPerElement * perSample(out!), emit };
}

export const relu = unary<OpAttrs['relu']>(1, (ctx, n) => ctx.node('Relu', n.inputs, n.outputs));

export const leakyRelu = unary<OpAttrs['leaky_relu']>(1, (ctx, n) => ctx.node('LeakyRelu', n.inputs, n.outputs, { alpha: { f: n.attrs.slope } }));

export const elu = unary<OpAttrs['elu']>(1, (ctx, n) => ctx.node('Elu', n.inputs, n.outputs, { alpha: { f: n.attrs.alpha } }));

export const gelu = unary<OpAttrs['gelu']>(1, (ctx, n) => {
  // gelu(x) = x * 0.5 * (1 + erf(x / sqrt 2)); ORT fuses this pattern into its Gelu kernel.
  const x = n.inputs[0]!;
  const t = (s: string) => ctx.tmp(`${n.name}.${s}`);
  const [scaled, erf, onePlus, half] = [t('scaled'), t('erf'), t('one_plus'), t('half')];
  ctx.node('Div', [x, ctx.constant(`${n.name}.sqrt2`, 'float', [], [Math.SQRT2])], [scaled]);
  ctx.node('Erf', [scaled], [erf]);
  ctx.node('Add', [erf, ctx.constant(`${n.name}.one`, 'float', [], [1])], [onePlus]);
  ctx.node('Mul', [x, ctx.constant(`${n.name}.half`, 'float', [], [0.5])], [half]);
  ctx.node('Mul', [half, onePlus], n.outputs);
});

export const dropout = unary<OpAttrs['dropout']>(0, (ctx, n) => {
  // Inference: Dropout without training_mode is the identity; the ratio documents the layer.
  ctx.node('Dropout', [n.inputs[0]!, ctx.constant(`${n.name}.ratio`, 'float', [], [n.attrs.rate])], n.outputs);
});

export const prelu: OpDef<OpAttrs['prelu']> = {
  arity: [2, 2],
  shape([x, slope]) {
    rank(slope!, 1, 'PReLU slope');
    sameDim(slope![0]!, 1, 'PReLU slope length (one shared slope)');
    return [x!];
  },
  flops: (_in, [out]) => perSample(out!),
  emit: (ctx, n) => ctx.node('PRelu', n.inputs, n.outputs),
};

export const add: OpDef<OpAttrs['add']> = {
  arity: [2, 2],
  shape([a, b]) {
    sameShape(a!, b!, 'add needs equal shapes');
    return [a!];
  },
  flops: (_in, [out]) => perSample(out!),
  emit: (ctx, n) => ctx.node('Add', n.inputs, n.outputs),
};

export const concat: OpDef<OpAttrs['concat']> = {
  arity: [1, Infinity],
  shape(inputs, { axis }) {
    const first = inputs[0]!;
    if (axis < 0 || axis >= first.length) throw new ShapeError(`concat axis ${axis} out of range for rank ${first.length}`);
    let size = 0;
    for (const s of inputs) {
      rank(s, first.length, 'concat input');
      s.forEach((d, i) => {
        if (i !== axis) sameDim(d, first[i]!, `concat inputs differ on axis ${i}`);
      });
      if (typeof s[axis] !== 'number') throw new ShapeError('concat axis must have a fixed size');
      size += s[axis];
    }
    return [first.map((d, i) => (i === axis ? size : d))];
  },
  flops: () => 0,
  emit: (ctx, n) => ctx.node('Concat', n.inputs, n.outputs, { axis: { i: n.attrs.axis } }),
};

export const softmax: OpDef<OpAttrs['softmax']> = {
  arity: [1, 1],
  shape([x], { axis }) {
    if (axis < 0 || axis >= x!.length) throw new ShapeError(`softmax axis ${axis} out of range for rank ${x!.length}`);
    return [x!];
  },
  // exp, sum, divide
  flops: (_in, [out]) => 3 * perSample(out!),
  emit: (ctx, n) => ctx.node('Softmax', n.inputs, n.outputs, { axis: { i: n.attrs.axis } }),
};
