/**
 * Where a study keeps its files. `--study PATH` names a folder (database PATH/study.db)
 * or a database file (*.db, its folder holds the rest). One database may hold several
 * studies (one per approach by default); each has its own folder:
 *   <dir>/study.db                      trials (SQLite, shared by all workers on this machine),
 *                                       unless `--storage URL` names another (a PostgreSQL server)
 *   <dir>/<name>/study.json             what was optimised and how (checked on resume)
 *   <dir>/<name>/plans.json             the dataset plan the search used
 *   <dir>/<name>/trials/<key>/          one folder per trial: config.json, log.txt,
 *                                       scores.json, the model and its checkpoint
 * study.json keeps the dataset path relative to the study folder, so the folder can move
 * (or be mounted elsewhere on another machine) with its dataset beside it.
 */
import { existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError, UsageError } from '../errors.js';
import { writeFileAtomic } from '../util/fs.js';
import { normalizeStorageUrl, redactUrl, storageBackend } from '../optimize/storage-url.js';
import { APPROACH_NAMES } from './approaches.js';
import type { TrainingSettings } from './objective-setup.js';
import { readJsonFile } from '../util/json.js';

export interface StudyPaths {
  readonly dir: string;
  /** Where the trials are, for messages: the SQLite file, or the server's URL without its password. */
  readonly db: string;
  /** The storage URL (src/optimize/storage-url.ts). */
  readonly storage: string;
}

/** The study's paths; `storage` (a URL) overrides the folder's own study.db. */
export function studyPaths(path: string, storage?: string): StudyPaths {
  const p = resolve(path);
  const local = p.endsWith('.db') ? { dir: dirname(p), db: p } : { dir: p, db: join(p, 'study.db') };
  if (storage === undefined) return { ...local, storage: normalizeStorageUrl(local.db) };
  const url = normalizeStorageUrl(storage);
  return { dir: local.dir, db: storageBackend(url).networked ? redactUrl(url) : url.replace(/^sqlite:\/\//, ''), storage: url };
}

export const studyFolder = (paths: StudyPaths, name: string): string => join(paths.dir, name);

/** A study name becomes a folder name: letters, digits, '.', '_', '-' only. */
export function checkStudyName(name: string): string {
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(name)) throw new UsageError(`--name must be letters, digits, '.', '_' or '-' (it names a folder), got '${name}'`);
  return name;
}
/** A trial key (`b3/r2/b3/new/7`) as a folder name (`b3-r2-b3-new-7`); keys are unique, so are folders. */
export const trialFolderName = (key: string): string => key.replace(/\//g, '-');
export const trialFolder = (paths: StudyPaths, name: string, key: string): string => join(studyFolder(paths, name), 'trials', trialFolderName(key));

const vec3 = z.tuple([z.number().int().positive(), z.number().int().positive(), z.number().int().positive()]);
const metaSchema = z.object({
  format: z.literal('hnas-automl-study'),
  version: z.literal(1),
  name: z.string().min(1),
  approach: z.enum(APPROACH_NAMES as [string, ...string[]]),
  objective: z.string().min(1),
  /** Relative to the study folder (absolute in studies written before 0.1). */
  dataset: z.string(),
  /** The storage URL the study was created with, without a password (absent: the folder's study.db). */
  storage: z.string().optional(),
  datasetName: z.string(),
  nMax: z.number().int().positive(),
  training: z.object({
    folds: z.array(z.number().int().min(0)).min(1),
    iterationsPerEpoch: z.number().int().positive(),
    patchSize: vec3.nullable(),
    batchSize: z.number().int().positive().nullable(),
  }),
  /** `--features BASE,MAX` (null: the configurations' own widths); absent in studies made before it was stored. */
  features: z.object({ base: z.number().int().positive(), max: z.number().int().positive() }).nullable().optional(),
  /** sha256 of the plan the study searches with (plans.json); absent in older studies. */
  planDigest: z.string().optional(),
  /** The prior the space is searched around (src/space/priors.ts); absent in older studies (nnunet). */
  prior: z.string().optional(),
  createdAt: z.string(),
});

export type StudyMeta = Omit<z.infer<typeof metaSchema>, 'training'> & { readonly training: TrainingSettings };

export const metaFile = (paths: StudyPaths, name: string): string => join(studyFolder(paths, name), 'study.json');

export function readStudyMeta(file: string): StudyMeta {
  const json = readJsonFile(file, ConfigError, 'the study description');
  const parsed = metaSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(`not a study description written by \`hnas optimize\`: ${issue.message}`, { file, path: `$.${issue.path.join('.')}` });
  }
  // Callers see an absolute dataset path, wherever the study folder is now.
  return { ...(parsed.data as StudyMeta), dataset: resolve(dirname(file), parsed.data.dataset) };
}

/** Writes study.json, or checks that a resumed study was started with the same description. */
export function writeOrCheckMeta(file: string, meta: StudyMeta): StudyMeta {
  if (!existsSync(file)) {
    writeFileAtomic(file, `${JSON.stringify({ ...meta, dataset: relative(dirname(file), meta.dataset) || '.' }, null, 2)}\n`);
    return meta;
  }
  const old = readStudyMeta(file);
  const training = meta.training as unknown as Record<string, unknown>;
  const compared: [string, unknown, unknown][] = [
    ...(['dataset', 'approach', 'objective', 'nMax'] as const).map((f): [string, unknown, unknown] => [f, old[f], meta[f]]),
    ...Object.keys(training).map((f): [string, unknown, unknown] => [`training.${f}`, (old.training as unknown as Record<string, unknown>)[f], training[f]]),
    // Fields older studies did not record are not compared.
    ...(old.features === undefined ? [] : [['features', old.features, meta.features ?? null] as [string, unknown, unknown]]),
    ...(old.planDigest === undefined ? [] : [['plan', old.planDigest, meta.planDigest] as [string, unknown, unknown]]),
    ['prior', old.prior ?? 'nnunet', meta.prior ?? 'nnunet'],
  ];
  for (const [field, was, now] of compared)
    if (JSON.stringify(was) !== JSON.stringify(now)) {
      const shown = field === 'plan' ? `a plan with sha256 ${String(was).slice(0, 12)}..., now one with ${String(now).slice(0, 12)}... (--plan differs from the study's plans.json)` : `${JSON.stringify(was)}, now ${JSON.stringify(now)}`;
      throw new ConfigError(`this study was started with ${field} ${shown}: rerun with the same flags to resume, or use another --study/--name`, {
        file,
        path: `$.${field === 'plan' ? 'planDigest' : field}`,
      });
    }
  return old;
}
