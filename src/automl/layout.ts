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
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError, UsageError } from '../errors.js';
import { writeFileAtomic } from '../util/fs.js';
import { normalizeStorageUrl, storageBackend } from '../optimize/storage-url.js';
import { redactUrl } from '../optimize/postgres-storage.js';
import { APPROACH_NAMES } from './approaches.js';
import type { TrainingSettings } from './objective-setup.js';

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
  createdAt: z.string(),
});

export type StudyMeta = Omit<z.infer<typeof metaSchema>, 'training'> & { readonly training: TrainingSettings };

export const metaFile = (paths: StudyPaths, name: string): string => join(studyFolder(paths, name), 'study.json');

export function readStudyMeta(file: string): StudyMeta {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(`cannot read the study description (${(err as Error).message})`, { file }, { cause: err });
  }
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
  for (const field of ['dataset', 'approach', 'objective', 'nMax', 'training'] as const)
    if (JSON.stringify(old[field]) !== JSON.stringify(meta[field]))
      throw new ConfigError(
        `this study was started with ${field} ${JSON.stringify(old[field])}, now ${JSON.stringify(meta[field])}: rerun with the same flags to resume, or use another --study/--name`,
        { file, path: `$.${field}` },
      );
  return old;
}
