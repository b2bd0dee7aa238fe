/**
 * Segmentation metrics: overlap metrics by hand and nnU-Net's NaN rule; surface distances (HD95,
 * NSD) and the distance transform against O(n^2) brute force on small volumes (fast-check), and
 * against scipy's distance_transform_edt in one test.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { evaluateFolders } from '../../src/data/evaluate.js';
import { classMetrics, summarizeMetric } from '../../src/data/metrics.js';
import { writeNifti } from '../../src/data/nifti.js';
import { identityGeometry } from '../../src/data/nifti-types.js';
import type { Vec3 } from '../../src/data/plan-types.js';
import { percentile } from '../../src/data/stats.js';
import { hd95, nsd, squaredDistanceTransform, surfaceDistances } from '../../src/data/surface.js';
import { summaryCsv } from '../../src/cli/commands/evaluate.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from './helpers.js';

const coords = (i: number, [, Y, Z]: Vec3): Vec3 => [Math.floor(i / (Y * Z)), Math.floor(i / Z) % Y, i % Z];

/** Surface voxels by brute force: in the mask with a face neighbour outside it or outside the volume. */
function bruteSurface(mask: ArrayLike<number>, shape: Vec3): Vec3[] {
  const out: Vec3[] = [];
  for (let i = 0; i < mask.length; i++) {
    if (!mask[i]) continue;
    const c = coords(i, shape);
    const outside = [[1, 0, 0], [-1, 0, 0], [0, 1, 0], [0, -1, 0], [0, 0, 1], [0, 0, -1]].some((d) => {
      const n = c.map((x, a) => x + d[a]!);
      if (n.some((x, a) => x < 0 || x >= shape[a]!)) return true;
      return !mask[(n[0]! * shape[1] + n[1]!) * shape[2] + n[2]!];
    });
    if (outside) out.push(c);
  }
  return out;
}
const dist = (p: Vec3, q: Vec3, s: Vec3) => Math.hypot((p[0] - q[0]) * s[0], (p[1] - q[1]) * s[1], (p[2] - q[2]) * s[2]);
/** O(n^2) directed distances from every surface voxel of A to the nearest of B. */
const bruteDirected = (a: Vec3[], b: Vec3[], s: Vec3) => Float64Array.from(a, (p) => Math.min(...b.map((q) => dist(p, q, s))));

const volume = fc
  .tuple(fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 6 }))
  .chain((shape) => {
    const n = shape[0] * shape[1] * shape[2];
    const mask = fc.array(fc.integer({ min: 0, max: 9 }).map((x) => (x < 4 ? 1 : 0)), { minLength: n, maxLength: n });
    return fc.record({ shape: fc.constant(shape as Vec3), a: mask, b: mask });
  });
const spacing = fc.tuple(fc.constantFrom(0.5, 1, 1.5, 3), fc.constantFrom(0.7, 1, 2), fc.constantFrom(1, 1.25, 5)) as fc.Arbitrary<Vec3>;

describe('overlap metrics', () => {
  it('hand-computed case with anisotropic voxels (2 mm^3)', () => {
    // pred 1 1 1 0 0 ; ref 1 0 0 1 0: tp 1 fp 2 fn 1
    const m = classMetrics([1, 1, 1, 0, 0], [1, 0, 0, 1, 0], 1, { shape: [5, 1, 1], spacing: [2, 1, 1], tolerance: 2 });
    expect(m).toMatchObject({ dice: 2 / 5, iou: 1 / 4, precision: 1 / 3, recall: 1 / 2, tp: 1, fp: 2, fn: 1 });
    expect(m.volumeDifference).toBeCloseTo(((3 - 2) * 2) / 1000, 12);
    // Surfaces: pred voxels 0..2 (all surface in a 1-voxel-thick volume), ref 0 and 3; 2 mm per voxel.
    // pred->ref: 0, 2, 2; ref->pred: 0, 2 -> HD95 = max(p95([0,2,2]), p95([0,2])) = 2; NSD at 2 mm = 1.
    expect(m.hd95).toBeCloseTo(2, 12);
    expect(m.nsd).toBe(1);
  });
  it("nnU-Net's NaN rule: a class in neither is NaN everywhere; in only one: Dice 0, HD95 infinite, NSD 0", () => {
    const g = { shape: [4, 1, 1] as Vec3, spacing: [1, 1, 1] as Vec3, tolerance: 1 };
    const none = classMetrics([0, 0, 0, 0], [0, 0, 0, 0], 1, g);
    for (const k of ['dice', 'iou', 'precision', 'recall', 'hd95', 'nsd'] as const) expect(none[k], k).toBeNaN();
    expect(none.volumeDifference).toBe(0);
    const missed = classMetrics([0, 0, 0, 0], [0, 1, 1, 0], 1, g);
    expect(missed).toMatchObject({ dice: 0, iou: 0, recall: 0, hd95: Infinity, nsd: 0 });
    expect(missed.precision).toBeNaN();
    const spurious = classMetrics([1, 0, 0, 0], [0, 0, 0, 0], 1, g);
    expect(spurious).toMatchObject({ dice: 0, precision: 0, hd95: Infinity, nsd: 0 });
    expect(spurious.recall).toBeNaN();
  });
  it('summaries skip NaN; numpy-style median and population std', () => {
    expect(summarizeMetric([1, NaN, 3, 2, 6])).toEqual({ mean: 3, median: 2.5, std: Math.sqrt(3.5), n: 4 });
    expect(summarizeMetric([NaN]).n).toBe(0);
    expect(summarizeMetric([1, Infinity])).toMatchObject({ mean: Infinity, std: Infinity });
  });
});

describe('surface distances', () => {
  it('the distance transform equals brute force over every voxel (random features, anisotropic spacing)', () => {
    fc.assert(
      fc.property(volume, spacing, ({ shape, a }, s) => {
        const features = Uint8Array.from(a);
        const d2 = squaredDistanceTransform(features, shape, s);
        const fs = [...features.keys()].filter((i) => features[i]).map((i) => coords(i, shape));
        for (let i = 0; i < d2.length; i++) {
          const want = fs.length ? Math.min(...fs.map((f) => dist(coords(i, shape), f, s) ** 2)) : Infinity;
          if (want === Infinity) expect(d2[i]).toBe(Infinity);
          else expect(d2[i]).toBeCloseTo(want, 9);
        }
      }),
      { numRuns: 150 },
    );
  });
  it('HD95 and NSD equal brute force; laws: symmetric, 0 / 1 on identical masks, NSD grows with the tolerance', () => {
    fc.assert(
      fc.property(volume, spacing, fc.double({ min: 0, max: 6, noNaN: true }), ({ shape, a, b }, s, tol) => {
        const d = surfaceDistances(a, b, shape, s);
        const sa = bruteSurface(a, shape);
        const sb = bruteSurface(b, shape);
        if (sa.length && sb.length) {
          const ab = bruteDirected(sa, sb, s);
          const ba = bruteDirected(sb, sa, s);
          const sorted = (x: Float64Array) => [...x].sort((p, q) => p - q);
          for (const [ours, brute] of [[d.aToB, ab], [d.bToA, ba]] as const) {
            expect(ours).toHaveLength(brute.length);
            sorted(ours).forEach((x, i) => expect(x).toBeCloseTo(sorted(brute)[i]!, 9));
          }
          expect(hd95(d)).toBeCloseTo(Math.max(percentile(ab, 95), percentile(ba, 95)), 9);
          const within = [...ab, ...ba].filter((x) => x <= tol + 1e-12).length;
          expect(nsd(d, tol)).toBeCloseTo(within / (ab.length + ba.length), 12);
        }
        const r = surfaceDistances(b, a, shape, s);
        expect(Object.is(hd95(r), hd95(d))).toBe(true);
        expect(Object.is(nsd(r, tol), nsd(d, tol))).toBe(true);
        const self = surfaceDistances(a, a, shape, s);
        if (sa.length) {
          expect(hd95(self)).toBe(0);
          expect(nsd(self, 0)).toBe(1);
        }
        if (!Number.isNaN(nsd(d, tol))) expect(nsd(d, tol + 1)).toBeGreaterThanOrEqual(nsd(d, tol));
      }),
      { numRuns: 150 },
    );
  });

  const python = spawnSync('python3', ['-c', 'import scipy.ndimage, numpy'], { encoding: 'utf8' });
  const noScipy = python.status !== 0;
  if (noScipy) console.warn('skipping the scipy check: python3 with scipy is missing (apt-get install python3-scipy)');
  it.skipIf(noScipy)("HD95 and NSD agree with scipy's distance_transform_edt on a 20x24x18 anisotropic volume", () => {
    const shape: Vec3 = [20, 24, 18];
    const s: Vec3 = [2.5, 0.8, 1.1];
    const n = shape[0] * shape[1] * shape[2];
    // Two overlapping ellipsoids.
    const mask = (cx: number, cy: number, cz: number, r: number) =>
      Uint8Array.from({ length: n }, (_, i) => {
        const [x, y, z] = coords(i, shape);
        return ((x - cx) * s[0]) ** 2 + ((y - cy) * s[1]) ** 2 + ((z - cz) * s[2]) ** 2 <= r * r ? 1 : 0;
      });
    const a = mask(9, 11, 8, 12);
    const b = mask(11, 12, 9, 10);
    const d = surfaceDistances(a, b, shape, s);
    const dir = tempDir();
    writeFileSync(join(dir, 'in.json'), JSON.stringify({ shape, s, a: [...a], b: [...b] }));
    const script = `
import json, sys, numpy as np
from scipy.ndimage import binary_erosion, distance_transform_edt, generate_binary_structure
d = json.load(open(sys.argv[1]))
shape, s = d['shape'], d['s']
a = np.array(d['a'], bool).reshape(shape); b = np.array(d['b'], bool).reshape(shape)
st = generate_binary_structure(3, 1)
ea = a ^ binary_erosion(a, st, border_value=0); eb = b ^ binary_erosion(b, st, border_value=0)
ab = distance_transform_edt(~eb, sampling=s)[ea]; ba = distance_transform_edt(~ea, sampling=s)[eb]
hd = max(np.percentile(ab, 95), np.percentile(ba, 95))
out = {'hd95': hd, 'nsd': {str(t): float(((ab <= t).sum() + (ba <= t).sum()) / (len(ab) + len(ba))) for t in [0.5, 1, 2, 4]}, 'n': [int(ea.sum()), int(eb.sum())]}
print(json.dumps(out))`;
    const run = spawnSync('python3', ['-c', script, join(dir, 'in.json')], { encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    const ref = JSON.parse(run.stdout);
    expect([d.aToB.length, d.bToA.length]).toEqual(ref.n);
    expect(hd95(d)).toBeCloseTo(ref.hd95, 9);
    for (const t of [0.5, 1, 2, 4]) expect([t, nsd(d, t)]).toEqual([t, ref.nsd[String(t)]]);
  });
});

describe('hnas evaluate with distances', () => {
  it('reads the spacing from the reference NIfTI; --tolerance, --csv and --json', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'p'));
    mkdirSync(join(dir, 'g'));
    // NIfTI i fastest: 4 voxels along i at 2 mm.
    const g = identityGeometry([2, 1, 1]);
    writeNifti(join(dir, 'g', 'a.nii.gz'), [1, 0, 0, 1], [4, 1, 1], g, { datatype: 'uint8' });
    writeNifti(join(dir, 'p', 'a.nii.gz'), [1, 1, 1, 0], [4, 1, 1], g, { datatype: 'uint8' });
    const summary = evaluateFolders(join(dir, 'p'), join(dir, 'g'), { tolerance: 1 });
    const m = summary.cases[0]!.perClass[1]!;
    // pred {0,1,2} -> ref {0,3}: 0, 2, 2 mm; ref -> pred: 0, 2 mm. HD95 = 2; NSD at 1 mm = 2/5.
    expect(m.hd95).toBeCloseTo(2, 12);
    expect(m.nsd).toBeCloseTo(2 / 5, 12);
    expect(m.volumeDifference).toBeCloseTo(0.002, 12);
    expect(summary.stats.hd95![1]!.mean).toBeCloseTo(2, 12);
    const csv = join(dir, 's.csv');
    const r = await runCli('evaluate', join(dir, 'p'), join(dir, 'g'), '--tolerance', '2', '--csv', csv, '--json');
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out).cases[0].perClass['1'].nsd).toBe(1);
    const lines = readFileSync(csv, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('case,class,dice,iou,precision,recall,volume_difference_ml,hd95_mm,nsd,tp,fp,fn,n_pred,n_ref');
    expect(lines[1]).toBe('a,1,0.4,0.25,0.333333,0.5,0.002,2,1,1,2,1,3,2');
    expect(lines.slice(2).map((l) => l.split(',')[0])).toEqual(['mean', 'median', 'std']);
    expect(summaryCsv(summary)).toMatch(/^a,1,.*,0\.4,1,2,1,3,2$/m);
    expect((await runCli('evaluate', join(dir, 'p'), join(dir, 'g'), '--tolerance', '-1')).code).toBe(2);
  });
});
