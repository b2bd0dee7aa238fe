/**
 * CT-scale data, down-scaled for the default suite: the synthetic-dataset generator (determinism,
 * character), and plan + preprocess on 128 x 128 x 96 CT-like cases (anisotropic spacing, separate-z,
 * int16 Hounsfield units, CT normalisation), checked against values computed here independently and
 * against skimage (nnU-Net's resampling); preprocessing in worker threads; hole filling.
 * The full-size run is test/data/ct-scale.slow.test.ts and `npm run bench -- ctpreprocess`.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { preprocessDataset, type PreprocessedDataset } from '../../src/data/cache.js';
import { readPreprocessedCase } from '../../src/data/case-file.js';
import { readCase } from '../../src/data/case.js';
import { fillHoles } from '../../src/data/crop.js';
import { loadDataset, type Dataset } from '../../src/data/dataset.js';
import { computeFingerprint } from '../../src/data/fingerprint.js';
import { readNifti } from '../../src/data/nifti.js';
import type { Plan, Vec3 } from '../../src/data/plan-types.js';
import { planExperiment, resampledShape } from '../../src/data/planner.js';
import { preprocessInWorkers } from '../../src/data/preprocess-workers.js';
import { axisOrders, nearestSource, resampleLabels, resampleVolume } from '../../src/data/resample.js';
import { percentile } from '../../src/data/stats.js';
import { generateDataset } from '../../src/data/synthetic-dataset.js';
import { DatasetError, UsageError } from '../../src/errors.js';
import { Rng } from '../../src/util/rng.js';
import { captureOutput } from '../helpers/cli.js';
import { dicePerLabel, differences, SKIMAGE_MISSING, skimageAvailable, skimageResample } from '../helpers/skimage.js';
import { skipAllUnless } from '../helpers/skip.js';
import { main } from '../../src/cli/main.js';
import { tempDir } from './helpers.js';

const io = captureOutput();

/** Every file under `root`, relative path -> bytes. */
function files(root: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(relative(root, p), readFileSync(p));
    }
  };
  walk(root);
  return out;
}

describe('generate-dataset', () => {
  it('the same seed writes identical bytes, another seed other bytes (CT and MRI)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 2 ** 31 - 2 }), fc.constantFrom<'ct' | 'mri'>('ct', 'mri'), async (seed, kind) => {
        const make = async (s: number): Promise<Map<string, Buffer>> => {
          const dir = tempDir();
          await generateDataset({ outDir: dir, kind, cases: 1, testCases: 1, seed: s, shape: [24, 20, 12] });
          return files(dir);
        };
        const a = await make(seed);
        const b = await make(seed);
        const c = await make(seed + 1);
        expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
        for (const [name, bytes] of a) expect(bytes.equals(b.get(name)!), name).toBe(true);
        const image = [...a.keys()].find((k) => k.startsWith('imagesTr'))!;
        expect(a.get(image)!.equals(c.get(image)!)).toBe(false);
      }),
      { numRuns: 3 },
    );
  });

  it('refuses bad options (UsageError, exit 2) and never writes over an existing dataset', async () => {
    const dir = tempDir();
    await expect(generateDataset({ outDir: dir, kind: 'ct', cases: 0, seed: 0 })).rejects.toThrow(UsageError);
    await expect(generateDataset({ outDir: dir, kind: 'ct', cases: 1, seed: 0, shape: [4, 64, 64] })).rejects.toThrow(/at least 8 voxels/);
    expect(await main(['generate-dataset', dir, '--shape', '64,64'])).toBe(2);
    expect(io.err()).toMatch(/--shape must be three positive integers/);
    expect(await main(['generate-dataset', dir, '--cases', '1', '--test-cases', '0', '--shape', '16,16,8', '--no-progress'])).toBe(0);
    expect(io.out()).toMatch(/1 training \+ 0 test ct cases/);
    const before = files(dir);
    expect(await main(['generate-dataset', dir, '--cases', '1', '--shape', '16,16,8', '--seed', '3', '--no-progress'])).toBe(2);
    expect(io.err()).toMatch(/dataset\.json already exists/);
    const after = files(dir);
    for (const [name, bytes] of before) expect(after.get(name)!.equals(bytes)).toBe(true);
  });

  it('MRI-like cases: 4 channels of int16 in one 4D file, zero background, three tumour classes inside the brain', async () => {
    const dir = tempDir();
    await generateDataset({ outDir: dir, kind: 'mri', cases: 1, testCases: 0, seed: 5, shape: [48, 48, 32] });
    const ds = loadDataset(dir);
    expect(ds.channelNames).toEqual(['FLAIR', 'T1w', 'T1gd', 'T2w']);
    const img = readNifti(ds.cases[0]!.images[0]!);
    expect(img.datatype).toBe('int16');
    expect(img.dims).toEqual([48, 48, 32, 4]);
    const c = readCase(ds, ds.cases[0]!);
    const n = c.label.length;
    expect(new Set(c.label)).toEqual(new Set([0, 1, 2, 3]));
    let zeros = 0;
    for (let i = 0; i < n; i++) {
      const background = [0, 1, 2, 3].every((ch) => c.image[ch * n + i] === 0);
      if (background) zeros++;
      if (c.label[i]! > 0) expect(background).toBe(false);
    }
    expect(zeros / n).toBeGreaterThan(0.3); // skull-stripped: cropping has work to do
  });
});

describe('CT-like cases at 128 x 128 x 96: plan and preprocess', () => {
  let root: string;
  let dataset: Dataset;
  let plan: Plan;
  let cache: PreprocessedDataset;
  beforeAll(async () => {
    root = tempDir();
    // Seed 0: in-plane spacings 0.7296 and 0.7348 mm (median target 0.7322 keeps 128 voxels), slices of
    // 4.611 and 3.015 mm (target 3.813: one case up-, one downsampled along z).
    await generateDataset({ outDir: join(root, 'ds'), kind: 'ct', cases: 2, testCases: 0, seed: 0, shape: [128, 128, 96] });
    dataset = loadDataset(join(root, 'ds'));
    plan = planExperiment(computeFingerprint(dataset));
    cache = preprocessDataset(dataset, plan, join(root, 'cache'));
  });

  it('cases look like CT: int16 Hounsfield units, anisotropic spacing in range, air around a body, organs brighter than fat, a small lesion', () => {
    for (const c of dataset.cases) {
      const nifti = readNifti(c.images[0]!);
      expect(nifti.datatype).toBe('int16');
      const [sx, sy, sz] = nifti.geometry.pixdim;
      expect(sx).toBe(sy);
      expect(sx).toBeGreaterThanOrEqual(0.7);
      expect(sx).toBeLessThanOrEqual(0.8);
      expect(sz).toBeGreaterThanOrEqual(1.5);
      expect(sz).toBeLessThanOrEqual(5);
      const data = readCase(dataset, c);
      const corner = data.image[0]!;
      expect(corner).toBeLessThan(-900); // air
      const mean = new Map<number, [number, number]>();
      data.label.forEach((l, i) => {
        const [s, k] = mean.get(l) ?? [0, 0];
        mean.set(l, [s + data.image[i]!, k + 1]);
      });
      const avg = (l: number): number => mean.get(l)![0] / mean.get(l)![1];
      const count = (l: number): number => mean.get(l)![1];
      expect([...mean.keys()].sort()).toEqual([0, 1, 2, 3]);
      expect(avg(2)).toBeGreaterThan(avg(1) + 50); // kidneys brighter than the organ
      expect(avg(3)).toBeLessThan(avg(1) - 20); // hypodense lesions
      expect(count(3)).toBeLessThan(count(1) / 10); // a small class
    }
  });

  it('plans nnU-Net\'s way: coarse z first, anisotropic target, nearest along z for every case, CT statistics of the foreground', () => {
    expect(plan.transposeForward).toEqual([0, 1, 2]);
    expect(plan.spacing[0] / plan.spacing[1]).toBeGreaterThan(plan.anisotropyThreshold);
    expect(plan.normalization[0]).toEqual({ scheme: 'ct', useMaskForNorm: false });
    // Brute force over every foreground voxel of both cases (the plan samples 1e7 of them).
    const fg: number[] = [];
    for (const c of dataset.cases) {
      const d = readCase(dataset, c);
      d.label.forEach((l, i) => l > 0 && fg.push(d.image[i]!));
    }
    const props = plan.foregroundIntensityProperties[0]!;
    const mean = fg.reduce((a, b) => a + b, 0) / fg.length;
    expect(Math.abs(props.mean - mean)).toBeLessThan(1);
    expect(Math.abs(props.percentile_00_5 - percentile(fg, 0.5))).toBeLessThanOrEqual(2);
    expect(Math.abs(props.percentile_99_5 - percentile(fg, 99.5))).toBeLessThanOrEqual(2);
    for (const c of dataset.cases) {
      const spacing = [...readNifti(c.images[0]!).geometry.pixdim].reverse() as Vec3;
      expect(axisOrders(spacing, plan.spacing, 3, plan.anisotropyThreshold)).toEqual([0, 3, 3]);
    }
  });

  it('preprocessed = clip to the 0.5/99.5 percentiles, z-score with the foreground mean/std, resampled nearest along z (slices exact where in-plane is unchanged)', () => {
    const props = plan.foregroundIntensityProperties[0]!;
    const norm = (v: number): number => (Math.min(Math.max(v, props.percentile_00_5), props.percentile_99_5) - props.mean) / props.std;
    let exactSlices = 0;
    for (const c of dataset.cases) {
      const pre = readPreprocessedCase(cache.files[c.id]!);
      let min = Infinity;
      let max = -Infinity;
      for (const v of pre.image) (min = Math.min(min, v)), (max = Math.max(max, v));
      expect(min).toBeGreaterThanOrEqual(norm(-Infinity) - 1e-5);
      expect(max).toBeLessThanOrEqual(norm(Infinity) + 1e-5);
      const before = pre.properties.shapeBeforeResampling;
      expect(pre.shape).toEqual(resampledShape(before, pre.properties.originalSpacing, plan.spacing));
      if (before[1] !== pre.shape[1] || before[2] !== pre.shape[2]) continue; // in-plane resampled: the skimage test covers it
      const d = readCase(dataset, c);
      const { lo: boxLo } = pre.properties.box;
      const [, ny, nx] = d.shape;
      const plane = before[1] * before[2];
      for (let t = 0; t < pre.shape[0]; t++) {
        const src = nearestSource(t, before[0], pre.shape[0]);
        let worst = 0;
        for (let q = 0; q < plane; q++) {
          const y = Math.floor(q / before[2]);
          const x = q % before[2];
          const raw = d.image[((src + boxLo[0]) * ny + (y + boxLo[1])) * nx + (x + boxLo[2])]!;
          worst = Math.max(worst, Math.abs(pre.image[t * plane + q]! - norm(raw)));
        }
        expect(worst).toBeLessThan(1e-5);
        exactSlices++;
      }
    }
    expect(exactSlices).toBeGreaterThan(0);
  });

  it('two worker threads write the same cache files as one thread; a broken case fails naming its file, the others stay built', async () => {
    const dir = join(root, 'cache-workers');
    const parallel = await preprocessInWorkers(dataset, plan, dir, { workers: 2 });
    expect(parallel.rebuilt).toBe(2);
    for (const c of dataset.cases) expect(readFileSync(parallel.files[c.id]!).equals(readFileSync(cache.files[c.id]!))).toBe(true);
    expect(parallel.splits).toEqual([]); // two cases: no 5-fold split (train with --folds all)

    const broken = join(root, 'broken');
    await generateDataset({ outDir: broken, kind: 'ct', cases: 3, testCases: 0, seed: 2, shape: [24, 24, 12] });
    const bad = join(broken, 'imagesTr', 'synct_002.nii.gz');
    writeFileSync(bad, readFileSync(bad).subarray(0, 400));
    const ds = loadDataset(broken);
    const p = planExperiment(computeFingerprint({ ...ds, cases: [ds.cases[0]!, ds.cases[2]!] }));
    const out = join(root, 'cache-broken');
    await expect(preprocessInWorkers(ds, p, out, { workers: 2 })).rejects.toThrow(DatasetError);
    await expect(preprocessInWorkers(ds, p, out, { workers: 2 })).rejects.toThrow(/synct_002\.nii\.gz: corrupt or truncated gzip/);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as { files: Record<string, string> };
    expect(Object.keys(manifest.files).sort()).toEqual(['synct_001', 'synct_003']);
  });
});

describe('resampling agrees with skimage (nnU-Net\'s resize: order 3 images, order 1 one-hot labels, separate z)', () => {
  skipAllUnless(skimageAvailable(), SKIMAGE_MISSING);
  it('anisotropic case (in-plane cubic per slice, nearest along z) and isotropic case (cubic on all axes)', () => {
    const configs: [Vec3, Vec3, Vec3, Vec3][] = [
      [[14, 30, 26], [23, 33, 27], [4.2, 0.8, 0.78], [2.5, 0.73, 0.75]],
      [[16, 20, 18], [11, 25, 21], [1.6, 0.8, 0.85], [2.3, 0.64, 0.73]],
    ];
    for (const [shape, newShape, spacing, target] of configs) {
      const rng = Rng.seeded(3);
      const n = shape[0] * shape[1] * shape[2];
      const image = Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.013) * 2 + rng.normal());
      const label = Int16Array.from({ length: n }, (_, i) => {
        const z = Math.floor(i / (shape[1] * shape[2])) / shape[0] - 0.5;
        const y = (Math.floor(i / shape[2]) % shape[1]) / shape[1] - 0.5;
        const x = (i % shape[2]) / shape[2] - 0.5;
        const r = (z / 0.4) ** 2 + (y / 0.35) ** 2 + (x / 0.3) ** 2;
        return r < 0.3 ? 2 : r < 1 ? 1 : x < -0.45 ? -1 : 0;
      });
      const ref = skimageResample({ image, label, channels: 1, shape, newShape, spacing, target });
      const orders = axisOrders(spacing, target, 3);
      expect(ref.separateAxis).toBe(orders.indexOf(0) >= 0 ? orders.indexOf(0) : null);
      const d = differences(resampleVolume(image, 1, shape, newShape, orders), ref.image);
      expect(d.max).toBeLessThan(1e-5);
      for (const [value, dice] of dicePerLabel(resampleLabels(label, shape, newShape, axisOrders(spacing, target, 1)), ref.label!)) expect(dice, `label ${value}`).toBeGreaterThan(0.995);
    }
  });
});

describe('hole filling (scanline flood)', () => {
  /** Reference: voxel-by-voxel flood of the background from the border. */
  function reference(mask: Uint8Array, [nz, ny, nx]: Vec3): Uint8Array {
    const outside = new Uint8Array(mask.length);
    const stack: number[] = [];
    for (let z = 0; z < nz; z++)
      for (let y = 0; y < ny; y++)
        for (let x = 0; x < nx; x++) {
          const i = (z * ny + y) * nx + x;
          if ((z % (nz - 1 || 1) === 0 || y % (ny - 1 || 1) === 0 || x % (nx - 1 || 1) === 0) && !mask[i]) (outside[i] = 1), stack.push(i);
        }
    while (stack.length) {
      const i = stack.pop()!;
      const x = i % nx;
      const y = Math.floor(i / nx) % ny;
      const z = Math.floor(i / (nx * ny));
      for (const [dz, dy, dx] of [[0, 0, 1], [0, 0, -1], [0, 1, 0], [0, -1, 0], [1, 0, 0], [-1, 0, 0]] as const) {
        const [a, b, c] = [z + dz, y + dy, x + dx];
        if (a < 0 || b < 0 || c < 0 || a >= nz || b >= ny || c >= nx) continue;
        const j = (a * ny + b) * nx + c;
        if (!mask[j] && !outside[j]) (outside[j] = 1), stack.push(j);
      }
    }
    return Uint8Array.from(outside, (o) => 1 - o);
  }
  it('equals a voxel-by-voxel flood for random masks', () => {
    const dims = fc.tuple(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 9 }));
    fc.assert(
      fc.property(dims, fc.double({ min: 0.2, max: 0.8, noNaN: true }), fc.integer({ min: 0, max: 1e6 }), (shape, density, seed) => {
        const rng = Rng.seeded(seed);
        const mask = Uint8Array.from({ length: shape[0] * shape[1] * shape[2] }, () => (rng.float() < density ? 1 : 0));
        const copy = mask.slice();
        expect(Array.from(fillHoles(mask, shape as Vec3))).toEqual(Array.from(reference(mask, shape as Vec3)));
        expect(mask).toEqual(copy); // the input is left alone
      }),
      { numRuns: 200 },
    );
  });
});
