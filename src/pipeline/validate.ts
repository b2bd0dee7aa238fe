/**
 * Validation of a trained fold as nnU-Net does it: every validation case predicted from its
 * original files (preprocess -> sliding window -> restore), written as NIfTI with the
 * input's geometry and scored against the original label: Dice per case and class
 * (NaN when a class is absent from both), class means, foreground mean.
 */
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { readCase } from '../data/case.js';
import type { Dataset } from '../data/dataset.js';
import { scoreCase, summarize, type EvaluationSummary } from '../data/evaluate.js';
import type { Plan } from '../data/plan-types.js';
import { progressBar } from '../data/progress.js';
import { predictCase, writeSegmentation } from '../data/restore.js';
import type { PredictPatch } from '../data/sliding-window.js';
import { DatasetError } from '../errors.js';

export interface ValidateOptions {
  /** Where the predictions go (one .nii.gz per case); null: not written. */
  readonly outDir: string | null;
  readonly mirror?: boolean;
  readonly progress?: boolean;
  /** Checked between cases: stop early. */
  readonly signal?: AbortSignal;
}

/** Foreground classes of a plan (every label value but 0). */
export const foregroundClasses = (plan: Plan): number[] => plan.labels.map((l) => l.value).filter((v) => v !== 0);

export async function validateCases(dataset: Dataset, ids: readonly string[], plan: Plan, predict: PredictPatch, o: ValidateOptions): Promise<EvaluationSummary> {
  const byId = new Map(dataset.cases.map((c) => [c.id, c]));
  const classes = foregroundClasses(plan);
  if (o.outDir) mkdirSync(o.outDir, { recursive: true });
  const bar = o.progress ? progressBar('validate', ids.length) : null;
  const cases = [];
  try {
    for (const [i, id] of ids.entries()) {
      if (o.signal?.aborted) throw o.signal.reason;
      const c = byId.get(id);
      if (!c) throw new DatasetError(`validation case '${id}' of splits_final.json is not in the dataset`, { file: dataset.root });
      const data = readCase(dataset, c);
      const { segmentation, properties } = await predictCase(data, plan, predict, { mirror: o.mirror ?? false });
      if (o.outDir) writeSegmentation(join(o.outDir, `${id}.nii.gz`), segmentation, properties);
      cases.push({ id, perClass: scoreCase(segmentation, data.label, classes) });
      bar?.update(i + 1);
    }
  } finally {
    bar?.stop();
  }
  return summarize(cases, classes);
}
