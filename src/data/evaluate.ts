/**
 * Scoring segmentations as nnU-Net reports them: per case and class the metrics of metrics.ts
 * (Dice = 2TP / (2TP + FP + FN), NaN when the class is absent from both prediction and reference,
 * IoU, precision, recall, volume difference, HD95, NSD); class means skip NaN; the foreground mean
 * averages the class means of Dice; every metric summarised by mean, median and std.
 *
 * Example:
 *   const summary = evaluateFolders('preds', 'labelsTr', { tolerance: 1 });
 *   summary.foregroundMean  // e.g. 0.89
 */
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { DatasetError } from '../errors.js';
import { arrayShape, arraySpacing, voxelAt } from './case.js';
import { datasetLabels } from './dataset.js';
import { METRICS, classMetrics, dice, nanMean, summarizeMetric, type ClassScore, type MetricName, type MetricSummary, type ScoreGeometry } from './metrics.js';
import { niftiValues, readNifti, type NiftiImage } from './nifti.js';

export { dice, nanMean, type ClassScore, type ScoreGeometry };

export interface CaseScores {
  readonly id: string;
  readonly perClass: Record<number, ClassScore>;
}

export interface EvaluationSummary {
  readonly classes: number[];
  readonly cases: CaseScores[];
  /** Per class: mean Dice over cases, NaN cases skipped (NaN if every case is NaN). */
  readonly meanPerClass: Record<number, number>;
  /** Mean of the class means. */
  readonly foregroundMean: number;
  /** Per metric and class: mean, median, std over cases (NaN skipped); metrics the scores hold. */
  readonly stats: Partial<Record<MetricName, Record<number, MetricSummary>>>;
  /** Reference files without a prediction. */
  readonly missingPredictions: string[];
}

/**
 * Metrics per class; voxels whose reference is `ignore` (e.g. -1) are skipped. Volume and surface
 * distances need the geometry (shape, spacing, NSD tolerance).
 */
export function scoreCase(pred: ArrayLike<number>, ref: ArrayLike<number>, classes: readonly number[], ignore?: number, geometry?: ScoreGeometry): Record<number, ClassScore> {
  if (pred.length !== ref.length) throw new Error(`scoreCase: ${pred.length} vs ${ref.length} voxels`);
  return Object.fromEntries(classes.map((c) => [c, classMetrics(pred, ref, c, geometry, ignore)]));
}

export function summarize(cases: CaseScores[], classes: number[], missingPredictions: string[] = []): EvaluationSummary {
  const stats: Partial<Record<MetricName, Record<number, MetricSummary>>> = {};
  for (const m of METRICS) {
    if (!cases.some((k) => classes.some((c) => k.perClass[c]![m] !== undefined))) continue;
    stats[m] = Object.fromEntries(classes.map((c) => [c, summarizeMetric(cases.map((k) => k.perClass[c]![m] ?? NaN))]));
  }
  const meanPerClass: Record<number, number> = {};
  for (const c of classes) meanPerClass[c] = nanMean(cases.map((k) => k.perClass[c]!.dice));
  return { classes, cases, meanPerClass, foregroundMean: nanMean(classes.map((c) => meanPerClass[c]!)), stats, missingPredictions };
}

export interface EvaluateOptions {
  /** Foreground classes to score; default every nonzero value in the references. */
  classes?: number[];
  /** NSD tolerance in mm (default 1). */
  tolerance?: number;
}

const NIFTI = /\.nii(\.gz)?$/;

/** The first voxel that is not a non-negative integer (or, given `allowed`, not one of those values). */
function checkLabelVoxels(n: NiftiImage, values: Float32Array, allowed: ReadonlySet<number> | undefined, what: string): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    const ok = allowed ? allowed.has(v) : Number.isInteger(v) && v >= 0;
    if (!ok) {
      const expected = allowed ? `one of the label values {${[...allowed].sort((a, b) => a - b).join(', ')}}` : 'a non-negative integer label';
      throw new DatasetError(`${what} value ${v} at ${voxelAt(n, i)} is not ${expected}`, { file: n.file });
    }
  }
}

/** The label set from the dataset.json next to the reference folder (labelsTr/../dataset.json), if there is one. */
function referenceLabelSet(gtDir: string): ReadonlySet<number> | undefined {
  const root = dirname(resolve(gtDir));
  if (!existsSync(join(root, 'dataset.json'))) return undefined;
  return new Set(datasetLabels(root).map((l) => l.value));
}

/**
 * Score every prediction in `predDir` against the file of the same name in `gtDir`.
 * Classes default to every nonzero value found in the references. Every voxel must be a label:
 * one of dataset.json's when the reference folder sits in a dataset (labelsTr/../dataset.json),
 * else a non-negative integer, and a prediction may only hold values the references or `classes` hold.
 */
export function evaluateFolders(predDir: string, gtDir: string, options: EvaluateOptions = {}): EvaluationSummary {
  const { classes, tolerance = 1 } = options;
  for (const d of [predDir, gtDir]) if (!existsSync(d)) throw new DatasetError('folder does not exist', { file: d });
  const labelSet = referenceLabelSet(gtDir);
  const preds = readdirSync(predDir).filter((f) => NIFTI.test(f) && !f.startsWith('.')).sort();
  const refs = new Set(readdirSync(gtDir).filter((f) => NIFTI.test(f) && !f.startsWith('.')));
  if (preds.length === 0) throw new DatasetError('no .nii/.nii.gz predictions in the folder', { file: predDir });
  const pairs = preds.map((f) => {
    if (!refs.has(f)) throw new DatasetError(`no reference segmentation of the same name in ${gtDir}`, { file: join(predDir, f) });
    const pred = readNifti(join(predDir, f));
    const ref = readNifti(join(gtDir, f));
    if (pred.dims.join('x') !== ref.dims.join('x')) {
      throw new DatasetError(`prediction shape ${pred.dims.join('x')} differs from the reference's ${ref.dims.join('x')}`, { file: pred.file });
    }
    const refValues = niftiValues(ref);
    checkLabelVoxels(ref, refValues, labelSet, 'reference');
    const geometry: ScoreGeometry = { shape: arrayShape(ref), spacing: arraySpacing(ref.geometry), tolerance };
    return { id: f.replace(NIFTI, ''), pred, predValues: niftiValues(pred), ref: refValues, geometry };
  });
  const known = new Set(labelSet ?? [0, ...(classes ?? [])]);
  if (!labelSet) for (const p of pairs) for (const v of p.ref) known.add(v);
  for (const p of pairs) checkLabelVoxels(p.pred, p.predValues, known, 'prediction');
  const found = new Set<number>();
  if (!classes) for (const p of pairs) for (const v of p.ref) if (v > 0) found.add(v);
  const cls = classes ?? [...found].sort((a, b) => a - b);
  const cases = pairs.map((p) => ({ id: p.id, perClass: scoreCase(p.predValues, p.ref, cls, undefined, p.geometry) }));
  const missing = [...refs].filter((f) => !preds.includes(f)).sort();
  return summarize(cases, cls, missing);
}
