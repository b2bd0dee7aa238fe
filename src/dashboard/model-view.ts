/**
 * A model folder (src/pipeline/model-dir.ts) as the dashboard shows it: per fold the training
 * curve (log.jsonl), the summary (fold.json), validation Dice per case and class
 * (validation.json) and which validation cases have a prediction to view. Reading is lenient: a
 * fold still training has a partial log and no validation yet; a missing or damaged file leaves
 * its part out rather than failing the page.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadDataset, type Dataset } from '../data/dataset.js';
import type { EvaluationSummary } from '../data/evaluate.js';
import { MODEL_FILES } from '../pipeline/model-dir.js';
import type { EpochRecord } from '../runtime/log.js';

export interface FoldView {
  readonly fold: string;
  readonly curve: readonly Pick<EpochRecord, 'epoch' | 'loss' | 'lr' | 'seconds'>[];
  readonly summary: Record<string, unknown> | null;
  /** Per case: Dice per class label value; null where the class is absent from both. */
  readonly dice: readonly { readonly id: string; readonly perClass: Readonly<Record<string, number | null>> }[];
  readonly meanPerClass: Readonly<Record<string, number | null>> | null;
  readonly hasModel: boolean;
}

export interface ModelView {
  readonly labels: readonly { readonly name: string; readonly value: number }[];
  readonly folds: readonly FoldView[];
}

const readJson = (file: string): unknown => {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
};

const finiteOrNull = (x: unknown): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null);

/** True when `dir` looks like a model folder of `hnas train` (plans.json and at least one fold folder). */
export function isModelDir(dir: string): boolean {
  return existsSync(join(dir, MODEL_FILES.plan)) && foldNames(dir).length > 0;
}

function foldNames(dir: string): string[] {
  try {
    return readdirSync(dir).filter((n) => /^fold_(\d+|all)$/.test(n)).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  } catch {
    return [];
  }
}

/** The epochs of log.jsonl; a line being written right now (or damaged) is left out. */
function readCurve(file: string): FoldView['curve'] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').flatMap((line) => {
    try {
      const r = JSON.parse(line) as EpochRecord;
      return [{ epoch: r.epoch, loss: r.loss, lr: r.lr, seconds: r.seconds }];
    } catch {
      return [];
    }
  });
}

export function modelView(dir: string): ModelView {
  const plan = readJson(join(dir, MODEL_FILES.plan)) as { labels?: { name: string; value: number }[] } | null;
  const folds = foldNames(dir).map((name): FoldView => {
    const fd = join(dir, name);
    const validation = readJson(join(fd, MODEL_FILES.validation)) as EvaluationSummary | null;
    const classDice = (perClass: Record<string, { dice?: unknown }>) => Object.fromEntries(Object.entries(perClass).map(([c, s]) => [c, finiteOrNull(s?.dice)]));
    return {
      fold: name.slice('fold_'.length),
      curve: readCurve(join(fd, 'log.jsonl')),
      summary: readJson(join(fd, MODEL_FILES.fold)) as Record<string, unknown> | null,
      dice: Array.isArray(validation?.cases) ? validation.cases.map((c) => ({ id: String(c.id), perClass: classDice(c.perClass ?? {}) })) : [],
      meanPerClass: validation?.meanPerClass ? Object.fromEntries(Object.entries(validation.meanPerClass).map(([c, v]) => [c, finiteOrNull(v)])) : null,
      hasModel: existsSync(join(fd, MODEL_FILES.model)),
    };
  });
  return { labels: Array.isArray(plan?.labels) ? plan.labels : [], folds };
}

/** A validation case of a fold: its prediction file, and the image and reference from the dataset when it has the case. */
export interface ValidationCase {
  readonly id: string;
  readonly fold: string;
  readonly prediction: string;
  readonly image: string | null;
  readonly label: string | null;
}

/** Every validation prediction of the model folder, with the dataset's image and label where found. */
export function validationCases(dir: string, dataset: Dataset | null): ValidationCase[] {
  const byId = new Map(dataset?.cases.map((c) => [c.id, c]) ?? []);
  return foldNames(dir).flatMap((name) => {
    const vd = join(dir, name, MODEL_FILES.validationDir);
    if (!existsSync(vd)) return [];
    return readdirSync(vd)
      .filter((f) => /\.nii(\.gz)?$/.test(f))
      .sort()
      .map((f) => {
        const id = f.replace(/\.nii(\.gz)?$/, '');
        const c = byId.get(id);
        return { id, fold: name.slice('fold_'.length), prediction: join(vd, f), image: c?.images[0] ?? null, label: c?.label ?? null };
      });
  });
}

/** The dataset at `root`, or null (not there, or not a dataset): the viewer then shows predictions alone. */
export function datasetOrNull(root: string | null): Dataset | null {
  if (root === null) return null;
  try {
    return loadDataset(root);
  } catch {
    return null;
  }
}
