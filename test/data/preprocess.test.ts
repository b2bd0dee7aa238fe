import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DatasetError } from '../../src/errors.js';
import { preprocessDataset } from '../../src/data/cache.js';
import { decodePreprocessedCase, encodePreprocessedCase } from '../../src/data/case-file.js';
import { boundingBox, cropArray, cropToNonzero, fillHoles, uncropArray } from '../../src/data/crop.js';
import { loadDataset } from '../../src/data/dataset.js';
import { computeFingerprint } from '../../src/data/fingerprint.js';
import { normalizeChannel } from '../../src/data/normalize.js';
import type { Vec3 } from '../../src/data/plan-types.js';
import { planExperiment } from '../../src/data/planner.js';
import { loadOrCreateSplits, makeSplits } from '../../src/data/splits.js';
import { inverseOrder, transpose } from '../../src/data/transpose.js';
import { tempDir, writeMsdDataset } from './helpers.js';

const props = { mean: 10, median: 10, std: 2, min: 0, max: 30, percentile_00_5: 4, percentile_99_5: 20 };

describe('crop', () => {
  it('crops to the nonzero box; label background outside the filled mask becomes -1; uncrop inverts', () => {
    const shape: Vec3 = [5, 6, 7];
    const at = (z: number, y: number, x: number): number => (z * 6 + y) * 7 + x;
    const image = new Float32Array(210);
    const label = new Int16Array(210);
    // A non-convex mask: an L of two bars, z in 1..3, (y 1..4, x 2) and (y 4, x 2..5).
    // Its box is (1,1,2)..(4,5,6), 3*4*4 = 48 voxels, of which the L fills 3*(4+3) = 21.
    for (let z = 1; z <= 3; z++) {
      for (let y = 1; y <= 4; y++) image[at(z, y, 2)] = 1;
      for (let x = 3; x <= 5; x++) image[at(z, 4, x)] = 1;
    }
    label[at(2, 1, 3)] = 1; // foreground outside the mask keeps its class
    label[at(2, 4, 4)] = 2; // foreground inside the mask
    const c = cropToNonzero(image, 1, shape, label);
    expect(c.box).toEqual({ lo: [1, 1, 2], hi: [4, 5, 6] });
    expect(c.shape).toEqual([3, 4, 4]);
    const counts = new Map<number, number>();
    for (const v of c.label!) counts.set(v, (counts.get(v) ?? 0) + 1);
    expect(Object.fromEntries(counts)).toEqual({ [-1]: 48 - 21 - 1, 0: 21 - 1, 1: 1, 2: 1 });
    expect(c.mask.reduce((a, b) => a + b, 0)).toBe(21);
    // The -1 voxels are exactly the box voxels the L does not cover (and whose label is 0).
    const crop = (z: number, y: number, x: number): number => ((z - 1) * 4 + (y - 1)) * 4 + (x - 2);
    expect(c.label![crop(1, 1, 3)]).toBe(-1);
    expect(c.label![crop(3, 3, 5)]).toBe(-1);
    expect(c.label![crop(1, 2, 2)]).toBe(0);
    expect(c.label![crop(2, 1, 3)]).toBe(1);
    expect(Array.from(uncropArray(c.image, 1, shape, c.box))).toEqual(Array.from(image));
  });
  it('holes enclosed by the mask are filled, so their background stays 0 rather than -1', () => {
    const shape: Vec3 = [5, 6, 7];
    const image = new Float32Array(210);
    // A hollow cube from (1,1,2) to (3,4,5) with a 1x2x2 cavity at z 2.
    for (let z = 1; z <= 3; z++) for (let y = 1; y <= 4; y++) for (let x = 2; x <= 5; x++) {
      image[(z * 6 + y) * 7 + x] = z === 2 && y >= 2 && y <= 3 && x >= 3 && x <= 4 ? 0 : 1;
    }
    const c = cropToNonzero(image, 1, shape, new Int16Array(210));
    expect(c.box).toEqual({ lo: [1, 1, 2], hi: [4, 5, 6] });
    expect(c.mask.every((v) => v === 1)).toBe(true);
    expect(c.label!.every((v) => v === 0)).toBe(true);
  });
  it('fillHoles keeps the border-connected background and box of empty masks is the volume', () => {
    const m = fillHoles(new Uint8Array(27), [3, 3, 3]);
    expect(m.every((v) => v === 0)).toBe(true);
    expect(boundingBox(m, [3, 3, 3])).toEqual({ lo: [0, 0, 0], hi: [3, 3, 3] });
  });
  it('cropArray/uncropArray round trip for random boxes and channels', () => {
    fc.assert(
      fc.property(fc.tuple(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 6 })), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 0, max: 99 }), (shape, channels, seed) => {
        const lo = shape.map((s, a) => (seed + a) % s) as Vec3;
        const hi = shape.map((s, a) => lo[a]! + 1 + ((seed * 7 + a) % (s - lo[a]!))) as Vec3;
        const n = shape[0] * shape[1] * shape[2];
        const data = Float32Array.from({ length: channels * n }, (_, i) => i + 1);
        const cropped = cropArray(data, channels, shape as Vec3, { lo, hi });
        const back = uncropArray(cropped, channels, shape as Vec3, { lo, hi });
        const inBox = (i: number): boolean => {
          const v = i % n;
          const p = [Math.floor(v / (shape[1] * shape[2])), Math.floor(v / shape[2]) % shape[1], v % shape[2]];
          return p.every((q, a) => q >= lo[a]! && q < hi[a]!);
        };
        for (let i = 0; i < data.length; i++) expect(back[i]).toBe(inBox(i) ? data[i] : 0);
        const filled = uncropArray(cropped, channels, shape as Vec3, { lo, hi }, -7);
        for (let i = 0; i < data.length; i++) expect(filled[i]).toBe(inBox(i) ? data[i] : -7);
        expect(cropped.length).toBe(channels * (hi[0] - lo[0]) * (hi[1] - lo[1]) * (hi[2] - lo[2]));
      }),
    );
  });
});

describe('transpose', () => {
  it('inverse order undoes it', () => {
    fc.assert(
      fc.property(fc.constantFrom<Vec3>([0, 1, 2], [2, 0, 1], [1, 2, 0], [0, 2, 1], [2, 1, 0], [1, 0, 2]), (order) => {
        const shape: Vec3 = [2, 3, 4];
        const data = Float32Array.from({ length: 48 }, (_, i) => i);
        const t = transpose(data, 2, shape, order);
        const tShape = order.map((a) => shape[a]!) as Vec3;
        expect(Array.from(transpose(t, 2, tShape, inverseOrder(order)))).toEqual(Array.from(data));
      }),
    );
  });
});

describe('normalisation', () => {
  it('z-score over the mask gives mean 0, std 1 inside and 0 outside', () => {
    const v = Float32Array.from([5, 7, 9, 100, 11]);
    const mask = Uint8Array.from([1, 1, 1, 0, 1]);
    normalizeChannel(v, 0, 5, 'zscore', props, mask);
    const inside = [v[0]!, v[1]!, v[2]!, v[4]!];
    expect(inside.reduce((a, b) => a + b) / 4).toBeCloseTo(0, 6);
    expect(Math.sqrt(inside.reduce((a, b) => a + b * b, 0) / 4)).toBeCloseTo(1, 5);
    expect(v[3]).toBe(0);
  });
  it('CT clips to the dataset percentiles then uses the dataset mean/std', () => {
    const v = Float32Array.from([0, 10, 50]);
    normalizeChannel(v, 0, 3, 'ct', props);
    expect(Array.from(v)).toEqual([(4 - 10) / 2, 0, (20 - 10) / 2]);
  });
});

describe('splits', () => {
  it('5 folds partition the sorted ids; the seed fixes them', () => {
    const ids = Array.from({ length: 23 }, (_, i) => `c${String(i).padStart(2, '0')}`).reverse();
    const s = makeSplits(ids);
    expect(s).toHaveLength(5);
    expect(s.map((f) => f.val.length)).toEqual([5, 5, 5, 4, 4]);
    expect(s.flatMap((f) => f.val).sort()).toEqual([...ids].sort());
    for (const f of s) expect([...f.train, ...f.val].sort()).toEqual([...ids].sort());
    expect(makeSplits(ids)).toEqual(s);
    expect(makeSplits(ids, 5, 1)).not.toEqual(s);
  });
  it('splits_final.json is written once and reused; a foreign file is rejected', () => {
    const dir = tempDir();
    const file = join(dir, 'splits_final.json');
    const ids = ['a', 'b', 'c', 'd', 'e', 'f'];
    const first = loadOrCreateSplits(file, ids);
    const custom = [{ train: ['a', 'b', 'c', 'd', 'e'], val: ['f'] }];
    writeFileSync(file, JSON.stringify(custom));
    expect(loadOrCreateSplits(file, ids)).toEqual(custom);
    expect(first).toHaveLength(5);
    writeFileSync(file, JSON.stringify([{ train: ['a', 'zz'], val: [] }]));
    expect(() => loadOrCreateSplits(file, ids)).toThrow(/case 'zz' is not in the dataset/);
  });
});

describe('preprocessing a dataset into the cache', () => {
  const root = tempDir();
  writeMsdDataset(root, Array.from({ length: 5 }, (_, i) => ({ id: `s${i}`, dims: [16, 14, 10] as [number, number, number] })), 3, [0.5, 0.5, 2]);
  const dataset = loadDataset(root);
  const plan = planExperiment(computeFingerprint(dataset));

  it('plans anisotropic data coarse-axis first and resamples to the target spacing', () => {
    expect(plan.transposeForward).toEqual([0, 1, 2]); // NIfTI k (2 mm) is array axis 0
    expect(plan.spacing).toEqual([2, 0.5, 0.5]);
  });

  it('writes cases that decode to the same arrays, rebuilds only when the plan changes', () => {
    const dir = tempDir();
    const first = preprocessDataset(dataset, plan, dir);
    expect(first.rebuilt).toBe(5);
    expect(existsSync(join(dir, 'splits_final.json'))).toBe(true);
    const c = decodePreprocessedCase(readFileSync(first.files['s0']!));
    expect(c.shape).toEqual(c.properties.shapeBeforeResampling);
    expect(c.label!.some((v) => v === 2)).toBe(true);
    expect(c.classLocations[1]!.every((i) => c.label![i] === 1)).toBe(true);
    expect(c.properties.originalShape).toEqual([10, 14, 16]);
    const mtime = statSync(first.files['s0']!).mtimeMs;
    expect(preprocessDataset(dataset, plan, dir).rebuilt).toBe(0);
    expect(statSync(first.files['s0']!).mtimeMs).toBe(mtime);
    const changed = { ...plan, spacing: [2, 1, 1] as Vec3 };
    const second = preprocessDataset(dataset, changed, dir);
    expect(second.rebuilt).toBe(5);
    const resampled = decodePreprocessedCase(readFileSync(second.files['s0']!));
    const before = c.properties.shapeBeforeResampling;
    expect(resampled.shape).toEqual([before[0], Math.round(before[1] / 2), Math.round(before[2] / 2)]);
    rmSync(second.files['s3']!);
    expect(preprocessDataset(dataset, changed, dir).rebuilt).toBe(1);
  });

  it('an interrupted run resumes: cases finished before a failure are not rebuilt', () => {
    const copy = tempDir();
    writeMsdDataset(copy, Array.from({ length: 5 }, (_, i) => ({ id: `s${i}`, dims: [16, 14, 10] as [number, number, number] })), 3, [0.5, 0.5, 2]);
    const image = join(copy, 'imagesTr', 's3.nii.gz');
    const good = readFileSync(image);
    writeFileSync(image, good.subarray(0, 40)); // truncated gzip
    const ds = loadDataset(copy);
    const dir = tempDir();
    expect(() => preprocessDataset(ds, plan, dir)).toThrow(/s3\.nii\.gz: corrupt or truncated gzip/);
    writeFileSync(image, good);
    expect(preprocessDataset(ds, plan, dir).rebuilt).toBe(2); // s3 and s4
  });

  it('encode/decode round trip and truncated cache files are rejected', () => {
    const dir = tempDir();
    const pre = preprocessDataset(dataset, plan, dir);
    const bytes = readFileSync(pre.files['s1']!);
    const c = decodePreprocessedCase(bytes);
    expect(Buffer.from(encodePreprocessedCase(c)).equals(bytes)).toBe(true);
    expect(() => decodePreprocessedCase(bytes.subarray(0, bytes.length - 4), 'x.hnpp')).toThrow(DatasetError);
  });
});
