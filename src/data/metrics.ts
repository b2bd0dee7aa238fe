/**
 * Per-class segmentation metrics from a prediction and a reference, and their summaries.
 * Overlap metrics follow nnU-Net's rule for empty classes: a class absent from both prediction
 * and reference scores NaN (and summaries skip NaN). Distances are in mm, from the voxel spacing.
 *
 * Example:
 *   const m = classMetrics(pred, ref, 1, { shape: [40, 56, 40], spacing: [1, 1, 1], tolerance: 1 });
 *   m.dice, m.hd95, m.nsd
 */
import type { Vec3 } from './plan-types.js';
import { median } from './stats.js';
import { hd95, nsd, surfaceDistances } from './surface.js';

export interface ClassScore {
  /** 2TP / (2TP + FP + FN); NaN when the class is in neither. */
  readonly dice: number;
  /** TP / (TP + FP + FN); NaN when the class is in neither. */
  readonly iou: number;
  /** TP / (TP + FP); NaN when nothing is predicted. */
  readonly precision: number;
  /** TP / (TP + FN); NaN when the reference is empty. */
  readonly recall: number;
  readonly tp: number;
  readonly fp: number;
  readonly fn: number;
  readonly nPred: number;
  readonly nRef: number;
  /** (predicted - reference volume) in ml (signed); with geometry only. */
  readonly volumeDifference?: number;
  /** 95th-percentile Hausdorff distance (mm): NaN when the class is in neither, Infinity when in only one. */
  readonly hd95?: number;
  /** Normalised surface distance at the tolerance: NaN when in neither, 0 when in only one. */
  readonly nsd?: number;
}

/** What the distance metrics need: the array-order shape and spacing (mm), and the NSD tolerance (mm). */
export interface ScoreGeometry {
  readonly shape: Vec3;
  readonly spacing: Vec3;
  readonly tolerance: number;
}

/** Every metric of a ClassScore that summaries report, in report order. */
export const METRICS = ['dice', 'iou', 'precision', 'recall', 'volumeDifference', 'hd95', 'nsd'] as const;
export type MetricName = (typeof METRICS)[number];

const ratio = (a: number, b: number): number => (b === 0 ? NaN : a / b);

export function dice(tp: number, fp: number, fn: number): number {
  return ratio(2 * tp, 2 * tp + fp + fn);
}

/** Metrics of class `c`; reference voxels equal to `ignore` (e.g. -1) count nowhere. */
export function classMetrics(pred: ArrayLike<number>, ref: ArrayLike<number>, c: number, geometry?: ScoreGeometry, ignore?: number): ClassScore {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  const n = pred.length;
  const predMask = geometry ? new Uint8Array(n) : undefined;
  const refMask = geometry ? new Uint8Array(n) : undefined;
  for (let i = 0; i < n; i++) {
    const r = ref[i]!;
    if (r === ignore) continue;
    const p = pred[i]! === c;
    const q = r === c;
    if (p && q) tp++;
    else if (p) fp++;
    else if (q) fn++;
    if (predMask && p) predMask[i] = 1;
    if (refMask && q) refMask[i] = 1;
  }
  const score: ClassScore = { dice: dice(tp, fp, fn), iou: ratio(tp, tp + fp + fn), precision: ratio(tp, tp + fp), recall: ratio(tp, tp + fn), tp, fp, fn, nPred: tp + fp, nRef: tp + fn };
  if (!geometry) return score;
  const voxelMl = (geometry.spacing[0] * geometry.spacing[1] * geometry.spacing[2]) / 1000;
  const d = surfaceDistances(predMask!, refMask!, geometry.shape, geometry.spacing);
  return { ...score, volumeDifference: (tp + fp - (tp + fn)) * voxelMl, hd95: hd95(d), nsd: nsd(d, geometry.tolerance) };
}

export interface MetricSummary {
  readonly mean: number;
  readonly median: number;
  /** Population standard deviation (numpy's default). */
  readonly std: number;
  /** Cases that entered (NaN skipped). */
  readonly n: number;
}

/** Mean, median and std of the non-NaN values (all NaN when there are none). */
export function summarizeMetric(values: readonly number[]): MetricSummary {
  const v = values.filter((x) => !Number.isNaN(x));
  if (v.length === 0) return { mean: NaN, median: NaN, std: NaN, n: 0 };
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  // Infinity - Infinity is NaN; a spread that holds an infinite value is infinite.
  const std = v.some((x) => !Number.isFinite(x)) ? Infinity : Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length);
  return { mean, median: median(v), std, n: v.length };
}

export function nanMean(values: readonly number[]): number {
  return summarizeMetric(values).mean;
}
