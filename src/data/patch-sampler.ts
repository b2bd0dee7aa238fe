/**
 * Training batches from preprocessed cases, as nnU-Net draws them: random case, the
 * last round(B x oversample) samples centred on a voxel of a random present
 * foreground class, patches reaching outside the volume padded (image 0, label -1),
 * spatial augmentation (rotation, scaling) applied while reading the patch, then the
 * intensity and mirroring augmentations. All randomness comes from the given Rng.
 *
 * Example:
 *   const batch = sampleBatch(cases, { patchSize: [40, 56, 40], batchSize: 9, oversampleForeground: 0.33, augmentationFactor: 1 }, rng);
 */
import { ConfigError } from '../errors.js';
import { Rng } from '../util/rng.js';
import { augmentPatch, type Patch } from './augment.js';
import { asPatchSource, type PatchSource } from './patch-source.js';
import type { Vec3 } from './plan-types.js';
import type { PreprocessedCase } from './preprocess.js';

export interface PatchSamplerConfig {
  readonly patchSize: Vec3;
  readonly batchSize: number;
  /** Fraction of each batch forced to contain foreground (nnU-Net: 0.33). */
  readonly oversampleForeground: number;
  /** Multiplies every augmentation probability; 0 = none, 1 = nnU-Net's. */
  readonly augmentationFactor: number;
}

export interface Batch {
  /** [B, C, ...patch]. */
  readonly image: Float32Array;
  /** [B, ...patch]; -1 = ignore (padding / outside the nonzero mask). Float32 when a loader is asked for it. */
  readonly label: Int16Array | Float32Array;
  readonly shape: [number, number, number, number, number];
  readonly caseIds: string[];
}

/** ConfigError naming the field when a sampler setting is out of range. */
export function checkPatchSamplerConfig(cfg: PatchSamplerConfig): void {
  const bad = (path: string, expected: string, got: unknown): never => {
    throw new ConfigError(`expected ${expected}, got ${JSON.stringify(got)}`, { path });
  };
  if (!(cfg.patchSize.length === 3 && cfg.patchSize.every((p) => Number.isInteger(p) && p >= 1))) bad('patchSize', 'three positive integers', cfg.patchSize);
  if (!(Number.isInteger(cfg.batchSize) && cfg.batchSize >= 1)) bad('batchSize', 'a positive integer', cfg.batchSize);
  if (!(cfg.oversampleForeground >= 0 && cfg.oversampleForeground <= 1)) bad('oversampleForeground', 'a fraction in [0, 1]', cfg.oversampleForeground);
  if (!(cfg.augmentationFactor >= 0 && Number.isFinite(cfg.augmentationFactor))) bad('augmentationFactor', 'a finite number >= 0', cfg.augmentationFactor);
}

export const ROTATION_PROBABILITY = 0.2;
export const SCALING_PROBABILITY = 0.2;
const MAX_ROTATION = Math.PI / 6; // 30 degrees

/** Patch start for a sample: random within the (padded) volume, or around a foreground voxel. */
export function chooseStart(source: PatchSource | PreprocessedCase, patch: Vec3, forceForeground: boolean, rng: Rng): Vec3 {
  const c = asPatchSource(source);
  const shape = c.shape;
  // Volumes smaller than the patch may be padded; lbs/ubs bound the patch start.
  const needPad = shape.map((s, a) => Math.max(0, patch[a]! - s));
  const lbs = needPad.map((p) => -Math.floor(p / 2));
  const ubs = shape.map((s, a) => s + Math.floor(needPad[a]! / 2) + (needPad[a]! % 2) - patch[a]!);
  const present = c.classes.filter((k) => k.count > 0);
  if (forceForeground && present.length > 0) {
    const k = present[rng.int(present.length)]!;
    const flat = c.classLocation(k.value, rng.int(k.count));
    const voxel = [Math.floor(flat / (shape[1] * shape[2])), Math.floor(flat / shape[2]) % shape[1], flat % shape[2]];
    return voxel.map((v, a) => Math.min(Math.max(v - Math.floor(patch[a]! / 2), lbs[a]!), ubs[a]!)) as Vec3;
  }
  return lbs.map((lo, a) => lo + rng.int(ubs[a]! - lo + 1)) as Vec3;
}

/** Rotation about the three axes then isotropic scaling, as a 3x3 matrix on (z, y, x) offsets. */
function spatialMatrix(rng: Rng, factor: number): number[][] | undefined {
  const rotate = rng.float() < Math.min(1, ROTATION_PROBABILITY * factor);
  const scale = rng.float() < Math.min(1, SCALING_PROBABILITY * factor);
  if (!rotate && !scale) return undefined;
  let m = [
    [1, 0, 0],
    [0, 1, 0],
    [0, 0, 1],
  ];
  const mul = (a: number[][], b: number[][]) => a.map((row) => [0, 1, 2].map((j) => row[0]! * b[0]![j]! + row[1]! * b[1]![j]! + row[2]! * b[2]![j]!));
  if (rotate) {
    for (const [i, j] of [[1, 2], [0, 2], [0, 1]] as const) {
      const t = (2 * rng.float() - 1) * MAX_ROTATION;
      const r = [
        [1, 0, 0],
        [0, 1, 0],
        [0, 0, 1],
      ];
      r[i]![i] = Math.cos(t);
      r[j]![j] = Math.cos(t);
      r[i]![j] = -Math.sin(t);
      r[j]![i] = Math.sin(t);
      m = mul(r, m);
    }
  }
  if (scale) {
    // Sampling coordinates scaled by s < 1 zooms in (nnU-Net's convention).
    const s = 0.7 + 0.7 * rng.float();
    m = m.map((row) => row.map((v) => v * s));
  }
  return m;
}

/**
 * Read one patch starting at `start`; with a matrix, sample around the patch centre (trilinear
 * image, nearest label) from the box of the source that the sampling positions span, so only
 * that box is read.
 */
export function extractPatch(source: PatchSource | PreprocessedCase, patch: Vec3, start: Vec3, matrix?: number[][]): Patch {
  const c = asPatchSource(source);
  const [pz, py, px] = patch;
  if (!matrix) return { ...c.readRegion(start, patch), channels: c.channels, shape: patch };
  const nPatch = pz * py * px;
  const image = new Float32Array(c.channels * nPatch);
  const label = new Int16Array(nPatch);
  const centre = [start[0] + (pz - 1) / 2, start[1] + (py - 1) / 2, start[2] + (px - 1) / 2];
  const position = (r: number, d0: number, d1: number, d2: number): number => centre[r]! + matrix[r]![0]! * d0 + matrix[r]![1]! * d1 + matrix[r]![2]! * d2;
  // Each position is monotone in each offset, so the patch corners bound them all; the trilinear
  // neighbour and a voxel of margin for rounding make the box.
  const lo: number[] = [];
  const hi: number[] = [];
  for (let r = 0; r < 3; r++) {
    const corners = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => position(r, i & 4 ? (pz - 1) / 2 : -(pz - 1) / 2, i & 2 ? (py - 1) / 2 : -(py - 1) / 2, i & 1 ? (px - 1) / 2 : -(px - 1) / 2));
    lo.push(Math.floor(Math.min(...corners)) - 1);
    hi.push(Math.floor(Math.max(...corners)) + 3);
  }
  const [rz, ry, rx] = [hi[0]! - lo[0]!, hi[1]! - lo[1]!, hi[2]! - lo[2]!];
  const region = c.readRegion(lo as Vec3, [rz, ry, rx]);
  const nRegion = rz * ry * rx;
  const planes = Array.from({ length: c.channels }, (_, ch) => region.image.subarray(ch * nRegion, (ch + 1) * nRegion));
  const [m0, m1, m2] = [matrix[0]!, matrix[1]!, matrix[2]!];
  const plane = ry * rx;
  let o = 0;
  for (let z = 0; z < pz; z++)
    for (let y = 0; y < py; y++) {
      const d0 = z - (pz - 1) / 2;
      const d1 = y - (py - 1) / 2;
      // Per row the part of each position that does not depend on x (same evaluation order as `position`).
      const az = centre[0]! + m0[0]! * d0 + m0[1]! * d1;
      const ay = centre[1]! + m1[0]! * d0 + m1[1]! * d1;
      const ax = centre[2]! + m2[0]! * d0 + m2[1]! * d1;
      for (let x = 0; x < px; x++, o++) {
        const d2 = x - (px - 1) / 2;
        // Region coordinates; the region holds image 0 and label -1 outside the volume.
        const qz = az + m0[2]! * d2 - lo[0]!;
        const qy = ay + m1[2]! * d2 - lo[1]!;
        const qx = ax + m2[2]! * d2 - lo[2]!;
        label[o] = region.label[(Math.round(qz) * ry + Math.round(qy)) * rx + Math.round(qx)]!;
        const z0 = Math.floor(qz);
        const y0 = Math.floor(qy);
        const x0 = Math.floor(qx);
        const fz = qz - z0;
        const fy = qy - y0;
        const fx = qx - x0;
        const base = (z0 * ry + y0) * rx + x0;
        for (let ch = 0; ch < planes.length; ch++) {
          const v = planes[ch]!;
          const c00 = v[base]! + (v[base + 1]! - v[base]!) * fx;
          const c01 = v[base + rx]! + (v[base + rx + 1]! - v[base + rx]!) * fx;
          const c10 = v[base + plane]! + (v[base + plane + 1]! - v[base + plane]!) * fx;
          const c11 = v[base + plane + rx]! + (v[base + plane + rx + 1]! - v[base + plane + rx]!) * fx;
          const c0 = c00 + (c01 - c00) * fy;
          image[ch * nPatch + o] = c0 + (c10 + (c11 - c10) * fy - c0) * fz;
        }
      }
    }
  return { image, label, channels: c.channels, shape: patch };
}

export function sampleBatch(from: readonly (PatchSource | PreprocessedCase)[], cfg: PatchSamplerConfig, rng: Rng): Batch {
  checkPatchSamplerConfig(cfg);
  if (from.length === 0) throw new ConfigError('no cases to sample from');
  const cases = from.map(asPatchSource);
  const { patchSize: patch, batchSize: B, augmentationFactor: f } = cfg;
  const channels = cases[0]!.channels;
  const nPatch = patch[0] * patch[1] * patch[2];
  const image = new Float32Array(B * channels * nPatch);
  const label = new Int16Array(B * nPatch);
  const caseIds: string[] = [];
  const firstForced = Math.round(B * (1 - cfg.oversampleForeground));
  for (let b = 0; b < B; b++) {
    const c = cases[rng.int(cases.length)]!;
    caseIds.push(c.id);
    const start = chooseStart(c, patch, b >= firstForced, rng);
    const p = extractPatch(c, patch, start, f > 0 ? spatialMatrix(rng, f) : undefined);
    augmentPatch(p, f, rng);
    image.set(p.image, b * channels * nPatch);
    label.set(p.label, b * nPatch);
  }
  return { image, label, shape: [B, channels, patch[0], patch[1], patch[2]], caseIds };
}
