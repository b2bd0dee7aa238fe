/**
 * A preprocessed CT-sized case made in memory for the CT-scale benches (deterministic from a
 * seed): a body ellipse in every slice, two organ ellipsoids (label 1) and a small lesion (label 2),
 * intensities already normalised (air about -2.5, soft tissue about 0, organs brighter) with noise.
 * Stands in for the dataset generator of issue 16 (src/data/synthetic-dataset.ts, branch ctdata)
 * until that lands; then these benches can preprocess `generateDataset(...)` output instead.
 */
import { identityGeometry } from '../src/data/nifti-types.js';
import type { Vec3 } from '../src/data/plan-types.js';
import { sampleClassLocations, type PreprocessedCase } from '../src/data/preprocess.js';
import { Rng } from '../src/util/rng.js';

export function ctCase(shape: Vec3 = [400, 512, 512], seed = 1, channels = 1): PreprocessedCase {
  const [sz, sy, sx] = shape;
  const n = sz * sy * sx;
  const rng = Rng.seeded(seed);
  const image = new Float32Array(channels * n);
  const label = new Int16Array(n);
  const blob = () => ({ c: [sz * (0.3 + 0.4 * rng.float()), sy * (0.35 + 0.3 * rng.float()), sx * (0.3 + 0.4 * rng.float())], r: [sz * 0.15, sy * 0.12, sx * 0.1] });
  const organs = [blob(), blob()];
  const lesion = { c: organs[0]!.c, r: [sz * 0.02 + 2, sy * 0.02 + 2, sx * 0.02 + 2] };
  const inside = (b: { c: number[]; r: number[] }, z: number, y: number, x: number) =>
    ((z - b.c[0]!) / b.r[0]!) ** 2 + ((y - b.c[1]!) / b.r[1]!) ** 2 + ((x - b.c[2]!) / b.r[2]!) ** 2 <= 1;
  // Cheap per-voxel noise: a linear congruential stream (the Rng per voxel would dominate the set-up).
  let state = (seed * 2654435761) >>> 0;
  const noise = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 4294967296 - 0.5;
  };
  let i = 0;
  for (let z = 0; z < sz; z++)
    for (let y = 0; y < sy; y++)
      for (let x = 0; x < sx; x++, i++) {
        const body = ((y - sy / 2) / (0.42 * sy)) ** 2 + ((x - sx / 2) / (0.47 * sx)) ** 2 <= 1;
        let v = -2.5;
        if (body) {
          v = 0.2 * noise();
          if (inside(organs[0]!, z, y, x) || inside(organs[1]!, z, y, x)) {
            label[i] = 1;
            v += 1;
          }
          if (inside(lesion, z, y, x)) {
            label[i] = 2;
            v += 0.8;
          }
        }
        for (let ch = 0; ch < channels; ch++) image[ch * n + i] = v + 0.1 * ch;
      }
  return {
    id: `ct_${seed}`,
    channels,
    shape,
    image,
    label,
    classLocations: sampleClassLocations(label, [1, 2], rng),
    properties: { originalShape: shape, originalSpacing: [2.5, 0.75, 0.75], box: { lo: [0, 0, 0], hi: shape }, shapeBeforeResampling: shape, geometry: identityGeometry([0.75, 0.75, 2.5]) },
  };
}
