/**
 * The op registry: one definition per OpKind (compiler/graph/ops/*). It is a mapped type over
 * OpKind, so an op without a definition is a type error.
 */
import type { OpAttrs, OpDef, OpKind } from './ops.js';
import { affine, binary, constant, unary } from './ops/arith.js';
import { convInputGrad } from './ops/conv-input-grad.js';
import { convWeightGrad } from './ops/conv-weight-grad.js';
import { avgPool, conv, convTranspose } from './ops/conv.js';
import { batchNorm, instanceNorm } from './ops/norm.js';
import { add, concat, dropout, elu, gelu, leakyRelu, prelu, relu, softmax } from './ops/pointwise.js';
import { expand, matmul, pad, reduce, reshape, slice, transpose } from './ops/tensor.js';
import { batchNormTrain, topkMask } from './ops/train.js';

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
