/**
 * Separable resampling of channel-first volumes as nnU-Net does it with skimage.transform.resize
 * (mode 'edge', no anti-aliasing, output clipped to the input's range): each axis is resampled on
 * its own with its own interpolation order (0 nearest, 1 linear, 3 cubic B-spline), which is exactly
 * tensor-product interpolation and also gives nnU-Net's separate handling of an anisotropic axis
 * (in-plane first, slice by slice, then nearest along the coarse axis).
 *
 * Coordinates are pixel-centre aligned: output voxel i samples input position
 * (i + 0.5) * n_in / n_out - 0.5. The cubic spline sees the line extended by its edge values, as
 * scipy's zoom does for mode 'nearest' (it pads 12 edge samples before the prefilter).
 *
 * Memory: the common case (the coarse axis, if any, first) goes slice by slice, so a call holds its
 * input, its output and at most one intermediate of the in-plane-resampled size, never a float64 copy.
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

/** Edge samples added on each side before the cubic prefilter (scipy's count for mode 'nearest'). */
const EDGE_PAD = 12;
let padded = new Float64Array(0);

/** Input position of output sample i (pixel centres aligned). */
const sourcePosition = (i: number, n: number, m: number): number => (i + 0.5) * (n / m) - 0.5;

/** The input index nearest to output sample i (order 0; halves round up, as scipy's floor(x + 0.5)). */
export function nearestSource(i: number, n: number, m: number): number {
  return Math.min(n - 1, Math.max(0, Math.floor(sourcePosition(i, n, m) + 0.5)));
}

/** Resample one line of samples to `out.length` points. `line` is left unchanged. */
export function resampleLine(line: Float64Array, out: Float64Array, order: InterpolationOrder): void {
  const n = line.length;
  const m = out.length;
  if (order === 0) {
    for (let i = 0; i < m; i++) out[i] = line[nearestSource(i, n, m)]!;
    return;
  }
  if (order === 1) {
    for (let i = 0; i < m; i++) {
      const x = Math.min(Math.max(sourcePosition(i, n, m), 0), n - 1);
      const lo = Math.floor(x);
      const hi = Math.min(lo + 1, n - 1);
      const t = x - lo;
      out[i] = line[lo]! * (1 - t) + line[hi]! * t;
    }
    return;
  }
  const len = n + 2 * EDGE_PAD;
  if (padded.length < len) padded = new Float64Array(len);
  const c = padded.subarray(0, len);
  c.fill(line[0]!, 0, EDGE_PAD);
  c.set(line, EDGE_PAD);
  c.fill(line[n - 1]!, EDGE_PAD + n);
  bsplinePrefilter(c);
  for (let i = 0; i < m; i++) {
    const x = sourcePosition(i, n, m) + EDGE_PAD;
    const k = Math.floor(x);
    const t = x - k;
    const t2 = t * t;
    const t3 = t2 * t;
    out[i] = ((1 - t) ** 3 / 6) * c[k - 1]! + ((4 - 6 * t2 + 3 * t3) / 6) * c[k]! + ((1 + 3 * t + 3 * t2 - 3 * t3) / 6) * c[k + 1]! + (t3 / 6) * c[k + 2]!;
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

/** Resample the last two axes of a [rows, cols] slice; `data` itself when nothing changes. */
function resampleSlice(data: Float32Array, shape: [number, number], newShape: [number, number], order: InterpolationOrder): Float32Array {
  let current = data;
  if (shape[0] !== newShape[0]) current = resampleAxis(current, 1, [1, shape[0], shape[1]], 1, newShape[0], order);
  if (shape[1] !== newShape[1]) current = resampleAxis(current, 1, [1, newShape[0], shape[1]], 2, newShape[1], order);
  return current;
}

function clipTo(values: Float32Array, range: [number, number]): void {
  for (let i = 0; i < values.length; i++) values[i] = Math.min(range[1], Math.max(range[0], values[i]!));
}

function rangeOf(values: Float32Array): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

/**
 * Resample a [C, ...shape] volume to `newShape` with a per-axis interpolation order. Like skimage's
 * resize (clip=True), results of order > 0 stay within the input's range: per slice along a
 * nearest-neighbour axis (nnU-Net resizes those slices one by one), else per channel.
 */
export function resampleVolume(data: Float32Array, channels: number, shape: Vec3, newShape: Vec3, orders: readonly InterpolationOrder[]): Float32Array {
  if (shape.every((s, a) => s === newShape[a])) return data.slice();
  if (orders[1] !== orders[2]) return resampleAxisByAxis(data, channels, shape, newShape, orders);
  const [n0, n1, n2] = shape;
  const [m0, m1, m2] = newShape;
  const inPlane = orders[1]!;
  const nIn = n1 * n2;
  const nOut = m1 * m2;
  const out = new Float32Array(channels * m0 * nOut);
  const sliceOf = (c: number, t: number): Float32Array => {
    const slice = data.subarray((c * n0 + t) * nIn, (c * n0 + t + 1) * nIn);
    const r = resampleSlice(slice, [n1, n2], [m1, m2], inPlane);
    return r === slice ? slice.slice() : r;
  };
  if (orders[0] === 0) {
    // The coarse axis by nearest neighbour: each output slice is one input slice resampled in-plane.
    for (let c = 0; c < channels; c++) {
      let last = -1;
      for (let t = 0; t < m0; t++) {
        const src = n0 === m0 ? t : nearestSource(t, n0, m0);
        const at = (c * m0 + t) * nOut;
        if (src === last) {
          out.copyWithin(at, at - nOut, at);
          continue;
        }
        const r = sliceOf(c, src);
        if (inPlane > 0) clipTo(r, rangeOf(data.subarray((c * n0 + src) * nIn, (c * n0 + src + 1) * nIn)));
        out.set(r, at);
        last = src;
      }
    }
    return out;
  }
  // In-plane slice by slice, then along axis 0 (into `out` directly when axis 0 keeps its size).
  const mid = n0 === m0 ? out : n1 === m1 && n2 === m2 ? data : new Float32Array(channels * n0 * nOut);
  if (mid !== data) for (let c = 0; c < channels; c++) for (let t = 0; t < n0; t++) mid.set(sliceOf(c, t), (c * n0 + t) * nOut);
  const result = mid === out ? out : resampleAxis(mid, channels, [n0, m1, m2], 0, m0, orders[0]!);
  if (orders.some((o) => o > 0)) for (let c = 0; c < channels; c++) clipTo(result.subarray(c * m0 * nOut, (c + 1) * m0 * nOut), rangeOf(data.subarray(c * n0 * nIn, (c + 1) * n0 * nIn)));
  return result;
}

/** The general path (a nearest-neighbour axis other than the first): one axis after another. */
function resampleAxisByAxis(data: Float32Array, channels: number, shape: Vec3, newShape: Vec3, orders: readonly InterpolationOrder[]): Float32Array {
  let current = data;
  const cur = [...shape] as Vec3;
  for (let axis = 0; axis < 3; axis++) {
    if (cur[axis] === newShape[axis]) continue;
    current = resampleAxis(current, channels, cur, axis, newShape[axis]!, orders[axis]!);
    cur[axis] = newShape[axis]!;
  }
  const separate = orders.indexOf(0);
  if (separate >= 0 && orders.some((o) => o > 0)) {
    // Clip each output slice along the nearest-neighbour axis to its source slice's range.
    const [n0, n1, n2] = shape;
    const [m0, m1, m2] = newShape;
    for (let c = 0; c < channels; c++) {
      for (let t = 0; t < newShape[separate]!; t++) {
        const src = nearestSource(t, shape[separate]!, newShape[separate]!);
        let lo = Infinity;
        let hi = -Infinity;
        forSlice([n0, n1, n2], separate, src, (i) => {
          const v = data[c * n0 * n1 * n2 + i]!;
          lo = Math.min(lo, v);
          hi = Math.max(hi, v);
        });
        forSlice([m0, m1, m2], separate, t, (i) => {
          const j = c * m0 * m1 * m2 + i;
          current[j] = Math.min(hi, Math.max(lo, current[j]!));
        });
      }
    }
  }
  return current;
}

/** Calls `f` with the flat index of every voxel of slice `t` along `axis`. */
function forSlice(shape: Vec3, axis: number, t: number, f: (i: number) => void): void {
  const [n0, n1, n2] = shape;
  for (let a = 0; a < n0; a++)
    for (let b = 0; b < n1; b++)
      for (let d = 0; d < n2; d++) {
        const at = [a, b, d][axis]!;
        if (at === t) f((a * n1 + b) * n2 + d);
      }
}

/**
 * Labels: each class's mask is resampled (linear, or nearest on a separately handled axis) and
 * voxels >= 0.5 take that class; later classes win ties, as in nnU-Net. Slice by slice along axis 0
 * (a nearest axis picks one input slice, a linear one blends two), so memory stays at the output
 * and a few slices.
 */
export function resampleLabels(label: Int16Array, shape: Vec3, newShape: Vec3, orders: readonly InterpolationOrder[]): Int16Array {
  if (shape.every((s, a) => s === newShape[a])) return label.slice();
  const classes = [...new Set(label)].sort((a, b) => a - b);
  const out = new Int16Array(voxelCount(newShape));
  if (orders[1] !== orders[2] || orders[0] === 3) {
    const mask = new Float32Array(label.length);
    for (const c of classes) {
      for (let i = 0; i < label.length; i++) mask[i] = label[i] === c ? 1 : 0;
      const r = resampleVolume(mask, 1, shape, newShape, orders);
      for (let i = 0; i < r.length; i++) if (r[i]! >= 0.5) out[i] = c;
    }
    return out;
  }
  const [n0, n1, n2] = shape;
  const [m0, m1, m2] = newShape;
  const nIn = n1 * n2;
  const nOut = m1 * m2;
  if (orders[0] === 0 && n1 === m1 && n2 === m2) {
    // Only the coarse axis changes, by nearest neighbour: whole slices are copied.
    for (let t = 0; t < m0; t++) out.set(label.subarray(nearestSource(t, n0, m0) * nIn, (nearestSource(t, n0, m0) + 1) * nIn), t * nOut);
    return out;
  }
  const mask = new Float32Array(nIn);
  // In-plane resampled one-hot masks of the most recent input slices, per class.
  const cache = new Map<number, Float32Array[]>();
  const planeMasks = (t: number): Float32Array[] => {
    let r = cache.get(t);
    if (!r) {
      const slice = label.subarray(t * nIn, (t + 1) * nIn);
      r = classes.map((c) => {
        for (let i = 0; i < nIn; i++) mask[i] = slice[i] === c ? 1 : 0;
        const m = resampleSlice(mask, [n1, n2], [m1, m2], orders[1]!);
        return m === mask ? mask.slice() : m;
      });
      if (cache.size >= 2) cache.delete(cache.keys().next().value!);
      cache.set(t, r);
    }
    return r;
  };
  const blended = new Float32Array(nOut);
  for (let t = 0; t < m0; t++) {
    const target = out.subarray(t * nOut, (t + 1) * nOut);
    let weightHi = 0;
    let lo: number;
    let hi: number;
    if (n0 === m0) lo = hi = t;
    else if (orders[0] === 0) lo = hi = nearestSource(t, n0, m0);
    else {
      const x = Math.min(Math.max(sourcePosition(t, n0, m0), 0), n0 - 1);
      lo = Math.floor(x);
      hi = Math.min(lo + 1, n0 - 1);
      weightHi = x - lo;
    }
    const a = planeMasks(lo);
    const b = hi === lo ? a : planeMasks(hi);
    classes.forEach((c, k) => {
      const ma = a[k]!;
      const mb = b[k]!;
      for (let i = 0; i < nOut; i++) blended[i] = ma[i]! * (1 - weightHi) + mb[i]! * weightHi;
      for (let i = 0; i < nOut; i++) if (blended[i]! >= 0.5) target[i] = c;
    });
  }
  return out;
}

/**
 * Which axes get which order, by nnU-Net's rule: when the case's own spacing is anisotropic
 * (max / min > threshold), its coarsest axis, if there is exactly one, is resampled separately by
 * nearest neighbour; otherwise the same test on the target spacing. Two equally coarse axes: none.
 */
export function axisOrders(spacing: Vec3, target: Vec3, inPlaneOrder: InterpolationOrder, threshold = 3): InterpolationOrder[] {
  const anisotropic = (s: Vec3): boolean => Math.max(...s) / Math.min(...s) > threshold;
  const lowres = (s: Vec3): number | undefined => {
    const axes = [0, 1, 2].filter((a) => s[a] === Math.max(...s));
    return axes.length === 1 ? axes[0] : undefined;
  };
  const axis = anisotropic(spacing) ? lowres(spacing) : anisotropic(target) ? lowres(target) : undefined;
  return [0, 1, 2].map((a) => (a === axis ? 0 : inPlaneOrder));
}
