import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AUGMENTATIONS, augmentPatch, gaussianBlur, mirrorPatch, type Patch } from '../../src/data/augment.js';
import type { Vec3 } from '../../src/data/plan-types.js';
import type { PreprocessedCase } from '../../src/data/preprocess.js';
import { chooseStart, extractPatch, sampleBatch } from '../../src/data/patch-sampler.js';
import { Rng } from '../../src/util/rng.js';

/** A case whose image value encodes its voxel index, with a small foreground blob of class 2. */
function syntheticCase(shape: Vec3, id = 'c'): PreprocessedCase {
  const n = shape[0] * shape[1] * shape[2];
  const label = new Int16Array(n);
  const fg: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = i % shape[2];
    const y = Math.floor(i / shape[2]) % shape[1];
    const z = Math.floor(i / (shape[1] * shape[2]));
    if (x === shape[2] - 1 && y === shape[1] - 1 && z === shape[0] - 1) {
      label[i] = 2;
      fg.push(i);
    }
  }
  return {
    id,
    channels: 1,
    shape,
    image: Float32Array.from({ length: n }, (_, i) => i + 1),
    label,
    classLocations: { 1: new Int32Array(0), 2: Int32Array.from(fg) },
    properties: { originalShape: shape, originalSpacing: [1, 1, 1], box: { lo: [0, 0, 0], hi: shape }, shapeBeforeResampling: shape, geometry: undefined as never },
  };
}

describe('patch sampling', () => {
  it('without augmentation a patch is an exact window; outside the volume image is 0 and label -1', () => {
    const c = syntheticCase([4, 5, 6]);
    const p = extractPatch(c, [3, 3, 3], [-1, 3, 4]);
    // voxel (0,0,0) of the patch is outside (z = -1)
    expect(p.image[0]).toBe(0);
    expect(p.label[0]).toBe(-1);
    // patch (1,0,0) = volume (0,3,4)
    expect(p.image[9]).toBe((0 * 5 + 3) * 6 + 4 + 1);
    expect(p.label[9]).toBe(0);
  });
  it('starts stay within the padding bounds; forced samples contain the foreground voxel', () => {
    fc.assert(
      fc.property(fc.tuple(fc.integer({ min: 2, max: 12 }), fc.integer({ min: 2, max: 12 }), fc.integer({ min: 2, max: 12 })), fc.tuple(fc.integer({ min: 1, max: 10 }), fc.integer({ min: 1, max: 10 }), fc.integer({ min: 1, max: 10 })), fc.integer(), (shape, patch, seed) => {
        const c = syntheticCase(shape as Vec3);
        const rng = Rng.seeded(seed);
        for (const force of [false, true]) {
          const s = chooseStart(c, patch as Vec3, force, rng);
          for (let a = 0; a < 3; a++) {
            const pad = Math.max(0, patch[a]! - shape[a]!);
            expect(s[a]).toBeGreaterThanOrEqual(-Math.floor(pad / 2));
            expect(s[a]! + patch[a]!).toBeLessThanOrEqual(shape[a]! + Math.ceil(pad / 2));
          }
          if (force) {
            const p = extractPatch(c, patch as Vec3, s);
            expect(p.label.includes(2)).toBe(true);
          }
        }
      }),
    );
  });
  it('the last round(B x 0.33) samples of a batch hold foreground; factor 0 leaves patches untouched', () => {
    const c = syntheticCase([20, 20, 20]);
    const batch = sampleBatch([c], { patchSize: [4, 4, 4], batchSize: 9, oversampleForeground: 0.33, augmentationFactor: 0 }, Rng.seeded(3));
    expect(batch.shape).toEqual([9, 1, 4, 4, 4]);
    for (let b = 6; b < 9; b++) expect(batch.label.subarray(b * 64, (b + 1) * 64).includes(2)).toBe(true);
    // Without augmentation every image value is a voxel index + 1 of the case.
    for (const v of batch.image) expect(Number.isInteger(v) && v >= 1 && v <= 8000).toBe(true);
  });
  it('the same seed gives the same batch; another seed another', () => {
    const cases = [syntheticCase([10, 12, 14], 'a'), syntheticCase([9, 9, 9], 'b')];
    const cfg = { patchSize: [6, 6, 6] as Vec3, batchSize: 4, oversampleForeground: 0.33, augmentationFactor: 1 };
    const a = sampleBatch(cases, cfg, Rng.seeded(7));
    const b = sampleBatch(cases, cfg, Rng.seeded(7));
    const d = sampleBatch(cases, cfg, Rng.seeded(8));
    expect(Array.from(a.image)).toEqual(Array.from(b.image));
    expect(Array.from(a.label)).toEqual(Array.from(b.label));
    expect(Array.from(a.image)).not.toEqual(Array.from(d.image));
  });
  it('rotations keep labels within the original label set (nearest neighbour)', () => {
    const c = syntheticCase([10, 10, 10]);
    const rng = Rng.seeded(1);
    for (let k = 0; k < 20; k++) {
      const batch = sampleBatch([c], { patchSize: [6, 6, 6], batchSize: 2, oversampleForeground: 0.5, augmentationFactor: 5 }, rng);
      for (const v of batch.label) expect([-1, 0, 2]).toContain(v);
    }
  });
});

describe('sampler settings', () => {
  it('out-of-range hyperparameters are ConfigErrors naming the field', () => {
    const c = syntheticCase([6, 6, 6]);
    const ok = { patchSize: [4, 4, 4] as Vec3, batchSize: 2, oversampleForeground: 0.33, augmentationFactor: 1 };
    expect(() => sampleBatch([c], { ...ok, oversampleForeground: 1.5 }, Rng.seeded(1))).toThrow(/at oversampleForeground: expected a fraction in \[0, 1\], got 1.5/);
    expect(() => sampleBatch([c], { ...ok, augmentationFactor: -1 }, Rng.seeded(1))).toThrow(/augmentationFactor/);
    expect(() => sampleBatch([c], { ...ok, batchSize: 0 }, Rng.seeded(1))).toThrow(/batchSize/);
    expect(() => sampleBatch([], ok, Rng.seeded(1))).toThrow(/no cases/);
  });
});

describe('augmentations', () => {
  const patch = (): Patch => ({ image: Float32Array.from({ length: 2 * 60 }, (_, i) => Math.sin(i) + 2), label: Int16Array.from({ length: 60 }, (_, i) => i % 3), channels: 2, shape: [3, 4, 5] });
  it("each augmentation fires with nnU-Net's probability x factor, capped at 1; mirroring capped at 0.5 (empirical frequency)", () => {
    // ../shared/reference/nnunet.md, "Augmentation": the reference's probabilities, written out here.
    const reference: Record<string, number> = {
      'gaussian-noise': 0.1,
      'gaussian-blur': 0.2,
      brightness: 0.15,
      contrast: 0.15,
      'low-resolution': 0.25,
      'inverted-gamma': 0.1,
      gamma: 0.3,
      'mirror-0': 0.5,
      'mirror-1': 0.5,
      'mirror-2': 0.5,
    };
    const tiny = (): Patch => ({ image: Float32Array.from({ length: 8 }, (_, i) => Math.sin(i) + 2), label: new Int16Array(8), channels: 1, shape: [2, 2, 2] });
    for (const [factor, runs] of [[0.5, 50000], [1, 50000], [2.5, 4000]] as const) {
      const rng = Rng.seeded(Math.round(11 + 10 * factor));
      const counts = new Map<string, number>();
      for (let i = 0; i < runs; i++) for (const name of augmentPatch(tiny(), factor, rng)) counts.set(name, (counts.get(name) ?? 0) + 1);
      expect(new Set(counts.keys())).toEqual(new Set(Object.keys(reference)));
      for (const [name, p] of Object.entries(reference)) {
        // A flip is orientation-neutral at 0.5; more often would train on the flipped orientation (augment.ts).
        const expected = Math.min(name.startsWith('mirror-') ? 0.5 : 1, p * factor);
        const sd = Math.sqrt((expected * (1 - expected)) / runs);
        // 4.5 sd: at 50000 draws the bound on the mirror share is 0.25 +- 0.009 (factor 0.5).
        expect(Math.abs(counts.get(name)! / runs - expected), `${name} at factor ${factor}`).toBeLessThanOrEqual(4.5 * sd + 1e-12);
      }
    }
  });
  it('factor 0 applies nothing', () => {
    const p = patch();
    const before = p.image.slice();
    expect(augmentPatch(p, 0, Rng.seeded(1))).toEqual([]);
    expect(Array.from(p.image)).toEqual(Array.from(before));
  });
  it('mirroring twice is the identity and moves image and label together', () => {
    const p = patch();
    const img = p.image.slice();
    const lab = p.label.slice();
    for (const axis of [0, 1, 2]) {
      mirrorPatch(p, axis);
      expect(p.label[0]).toBe(lab[axis === 0 ? 40 : axis === 1 ? 15 : 4]);
      mirrorPatch(p, axis);
    }
    expect(Array.from(p.image)).toEqual(Array.from(img));
    expect(Array.from(p.label)).toEqual(Array.from(lab));
  });
  it('mirroring equals the index-reversed copy along the axis, for any shape and channel count', () => {
    fc.assert(
      fc.property(fc.tuple(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 6 })), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 0, max: 2 }), (shape, channels, axis) => {
        const n = shape[0] * shape[1] * shape[2];
        const p: Patch = { image: Float32Array.from({ length: channels * n }, (_, i) => i), label: Int16Array.from({ length: n }, (_, i) => i), channels, shape: shape as Vec3 };
        mirrorPatch(p, axis);
        for (let c = 0; c < channels; c++)
          for (let z = 0; z < shape[0]; z++)
            for (let y = 0; y < shape[1]; y++)
              for (let x = 0; x < shape[2]; x++) {
                const src = [z, y, x];
                src[axis] = shape[axis]! - 1 - src[axis]!;
                const o = (z * shape[1] + y) * shape[2] + x;
                const from = (src[0]! * shape[1] + src[1]!) * shape[2] + src[2]!;
                expect(p.image[c * n + o]).toBe(c * n + from);
                if (c === 0) expect(p.label[o]).toBe(from);
              }
      }),
    );
  });
  it('blur keeps constants; its impulse response is the normalised Gaussian of the given sigma', () => {
    const v = new Float32Array(27).fill(4);
    gaussianBlur(v, [3, 3, 3], 0.8);
    for (const x of v) expect(x).toBeCloseTo(4, 5);
    const size = 15;
    const c = 7;
    for (const sigma of [0.5, 0.7, 1]) {
      const impulse = new Float32Array(size ** 3);
      impulse[(c * size + c) * size + c] = 1;
      gaussianBlur(impulse, [size, size, size], sigma);
      // Sampled Gaussian normalised over all integers (the 4-sigma cut changes it by < 1e-6).
      let z = 0;
      for (let k = -50; k <= 50; k++) z += Math.exp(-(k * k) / (2 * sigma * sigma));
      const g = (d: number): number => Math.exp(-(d * d) / (2 * sigma * sigma)) / z;
      let o = 0;
      let worst = 0;
      for (let i = 0; i < size; i++)
        for (let j = 0; j < size; j++)
          for (let k = 0; k < size; k++, o++) worst = Math.max(worst, Math.abs(impulse[o]! - g(i - c) * g(j - c) * g(k - c)));
      expect(worst, `sigma ${sigma}`).toBeLessThan(2e-6);
    }
  });
  it('blur reflects at the border (d c b a | a b c d), as scipy.ndimage does by default', () => {
    const line = new Float32Array(6);
    line[0] = 1; // impulse on the first voxel of a 1x1x6 line
    gaussianBlur(line, [1, 1, 6], 0.7);
    let z = 0;
    for (let k = -50; k <= 50; k++) z += Math.exp(-(k * k) / 0.98);
    const g = (d: number): number => Math.exp(-(d * d) / 0.98) / z;
    // The mirror image of the impulse sits at -1: voxel x gets g(x) + g(x + 1).
    for (let x = 0; x < 6; x++) expect(line[x]).toBeCloseTo(g(x) + g(x + 1), 6);
  });
});
