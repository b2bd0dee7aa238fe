/**
 * The preprocessed-case cache: one case file per case (case-file.ts: raw sections that
 * patches are read from without reading the case), plus a manifest holding a hash of the
 * plan fields preprocessing depends on and of the file format. A changed plan rebuilds the cache.
 *
 * Example:
 *   const cache = await preprocessDataset(dataset, plan, 'work/Hippocampus');
 *   const c = CaseFile.open(cache.files['hippocampus_001']!);
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { writeFileAtomic } from '../util/fs.js';
import { CASE_FILE_FORMAT, writeCaseFile } from './case-file.js';
import { readCase } from './case.js';
import type { Dataset } from './dataset.js';
import type { Plan } from './plan-types.js';
import { preprocessReadCase } from './preprocess.js';
import { CROSS_VALIDATION_FOLDS, loadOrCreateSplits, type Split } from './splits.js';

/** Hash of everything in the plan that changes preprocessed voxels. */
export function preprocessingHash(plan: Plan): string {
  const relevant = {
    // A new file format makes every old cache stale, so `hnas train` rebuilds it by itself.
    FORMAT_VERSION: CASE_FILE_FORMAT,
    spacing: plan.spacing,
    transposeForward: plan.transposeForward,
    normalization: plan.normalization,
    foregroundIntensityProperties: plan.foregroundIntensityProperties,
    anisotropyThreshold: plan.anisotropyThreshold,
    labels: plan.labels,
    channelNames: plan.channelNames,
  };
  return createHash('sha256').update(JSON.stringify(relevant)).digest('hex').slice(0, 16);
}

export interface Manifest {
  readonly planHash: string;
  readonly datasetName: string;
  /** Case id -> cache file name (relative to the cache folder). */
  readonly files: Record<string, string>;
}

export interface PreprocessedDataset {
  readonly dir: string;
  readonly manifest: Manifest;
  /** Case id -> absolute cache file path. */
  readonly files: Record<string, string>;
  readonly splits: Split[];
  /** Cases (re)built by this call; 0 when the cache was current. */
  readonly rebuilt: number;
}

export interface PreprocessOptions {
  onCase?: (done: number, total: number) => void;
  seed?: number;
}

/** One case still to preprocess: dataset.cases[index] into `file`. */
export interface CaseJob {
  readonly index: number;
  readonly id: string;
  readonly file: string;
  readonly seed: number;
}

/**
 * A cache being brought up to date: which cases need (re)building for this plan, and the manifest,
 * rewritten as each one finishes, so an interrupted run resumes where it stopped.
 */
export class CacheBuild {
  readonly jobs: CaseJob[] = [];
  private readonly manifestFile: string;
  private readonly planHash: string;
  private readonly old: Manifest | undefined;
  private readonly files: Record<string, string> = {};
  private rebuilt = 0;

  constructor(
    private readonly dataset: Dataset,
    plan: Plan,
    readonly dir: string,
    seed = 1234,
  ) {
    this.manifestFile = join(dir, 'manifest.json');
    this.planHash = preprocessingHash(plan);
    this.old = existsSync(this.manifestFile) ? readManifest(this.manifestFile) : undefined;
    const current = this.old?.planHash === this.planHash ? this.old.files : {};
    dataset.cases.forEach((c, i) => {
      const name = `${c.id}.hnpp`;
      if (current[c.id] === name && existsSync(join(dir, name))) this.files[c.id] = name;
      else this.jobs.push({ index: i, id: c.id, file: join(dir, name), seed: seed + i });
    });
  }

  /** Cases already current. */
  get cached(): number {
    return this.dataset.cases.length - this.jobs.length;
  }

  /** Record a built case; the manifest (a few KB) is rewritten at once. */
  done(job: CaseJob): void {
    this.files[job.id] = basename(job.file);
    this.rebuilt++;
    this.save();
  }

  finish(): PreprocessedDataset {
    const old = this.old;
    if (this.rebuilt > 0 || !old || old.planHash !== this.planHash || Object.keys(old.files).length !== Object.keys(this.files).length) this.save();
    const files = this.listed();
    // Fewer cases than folds: no cross-validation (nnU-Net trains those with fold 'all', which needs no splits).
    const ids = this.dataset.cases.map((c) => c.id);
    const splits = ids.length >= CROSS_VALIDATION_FOLDS ? loadOrCreateSplits(join(this.dir, 'splits_final.json'), ids) : [];
    const abs = Object.fromEntries(Object.entries(files).map(([id, f]) => [id, join(this.dir, f)]));
    return { dir: this.dir, manifest: { planHash: this.planHash, datasetName: this.dataset.name, files }, files: abs, splits, rebuilt: this.rebuilt };
  }

  /** Only this dataset's cases, in its order. */
  private listed(): Record<string, string> {
    return Object.fromEntries(this.dataset.cases.filter((c) => c.id in this.files).map((c) => [c.id, this.files[c.id]!]));
  }

  private save(): void {
    writeFileAtomic(this.manifestFile, `${JSON.stringify({ planHash: this.planHash, datasetName: this.dataset.name, files: this.listed() }, null, 2)}\n`);
  }
}

/** Read, preprocess and write one case: the unit of work of a preprocessing worker. */
export function buildCaseFile(dataset: Dataset, plan: Plan, job: CaseJob): void {
  writeCaseFile(job.file, preprocessReadCase(() => readCase(dataset, dataset.cases[job.index]!), plan, job.seed));
}

/**
 * Preprocess every case into `dir` unless a cache for the same plan hash is already there, in this
 * thread (preprocessInWorkers in preprocess-workers.ts spreads the cases over threads).
 */
export function preprocessDataset(dataset: Dataset, plan: Plan, dir: string, options: PreprocessOptions = {}): PreprocessedDataset {
  const build = new CacheBuild(dataset, plan, dir, options.seed);
  let done = build.cached;
  if (done > 0) options.onCase?.(done, dataset.cases.length);
  for (const job of build.jobs) {
    buildCaseFile(dataset, plan, job);
    build.done(job);
    options.onCase?.(++done, dataset.cases.length);
  }
  return build.finish();
}

function readManifest(file: string): Manifest | undefined {
  try {
    const m = JSON.parse(readFileSync(file, 'utf8')) as Manifest;
    return typeof m?.planHash === 'string' && typeof m.files === 'object' && m.files !== null ? m : undefined;
  } catch {
    return undefined; // an unreadable manifest only costs a rebuild
  }
}
