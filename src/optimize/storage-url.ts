/**
 * Storage URLs: the one place a `--storage` value is parsed and its backend opened.
 *   sqlite:///abs/path/study.db   SQLite file (file-URL style: three slashes, then an absolute path)
 *   /path/study.db, study.db      a plain path: SQLite too
 *   postgresql://user[:pw]@host:5432/db   (or postgres://) a PostgreSQL server; the password may
 *                                 come from PGPASSWORD or ~/.pgpass instead
 * Adding a backend: its file, and one entry in BACKENDS. A backend's module (and its driver) is
 * loaded only when a study is opened with it, so parsing a flag loads neither SQLite nor pg.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { StorageError, UsageError } from '../errors.js';
import { networkFilesystem } from './network-fs.js';
import type { StudyStorage } from './storage.js';

export interface StorageBackend {
  /** URL schemes it serves (without ':'). */
  readonly schemes: readonly string[];
  /** Shared by workers on several machines (a server), or one machine only (a file). */
  readonly networked: boolean;
  /** Opens the storage; with `mustExist` (readers), refuses to create an empty one and, where it can, only reads. */
  open(url: string, mustExist: boolean): Promise<StudyStorage>;
}

function sqliteFile(url: string): string {
  if (!url.startsWith('sqlite:')) return resolve(url);
  if (!url.startsWith('sqlite:///')) throw new UsageError(`--storage: a SQLite URL is sqlite:///ABSOLUTE/PATH (three slashes), got '${url}'`);
  return fileURLToPath(url.replace(/^sqlite:/, 'file:'));
}

export const BACKENDS: Readonly<Record<string, StorageBackend>> = {
  sqlite: {
    schemes: ['sqlite'],
    networked: false,
    async open(url, mustExist) {
      const file = sqliteFile(url);
      // Reading must not create an empty database where the user mistyped a path.
      if (mustExist && !existsSync(file)) throw new StorageError('no study database here (expected a study folder holding study.db, or a .db file)', { file });
      warnNetworkSqlite(file);
      const { SqliteStorage } = await import('./sqlite-storage.js');
      return new SqliteStorage(file, { readonly: mustExist });
    },
  },
  postgresql: { schemes: ['postgresql', 'postgres'], networked: true, open: async (url) => new (await import('./postgres-storage.js')).PostgresStorage(url) },
};

/** The URL with its password hidden, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url.replace(/:[^:@/]*@/, ':***@');
  }
}

const warned = new Set<string>();
/** SQLite over a network filesystem: warn once per file (several machines would corrupt it; one is merely slow). */
function warnNetworkSqlite(file: string): void {
  const fs = networkFilesystem(file);
  if (fs === undefined || warned.has(file)) return;
  warned.add(file);
  process.stderr.write(
    `hnas: warning: the SQLite study database ${file} is on a network filesystem (${fs}); SQLite's locks are not safe there across machines. ` +
      'Run workers of one study on one machine only, or use --storage postgresql://user@host:5432/db (docs/optimizer.md)\n',
  );
}

/** The backend a storage URL names (a value without a scheme is a SQLite path). */
export function storageBackend(url: string): StorageBackend {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase();
  if (scheme === undefined) return BACKENDS.sqlite!;
  const backend = Object.values(BACKENDS).find((b) => b.schemes.includes(scheme));
  if (!backend) {
    const known = Object.values(BACKENDS).flatMap((b) => b.schemes.map((s) => `${s}://`));
    throw new UsageError(`--storage: unknown scheme '${scheme}://' in '${redactUrl(url)}' (known: ${known.join(', ')}, or a plain SQLite path)`);
  }
  return backend;
}

/** The normal form of a storage URL (a SQLite path becomes sqlite:///abs/path). */
export function normalizeStorageUrl(url: string): string {
  return storageBackend(url) === BACKENDS.sqlite ? `sqlite://${sqliteFile(url)}` : url;
}

/** Opens the study storage a URL names. */
export function openStorage(url: string, options: { mustExist?: boolean } = {}): Promise<StudyStorage> {
  return storageBackend(url).open(url, options.mustExist ?? false);
}
