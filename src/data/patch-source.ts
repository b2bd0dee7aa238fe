/**
 * Where training patches come from: a case the sampler reads boxes of, without needing the whole
 * volume in memory. A case file on disk (case-file.ts, positioned reads) and a case already in
 * memory (`memorySource`) give the same voxels for the same box.
 *
 * Example:
 *   const { image, label } = memorySource(pre).readRegion([-8, 0, 100], [128, 128, 128]);
 */
import type { Vec3 } from './plan-types.js';
import type { PreprocessedCase } from './preprocess.js';

/** A box of a case: image [C, ...size], label [...size]. */
export interface Region {
  readonly image: Float32Array;
  readonly label: Int16Array;
}

export interface PatchSource {
  readonly id: string;
  readonly channels: number;
  /** Plan-order shape. */
  readonly shape: Vec3;
  /** Foreground classes with their number of stored voxel locations, ascending by value. */
  readonly classes: readonly { readonly value: number; readonly count: number }[];
  /** Flat voxel index of stored location `index` of class `value`. */
  classLocation(value: number, index: number): number;
  /**
   * The box at `start` (may reach outside the volume) of `size`: outside the volume image 0 and
   * label -1 (what the sampler pads with); inside, label 0 when the case has none.
   */
  readRegion(start: Vec3, size: Vec3): Region;
}

/**
 * A run of voxels of one (channel, z) plane: element (y - y0) * shape[2] + (x - x0) is voxel
 * (z, y, x) for y0 <= y < y1, x0 <= x < x1 (the elements between rows may be anything).
 */
export type PlaneSpan<T> = (channel: number, z: number, y0: number, y1: number, x0: number, x1: number) => T;

/** Assemble a region from plane spans; the one copy loop of every source. */
export function assembleRegion(
  shape: Vec3,
  channels: number,
  start: Vec3,
  size: Vec3,
  imageSpan: PlaneSpan<Float32Array>,
  labelSpan: PlaneSpan<Int16Array> | undefined,
): Region {
  const n = size[0] * size[1] * size[2];
  const image = new Float32Array(channels * n);
  const label = new Int16Array(n).fill(-1);
  const lo = start.map((s) => Math.max(s, 0));
  const hi = start.map((s, a) => Math.min(s + size[a]!, shape[a]!));
  if (lo.some((l, a) => l >= hi[a]!)) return { image, label };
  const [z0, y0, x0] = lo as [number, number, number];
  const [z1, y1, x1] = hi as [number, number, number];
  const run = x1 - x0;
  const sx = shape[2];
  const out = (z: number, y: number): number => ((z - start[0]) * size[1] + (y - start[1])) * size[2] + (x0 - start[2]);
  for (let z = z0; z < z1; z++) {
    for (let ch = 0; ch < channels; ch++) {
      const span = imageSpan(ch, z, y0, y1, x0, x1);
      for (let y = y0; y < y1; y++) image.set(span.subarray((y - y0) * sx, (y - y0) * sx + run), ch * n + out(z, y));
    }
    if (labelSpan) {
      const span = labelSpan(0, z, y0, y1, x0, x1);
      for (let y = y0; y < y1; y++) label.set(span.subarray((y - y0) * sx, (y - y0) * sx + run), out(z, y));
    } else {
      for (let y = y0; y < y1; y++) label.fill(0, out(z, y), out(z, y) + run);
    }
  }
  return { image, label };
}

/** Present foreground classes of a location table, in the order the sampler draws from. */
export function presentClasses(locations: Record<number, Int32Array>): { value: number; count: number }[] {
  return Object.entries(locations)
    .map(([value, locs]) => ({ value: Number(value), count: locs.length }))
    .sort((a, b) => a.value - b.value);
}

/** A case already in memory as a PatchSource. */
export function memorySource(c: PreprocessedCase): PatchSource {
  const [sz, sy, sx] = c.shape;
  const nCase = sz * sy * sx;
  const span =
    <T extends Float32Array | Int16Array>(data: T): PlaneSpan<T> =>
    (ch, z, y0, y1, x0, x1) =>
      data.subarray(ch * nCase + (z * sy + y0) * sx + x0, ch * nCase + (z * sy + y1 - 1) * sx + x1) as T;
  const image = span(c.image);
  const label = c.label ? span(c.label) : undefined;
  return {
    id: c.id,
    channels: c.channels,
    shape: c.shape,
    classes: presentClasses(c.classLocations),
    classLocation: (value, index) => c.classLocations[value]![index]!,
    readRegion: (start, size) => assembleRegion(c.shape, c.channels, start, size, image, label),
  };
}

/** Cases in memory and case files alike. */
export const asPatchSource = (c: PatchSource | PreprocessedCase): PatchSource => ('readRegion' in c ? c : memorySource(c));
