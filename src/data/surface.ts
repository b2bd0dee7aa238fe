/**
 * Surface distances between two binary masks on a voxel grid with spacing: the 95th-percentile
 * Hausdorff distance and the normalised surface distance (surface Dice at a tolerance), as MONAI
 * defines them. A surface voxel is a mask voxel with a 6-neighbour outside the mask (the volume's
 * border counts as outside). Distances from one surface to the other come from an exact Euclidean
 * distance transform (separable lower envelopes, Felzenszwalb & Huttenlocher), computed only over the
 * bounding box of both surfaces, which keeps it exact and small.
 *
 * Example:
 *   const d = surfaceDistances(pred, ref, [40, 56, 40], [1, 1, 1]);
 *   hd95(d); nsd(d, 1)
 */
import type { Vec3 } from './plan-types.js';
import { percentile } from './stats.js';

/** Distances (mm) from each surface voxel of A to B's surface, and of B to A's. */
export interface SurfaceDistances {
  readonly aToB: Float64Array;
  readonly bToA: Float64Array;
}

/** Surface voxels of a mask (flat indices, row-major over `shape`). */
export function surfaceVoxels(mask: ArrayLike<boolean | number>, shape: Vec3): number[] {
  const [X, Y, Z] = shape;
  const out: number[] = [];
  const at = (x: number, y: number, z: number) => x >= 0 && y >= 0 && z >= 0 && x < X && y < Y && z < Z && !!mask[(x * Y + y) * Z + z];
  for (let x = 0; x < X; x++) {
    for (let y = 0; y < Y; y++) {
      for (let z = 0; z < Z; z++) {
        const i = (x * Y + y) * Z + z;
        if (!mask[i]) continue;
        if (!at(x - 1, y, z) || !at(x + 1, y, z) || !at(x, y - 1, z) || !at(x, y + 1, z) || !at(x, y, z - 1) || !at(x, y, z + 1)) out.push(i);
      }
    }
  }
  return out;
}

/**
 * Squared distance transform of one line in place: f[i] (Infinity = no feature) becomes
 * min_j (step * (i - j))^2 + f[j]. v, z, tmp: scratch of length >= n (+1 for z).
 */
function transformLine(f: Float64Array, n: number, step: number, v: Int32Array, z: Float64Array, tmp: Float64Array): void {
  let k = -1;
  for (let q = 0; q < n; q++) {
    if (f[q] === Infinity) continue;
    const xq = q * step;
    const fq = f[q]! + xq * xq;
    let s = -Infinity;
    while (k >= 0) {
      const xv = v[k]! * step;
      s = (fq - (f[v[k]!]! + xv * xv)) / (2 * (xq - xv));
      if (s > z[k]!) break;
      k--;
    }
    k++;
    v[k] = q;
    z[k] = k === 0 ? -Infinity : s;
    z[k + 1] = Infinity;
  }
  if (k < 0) return; // no feature on this line: stays Infinity
  let j = 0;
  for (let p = 0; p < n; p++) {
    const xp = p * step;
    while (z[j + 1]! < xp) j++;
    // (index difference) x step, as scipy forms it, so that distances on the tolerance tie exactly.
    const d = (p - v[j]!) * step;
    tmp[p] = d * d + f[v[j]!]!;
  }
  for (let p = 0; p < n; p++) f[p] = tmp[p]!;
}

/** Exact squared Euclidean distance (mm^2) of every voxel of a box to the nearest feature voxel. */
export function squaredDistanceTransform(features: Uint8Array, shape: Vec3, spacing: Vec3): Float64Array {
  const [X, Y, Z] = shape;
  const d = new Float64Array(X * Y * Z);
  for (let i = 0; i < d.length; i++) d[i] = features[i] ? 0 : Infinity;
  const n = Math.max(X, Y, Z);
  const line = new Float64Array(n);
  const v = new Int32Array(n);
  const zs = new Float64Array(n + 1);
  const tmp = new Float64Array(n);
  const strides = [Y * Z, Z, 1];
  for (let axis = 0; axis < 3; axis++) {
    const len = shape[axis]!;
    const stride = strides[axis]!;
    const [o1, o2] = [0, 1, 2].filter((a) => a !== axis) as [number, number];
    for (let a = 0; a < shape[o1]!; a++) {
      for (let b = 0; b < shape[o2]!; b++) {
        const base = a * strides[o1]! + b * strides[o2]!;
        for (let i = 0; i < len; i++) line[i] = d[base + i * stride]!;
        transformLine(line, len, spacing[axis]!, v, zs, tmp);
        for (let i = 0; i < len; i++) d[base + i * stride] = line[i]!;
      }
    }
  }
  return d;
}

/** Directed and reverse surface distances between masks A and B; empty arrays for an empty mask. */
export function surfaceDistances(a: ArrayLike<boolean | number>, b: ArrayLike<boolean | number>, shape: Vec3, spacing: Vec3): SurfaceDistances {
  const sa = surfaceVoxels(a, shape);
  const sb = surfaceVoxels(b, shape);
  if (sa.length === 0 || sb.length === 0) return { aToB: new Float64Array(sa.length).fill(Infinity), bToA: new Float64Array(sb.length).fill(Infinity) };
  const [, Y, Z] = shape;
  const coords = (i: number): Vec3 => [Math.floor(i / (Y * Z)), Math.floor(i / Z) % Y, i % Z];
  // Bounding box of both surfaces: features and queries all lie inside, so the transform is exact there.
  const lo: Vec3 = [Infinity, Infinity, Infinity];
  const hi: Vec3 = [-Infinity, -Infinity, -Infinity];
  for (const i of [...sa, ...sb]) {
    const c = coords(i);
    for (let ax = 0; ax < 3; ax++) {
      lo[ax] = Math.min(lo[ax]!, c[ax]!);
      hi[ax] = Math.max(hi[ax]!, c[ax]!);
    }
  }
  const box = [0, 1, 2].map((ax) => hi[ax]! - lo[ax]! + 1) as Vec3;
  const local = (i: number): number => {
    const c = coords(i);
    return ((c[0] - lo[0]) * box[1] + (c[1] - lo[1])) * box[2] + (c[2] - lo[2]);
  };
  const directed = (from: number[], to: number[]): Float64Array => {
    const features = new Uint8Array(box[0] * box[1] * box[2]);
    for (const i of to) features[local(i)] = 1;
    const d2 = squaredDistanceTransform(features, box, spacing);
    return Float64Array.from(from, (i) => Math.sqrt(d2[local(i)]!));
  };
  return { aToB: directed(sa, sb), bToA: directed(sb, sa) };
}

/**
 * 95th-percentile Hausdorff distance: the larger of the two directed 95th percentiles (MONAI's
 * definition). NaN when both masks are empty; Infinity when only one is.
 */
export function hd95(d: SurfaceDistances): number {
  if (d.aToB.length === 0 && d.bToA.length === 0) return NaN;
  if (d.aToB.length === 0 || d.bToA.length === 0) return Infinity;
  return Math.max(percentile(d.aToB, 95), percentile(d.bToA, 95));
}

/**
 * Normalised surface distance (surface Dice) at `tolerance` mm: the fraction of both surfaces'
 * voxels within the tolerance of the other surface. NaN when both masks are empty; 0 when only one is.
 */
export function nsd(d: SurfaceDistances, tolerance: number): number {
  const total = d.aToB.length + d.bToA.length;
  if (total === 0) return NaN;
  let within = 0;
  for (const x of d.aToB) if (x <= tolerance) within++;
  for (const x of d.bToA) if (x <= tolerance) within++;
  return within / total;
}
