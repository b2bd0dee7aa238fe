/** Integration on the real MSD Task04_Hippocampus data (skips when ../shared is absent). */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { skipAllUnless } from '../helpers/skip.js';
import { readCase } from '../../src/data/case.js';
import { loadDataset } from '../../src/data/dataset.js';
import { computeFingerprint } from '../../src/data/fingerprint.js';
import { readNifti } from '../../src/data/nifti.js';
import { PLANNERS, planExperiment, planNetwork } from '../../src/data/planner.js';
import { preprocessCase } from '../../src/data/preprocess.js';
import { restoreSegmentation } from '../../src/data/restore.js';
import { sampleBatch } from '../../src/data/patch-sampler.js';
import { Rng } from '../../src/util/rng.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const DATASET = join(repoRoot, '..', 'shared', 'datasets', 'Task04_Hippocampus');
const present = existsSync(join(DATASET, 'dataset.json'));

describe('Task04_Hippocampus', () => {
  skipAllUnless(present, `needs the MSD dataset at ${DATASET}, absent here`);
  it('reads every case (uint8 and float32 images, float32 labels) and plans as nnU-Net does', () => {
    const dataset = loadDataset(DATASET);
    expect(dataset.cases).toHaveLength(208);
    const types = new Set(dataset.cases.flatMap((c) => [readNifti(c.images[0]!).datatype, `label:${readNifti(c.label).datatype}`]));
    expect(types).toEqual(new Set(['uint8', 'float32', 'label:uint8', 'label:float32']));
    const fp = computeFingerprint(dataset);
    const plan = planExperiment(fp);
    expect(plan.nStages).toBe(4);
    expect(plan.spacing).toEqual([1, 1, 1]);
    expect(plan.medianShape).toEqual([36, 50, 35]); // nnU-Net's median_image_size_in_voxels
    expect(plan.network.patchSize).toEqual([40, 56, 40]);
    expect(plan.network.strides).toEqual([[1, 1, 1], [2, 2, 2], [2, 2, 2], [2, 2, 2]]);
    expect(plan.network.kernelSizes).toEqual([[3, 3, 3], [3, 3, 3], [3, 3, 3], [3, 3, 3]]);
    expect(plan.network.featuresPerStage).toEqual([32, 64, 128, 256]);
    // Batch: nnU-Net's batch 9 comes from the 5 % cap over the 260 MSD training cases it planned on;
    // this copy holds 208 of them, for which the same rule gives round(208*63000*0.05/89600) = 7.
    expect(plan.network.batchSize).toBe(7);
    const full = planNetwork({ spacing: plan.spacing, medianShape: plan.medianShape, inputChannels: 1, numClasses: 3, datasetVoxels: 36 * 50 * 35 * 260 }, PLANNERS.default!);
    expect(full.batchSize).toBe(9);
    expect(full.patchSize).toEqual([40, 56, 40]);
  });

  it('labels hold exactly {0, 1, 2} and the float32 labels read as integers', () => {
    const dataset = loadDataset(DATASET);
    const floatLabel = dataset.cases.find((c) => readNifti(c.label).datatype === 'float32')!;
    const c = readCase(dataset, floatLabel);
    expect(new Set(c.label)).toEqual(new Set([0, 1, 2]));
    expect(JSON.parse(readFileSync(join(DATASET, 'dataset.json'), 'utf8')).labels).toEqual({ '0': 'background', '1': 'Anterior', '2': 'Posterior' });
  });

  it('preprocesses real cases (z-scored, cropped), samples foreground batches and restores labels exactly', () => {
    const dataset = loadDataset(DATASET);
    const fp = { datasetName: 'Hippocampus', channelNames: ['MRI'], labels: dataset.labels, caseIds: ['x'], spacings: [[1, 1, 1]], shapesAfterCrop: [[36, 50, 35]], foregroundIntensityPropertiesPerChannel: [{ mean: 0, median: 0, std: 1, min: 0, max: 1, percentile_00_5: 0, percentile_99_5: 1 }], medianRelativeSizeAfterCropping: 1 } as const;
    const plan = planExperiment(JSON.parse(JSON.stringify(fp)));
    const finer = planExperiment({ ...JSON.parse(JSON.stringify(fp)), spacings: [[1, 0.5, 0.5]] });
    expect(finer.spacing).toEqual([1, 0.5, 0.5]);
    const cases = dataset.cases.slice(0, 6).map((c) => {
      const data = readCase(dataset, c);
      const pre = preprocessCase(data, plan);
      let sum = 0;
      let sq = 0;
      for (const v of pre.image) (sum += v), (sq += v * v);
      const mean = sum / pre.image.length;
      expect(mean).toBeCloseTo(0, 4);
      expect(Math.sqrt(sq / pre.image.length - mean * mean)).toBeCloseTo(1, 3);
      // Oracle logits from the label preprocessed at half the in-plane spacing (so resampling
      // runs both ways) restore the original label voxel for voxel.
      const fine = preprocessCase(data, finer);
      const before = fine.properties.shapeBeforeResampling;
      expect(fine.shape).toEqual([before[0], 2 * before[1], 2 * before[2]]);
      const n = fine.label!.length;
      const logits = new Float32Array(3 * n);
      for (let i = 0; i < n; i++) logits[Math.max(0, fine.label![i]!) * n + i] = 1;
      expect(Array.from(restoreSegmentation(logits, fine.shape, fine.properties, finer))).toEqual(Array.from(data.label));
      return pre;
    });
    const batch = sampleBatch(cases, { patchSize: [40, 56, 40], batchSize: 9, oversampleForeground: 0.33, augmentationFactor: 1 }, Rng.seeded(0));
    const patch = 40 * 56 * 40;
    for (let b = 6; b < 9; b++) expect(batch.label.subarray(b * patch, (b + 1) * patch).some((v) => v > 0)).toBe(true);
  });
});
