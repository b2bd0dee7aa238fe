/**
 * Opening a finished or running study for reading (report, incumbent): its database,
 * name, settings, trials and description (study.json, absent for studies made by the
 * library directly). Reading never creates a database where the user mistyped a path.
 */
import { existsSync } from 'node:fs';
import { SqliteStorage } from '../optimize/sqlite-storage.js';
import type { StudySettings } from '../optimize/settings.js';
import type { TrialRecord } from '../optimize/trial.js';
import { StorageError, UsageError } from '../errors.js';
import { metaFile, readStudyMeta, type StudyMeta, type StudyPaths, studyFolder, studyPaths } from './layout.js';

export interface LoadedStudy {
  readonly paths: StudyPaths;
  readonly name: string;
  /** The study's folder (trial folders, plan, study.json). */
  readonly folder: string;
  readonly settings: StudySettings;
  readonly meta: StudyMeta | null;
  readonly trials: readonly TrialRecord[];
}

export async function loadStudy(path: string, name?: string): Promise<LoadedStudy> {
  const paths = studyPaths(path);
  if (!existsSync(paths.db)) throw new StorageError('no study database here (expected a study folder holding study.db, or a .db file)', { file: paths.db });
  const storage = new SqliteStorage(paths.db, { readonly: true });
  try {
    const names = await storage.listStudies();
    if (name === undefined) {
      if (names.length !== 1) throw new UsageError(`${paths.db} holds ${names.length === 0 ? 'no studies' : `several studies (${names.join(', ')})`}: choose one with --name`);
      name = names[0]!;
    }
    const settings = await storage.getStudy(name);
    if (!settings) throw new StorageError(`no study named '${name}' (studies: ${names.join(', ') || 'none'})`, { file: paths.db });
    const meta = existsSync(metaFile(paths, name)) ? readStudyMeta(metaFile(paths, name)) : null;
    return { paths, name, folder: studyFolder(paths, name), settings, meta, trials: await storage.trials(name) };
  } finally {
    await storage.close();
  }
}
