/**
 * Prepares the GPU check (bench/gpu/README.md): the nnU-Net default U-Net for a 4-stage plan,
 * patch [40,56,40], batch 2, as an inference graph and a training-step graph, both with the
 * parameters as graph inputs (so the files stay small enough to send to the GPU machine).
 *   npx tsx bench/gpu/prepare.ts OUT_DIR
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compile } from '../../compiler/index.js';
import { emitOnnx } from '../../compiler/onnx/emit.js';
import { compileTrainingStep } from '../../compiler/train/index.js';
import { parseTreeString } from '../../src/grammar/tree.js';

const DEFAULT_4_STAGE =
  '(S unet (E4 conv_encoder (ENORM instance_norm) (ENONLIN leaky_relu) (EDROPOUT no_dropout) (C1 conv_block conv_block) down (C2 conv_block conv_block) down (C3 conv_block conv_block) down (C4 conv_block conv_block)) (D4 conv_decoder (DNORM instance_norm) (DNONLIN leaky_relu) (DDROPOUT no_dropout) up (B1 conv_block conv_block) up (B2 conv_block conv_block) up (B3 conv_block conv_block)))';
const plan = { inputChannels: 1, numClasses: 3, patchSize: [40, 56, 40], batchSize: 2, kernelSizes: Array(4).fill([3, 3, 3]), strides: [[1, 1, 1], [2, 2, 2], [2, 2, 2], [2, 2, 2]] };

const out = process.argv[2] ?? '.gpu';
mkdirSync(out, { recursive: true });
const model = compile(parseTreeString(DEFAULT_4_STAGE), plan);
writeFileSync(join(out, 'infer.onnx'), emitOnnx(model.graph, { params: 'inputs' }));
writeFileSync(join(out, 'step.onnx'), compileTrainingStep(model, {}).onnx());
writeFileSync(join(out, 'ir.json'), JSON.stringify({ ...model.ir, benchBatch: plan.batchSize }));
console.log(`wrote ${out}/{infer,step}.onnx and ir.json: ${model.cost.parameters} parameters`);
