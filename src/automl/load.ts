/**
 * Opening a finished or running study for reading (report, incumbent): its database,
 * name, settings, trials and description (study.json, absent for studies made by the
 * library directly). Reading never creates a database where the user mistyped a path.
 */
import { existsSync } from 'node:fs';
import { openStorage } from '../optimize/storage-url.js';
import type { StudySettings } from '../optimize/settings.js';
import type { StudyStorage } from '../optimize/storage.js';
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

/** The study in folder `path`, its trials in the folder's study.db or in `storage` (a URL). */
export async function loadStudy(path: string, name?: string, storage?: string): Promise<LoadedStudy> {
  const paths = studyPaths(path, storage);
  return withStudyStorage(paths, name, async (opened) => ({ ...opened, trials: await opened.storage.trials(opened.name) }));
}

/** The names of the studies in folder `path`'s database (or in `storage`). */
export async function studyNames(path: string, storage?: string): Promise<string[]> {
  const db = await openStorage(studyPaths(path, storage).storage, { mustExist: true });
  try {
    return await db.listStudies();
  } finally {
    await db.close();
  }
}

/** Opens a study's storage (never creating it) and finds its name and settings; closes it after `fn`. */
export async function withStudyStorage<T>(
  paths: StudyPaths,
  name: string | undefined,
  fn: (opened: Omit<LoadedStudy, 'trials'> & { storage: StudyStorage }) => Promise<T>,
): Promise<T> {
  const storage = await openStorage(paths.storage, { mustExist: true });
  try {
    const names = await storage.listStudies();
    if (name === undefined) {
      if (names.length !== 1) throw new UsageError(`${paths.db} holds ${names.length === 0 ? 'no studies' : `several studies (${names.join(', ')})`}: choose one with --name`);
      name = names[0]!;
    }
    const settings = await storage.getStudy(name);
    if (!settings) throw new StorageError(`no study named '${name}' (studies: ${names.join(', ') || 'none'})`, { file: paths.db });
    const meta = existsSync(metaFile(paths, name)) ? readStudyMeta(metaFile(paths, name)) : null;
    return await fn({ paths, name, folder: studyFolder(paths, name), settings, meta, storage });
  } finally {
    await storage.close();
  }
}
