/**
 * SQLite study storage (better-sqlite3): one file, shared by any number of worker
 * processes on one machine. WAL journal so readers never block the writer; every write
 * is an IMMEDIATE transaction (the database's write lock serialises workers), inside
 * which the trial's state transition is applied to the row as stored, so a stale claim
 * loses. A `kill -9` at any point leaves either the whole transaction or none of it.
 */
import { accessSync, constants, copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { StorageError } from '../errors.js';
import type { StudySettings } from './settings.js';
import type { StudyStorage } from './storage.js';
import { type Claim, type TrialEvent, type TrialRecord, type TrialSpec, createTrial, transition } from './trial.js';
import { COLUMNS, fromRow, type Row, toRow } from './trial-row.js';

const SCHEMA_VERSION = 1;

const MIGRATIONS: readonly string[] = [
  `CREATE TABLE studies (name TEXT PRIMARY KEY, settings TEXT NOT NULL, created_at INTEGER NOT NULL);
   CREATE TABLE trials (
     study TEXT NOT NULL REFERENCES studies(name), key TEXT NOT NULL, number INTEGER NOT NULL, version INTEGER NOT NULL,
     config_id TEXT NOT NULL, config TEXT NOT NULL, source TEXT NOT NULL,
     bracket INTEGER NOT NULL, rung INTEGER NOT NULL, budget REAL NOT NULL, previous_budget REAL NOT NULL,
     previous_key TEXT, seed INTEGER NOT NULL, rng_state TEXT,
     status TEXT NOT NULL, worker TEXT NOT NULL, attempt INTEGER NOT NULL,
     loss REAL, cost REAL, checkpoint TEXT, folds TEXT, error TEXT,
     created_at INTEGER NOT NULL, started_at INTEGER NOT NULL, heartbeat_at INTEGER NOT NULL, finished_at INTEGER,
     PRIMARY KEY (study, key), UNIQUE (study, number));
   CREATE INDEX trials_version ON trials (study, version);`,
];

export interface SqliteOptions {
  /**
   * Only read (report, incumbent, study list): never creates, migrates or writes the database. In a
   * folder this process cannot write (a read-only mount, another user's study) SQLite could not even
   * make its WAL index there, so a snapshot copy (database + WAL) in a temporary folder is read instead.
   */
  readonly readonly?: boolean;
}

function writable(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

export class SqliteStorage implements StudyStorage {
  private readonly db: Database.Database;
  private readonly stmts;
  private readonly snapshotDir?: string;

  /** Opens (creating if needed, unless readonly) the study database at `path` (':memory:' for a private one). */
  constructor(
    readonly path: string,
    options: SqliteOptions = {},
  ) {
    try {
      if (options.readonly) {
        let file = path;
        if (!writable(dirname(path))) {
          this.snapshotDir = mkdtempSync(join(tmpdir(), 'hnas-study-snapshot-'));
          file = join(this.snapshotDir, basename(path));
          copyFileSync(path, file);
          if (existsSync(`${path}-wal`)) copyFileSync(`${path}-wal`, `${file}-wal`);
        }
        this.db = new Database(file, { readonly: true, fileMustExist: true });
        this.db.pragma('busy_timeout = 30000');
        const version = this.db.pragma('user_version', { simple: true }) as number;
        if (version === 0) throw new StorageError('not a study database (empty, or never written by hnas)', { file: path });
        if (version !== SCHEMA_VERSION) throw new StorageError(`database schema version ${version}, this hnas reads ${SCHEMA_VERSION}: open it once with \`hnas optimize\` to migrate`, { file: path });
      } else {
        this.db = new Database(path);
        this.db.pragma('journal_mode = WAL');
        this.db.pragma('busy_timeout = 30000');
        this.migrate();
      }
    } catch (err) {
      if (this.snapshotDir) rmSync(this.snapshotDir, { recursive: true, force: true });
      if (err instanceof StorageError) throw err;
      throw new StorageError(`cannot open study database: ${(err as Error).message}`, { file: path }, { cause: err });
    }
    this.stmts = {
      insertStudy: this.db.prepare('INSERT OR IGNORE INTO studies (name, settings, created_at) VALUES (?, ?, ?)'),
      getStudy: this.db.prepare<[string], { settings: string }>('SELECT settings FROM studies WHERE name = ?'),
      listStudies: this.db.prepare<[], { name: string }>('SELECT name FROM studies ORDER BY name'),
      trials: this.db.prepare<[string, number], Row>('SELECT * FROM trials WHERE study = ? AND version > ? ORDER BY number'),
      nextVersion: this.db.prepare<[string], { v: number }>('SELECT COALESCE(MAX(version) + 1, 1) AS v FROM trials WHERE study = ?'),
      trial: this.db.prepare<[string, string], Row>('SELECT * FROM trials WHERE study = ? AND key = ?'),
      nextNumber: this.db.prepare<[string], { n: number }>('SELECT COALESCE(MAX(number) + 1, 0) AS n FROM trials WHERE study = ?'),
      insertTrial: this.db.prepare(`INSERT OR IGNORE INTO trials (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map((c) => `@${c}`).join(', ')})`),
      updateTrial: this.db.prepare(
        `UPDATE trials SET ${COLUMNS.filter((c) => c !== 'study' && c !== 'key').map((c) => `${c} = @${c}`).join(', ')} WHERE study = @study AND key = @key`,
      ),
    };
  }

  private migrate(): void {
    const version = this.db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION) throw new StorageError(`database schema version ${version} is newer than this hnas (${SCHEMA_VERSION})`, { file: this.path });
    this.db.transaction(() => {
      for (let v = version; v < SCHEMA_VERSION; v++) this.db.exec(MIGRATIONS[v]!);
      this.db.pragma(`user_version = ${SCHEMA_VERSION}`);
    }).immediate();
  }

  private guard<T>(what: string, fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      if (err instanceof StorageError) throw err;
      throw new StorageError(`${what} failed: ${(err as Error).message}`, { file: this.path }, { cause: err });
    }
  }

  async createStudy(name: string, settings: StudySettings): Promise<StudySettings> {
    return this.guard('createStudy', () => {
      this.stmts.insertStudy.run(name, JSON.stringify(settings), Date.now());
      return JSON.parse(this.stmts.getStudy.get(name)!.settings) as StudySettings;
    });
  }

  async getStudy(name: string): Promise<StudySettings | undefined> {
    return this.guard('getStudy', () => {
      const row = this.stmts.getStudy.get(name);
      return row && (JSON.parse(row.settings) as StudySettings);
    });
  }

  async listStudies(): Promise<string[]> {
    return this.guard('listStudies', () => this.stmts.listStudies.all().map((r) => r.name));
  }

  async trials(study: string, since = 0): Promise<TrialRecord[]> {
    return this.guard('trials', () =>
      this.db.transaction(() => {
        if (!this.stmts.getStudy.get(study)) throw new StorageError(`no study named '${study}'`, { file: this.path });
        return this.stmts.trials.all(study, since).map(fromRow);
      })(),
    );
  }

  async insertTrial(spec: TrialSpec, worker: string, at: number): Promise<TrialRecord | undefined> {
    return this.guard('insertTrial', () =>
      this.db
        .transaction(() => {
          if (!this.stmts.getStudy.get(spec.study)) throw new StorageError(`no study named '${spec.study}'`, { file: this.path });
          if (this.stmts.trial.get(spec.study, spec.key)) return undefined;
          const record = createTrial(spec, this.stmts.nextNumber.get(spec.study)!.n, this.stmts.nextVersion.get(spec.study)!.v, worker, at);
          this.stmts.insertTrial.run(toRow(record));
          return record;
        })
        .immediate(),
    );
  }

  async updateTrial(study: string, key: string, claim: Claim, event: TrialEvent): Promise<TrialRecord | undefined> {
    return this.guard('updateTrial', () =>
      this.db
        .transaction(() => {
          const row = this.stmts.trial.get(study, key);
          if (!row) throw new StorageError(`study '${study}' has no trial '${key}'`, { file: this.path });
          const moved = transition(fromRow(row), claim, event);
          if (!moved) return undefined;
          const next = { ...moved, version: this.stmts.nextVersion.get(study)!.v };
          this.stmts.updateTrial.run(toRow(next));
          return next;
        })
        .immediate(),
    );
  }

  async close(): Promise<void> {
    this.db.close();
    if (this.snapshotDir) rmSync(this.snapshotDir, { recursive: true, force: true });
  }
}
