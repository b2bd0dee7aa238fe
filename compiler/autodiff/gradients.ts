/**
 * The one table of gradient rules, mapped over OpKind: an op without an entry is a type
 * error. null = not differentiable (the engine names the op if a gradient must pass it);
 * `constantToAutodiff` = differentiable to zero (masks, comparisons, constants).
 */
import type { OpAttrs, OpKind } from '../graph/ops.js';
import { constantToAutodiff, type GradientRule } from './rule.js';
import { affineGrad, binaryGrad, unaryGrad } from './rules/arith.js';
import { avgPoolGrad, convGrad, convTransposeGrad } from './rules/conv.js';
import { batchNormGrad, batchNormTrainGrad, instanceNormGrad } from './rules/norm.js';
import { addGrad, concatGrad, dropoutGrad, eluGrad, geluGrad, leakyReluGrad, preluGrad, reluGrad, softmaxGrad } from './rules/pointwise.js';
import { expandGrad, matmulGrad, padGrad, reduceGrad, reshapeGrad, sliceGrad, transposeGrad } from './rules/tensor.js';

export const GRADIENTS: { readonly [K in OpKind]: GradientRule<OpAttrs[K]> | null } = {
  conv: convGrad,
  conv_transpose: convTransposeGrad,
  avg_pool: avgPoolGrad,
  instance_norm: instanceNormGrad,
  batch_norm: batchNormGrad,
  leaky_relu: leakyReluGrad,
  relu: reluGrad,
  elu: eluGrad,
  gelu: geluGrad,
  prelu: preluGrad,
  dropout: dropoutGrad,
  add: addGrad,
  concat: concatGrad,
  softmax: softmaxGrad,
  binary: binaryGrad,
  unary: unaryGrad,
  affine: affineGrad,
  constant: constantToAutodiff,
  reduce: reduceGrad,
  reshape: reshapeGrad,
  transpose: transposeGrad,
  expand: expandGrad,
  slice: sliceGrad,
  pad: padGrad,
  matmul: matmulGrad,
  // The conv backward ops are not differentiated again (no second-order gradients).
  conv_input_grad: null,
  conv_weight_grad: null,
  batch_norm_train: batchNormTrainGrad,
  topk_mask: constantToAutodiff,
};
