import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readCase, readCaseImage } from '../../src/data/case.js';
import { loadDataset } from '../../src/data/dataset.js';
import { computeFingerprint } from '../../src/data/fingerprint.js';
import { niftiValues, readNifti } from '../../src/data/nifti.js';
import type { Vec3 } from '../../src/data/plan-types.js';
import { planExperiment } from '../../src/data/planner.js';
import { preprocessCase } from '../../src/data/preprocess.js';
import { predictCase, restoreSegmentation, writeSegmentation } from '../../src/data/restore.js';
import { gaussianImportance, slidingWindow, windowStarts, type PredictPatch } from '../../src/data/sliding-window.js';
import { tempDir, writeMsdDataset } from './helpers.js';

const identity: PredictPatch = async (batch) => batch.slice();

describe('sliding window', () => {
  it('window starts cover the axis with at least the requested overlap', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 1, max: 64 }), (size, patch) => {
        const s = windowStarts(size, patch);
        expect(s[0]).toBe(0);
        if (size > patch) {
          expect(s.at(-1)).toBe(size - patch);
          for (let i = 1; i < s.length; i++) expect(s[i]! - s[i - 1]!).toBeLessThanOrEqual(Math.ceil(patch / 2));
        }
      }),
    );
    expect(windowStarts(100, 40)).toEqual([0, 20, 40, 60]);
  });
  it('Gaussian importance is exp(-d²/2σ²) per axis with σ = patch/8, centred at patch//2, peak 1', () => {
    for (const patch of [[8, 10, 12], [5, 9, 16], [40, 56, 40]] as Vec3[]) {
      const g = gaussianImportance(patch);
      const [cz, cy, cx] = patch.map((p) => Math.floor(p / 2));
      const [sz, sy, sx] = patch.map((p) => p / 8);
      let o = 0;
      for (let z = 0; z < patch[0]; z++)
        for (let y = 0; y < patch[1]; y++)
          for (let x = 0; x < patch[2]; x++, o++) {
            const expected = Math.exp(-((z - cz!) ** 2) / (2 * sz! ** 2) - (y - cy!) ** 2 / (2 * sy! ** 2) - (x - cx!) ** 2 / (2 * sx! ** 2));
            expect(Math.abs(g[o]! - expected)).toBeLessThanOrEqual(1e-6 * expected + 1e-30);
          }
      expect(g[(cz! * patch[1] + cy!) * patch[2] + cx!]).toBe(1);
    }
  });
  it('an identity "model" stitches back to the input (Gaussian weights, mirroring, batching, padding)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.tuple(fc.integer({ min: 3, max: 20 }), fc.integer({ min: 3, max: 20 }), fc.integer({ min: 3, max: 20 })),
        fc.tuple(fc.integer({ min: 2, max: 8 }), fc.integer({ min: 2, max: 8 }), fc.integer({ min: 2, max: 8 })),
        fc.boolean(),
        fc.integer({ min: 1, max: 3 }),
        async (shape, patch, mirror, batchSize) => {
          const n = shape[0] * shape[1] * shape[2];
          const image = Float32Array.from({ length: 2 * n }, (_, i) => Math.sin(i * 0.37) * 5);
          const out = await slidingWindow(image, 2, shape as Vec3, identity, { patchSize: patch as Vec3, numClasses: 2, mirror, batchSize });
          expect(out).toHaveLength(image.length);
          for (let i = 0; i < image.length; i++) expect(out[i]).toBeCloseTo(image[i]!, 4);
        },
      ),
      { numRuns: 40 },
    );
  });
  it('mirroring averages the flipped predictions: a position-dependent model becomes symmetric', async () => {
    // The "model" returns the x coordinate within the tile; mirrored and averaged that is the tile centre.
    const patch: Vec3 = [2, 2, 4];
    const model: PredictPatch = async (batch, s) => Float32Array.from({ length: batch.length }, (_, i) => i % s[4]);
    const out = await slidingWindow(new Float32Array(16), 1, patch, model, { patchSize: patch, numClasses: 1, mirror: true });
    for (const v of out) expect(v).toBeCloseTo(1.5, 6);
  });
});

describe('predictCase restores crop, transpose and spacing', () => {
  it('an oracle model reproduces the reference label on the original grid, with the input geometry', async () => {
    const root = tempDir();
    // NIfTI i is coarse (3 mm): the plan transposes it first, so the restore must transpose back.
    // Case c3 has twice the plan's in-plane spacing, so preprocessing resamples it 2x and the
    // restore must resample back: from the one-hot of the resampled label it recovers every voxel.
    writeMsdDataset(root, [
      ...[0, 1, 2].map((i) => ({ id: `o${i}`, dims: [8, 18, 16] as [number, number, number] })),
      { id: 'c3', dims: [8, 18, 16], spacing: [3, 1.5, 1.5] },
    ], 5, [3, 0.75, 0.75]);
    const dataset = loadDataset(root);
    const plan = planExperiment(computeFingerprint(dataset));
    expect(plan.transposeForward).toEqual([2, 0, 1]);
    expect(plan.spacing).toEqual([3, 0.75, 0.75]);
    const coarse = dataset.cases.find((c) => c.id === 'c3')!;
    const truth = readCase(dataset, coarse);
    const pre = preprocessCase(truth, plan);
    const before = pre.properties.shapeBeforeResampling;
    expect(pre.shape).toEqual([before[0], 2 * before[1], 2 * before[2]]);
    const K = plan.labels.length;
    // Oracle logits: one-hot of the preprocessed label.
    const n = pre.shape[0] * pre.shape[1] * pre.shape[2];
    const logits = new Float32Array(K * n);
    for (let i = 0; i < n; i++) logits[Math.max(0, pre.label![i]!) * n + i] = 1;
    const seg = restoreSegmentation(logits, pre.shape, pre.properties, plan);
    expect(new Set(truth.label)).toEqual(new Set([0, 1, 2]));
    expect(Array.from(seg)).toEqual(Array.from(truth.label));

    // Through the whole path with the oracle as the "model", written to disk with the input geometry.
    const oracle: PredictPatch = async () => new Float32Array(0);
    const image = readCaseImage(truth.id, coarse.images, 1);
    await expect(predictCase(image, plan, oracle)).rejects.toThrow(/predictPatch returned 0 values/);
    const { segmentation, properties } = await predictCase(image, plan, async (batch, s) => {
      // Threshold the normalised image at the background level: a crude but deterministic "model".
      const out = new Float32Array(s[0] * K * s[2] * s[3] * s[4]);
      const m = s[2] * s[3] * s[4];
      for (let i = 0; i < m; i++) out[(batch[i]! > 0 ? 1 : 0) * m + i] = 1;
      return out;
    });
    const file = join(root, 'pred.nii.gz');
    writeSegmentation(file, segmentation, properties);
    const written = readNifti(file);
    const input = readNifti(coarse.images[0]!);
    expect(written.dims).toEqual(input.dims);
    expect(written.geometry).toEqual(input.geometry);
    expect(new Set(niftiValues(written))).toEqual(new Set([0, 1]));
  });
});
