/**
 * The closed set of tensor ops and their one definition each: arity, shape rule, cost,
 * ONNX emission and gradient. `ops` is a Record over OpKind, so an op without any of
 * these is a type error. Gradients are still to be filled in by the training graphs
 * (null = not yet available); the autodiff engine will walk the graph and call them.
 */
import type { EmitContext } from '../onnx/context.js';
import type { Graph, GraphNode, Shape } from './graph.js';
import { avgPool, conv, convTranspose } from './ops/conv.js';
import { batchNorm, instanceNorm } from './ops/norm.js';
import { add, concat, dropout, elu, gelu, leakyRelu, prelu, relu, softmax } from './ops/pointwise.js';

type NoAttrs = Readonly<Record<string, never>>;

export interface OpAttrs {
  /** Inputs x [N, C, ...], w [O, C, ...k], optional bias [O]. Symmetric padding per spatial axis. */
  conv: { readonly stride: readonly number[]; readonly pads: readonly number[] };
  /** Transposed conv with kernel = stride (non-overlapping upsampling). Inputs x, w [C, O, ...k], optional bias [O]. */
  conv_transpose: { readonly stride: readonly number[] };
  /** Average pooling with stride = kernel. */
  avg_pool: { readonly kernel: readonly number[] };
  /** Inputs x, scale [C], bias [C]. */
  instance_norm: { readonly eps: number };
  /** Inputs x, scale, bias, running mean, running var (all [C]); inference form. */
  batch_norm: { readonly eps: number };
  leaky_relu: { readonly slope: number };
  relu: NoAttrs;
  elu: { readonly alpha: number };
  /** Exact (erf) GELU. */
  gelu: NoAttrs;
  /** Inputs x, slope [1] (one learnable slope, as torch.nn.PReLU()). */
  prelu: NoAttrs;
  /** Identity at inference; the rate is kept for training graphs. */
  dropout: { readonly rate: number };
  add: NoAttrs;
  concat: { readonly axis: number };
  softmax: { readonly axis: number };
}

export type OpKind = keyof OpAttrs;

/** Returns one gradient value per input (null where none flows), built from ops appended to `graph`. */
export type GradientRule<A> = (graph: Graph, node: GraphNode & { readonly attrs: A }, outputGrads: readonly (string | null)[]) => readonly (string | null)[];

export interface OpDef<A> {
  /** Minimum and maximum number of inputs. */
  readonly arity: readonly [number, number];
  /** Output shapes from input shapes; throws ShapeError when they do not fit. */
  readonly shape: (inputs: readonly Shape[], attrs: A) => Shape[];
  /** Floating-point operations per sample (see docs/compiler.md for the counting convention). */
  readonly flops: (inputs: readonly Shape[], outputs: readonly Shape[], attrs: A) => number;
  /** Appends the ONNX nodes computing `node`; the only place its lowering is decided. */
  readonly emit: (ctx: EmitContext, node: GraphNode & { readonly attrs: A }) => void;
  readonly gradient: GradientRule<A> | null;
}

export const ops: { readonly [K in OpKind]: OpDef<OpAttrs[K]> } = {
  conv,
  conv_transpose: convTranspose,
  avg_pool: avgPool,
  instance_norm: instanceNorm,
  batch_norm: batchNorm,
  leaky_relu: leakyRelu,
  relu,
  elu,
  gelu,
  prelu,
  dropout,
  add,
  concat,
  softmax,
};
