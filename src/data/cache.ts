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
import { join } from 'node:path';
import { writeFileAtomic } from '../util/fs.js';
import { CASE_FILE_FORMAT, writeCaseFile } from './case-file.js';
import { readCase } from './case.js';
import type { Dataset } from './dataset.js';
import type { Plan } from './plan-types.js';
import { preprocessCase } from './preprocess.js';
import { loadOrCreateSplits, type Split } from './splits.js';

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

/**
 * Preprocess every case into `dir` unless a cache for the same plan hash is already there.
 * The manifest is rewritten as cases finish, so an interrupted run resumes where it stopped.
 */
export function preprocessDataset(dataset: Dataset, plan: Plan, dir: string, options: PreprocessOptions = {}): PreprocessedDataset {
  const manifestFile = join(dir, 'manifest.json');
  const planHash = preprocessingHash(plan);
  const old = existsSync(manifestFile) ? readManifest(manifestFile) : undefined;
  const current = old?.planHash === planHash ? old.files : {};
  const files: Record<string, string> = {};
  const save = (): void => writeFileAtomic(manifestFile, `${JSON.stringify({ planHash, datasetName: dataset.name, files: { ...current, ...files } }, null, 2)}\n`);
  let rebuilt = 0;
  dataset.cases.forEach((c, i) => {
    const name = `${c.id}.hnpp`;
    if (current[c.id] !== name || !existsSync(join(dir, name))) {
      delete current[c.id];
      const pre = preprocessCase(readCase(dataset, c), plan, (options.seed ?? 1234) + i);
      writeCaseFile(join(dir, name), pre);
      rebuilt++;
      files[c.id] = name;
      save(); // a few KB per case; lets an interrupted run resume
    }
    files[c.id] = name;
    options.onCase?.(i + 1, dataset.cases.length);
  });
  // Only this dataset's cases stay listed.
  for (const id of Object.keys(current)) if (!(id in files)) delete current[id];
  if (rebuilt > 0 || !old || old.planHash !== planHash || Object.keys(old.files).length !== Object.keys(files).length) save();
  const splits = loadOrCreateSplits(join(dir, 'splits_final.json'), dataset.cases.map((c) => c.id));
  const abs = Object.fromEntries(Object.entries(files).map(([id, f]) => [id, join(dir, f)]));
  return { dir, manifest: { planHash, datasetName: dataset.name, files }, files: abs, splits, rebuilt };
}

function readManifest(file: string): Manifest | undefined {
  try {
    const m = JSON.parse(readFileSync(file, 'utf8')) as Manifest;
    return typeof m?.planHash === 'string' && typeof m.files === 'object' && m.files !== null ? m : undefined;
  } catch {
    return undefined; // an unreadable manifest only costs a rebuild
  }
}
