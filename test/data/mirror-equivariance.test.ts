/**
 * Test-time mirroring (src/data/sliding-window.ts) is a group average over the 8 flips of the 3
 * axes, so for ANY model the mirrored prediction of a flipped input is the flipped mirrored
 * prediction: P(flip_a x) = flip_a P(x). Checked for a deliberately non-equivariant model
 * (without mirroring it is not equivariant, so the test can fail), for a tiled volume with the
 * Gaussian importance map, and for a real compiled U-Net through onnxruntime. Also: the
 * training-time mirror augmentation (src/data/augment.ts) flips the same axes, in the same
 * order, as inference does.
 */
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { compile, DEFAULT_NAS_CONFIG } from '../../compiler/index.js';
import { mirrorPatch } from '../../src/data/augment.js';
import type { Vec3 } from '../../src/data/plan-types.js';
import { flipVolume, type PredictPatch, slidingWindow } from '../../src/data/sliding-window.js';
import { sessionPredictor } from '../../src/pipeline/inference.js';
import { Rng } from '../../src/util/rng.js';
import { tinyPlan } from '../compiler/train/nets.js';

const K = 3;
const AXES = [[0], [1], [2], [0, 2], [0, 1, 2]];

/** Logits from the voxel, its forward neighbour along each axis and its position: neither flip- nor shift-equivariant. */
const lopsided: PredictPatch = async (batch, [B, C, Z, Y, X]) => {
  const n = Z * Y * X;
  const out = new Float32Array(B * K * n);
  const at = (b: number, z: number, y: number, x: number) => batch[b * C * n + (Math.min(z, Z - 1) * Y + Math.min(y, Y - 1)) * X + Math.min(x, X - 1)]!;
  for (let b = 0; b < B; b++)
    for (let z = 0; z < Z; z++)
      for (let y = 0; y < Y; y++)
        for (let x = 0; x < X; x++) {
          const v = at(b, z, y, x);
          const o = (z * Y + y) * X + x;
          out[(b * K + 0) * n + o] = v - at(b, z + 1, y, x) + z / Z;
          out[(b * K + 1) * n + o] = 2 * v + at(b, z, y + 1, x) - 0.5 * (y / Y);
          out[(b * K + 2) * n + o] = -v + 3 * at(b, z, y, x + 1) + (x * x) / (X * X);
        }
  return out;
};

const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);
const volume = (shape: Vec3, seed: number) => {
  const rng = Rng.seeded(seed);
  return Float32Array.from({ length: shape[0] * shape[1] * shape[2] }, () => rng.normal());
};

async function equivarianceGap(predict: PredictPatch, shape: Vec3, patch: Vec3, mirror: boolean, axes: number[]): Promise<number> {
  const x = volume(shape, 1);
  const options = { patchSize: patch, numClasses: K, mirror };
  const direct = await slidingWindow(x, 1, shape, predict, options);
  const ofFlipped = await slidingWindow(flipVolume(x, 1, shape, axes), 1, shape, predict, options);
  return maxDiff(ofFlipped, flipVolume(direct, K, shape, axes)) / Math.max(...direct.map(Math.abs));
}

describe('test-time mirroring is flip-equivariant', () => {
  it('for a non-equivariant model on one tile: exact with mirroring, far off without', async () => {
    const shape: Vec3 = [6, 8, 10];
    for (const axes of AXES) {
      expect(await equivarianceGap(lopsided, shape, shape, true, axes), `axes ${axes}`).toBeLessThan(1e-6);
      expect(await equivarianceGap(lopsided, shape, shape, false, axes), `axes ${axes}`).toBeGreaterThan(1e-2);
    }
  });

  it('for a tiled volume with the Gaussian importance map (odd patch, symmetric tiling)', async () => {
    // 13 = tiles at 0, 3, 6 of 7 (symmetric), 9 = one tile; the odd patch's Gaussian is centred.
    for (const axes of AXES) expect(await equivarianceGap(lopsided, [13, 9, 13], [7, 9, 7], true, axes), `axes ${axes}`).toBeLessThan(1e-6);
  });

  it('for a compiled U-Net through onnxruntime (random weights)', async () => {
    const patch: Vec3 = [16, 16, 16];
    const model = compile(DEFAULT_NAS_CONFIG, tinyPlan(patch, [[1, 1, 1], [2, 2, 2], [2, 2, 2]], K, 2), { seed: 3, baseFeatures: 4, maxFeatures: 16 });
    const session = await ort.InferenceSession.create(model.onnx());
    try {
      const predict = sessionPredictor(session);
      for (const axes of AXES) {
        expect(await equivarianceGap(predict, patch, patch, true, axes), `axes ${axes}`).toBeLessThan(1e-4);
        expect(await equivarianceGap(predict, patch, patch, false, axes), `axes ${axes}`).toBeGreaterThan(1e-3);
      }
    } finally {
      await session.release();
    }
  });
});

describe('training-time mirroring flips the axes inference flips', () => {
  it('mirrorPatch(axis a) = flipVolume(axis a) on image and label', () => {
    const shape: Vec3 = [3, 4, 5];
    const n = 60;
    const image = Float32Array.from({ length: 2 * n }, (_, i) => i);
    const label = Int16Array.from({ length: n }, (_, i) => i % 7);
    for (const axis of [0, 1, 2]) {
      const p = { image: image.slice(), label: label.slice(), channels: 2, shape };
      mirrorPatch(p, axis);
      expect(Array.from(p.image)).toEqual(Array.from(flipVolume(image, 2, shape, [axis])));
      expect(Array.from(p.label)).toEqual(Array.from(flipVolume(Float32Array.from(label), 1, shape, [axis])));
    }
  });
});
