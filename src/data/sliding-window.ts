/**
 * Model-agnostic sliding-window inference: tiles of the plan's patch size with 50 %
 * overlap, each tile's logits weighted by a Gaussian importance map (sigma = patch/8)
 * so tile borders count less, optional mirroring test-time augmentation (all 8 flip
 * combinations of the 3 axes, averaged). The model is a callback, so the same code
 * serves ONNX sessions and test doubles.
 *
 * Example:
 *   const logits = await slidingWindow(img, 1, [35, 50, 36], run, { patchSize: [40, 56, 40], numClasses: 3 });
 */
import type { Vec3 } from './plan-types.js';
import { flipInPlace } from './transpose.js';

/** [B, C, ...patch] in, [B, K, ...patch] logits out. */
export type PredictPatch = (batch: Float32Array, shape: readonly [number, number, number, number, number]) => Promise<Float32Array>;

export interface SlidingWindowOptions {
  readonly patchSize: Vec3;
  readonly numClasses: number;
  /** Step as a fraction of the patch (0.5 = 50 % overlap). */
  readonly stepSize?: number;
  readonly mirror?: boolean;
  /** Tiles per predictPatch call. */
  readonly batchSize?: number;
  /** Constant weights instead of the Gaussian (for tests and ablations). */
  readonly gaussian?: boolean;
}

/** Tile starts along one axis: evenly spread, first at 0 and last flush with the end. */
export function windowStarts(size: number, patch: number, stepSize = 0.5): number[] {
  if (size <= patch) return [0];
  const steps = Math.ceil((size - patch) / (patch * stepSize)) + 1;
  const actual = (size - patch) / (steps - 1);
  return Array.from({ length: steps }, (_, i) => Math.round(actual * i));
}

/** Separable Gaussian with sigma = patch/8 centred at patch//2, max 1, cut at 4 sigma (floored to its smallest nonzero value). */
export function gaussianImportance(patch: Vec3, sigmaScale = 1 / 8): Float32Array {
  const axes = patch.map((p) => {
    const sigma = p * sigmaScale;
    const c = Math.floor(p / 2);
    return Float64Array.from({ length: p }, (_, i) => (Math.abs(i - c) > 4 * sigma + 0.5 ? 0 : Math.exp(-((i - c) ** 2) / (2 * sigma * sigma))));
  });
  const out = new Float32Array(patch[0] * patch[1] * patch[2]);
  let o = 0;
  let minNonzero = Infinity;
  for (let z = 0; z < patch[0]; z++)
    for (let y = 0; y < patch[1]; y++)
      for (let x = 0; x < patch[2]; x++, o++) {
        out[o] = axes[0]![z]! * axes[1]![y]! * axes[2]![x]!;
        if (out[o]! > 0 && out[o]! < minNonzero) minNonzero = out[o]!;
      }
  for (let i = 0; i < out.length; i++) if (out[i] === 0) out[i] = minNonzero; // every voxel must get some weight
  return out;
}

/** Copy a patch (or paste, with `add` weights) between a [C, ...shape] volume and a [C, ...patch] buffer. */
function forEachRow(shape: Vec3, patch: Vec3, start: Vec3, fn: (volOffset: number, patchOffset: number) => void): void {
  for (let z = 0; z < patch[0]; z++)
    for (let y = 0; y < patch[1]; y++) fn(((start[0] + z) * shape[1] + start[1] + y) * shape[2] + start[2], (z * patch[1] + y) * patch[2]);
}

/** [C, ...shape] reversed along each of `axes` (0..2, plan axis order): the flip of test-time mirroring, its own inverse. */
export function flipVolume(data: Float32Array, channels: number, shape: Vec3, axes: readonly number[]): Float32Array {
  if (axes.length === 0) return data;
  const out = data.slice();
  for (const axis of axes) flipInPlace(out, channels, shape, axis);
  return out;
}

const FLIPS: number[][] = [[], [0], [1], [2], [0, 1], [0, 2], [1, 2], [0, 1, 2]];

/** Pad each axis up to at least `min` (zeros, split evenly); returns the padded volume and the offsets. */
function padTo(image: Float32Array, channels: number, shape: Vec3, min: Vec3): { data: Float32Array; shape: Vec3; offset: Vec3 } {
  const padded = shape.map((s, a) => Math.max(s, min[a]!)) as Vec3;
  if (padded.every((s, a) => s === shape[a])) return { data: image, shape, offset: [0, 0, 0] };
  const offset = padded.map((p, a) => Math.floor((p - shape[a]!) / 2)) as Vec3;
  const data = new Float32Array(channels * padded[0] * padded[1] * padded[2]);
  const nIn = shape[0] * shape[1] * shape[2];
  const nOut = padded[0] * padded[1] * padded[2];
  for (let c = 0; c < channels; c++)
    forEachRow(padded, shape, offset, (vo, po) => data.set(image.subarray(c * nIn + po, c * nIn + po + shape[2]), c * nOut + vo));
  return { data, shape: padded, offset };
}

/** Logits [K, ...shape] for a [C, ...shape] volume. */
export async function slidingWindow(image: Float32Array, channels: number, shape: Vec3, predict: PredictPatch, options: SlidingWindowOptions): Promise<Float32Array> {
  const { patchSize: patch, numClasses: K, stepSize = 0.5, mirror = false, batchSize = 1, gaussian = true } = options;
  // Guards against an endless or empty tiling.
  if (!(stepSize > 0 && stepSize <= 1)) throw new RangeError(`stepSize must be in (0, 1], got ${stepSize}`);
  if (!patch.every((p) => Number.isInteger(p) && p >= 1)) throw new RangeError(`patchSize must be positive integers, got [${patch.join(', ')}]`);
  const padded = padTo(image, channels, shape, patch);
  const ps = padded.shape;
  const nVol = ps[0] * ps[1] * ps[2];
  const nPatch = patch[0] * patch[1] * patch[2];
  const weights = gaussian ? gaussianImportance(patch) : new Float32Array(nPatch).fill(1);
  const sum = new Float32Array(K * nVol);
  const weightSum = new Float32Array(nVol);

  const starts: Vec3[] = [];
  for (const z of windowStarts(ps[0], patch[0], stepSize))
    for (const y of windowStarts(ps[1], patch[1], stepSize))
      for (const x of windowStarts(ps[2], patch[2], stepSize)) starts.push([z, y, x]);

  const flips = mirror ? FLIPS : [[]];
  for (let b0 = 0; b0 < starts.length; b0 += batchSize) {
    const group = starts.slice(b0, b0 + batchSize);
    const tiles = group.map((start) => {
      const tile = new Float32Array(channels * nPatch);
      for (let c = 0; c < channels; c++) forEachRow(ps, patch, start, (vo, po) => tile.set(padded.data.subarray(c * nVol + vo, c * nVol + vo + patch[2]), c * nPatch + po));
      return tile;
    });
    const logits = group.map(() => new Float32Array(K * nPatch));
    for (const axes of flips) {
      const batch = new Float32Array(group.length * channels * nPatch);
      tiles.forEach((t, i) => batch.set(flipVolume(t, channels, patch, axes), i * channels * nPatch));
      const out = await predict(batch, [group.length, channels, patch[0], patch[1], patch[2]]);
      if (out.length !== group.length * K * nPatch) throw new Error(`predictPatch returned ${out.length} values, expected ${group.length * K * nPatch} ([${group.length}, ${K}, ${patch.join(', ')}])`);
      group.forEach((_, i) => {
        const back = flipVolume(out.subarray(i * K * nPatch, (i + 1) * K * nPatch), K, patch, axes); // flips are their own inverse
        const acc = logits[i]!;
        for (let j = 0; j < acc.length; j++) acc[j]! += back[j]! / flips.length;
      });
    }
    group.forEach((start, i) => {
      const acc = logits[i]!;
      forEachRow(ps, patch, start, (vo, po) => {
        for (let x = 0; x < patch[2]; x++) {
          const w = weights[po + x]!;
          weightSum[vo + x]! += w;
          for (let k = 0; k < K; k++) sum[k * nVol + vo + x]! += acc[k * nPatch + po + x]! * w;
        }
      });
    });
  }
  for (let k = 0; k < K; k++) for (let i = 0; i < nVol; i++) sum[k * nVol + i]! /= weightSum[i]!;
  if (padded.data === image) return sum;
  // Crop the padding away again.
  const out = new Float32Array(K * shape[0] * shape[1] * shape[2]);
  const nOut = shape[0] * shape[1] * shape[2];
  for (let k = 0; k < K; k++) forEachRow(ps, shape, padded.offset, (vo, po) => out.set(sum.subarray(k * nVol + vo, k * nVol + vo + shape[2]), k * nOut + po));
  return out;
}
