/**
 * Segmentation metrics as nnU-Net reports them: Dice per case and class =
 * 2TP / (2TP + FP + FN), NaN when the class is absent from both prediction and
 * reference; class means skip NaN; the foreground mean averages the class means.
 *
 * Example:
 *   const summary = evaluateFolders('preds', 'labelsTr');
 *   summary.foregroundMean  // e.g. 0.89
 */
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { DatasetError } from '../errors.js';
import { voxelAt } from './case.js';
import { datasetLabels } from './dataset.js';
import { niftiValues, readNifti, type NiftiImage } from './nifti.js';

export interface ClassScore {
  readonly dice: number;
  readonly tp: number;
  readonly fp: number;
  readonly fn: number;
  readonly nPred: number;
  readonly nRef: number;
}

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
  /** Reference files without a prediction. */
  readonly missingPredictions: string[];
}

export function dice(tp: number, fp: number, fn: number): number {
  const denom = 2 * tp + fp + fn;
  return denom === 0 ? NaN : (2 * tp) / denom;
}

/** Confusion counts per class; voxels whose reference is `ignore` (e.g. -1) are skipped. */
export function scoreCase(pred: ArrayLike<number>, ref: ArrayLike<number>, classes: readonly number[], ignore?: number): Record<number, ClassScore> {
  if (pred.length !== ref.length) throw new Error(`scoreCase: ${pred.length} vs ${ref.length} voxels`);
  const out: Record<number, ClassScore> = {};
  for (const c of classes) {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    for (let i = 0; i < pred.length; i++) {
      const r = ref[i]!;
      if (r === ignore) continue;
      const p = pred[i]!;
      if (p === c && r === c) tp++;
      else if (p === c) fp++;
      else if (r === c) fn++;
    }
    out[c] = { dice: dice(tp, fp, fn), tp, fp, fn, nPred: tp + fp, nRef: tp + fn };
  }
  return out;
}

export function nanMean(values: readonly number[]): number {
  const finite = values.filter((v) => !Number.isNaN(v));
  return finite.length ? finite.reduce((a, b) => a + b, 0) / finite.length : NaN;
}

export function summarize(cases: CaseScores[], classes: number[], missingPredictions: string[] = []): EvaluationSummary {
  const meanPerClass: Record<number, number> = {};
  for (const c of classes) meanPerClass[c] = nanMean(cases.map((k) => k.perClass[c]!.dice));
  return { classes, cases, meanPerClass, foregroundMean: nanMean(classes.map((c) => meanPerClass[c]!)), missingPredictions };
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
export function evaluateFolders(predDir: string, gtDir: string, classes?: number[]): EvaluationSummary {
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
    return { id: f.replace(NIFTI, ''), pred, predValues: niftiValues(pred), ref: refValues };
  });
  const known = new Set(labelSet ?? [0, ...(classes ?? [])]);
  if (!labelSet) for (const p of pairs) for (const v of p.ref) known.add(v);
  for (const p of pairs) checkLabelVoxels(p.pred, p.predValues, known, 'prediction');
  const found = new Set<number>();
  if (!classes) for (const p of pairs) for (const v of p.ref) if (v > 0) found.add(v);
  const cls = classes ?? [...found].sort((a, b) => a - b);
  const cases = pairs.map((p) => ({ id: p.id, perClass: scoreCase(p.predValues, p.ref, cls) }));
  const missing = [...refs].filter((f) => !preds.includes(f)).sort();
  return summarize(cases, cls, missing);
}
