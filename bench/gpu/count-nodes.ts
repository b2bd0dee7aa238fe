// Node counts of the default 4-stage training step per lowering: each node is at least one kernel
// launch on a GPU (a few microseconds each), so for CUDA fewer, larger nodes matter.
//   npx tsx bench/gpu/count-nodes.ts
import pkg from 'onnx-proto';
import { compile } from '../../compiler/index.js';
import type { LoweringOptions } from '../../compiler/onnx/context.js';
import { compileTrainingStep } from '../../compiler/train/index.js';
import { defaultTree, isoPlan } from '../../test/compiler/trees.js';

const { onnx } = pkg;
const step = compileTrainingStep(compile(defaultTree(4), isoPlan(4, [40, 56, 40], 1, 3, 2)));
const variants: Partial<LoweringOptions>[] = [{}, { convWeightGrad: 'im2col' }, { convWeightGrad: 'conv' }, { convInputGrad: 'conv_transpose' }, { convWeightGrad: 'conv', convInputGrad: 'conv_transpose', convTranspose: 'native' }];
for (const v of variants) {
  const nodes = onnx.ModelProto.decode(step.onnx(v)).graph!.node!;
  const by: Record<string, number> = {};
  for (const n of nodes) by[n.opType!] = (by[n.opType!] ?? 0) + 1;
  const top = Object.entries(by).sort((a, b) => b[1] - a[1]).slice(0, 5).map(([k, n]) => `${k} ${n}`).join(', ');
  console.log(`| ${JSON.stringify(v)} | ${nodes.length} | ${top} |`);
}
