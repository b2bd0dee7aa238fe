/**
 * Joining an existing study from any machine (`hnas worker`): everything a worker needs is
 * in the study folder (study.json, plans.json, the trial folders, on a filesystem every
 * worker sees) and in the study storage (the trials). The storage is `--storage`, else the
 * URL study.json recorded at creation (a password comes from PGPASSWORD or ~/.pgpass),
 * else the folder's study.db.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readPlanFile } from '../data/plan-file.js';
import { ConfigError, UsageError } from '../errors.js';
import type { PreparedStudy } from './driver.js';
import { metaFile, readStudyMeta, type StudyPaths, studyPaths } from './layout.js';
import { withStudyStorage } from './load.js';

/** The storage URL study.json recorded (of study `name`, or of the folder's only study), if any. */
function recordedStorage(local: StudyPaths, name: string | undefined): string | undefined {
  const names = name !== undefined ? [name] : existsSync(local.dir) ? readdirSync(local.dir).filter((n) => existsSync(metaFile(local, n))) : [];
  const urls = new Set(names.filter((n) => existsSync(metaFile(local, n))).map((n) => readStudyMeta(metaFile(local, n)).storage));
  if (urls.size > 1) throw new UsageError(`${local.dir} holds studies in different storages: choose one with --name or --storage`);
  return [...urls][0];
}

export async function joinStudy(path: string, options: { name?: string; storage?: string } = {}): Promise<PreparedStudy> {
  const local = studyPaths(path);
  const paths = studyPaths(path, options.storage ?? recordedStorage(local, options.name));
  return withStudyStorage(paths, options.name, async ({ name, folder, meta }) => {
    if (!meta) throw new ConfigError(`study '${name}' has no study.json in its folder: start it with \`hnas optimize\` (a worker needs the dataset, plan and training settings it records)`, { file: metaFile(paths, name) });
    return { paths, name, folder, meta, plan: readPlanFile(join(folder, 'plans.json')) };
  });
}
