/**
 * Softmax probabilities on the input's grid (predict --save-probabilities): after undoing
 * resampling, transpose and crop they sum to 1, their argmax is the segmentation, the background
 * is certain outside the crop box, and the 4D NIfTI keeps the input's geometry.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCaseImage } from '../../src/data/case.js';
import { loadDataset } from '../../src/data/dataset.js';
import { computeFingerprint } from '../../src/data/fingerprint.js';
import { niftiValues, readNifti, writeNifti } from '../../src/data/nifti.js';
import { identityGeometry } from '../../src/data/nifti-types.js';
import { planExperiment } from '../../src/data/planner.js';
import { predictCase, segmentationFromProbabilities, writeProbabilities } from '../../src/data/restore.js';
import type { PredictPatch } from '../../src/data/sliding-window.js';
import { tempDir, writeMsdDataset } from './helpers.js';

/** A deterministic "model": logits from the normalised intensity, different for each class. */
const model =
  (K: number): PredictPatch =>
  async (batch, s) => {
    const m = s[2] * s[3] * s[4];
    const out = new Float32Array(s[0] * K * m);
    for (let b = 0; b < s[0]; b++) for (let k = 0; k < K; k++) for (let i = 0; i < m; i++) out[(b * K + k) * m + i] = Math.sin(batch[b * s[1] * m + i]! * (k + 1)) * 3;
    return out;
  };

describe('probabilities on the input grid', () => {
  it('transposed, resampled and cropped cases: sum 1, argmax = segmentation, background 1 outside the crop, 4D NIfTI', async () => {
    const root = tempDir();
    writeMsdDataset(root, [0, 1, 2].map((i) => ({ id: `o${i}`, dims: [8, 18, 16] as [number, number, number] })), 5, [3, 0.8, 0.8]);
    const dataset = loadDataset(root);
    const plan = planExperiment(computeFingerprint(dataset));
    expect(plan.transposeForward).toEqual([2, 0, 1]);
    const K = plan.labels.length;
    // The first case as is, and again with another spacing, so that it resamples on the way in and out.
    const first = readNifti(dataset.cases[0]!.images[0]!);
    const other = join(root, 'other.nii.gz');
    writeNifti(other, niftiValues(first), first.dims, identityGeometry([2.2, 1.1, 0.6]));
    for (const files of [dataset.cases[0]!.images, [other]]) {
      const image = readCaseImage('x', files, 1);
      if (files[0] === other) expect(image.spacing).not.toEqual([...plan.spacing].reverse()); // resampled on the way in and out
      const r = await predictCase(image, plan, model(K), { probabilities: true });
      const p = r.probabilities!;
      const n = r.segmentation.length;
      expect(p).toHaveLength(K * n);
      let worst = 0;
      for (let i = 0; i < n; i++) {
        let sum = 0;
        for (let k = 0; k < K; k++) sum += p[k * n + i]!;
        worst = Math.max(worst, Math.abs(sum - 1));
      }
      expect(worst).toBeLessThan(1e-5);
      expect(Array.from(segmentationFromProbabilities(p, plan))).toEqual(Array.from(r.segmentation));
      const [Z, Y, X] = r.properties.originalShape;
      const { lo, hi } = r.properties.box;
      expect(lo.some((l) => l > 0) || hi.some((h, a) => h < r.properties.originalShape[a]!)).toBe(true); // the crop removed something
      const outsideBackground: number[] = [];
      for (let z = 0; z < Z; z++)
        for (let y = 0; y < Y; y++)
          for (let x = 0; x < X; x++) {
            const inside = z >= lo[0] && z < hi[0] && y >= lo[1] && y < hi[1] && x >= lo[2] && x < hi[2];
            if (!inside) outsideBackground.push(p[(z * Y + y) * X + x]!);
          }
      expect(new Set(outsideBackground)).toEqual(new Set([1]));
      // Written as [i, j, k, K] with the input's geometry; uint16 within half a step of float32.
      const f32 = join(root, 'p32.nii.gz');
      const u16 = join(root, 'p16.nii.gz');
      writeProbabilities(f32, p, r.properties, 'float32');
      writeProbabilities(u16, p, r.properties, 'uint16');
      const input = readNifti(files[0]!);
      for (const f of [f32, u16]) {
        const w = readNifti(f);
        expect(w.dims).toEqual([...input.dims.slice(0, 3), K]);
        expect(w.geometry.affine).toEqual(input.geometry.affine);
      }
      expect(Array.from(niftiValues(readNifti(f32)))).toEqual(Array.from(p));
      const q = niftiValues(readNifti(u16));
      expect(Math.max(...p.map((x, i) => Math.abs(q[i]! - x)))).toBeLessThanOrEqual(0.5 / 65535 + 1e-7);
    }
  });
});
