/**
 * The compiled ONNX model and a PyTorch build of the same IR (bench/unet_reference.py), loaded
 * with the same safetensors weights, agree on every head. Covers every terminal: both encoders,
 * both norms, all five nonlinearities, dropout. Whether the IR itself is nnU-Net's network is
 * checked against a reference built from nnU-Net's plans alone (nnunet-reference.test.ts).
 * Skips, with the reason in the test report, when Debian's python3-torch is not installed.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { NetworkPlan } from '../../compiler/ir/plan.js';
import type { TreeNode } from '../../compiler/ir/tree-types.js';
import { Rng } from '../../src/util/rng.js';
import { skipAllUnless } from '../helpers/skip.js';
import { benchScript, haveTorch, NO_TORCH, randomisedModel, relativeDifference, runOnnx, runReference } from './torch.js';
import { isoPlan, unetTree } from './trees.js';

const aniso: NetworkPlan = { inputChannels: 2, numClasses: 3, patchSize: [4, 8, 8], batchSize: 2,
  kernelSizes: [[1, 3, 3], [3, 3, 3], [3, 3, 3]], strides: [[1, 1, 1], [1, 2, 2], [2, 2, 2]] };

const CASES: [string, TreeNode, NetworkPlan][] = [
  ['conv, instance norm, leaky ReLU / GELU + dropout', unetTree({ encoderBlocks: [2, 1, 2], decoderBlocks: [1, 2], dnonlin: 'gelu', ddropout: 'dropout' }), aniso],
  ['residual, batch norm, PReLU / ELU', unetTree({ encoder: 'res_encoder', encoderBlocks: [1, 3, 2], decoderBlocks: [2, 1], enorm: 'batch_norm', enonlin: 'prelu', dnonlin: 'elu', edropout: 'dropout' }), isoPlan(3, [8, 8, 8], 1, 2)],
  ['residual, instance norm / batch norm, ReLU', unetTree({ encoder: 'res_encoder', encoderBlocks: [2, 2], decoderBlocks: [1], enonlin: 'relu', dnorm: 'batch_norm' }), isoPlan(2, [8, 8, 8], 2, 4)],
];

describe('agreement with PyTorch', () => {
  skipAllUnless(haveTorch, NO_TORCH);
  for (const [name, tree, plan] of CASES) {
    it(name, async () => {
      const model = randomisedModel(tree, plan, { baseFeatures: 4, maxFeatures: 16 });
      const shape = [plan.batchSize, plan.inputChannels, ...plan.patchSize];
      const rng = Rng.seeded(3);
      const x = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal());
      const ref = runReference<{ parameters: number; outputs: number[][] }>(benchScript('unet_reference.py'), ['--threads', '1', '--repeats', '1'], (dir) => {
        writeFileSync(join(dir, 'ir.json'), JSON.stringify({ ...model.ir, benchBatch: plan.batchSize }));
        writeFileSync(join(dir, 'weights.safetensors'), model.safetensors());
        writeFileSync(join(dir, 'input.bin'), new Uint8Array(x.buffer));
      });
      try {
        expect(ref.report.parameters).toBe(model.cost.parameters);
        const ours = await runOnnx(model, x, shape);
        expect(ref.report.outputs).toEqual(ours.dims);
        ours.data.forEach((o, k) => expect(relativeDifference(o, ref.output(k)), `head ${k}`).toBeLessThan(1e-5));
      } finally {
        ref.cleanup();
      }
    });
  }
});
