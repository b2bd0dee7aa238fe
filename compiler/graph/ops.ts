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
// Training-graph ops and the gradient rules of the forward ops (compiler/autodiff/rules).
import { affine, binary, constant, unary, type BinaryFnName, type UnaryFnName } from './ops/arith.js';
import { convInputGrad, convWeightGrad } from './ops/conv-grad.js';
import { expand, matmul, pad, reduce, reshape, slice, transpose } from './ops/tensor.js';
import { batchNormTrain, topkMask } from './ops/train.js';
import { avgPoolGrad, convGrad, convTransposeGrad } from '../autodiff/rules/conv.js';
import { batchNormGrad, instanceNormGrad } from '../autodiff/rules/norm.js';
import { addGrad, concatGrad, dropoutGrad, eluGrad, geluGrad, leakyReluGrad, preluGrad, reluGrad, softmaxGrad } from '../autodiff/rules/pointwise.js';

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
  // --- training graphs (backward passes, losses, optimisers); see docs/training.md ---
  /** Element-wise with numpy broadcasting; `eq` gives 1.0/0.0. */
  binary: { readonly fn: BinaryFnName };
  /** Element-wise function; `step` gives 1.0 where x > 0, else 0.0. */
  unary: { readonly fn: UnaryFnName };
  /** x * scale + shift with constants. */
  affine: { readonly scale: number; readonly shift: number };
  /** No inputs; `values` holds every element, or one value for all. */
  constant: { readonly shape: readonly number[]; readonly values: readonly number[] };
  reduce: { readonly fn: 'sum' | 'mean' | 'max'; readonly axes: readonly number[]; readonly keepdims: boolean };
  reshape: { readonly shape: readonly number[] };
  transpose: { readonly perm: readonly number[] };
  expand: { readonly shape: readonly number[] };
  slice: { readonly starts: readonly number[]; readonly ends: readonly number[]; readonly steps: readonly number[] };
  pad: { readonly before: readonly number[]; readonly after: readonly number[] };
  matmul: NoAttrs;
  /** dx of conv: inputs g, w; `inputSize` is x's spatial size. */
  conv_input_grad: { readonly stride: readonly number[]; readonly pads: readonly number[]; readonly inputSize: readonly number[] };
  /** dW of conv: inputs x, g. */
  conv_weight_grad: { readonly stride: readonly number[]; readonly pads: readonly number[]; readonly kernel: readonly number[] };
  /** Batch norm on batch statistics; outputs y, updated running mean, updated running var. */
  batch_norm_train: { readonly eps: number; readonly momentum: number };
  /** 1.0 at the k largest entries of a vector. */
  topk_mask: { readonly k: number };
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
  conv: { ...conv, gradient: convGrad },
  conv_transpose: { ...convTranspose, gradient: convTransposeGrad },
  avg_pool: { ...avgPool, gradient: avgPoolGrad },
  instance_norm: { ...instanceNorm, gradient: instanceNormGrad },
  batch_norm: { ...batchNorm, gradient: batchNormGrad },
  leaky_relu: { ...leakyRelu, gradient: leakyReluGrad },
  relu: { ...relu, gradient: reluGrad },
  elu: { ...elu, gradient: eluGrad },
  gelu: { ...gelu, gradient: geluGrad },
  prelu: { ...prelu, gradient: preluGrad },
  dropout: { ...dropout, gradient: dropoutGrad },
  add: { ...add, gradient: addGrad },
  concat: { ...concat, gradient: concatGrad },
  softmax: { ...softmax, gradient: softmaxGrad },
  binary,
  unary,
  affine,
  constant,
  reduce,
  reshape,
  transpose,
  expand,
  slice,
  pad,
  matmul,
  conv_input_grad: convInputGrad,
  conv_weight_grad: convWeightGrad,
  batch_norm_train: batchNormTrain,
  topk_mask: topkMask,
};
