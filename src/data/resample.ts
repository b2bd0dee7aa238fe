/**
 * Separable resampling of channel-first volumes. Each axis is resampled on its own
 * with its own interpolation order (0 nearest, 1 linear, 3 cubic B-spline), which is
 * exactly tensor-product interpolation and also gives nnU-Net's separate handling of
 * an anisotropic axis (cubic in-plane, nearest along the coarse axis).
 *
 * Coordinates are pixel-centre aligned: output voxel i samples input position
 * (i + 0.5) * n_in / n_out - 0.5, clamped to the volume (edge mode).
 */
import type { Vec3 } from './plan-types.js';
import { voxelCount } from './crop.js';

export type InterpolationOrder = 0 | 1 | 3;

const POLE = Math.sqrt(3) - 2; // cubic B-spline prefilter pole

/** In place: turn samples into cubic B-spline coefficients (mirror boundary). */
export function bsplinePrefilter(c: Float64Array): void {
  const n = c.length;
  if (n < 2) return;
  const z = POLE;
  for (let k = 0; k < n; k++) c[k]! *= 6; // gain (1 - z)(1 - 1/z)
  c[0] = initialCausal(c, z);
  for (let k = 1; k < n; k++) c[k] = c[k]! + z * c[k - 1]!;
  c[n - 1] = (z / (z * z - 1)) * (z * c[n - 2]! + c[n - 1]!);
  for (let k = n - 2; k >= 0; k--) c[k] = z * (c[k + 1]! - c[k]!);
}

function initialCausal(c: Float64Array, z: number): number {
  const n = c.length;
  const horizon = Math.ceil(Math.log(1e-12) / Math.log(Math.abs(z)));
  if (horizon < n) {
    let zn = z;
    let sum = c[0]!;
    for (let k = 1; k < horizon; k++) {
      sum += zn * c[k]!;
      zn *= z;
    }
    return sum;
  }
  // Exact mirror-symmetric initialisation for short lines.
  let zn = z;
  const iz = 1 / z;
  let z2n = z ** (n - 1);
  let sum = c[0]! + z2n * c[n - 1]!;
  z2n *= z2n * iz;
  for (let k = 1; k <= n - 2; k++) {
    sum += (zn + z2n) * c[k]!;
    zn *= z;
    z2n *= iz;
  }
  return sum / (1 - zn * zn);
}

const mirror = (k: number, n: number): number => {
  if (n === 1) return 0;
  const period = 2 * (n - 1);
  let m = Math.abs(k) % period;
  if (m >= n) m = period - m;
  return m;
};

/** Resample one line of samples to `out.length` points. `line` is overwritten for order 3. */
export function resampleLine(line: Float64Array, out: Float64Array, order: InterpolationOrder): void {
  const n = line.length;
  const m = out.length;
  const scale = n / m;
  if (order === 3) bsplinePrefilter(line);
  for (let i = 0; i < m; i++) {
    const x = Math.min(Math.max((i + 0.5) * scale - 0.5, 0), n - 1);
    if (order === 0) {
      out[i] = line[Math.min(n - 1, Math.round(x))]!;
    } else if (order === 1) {
      const lo = Math.floor(x);
      const hi = Math.min(lo + 1, n - 1);
      const t = x - lo;
      out[i] = line[lo]! * (1 - t) + line[hi]! * t;
    } else {
      const k = Math.floor(x);
      const t = x - k;
      const t2 = t * t;
      const t3 = t2 * t;
      out[i] =
        ((1 - t) ** 3 / 6) * line[mirror(k - 1, n)]! +
        ((4 - 6 * t2 + 3 * t3) / 6) * line[mirror(k, n)]! +
        ((1 + 3 * t + 3 * t2 - 3 * t3) / 6) * line[mirror(k + 1, n)]! +
        (t3 / 6) * line[mirror(k + 2, n)]!;
    }
  }
}

/** Resample axis `axis` (0..2) of a channel-first [C, ...shape] volume to `size`. */
function resampleAxis(data: Float32Array, channels: number, shape: Vec3, axis: number, size: number, order: InterpolationOrder): Float32Array {
  const n = shape[axis]!;
  const outer = channels * shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const out = new Float32Array(outer * size * inner);
  const line = new Float64Array(n);
  const res = new Float64Array(size);
  for (let o = 0; o < outer; o++) {
    for (let q = 0; q < inner; q++) {
      const base = o * n * inner + q;
      for (let k = 0; k < n; k++) line[k] = data[base + k * inner]!;
      resampleLine(line, res, order);
      const outBase = o * size * inner + q;
      for (let k = 0; k < size; k++) out[outBase + k * inner] = res[k]!;
    }
  }
  return out;
}

/** Resample a [C, ...shape] volume to `newShape` with a per-axis interpolation order. */
export function resampleVolume(data: Float32Array, channels: number, shape: Vec3, newShape: Vec3, orders: readonly InterpolationOrder[]): Float32Array {
  let current = data;
  const cur = [...shape] as Vec3;
  for (let axis = 0; axis < 3; axis++) {
    if (cur[axis] === newShape[axis]) continue; // nnU-Net leaves unchanged axes alone
    current = resampleAxis(current, channels, cur, axis, newShape[axis]!, orders[axis]!);
    cur[axis] = newShape[axis]!;
  }
  return current === data ? data.slice() : current;
}

/**
 * Labels: each class's mask is resampled (linear, or nearest on a separately
 * handled axis) and voxels >= 0.5 take that class; later classes win ties, as in nnU-Net.
 */
export function resampleLabels(label: Int16Array, shape: Vec3, newShape: Vec3, orders: readonly InterpolationOrder[]): Int16Array {
  const out = new Int16Array(voxelCount(newShape));
  if (shape.every((s, a) => s === newShape[a])) return label.slice();
  const classes = [...new Set(label)].sort((a, b) => a - b);
  const mask = new Float32Array(label.length);
  for (const c of classes) {
    for (let i = 0; i < label.length; i++) mask[i] = label[i] === c ? 1 : 0;
    const r = resampleVolume(mask, 1, shape, newShape, orders);
    for (let i = 0; i < r.length; i++) if (r[i]! >= 0.5) out[i] = c;
  }
  return out;
}

/** Which axes get which order: nearest on a lone coarse axis when spacing is anisotropic (> threshold). */
export function axisOrders(spacing: Vec3, target: Vec3, inPlaneOrder: InterpolationOrder, threshold = 3): InterpolationOrder[] {
  const lowres = (s: Vec3): number | undefined => {
    const max = Math.max(...s);
    const axes = [0, 1, 2].filter((a) => s[a] === max);
    return axes.length === 1 && max / Math.min(...s) > threshold ? axes[0] : undefined;
  };
  const axis = lowres(spacing) ?? lowres(target);
  return [0, 1, 2].map((a) => (a === axis ? 0 : inPlaneOrder));
}
