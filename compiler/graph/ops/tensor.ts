/**
 * Structural ops for training graphs: reductions, reshape, transpose, broadcast
 * (expand), slice, zero padding and matrix products. Shapes must be fixed sizes
 * except where a dimension passes through unchanged.
 */
import { ShapeError } from '../../../src/errors.js';
import type { Dim, Shape } from '../shape.js';
import type { OpAttrs, OpDef } from '../ops.js';
import { broadcastShapes } from './arith.js';
import { perSample, prod, spatialSize } from './shape-util.js';

const fixed = (s: Shape, what: string) => s.map((d, i) => spatialSize(d, `${what} axis ${i}`));

function checkAxes(axes: readonly number[], r: number): void {
  for (const a of axes) if (!Number.isInteger(a) || a < 0 || a >= r) throw new ShapeError(`axis ${a} out of range for rank ${r}`);
}

const REDUCE_ONNX = { sum: 'ReduceSum', mean: 'ReduceMean', max: 'ReduceMax' } as const;

export const reduce: OpDef<OpAttrs['reduce']> = {
  arity: [1, 1],
  shape([x], { axes, keepdims }) {
    checkAxes(axes, x!.length);
    return [keepdims ? x!.map((d, i) => (axes.includes(i) ? 1 : d)) : x!.filter((_, i) => !axes.includes(i))];
  },
  flops: ([x]) => perSample(x!),
  emit(ctx, n) {
    const { fn, axes, keepdims } = n.attrs;
    // Opset 17: ReduceSum takes its axes as an input, ReduceMean/ReduceMax as an attribute.
    if (fn === 'sum') ctx.node('ReduceSum', [n.inputs[0]!, ctx.constant(`${n.name}.axes`, 'int64', [axes.length], axes)], n.outputs, { keepdims: { i: keepdims ? 1 : 0 } });
    else ctx.node(REDUCE_ONNX[fn], n.inputs, n.outputs, { axes: { ints: axes }, keepdims: { i: keepdims ? 1 : 0 } });
  },
};

export const reshape: OpDef<OpAttrs['reshape']> = {
  arity: [1, 1],
  shape([x], { shape }) {
    if (prod(fixed(x!, 'reshape input')) !== prod(shape)) throw new ShapeError(`cannot reshape [${x!.join(', ')}] to [${shape.join(', ')}]`);
    return [shape];
  },
  flops: () => 0,
  emit: (ctx, n) => ctx.node('Reshape', [n.inputs[0]!, ctx.constant(`${n.name}.shape`, 'int64', [n.attrs.shape.length], n.attrs.shape)], n.outputs),
};

export const transpose: OpDef<OpAttrs['transpose']> = {
  arity: [1, 1],
  shape([x], { perm }) {
    if (perm.length !== x!.length || [...perm].sort((a, b) => a - b).some((p, i) => p !== i)) throw new ShapeError(`perm [${perm.join(', ')}] is not a permutation of rank ${x!.length}`);
    return [perm.map((p) => x![p]!)];
  },
  flops: () => 0,
  emit: (ctx, n) => ctx.node('Transpose', n.inputs, n.outputs, { perm: { ints: n.attrs.perm } }),
};

/** Numpy broadcast of x to `shape`. */
export const expand: OpDef<OpAttrs['expand']> = {
  arity: [1, 1],
  shape([x], { shape }) {
    const out = broadcastShapes(x!, shape);
    if (out.length !== shape.length || out.some((d, i) => d !== shape[i])) throw new ShapeError(`cannot expand [${x!.join(', ')}] to [${shape.join(', ')}]`);
    return [shape];
  },
  flops: () => 0,
  emit: (ctx, n) => ctx.node('Expand', [n.inputs[0]!, ctx.constant(`${n.name}.shape`, 'int64', [n.attrs.shape.length], n.attrs.shape)], n.outputs),
};

/** x[start:end:step] on every axis (ends clamped to the size). */
export const slice: OpDef<OpAttrs['slice']> = {
  arity: [1, 1],
  shape([x], { starts, ends, steps }) {
    if (starts.length !== x!.length || ends.length !== x!.length || steps.length !== x!.length) throw new ShapeError(`slice needs ${x!.length} starts, ends and steps`);
    return [x!.map((d, i): Dim => {
      if (typeof d !== 'number' && starts[i] === 0 && ends[i]! >= Number.MAX_SAFE_INTEGER && steps[i] === 1) return d;
      const size = spatialSize(d, `slice input axis ${i}`);
      const n = Math.ceil((Math.min(ends[i]!, size) - starts[i]!) / steps[i]!);
      if (!(steps[i]! >= 1) || starts[i]! < 0 || n < 1) throw new ShapeError(`empty or invalid slice ${starts[i]}:${ends[i]}:${steps[i]} of axis ${i} (size ${size})`);
      return n;
    })];
  },
  flops: () => 0,
  emit(ctx, n) {
    const { starts, ends, steps } = n.attrs;
    const r = starts.length;
    const c = (s: string, v: readonly number[]) => ctx.constant(`${n.name}.${s}`, 'int64', [r], v.map((e) => Math.min(e, 2 ** 62)));
    ctx.node('Slice', [n.inputs[0]!, c('starts', starts), c('ends', ends), c('axes', starts.map((_, i) => i)), c('steps', steps)], n.outputs);
  },
};

/** Zero padding: `before[i]` and `after[i]` elements on axis i. */
export const pad: OpDef<OpAttrs['pad']> = {
  arity: [1, 1],
  shape([x], { before, after }) {
    if (before.length !== x!.length || after.length !== x!.length) throw new ShapeError(`pad needs ${x!.length} before and after sizes`);
    return [x!.map((d, i) => (before[i] === 0 && after[i] === 0 ? d : spatialSize(d, `pad input axis ${i}`) + before[i]! + after[i]!))];
  },
  flops: () => 0,
  emit(ctx, n) {
    const { before, after } = n.attrs;
    ctx.node('Pad', [n.inputs[0]!, ctx.constant(`${n.name}.pads`, 'int64', [2 * before.length], [...before, ...after])], n.outputs);
  },
};

/** Batched matrix product over the last two axes (leading axes equal). */
export const matmul: OpDef<OpAttrs['matmul']> = {
  arity: [2, 2],
  shape([a, b]) {
    if (a!.length < 2 || a!.length !== b!.length) throw new ShapeError(`matmul needs equal ranks >= 2, got [${a!.join(', ')}] and [${b!.join(', ')}]`);
    const r = a!.length;
    if (a![r - 1] !== b![r - 2] || a!.slice(0, r - 2).some((d, i) => d !== b![i])) throw new ShapeError(`matmul shapes do not fit: [${a!.join(', ')}] x [${b!.join(', ')}]`);
    return [[...a!.slice(0, r - 1), b![r - 1]!]];
  },
  flops: ([a], [out]) => 2 * perSample(out!) * (a![a!.length - 1] as number),
  emit: (ctx, n) => ctx.node('MatMul', n.inputs, n.outputs),
};
