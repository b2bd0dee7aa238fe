/**
 * What an op's emission rule may do: append ONNX nodes and constants (emitter.ts wraps it
 * with scoped names). Lowering choices (how one graph op becomes ONNX nodes) live only in
 * the op's rule; the switches that select between alternatives are the LoweringOptions.
 */
import type { Shape } from '../graph/shape.js';

export type AttrValue = { readonly i: number } | { readonly f: number } | { readonly ints: readonly number[] } | { readonly s: string };

export interface LoweringOptions {
  /**
   * Transposed conv with kernel = stride: 'native' = ONNX ConvTranspose; 'conv1x1' = a 1x1x1
   * Conv to C_out * prod(stride) channels, then depth-to-space with Reshape/Transpose (no overlap
   * when kernel = stride, so the two are equal; ORT's 3D ConvTranspose is slow on CPU).
   */
  readonly convTranspose: 'native' | 'conv1x1';
  /**
   * Training graphs: the conv weight gradient, a row of WEIGHT_GRAD_LOWERINGS
   * (compiler/graph/ops/conv-weight-grad.ts): 'shifted' = for stride 1 one GEMM per chunk over
   * shifted copies of x and g on a flat grid, strided convs taking 'im2col' = one GEMM per chunk
   * over the kernel offsets' stacked strided slices of x, 'conv' = one dilated Conv (GPU providers).
   */
  readonly convWeightGrad: 'shifted' | 'im2col' | 'conv';
  /** The weight gradient's chunks: the most memory (MiB) one chunk's stacked copies may take. */
  readonly weightGradChunkMiB: number;
  /**
   * Training graphs: the input gradient of a strided conv, a row of INPUT_GRAD_LOWERINGS
   * (compiler/graph/ops/conv-input-grad.ts): 'phase_convs' = one stride-1 Conv per stride phase,
   * then depth-to-space (no ConvTranspose, which the WebGPU provider lacks in 3D), or
   * 'conv_transpose' = ONNX ConvTranspose. Stride 1 is always a flipped-weight Conv.
   */
  readonly convInputGrad: 'phase_convs' | 'conv_transpose';
  /**
   * 'full': any ONNX op. 'webgpu': only ops onnxruntime's WebGPU provider has kernels for; the
   * emitter rewrites Identity as Add(x, 0), Sum as a chain of Add, Min/Max as Where(Less|Greater),
   * PRelu as Where(Less(x, 0), x * slope, x). Otherwise those nodes run on the CPU, with copies on
   * both sides (test/compiler/gpu-kernels.test.ts).
   */
  readonly opSubset: 'full' | 'webgpu';
}

/** The defaults are the fastest measured on the CPU (docs/training.md#lowering-choices-one-at-a-time). */
export const DEFAULT_LOWERING: LoweringOptions = { convTranspose: 'conv1x1', convWeightGrad: 'shifted', weightGradChunkMiB: 16, convInputGrad: 'phase_convs', opSubset: 'full' };

export interface EmitContext {
  readonly lowering: LoweringOptions;
  /** Shape of a graph value (graph inputs, params and op outputs). */
  shape(value: string): Shape;
  /** Appends an ONNX node. */
  node(opType: string, inputs: readonly string[], outputs: readonly string[], attrs?: Readonly<Record<string, AttrValue>>): void;
  /** A fresh name for an intermediate ONNX value, derived from `hint`. */
  tmp(hint: string): string;
  /** A constant tensor (initializer); returns its name. */
  constant(hint: string, dtype: 'float' | 'int64', dims: readonly number[], values: readonly number[]): string;
}
