/**
 * Scoped ONNX emission for one graph node's lowering, as GraphBuilder is for graphs: every
 * intermediate value and constant is named `<scope>.<hint>` (made unique by the EmitContext),
 * and the data-movement ops lowerings are written in return their output's name. An op writes
 * to `out` when given (e.g. the node's own output), else to a fresh `<scope>.<hint>`.
 *
 * @example
 *   const e = new Emitter(ctx, node.name);
 *   const flat = e.reshape(w, [o, c, -1], 'w_flat');  // value `<node>.w_flat`, shape constant `<node>.w_flat_shape`
 */
import type { Shape } from '../graph/shape.js';
import type { AttrValue, EmitContext, LoweringOptions } from './context.js';

type Attrs = Readonly<Record<string, AttrValue>>;
/** An int64 input: its values (a new constant named after the op's hint) or a constant made before. */
type Ints = readonly number[] | string;

export class Emitter {
  constructor(readonly ctx: EmitContext, readonly scope: string) {}

  get lowering(): LoweringOptions {
    return this.ctx.lowering;
  }

  /** The emitter of a sub-scope `<scope>.<tag>`, e.g. one chunk of a chunked lowering. */
  within(tag: string): Emitter {
    return new Emitter(this.ctx, `${this.scope}.${tag}`);
  }

  shape(value: string): Shape {
    return this.ctx.shape(value);
  }

  tmp(hint: string): string {
    return this.ctx.tmp(`${this.scope}.${hint}`);
  }

  /** A 1-D int64 constant. */
  ints(hint: string, values: readonly number[]): string {
    return this.ctx.constant(`${this.scope}.${hint}`, 'int64', [values.length], values);
  }

  /** A float constant of shape `dims` (default: a scalar). */
  floats(hint: string, values: readonly number[], dims: readonly number[] = []): string {
    return this.ctx.constant(`${this.scope}.${hint}`, 'float', dims, values);
  }

  /** Appends an ONNX node with the given outputs. */
  node(opType: string, inputs: readonly string[], outputs: readonly string[], attrs?: Attrs): void {
    this.ctx.node(opType, inputs, outputs, attrs);
  }

  /** Appends a one-output node; returns its output. */
  op(opType: string, inputs: readonly string[], hint: string, attrs?: Attrs, out = this.tmp(hint)): string {
    this.ctx.node(opType, inputs, [out], attrs);
    return out;
  }

  reshape(x: string, shape: readonly number[], hint: string, out = this.tmp(hint)): string {
    return this.op('Reshape', [x, this.ints(`${hint}_shape`, shape)], hint, undefined, out);
  }

  transpose(x: string, perm: readonly number[], hint: string, out = this.tmp(hint)): string {
    return this.op('Transpose', [x], hint, { perm: { ints: perm } }, out);
  }

  concat(xs: readonly string[], axis: number, hint: string, out = this.tmp(hint)): string {
    return this.op('Concat', xs, hint, { axis: { i: axis } }, out);
  }

  /** Zero padding; `pads` as ONNX orders them (all begins, then all ends). */
  pad(x: string, pads: readonly number[], hint: string, out = this.tmp(hint)): string {
    return this.op('Pad', [x, this.ints(`${hint}_pads`, pads)], hint, undefined, out);
  }

  /** x[starts:ends:steps] along `axes`. */
  slice(x: string, range: { readonly starts: Ints; readonly ends: Ints; readonly axes: Ints; readonly steps?: Ints }, hint: string, out = this.tmp(hint)): string {
    const input = (part: string, v: Ints) => (typeof v === 'string' ? v : this.ints(`${hint}_${part}`, v));
    const inputs = [x, input('starts', range.starts), input('ends', range.ends), input('axes', range.axes)];
    if (range.steps !== undefined) inputs.push(input('steps', range.steps));
    return this.op('Slice', inputs, hint, undefined, out);
  }
}
