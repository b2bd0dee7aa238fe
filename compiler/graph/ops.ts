/**
 * The closed set of tensor ops: each kind's attributes (OpAttrs) and the contract its one
 * definition meets (OpDef: arity, shape rule, cost, ONNX emission). The definitions are
 * gathered in registry.ts and the gradient rules in compiler/autodiff/gradients.ts, both
 * mapped over OpKind, so an op missing from either is a type error.
 */
import type { EmitContext } from '../onnx/context.js';
import type { Shape } from './shape.js';

type NoAttrs = Readonly<Record<string, never>>;

export type BinaryFnName = 'add' | 'sub' | 'mul' | 'div' | 'min' | 'max' | 'pow' | 'eq';
export type UnaryFnName = 'identity' | 'neg' | 'exp' | 'log' | 'sqrt' | 'reciprocal' | 'erf' | 'step';

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

export interface GraphNode<K extends OpKind = OpKind> {
  readonly kind: K;
  /** Unique; also the name of its (first) output. */
  readonly name: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attrs: OpAttrs[K];
}

export interface OpDef<A> {
  /** Minimum and maximum number of inputs. */
  readonly arity: readonly [number, number];
  /** Output shapes from input shapes; throws ShapeError when they do not fit. */
  readonly shape: (inputs: readonly Shape[], attrs: A) => Shape[];
  /** Floating-point operations per sample (see docs/compiler.md for the counting convention). */
  readonly flops: (inputs: readonly Shape[], outputs: readonly Shape[], attrs: A) => number;
  /** Appends the ONNX nodes computing `node`; the only place its lowering is decided. */
  readonly emit: (ctx: EmitContext, node: GraphNode & { readonly attrs: A }) => void;
}
