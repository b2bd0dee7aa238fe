/**
 * Cross-check with the planner (an independent implementation of nnU-Net's VRAM proxy):
 * for the networks the planner plans, our conv-output count equals its estimate.
 */
import { describe, expect, it } from 'vitest';
import { compile } from '../../compiler/index.js';
import type { Vec3 } from '../../compiler/ir/plan.js';
import { PLANNERS, planNetwork } from '../../src/data/planner.js';
import { unetTree } from './trees.js';

const DATASETS: [string, Vec3, Vec3][] = [
  ['Hippocampus-like', [1, 1, 1], [36, 50, 35]],
  ['anisotropic (prostate-like)', [3.6, 0.62, 0.62], [20, 320, 319]],
  ['large isotropic (memory shrink)', [1, 1, 1], [200, 220, 240]],
];

describe('agreement with the planner', () => {
  for (const [name, spacing, medianShape] of DATASETS) {
    for (const planner of ['default', 'resenc-m'] as const) {
      it(`${name}, ${planner}: conv outputs per sample = the planner's VRAM estimate`, () => {
        const net = planNetwork({ spacing, medianShape, inputChannels: 1, numClasses: 3, datasetVoxels: 1e9 }, PLANNERS[planner]!);
        const tree = unetTree({
          encoder: planner === 'default' ? 'conv_encoder' : 'res_encoder',
          encoderBlocks: [...net.blocksPerStageEncoder],
          decoderBlocks: [...net.convsPerStageDecoder],
        });
        const model = compile(tree, net);
        expect(model.ir.encoder.map((s) => s.features)).toEqual(net.featuresPerStage);
        expect(model.cost.convOutputElementsPerSample).toBe(net.vramEstimate);
      });
    }
  }
});
