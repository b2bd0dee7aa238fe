/**
 * Everything a training run needs before the first step: the dataset, the plan (given,
 * read, or fingerprinted and planned as nnU-Net does) with patch/batch overrides applied,
 * and the preprocessed cache with its splits (built once per plan, reused by every run).
 */
import { basename, join, resolve } from 'node:path';
import { preprocessDataset, preprocessingHash, type PreprocessedDataset } from '../data/cache.js';
import { loadDataset, type Dataset } from '../data/dataset.js';
import { computeFingerprint } from '../data/fingerprint.js';
import { planExperiment, type PlanOptions } from '../data/planner.js';
import type { Plan, Vec3 } from '../data/plan-types.js';
import { progressBar } from '../data/progress.js';
import { PlanError } from '../errors.js';

export interface PlanOverrides {
  readonly patchSize?: readonly number[] | null;
  readonly batchSize?: number | null;
}

/** The plan with another patch and/or batch size; the patch must suit the network's pooling. */
export function withOverrides(plan: Plan, o: PlanOverrides): Plan {
  const net = plan.network;
  let patchSize = net.patchSize;
  if (o.patchSize) {
    const p = o.patchSize;
    if (p.length !== 3 || !p.every((x) => Number.isInteger(x) && x >= 1)) throw new PlanError(`expected three positive integers, got [${p.join(', ')}]`, { path: 'patchSize' });
    p.forEach((x, a) => {
      const d = net.mustBeDivisibleBy[a]!;
      if (x % d !== 0) throw new PlanError(`patch axis ${a} is ${x}, which the network's ${Math.log2(d)} poolings on that axis cannot divide; use a multiple of ${d} (plan order, coarsest axis first: ${net.mustBeDivisibleBy.join(', ')})`, { path: 'patchSize' });
    });
    patchSize = [p[0]!, p[1]!, p[2]!] as Vec3;
  }
  const batchSize = o.batchSize ?? net.batchSize;
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) throw new PlanError(`expected a positive integer, got ${batchSize}`, { path: 'batchSize' });
  return { ...plan, network: { ...net, patchSize, batchSize } };
}

/** Plans a dataset (a folder or a loaded Dataset) as `hnas plan` does (nnU-Net 3d_fullres). */
export function planDataset(dataset: Dataset | string, options: { planner?: string } & PlanOptions = {}): Plan {
  const { planner = 'default', ...rest } = options;
  return planExperiment(computeFingerprint(typeof dataset === 'string' ? loadDataset(dataset) : dataset), planner, rest);
}

/**
 * Default cache folder: `<root>/<dataset folder>/<hash of the plan's preprocessing fields>`, root =
 * $HNAS_CACHE_DIR or `.hnas-cache` in the working directory (shared by every run and study).
 */
export function defaultCacheDir(dataset: Dataset, plan: Plan): string {
  return resolve(process.env.HNAS_CACHE_DIR || '.hnas-cache', basename(resolve(dataset.root)), preprocessingHash(plan));
}

export function preprocessWithProgress(dataset: Dataset, plan: Plan, dir: string, progress: boolean): PreprocessedDataset {
  const bar = progress ? progressBar('preprocess', dataset.cases.length) : null;
  try {
    return preprocessDataset(dataset, plan, dir, { onCase: (done) => bar?.update(done) });
  } finally {
    bar?.stop();
  }
}

export interface Prepared {
  readonly dataset: Dataset;
  readonly plan: Plan;
  readonly cache: PreprocessedDataset;
}

/** The dataset and the plan a run trains with (given or planned now, overrides applied); writes nothing. */
export function planTraining(datasetDir: string, o: { plan?: Plan | null; overrides?: PlanOverrides }): Omit<Prepared, 'cache'> {
  const dataset = loadDataset(datasetDir);
  const base = o.plan ?? planDataset(dataset);
  checkPlanFits(base, dataset);
  return { dataset, plan: withOverrides(base, o.overrides ?? {}) };
}

export function prepareTraining(datasetDir: string, o: { plan?: Plan | null; overrides?: PlanOverrides; cacheDir?: string; progress?: boolean }): Prepared {
  const { dataset, plan } = planTraining(datasetDir, o);
  const cache = preprocessWithProgress(dataset, plan, o.cacheDir ?? defaultCacheDir(dataset, plan), o.progress ?? false);
  return { dataset, plan, cache };
}

/** A plan made for another dataset would train nonsense: channels and labels must agree. */
function checkPlanFits(plan: Plan, dataset: Dataset): void {
  if (plan.channelNames.length !== dataset.channelNames.length)
    throw new PlanError(`the plan has ${plan.channelNames.length} channel(s), the dataset ${dataset.channelNames.length}`, { file: join(dataset.root, 'dataset.json'), path: 'channelNames' });
  const a = plan.labels.map((l) => l.value).join(',');
  const b = dataset.labels.map((l) => l.value).join(',');
  if (a !== b) throw new PlanError(`the plan's label values [${a}] differ from the dataset's [${b}]`, { file: join(dataset.root, 'dataset.json'), path: 'labels' });
}
