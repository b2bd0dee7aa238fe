/**
 * PostgreSQL study storage (`pg`): one database server shared by workers on any number of
 * machines. Every write is one transaction that first locks the study's row
 * (SELECT ... FOR UPDATE), so the writes of a study are serialised: the version counter and
 * trial numbers are assigned in commit order, and the trial's state transition is applied to
 * the row as stored, so a stale claim loses.
 *
 * The server may go away (restart, network cut): every operation is retried with exponential
 * backoff until `retryForMs` passes, with one message on stderr while it is down. A write
 * whose COMMIT was cut off may or may not have landed; its retry recognises its own effect
 * (same worker, attempt and timestamp) and returns it rather than reporting a lost claim.
 */
import pg from 'pg';
import { StorageError } from '../errors.js';
import type { StudySettings } from './settings.js';
import type { StudyStorage } from './storage.js';
import { redactUrl } from './storage-url.js';
import { type Claim, type TrialEvent, type TrialRecord, type TrialSpec, createTrial, transition } from './trial.js';
import { COLUMNS, fromRow, type Row, toRow } from './trial-row.js';

const SCHEMA_VERSION = 1;

const MIGRATIONS: readonly string[] = [
  `CREATE TABLE hnas_studies (name TEXT PRIMARY KEY, settings TEXT NOT NULL, created_at BIGINT NOT NULL, version BIGINT NOT NULL DEFAULT 0);
   CREATE TABLE hnas_trials (
     study TEXT NOT NULL REFERENCES hnas_studies(name), key TEXT NOT NULL, number INTEGER NOT NULL, version BIGINT NOT NULL,
     config_id TEXT NOT NULL, config TEXT NOT NULL, source TEXT NOT NULL,
     bracket INTEGER NOT NULL, rung INTEGER NOT NULL, budget DOUBLE PRECISION NOT NULL, previous_budget DOUBLE PRECISION NOT NULL,
     previous_key TEXT, seed BIGINT NOT NULL, rng_state TEXT,
     status TEXT NOT NULL, worker TEXT NOT NULL, attempt INTEGER NOT NULL,
     loss DOUBLE PRECISION, cost DOUBLE PRECISION, checkpoint TEXT, folds TEXT, error TEXT,
     created_at BIGINT NOT NULL, started_at BIGINT NOT NULL, heartbeat_at BIGINT NOT NULL, finished_at BIGINT,
     PRIMARY KEY (study, key), UNIQUE (study, number));
   CREATE INDEX hnas_trials_version ON hnas_trials (study, version);`,
];

/** Any fixed number: the advisory lock that serialises concurrent migrations. */
const MIGRATION_LOCK = 0x686e6173;

// BIGINT (oid 20) as a JS number: timestamps in ms and versions fit in 2^53.
const TYPES = { getTypeParser: ((oid: number, format?: string) => (oid === 20 ? Number : pg.types.getTypeParser(oid, format as 'text'))) as typeof pg.types.getTypeParser };

const INSERT = `INSERT INTO hnas_trials (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map((_, i) => `$${i + 1}`).join(', ')})`;
const UPDATABLE = COLUMNS.filter((c) => c !== 'study' && c !== 'key');
const UPDATE = `UPDATE hnas_trials SET ${UPDATABLE.map((c, i) => `${c} = $${i + 3}`).join(', ')} WHERE study = $1 AND key = $2`;

/** Errors worth retrying: the server or the connection is gone, not the query wrong. */
function isConnectionError(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  if (typeof e?.code === 'string') {
    if (/^(ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH)$/.test(e.code)) return true;
    if (/^(08|57P0[1-3]|53300|40001|40P01)/.test(e.code)) return true; // connection class, shutdown, too many clients, serialization/deadlock
  }
  return /Connection terminated|connection timeout|Client has encountered a connection error|terminating connection/i.test(e?.message ?? '');
}

export interface PostgresOptions {
  /** Keep retrying a lost server this long before failing (default 10 min). */
  readonly retryForMs?: number;
  /** Where the "server unreachable" message goes (default stderr). */
  readonly warn?: (line: string) => void;
}

export class PostgresStorage implements StudyStorage {
  private readonly pool: pg.Pool;
  private readonly where: string;
  private ready: Promise<void> | undefined;
  private down = false;

  constructor(readonly url: string, private readonly options: PostgresOptions = {}) {
    this.where = redactUrl(url);
    this.pool = new pg.Pool({ connectionString: url, max: 2, types: TYPES, connectionTimeoutMillis: 10_000, idleTimeoutMillis: 10_000 });
    // A connection lost with the server surfaces as the failed query (retried); the event itself is noise.
    this.pool.on('error', () => undefined);
    this.pool.on('connect', (client) => client.on('error', () => undefined));
  }

  private migrate(): Promise<void> {
    return (this.ready ??= this.run('open', (c) => this.applyMigrations(c)).catch((err) => {
      this.ready = undefined;
      throw err;
    }));
  }

  private async applyMigrations(c: pg.PoolClient): Promise<void> {
    await c.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await c.query('CREATE TABLE IF NOT EXISTS hnas_schema (version INTEGER NOT NULL)');
    const rows = (await c.query<{ version: number }>('SELECT version FROM hnas_schema')).rows;
    const version = rows[0]?.version ?? 0;
    if (version > SCHEMA_VERSION) throw new StorageError(`database schema version ${version} is newer than this hnas (${SCHEMA_VERSION})`, { file: this.where });
    for (let v = version; v < SCHEMA_VERSION; v++) await c.query(MIGRATIONS[v]!);
    if (rows.length === 0) await c.query('INSERT INTO hnas_schema (version) VALUES ($1)', [SCHEMA_VERSION]);
    else await c.query('UPDATE hnas_schema SET version = $1', [SCHEMA_VERSION]);
  }

  /** Runs `fn` in one transaction, retrying it (with `retry` set) while the server is unreachable. */
  private async run<T>(what: string, fn: (c: pg.PoolClient, retry: boolean) => Promise<T>): Promise<T> {
    const deadline = Date.now() + (this.options.retryForMs ?? 600_000);
    for (let attempt = 0; ; attempt++) {
      let client: pg.PoolClient | undefined;
      let broken = false;
      try {
        client = await this.pool.connect();
        await client.query('BEGIN');
        const result = await fn(client, attempt > 0);
        await client.query('COMMIT');
        if (this.down) {
          this.down = false;
          this.warn(`hnas: study database ${this.where} is reachable again`);
        }
        return result;
      } catch (err) {
        broken = isConnectionError(err);
        if (client && !broken) await client.query('ROLLBACK').catch(() => (broken = true));
        if (err instanceof StorageError) throw err;
        if (!broken || Date.now() >= deadline)
          throw new StorageError(`${what} failed: ${(err as Error).message}`, { file: this.where }, { cause: err });
        if (!this.down) {
          this.down = true;
          this.warn(`hnas: study database ${this.where} unreachable (${(err as Error).message}); retrying with backoff`);
        }
        await new Promise((r) => setTimeout(r, Math.min(5000, 100 * 2 ** Math.min(attempt, 6)) * (0.5 + Math.random())));
      } finally {
        client?.release(broken);
      }
    }
  }

  private warn(line: string): void {
    (this.options.warn ?? ((l: string) => process.stderr.write(`${l}\n`)))(line);
  }

  private async write<T>(what: string, fn: (c: pg.PoolClient, retry: boolean) => Promise<T>): Promise<T> {
    await this.migrate();
    return this.run(what, fn);
  }

  /** Locks the study's row (serialising its writes) and returns its next version; throws when absent. */
  private async lockStudy(c: pg.PoolClient, study: string): Promise<number> {
    const r = await c.query<{ version: number }>('UPDATE hnas_studies SET version = version + 1 WHERE name = $1 RETURNING version', [study]);
    if (r.rowCount === 0) throw new StorageError(`no study named '${study}'`, { file: this.where });
    return r.rows[0]!.version;
  }

  async createStudy(name: string, settings: StudySettings): Promise<StudySettings> {
    return this.write('createStudy', async (c) => {
      await c.query('INSERT INTO hnas_studies (name, settings, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING', [name, JSON.stringify(settings), Date.now()]);
      const r = await c.query<{ settings: string }>('SELECT settings FROM hnas_studies WHERE name = $1', [name]);
      return JSON.parse(r.rows[0]!.settings) as StudySettings;
    });
  }

  async getStudy(name: string): Promise<StudySettings | undefined> {
    return this.write('getStudy', async (c) => {
      const r = await c.query<{ settings: string }>('SELECT settings FROM hnas_studies WHERE name = $1', [name]);
      return r.rows[0] && (JSON.parse(r.rows[0].settings) as StudySettings);
    });
  }

  async listStudies(): Promise<string[]> {
    return this.write('listStudies', async (c) => (await c.query<{ name: string }>('SELECT name FROM hnas_studies ORDER BY name')).rows.map((r) => r.name));
  }

  async trials(study: string, since = 0): Promise<TrialRecord[]> {
    return this.write('trials', async (c) => {
      const s = await c.query('SELECT 1 FROM hnas_studies WHERE name = $1', [study]);
      if (s.rowCount === 0) throw new StorageError(`no study named '${study}'`, { file: this.where });
      return (await c.query<Row>('SELECT * FROM hnas_trials WHERE study = $1 AND version > $2 ORDER BY number', [study, since])).rows.map(fromRow);
    });
  }

  async insertTrial(spec: TrialSpec, worker: string, at: number): Promise<TrialRecord | undefined> {
    return this.write('insertTrial', async (c, retry) => {
      const version = await this.lockStudy(c, spec.study);
      const existing = (await c.query<Row>('SELECT * FROM hnas_trials WHERE study = $1 AND key = $2', [spec.study, spec.key])).rows[0];
      if (existing) {
        // Our own insert whose COMMIT reply was lost: we hold the slot.
        const own = fromRow(existing);
        return retry && own.worker === worker && own.attempt === 0 && own.createdAt === at ? own : undefined;
      }
      const n = (await c.query<{ n: number }>('SELECT COALESCE(MAX(number) + 1, 0) AS n FROM hnas_trials WHERE study = $1', [spec.study])).rows[0]!.n;
      const record = createTrial(spec, n, version, worker, at);
      const row = toRow(record);
      await c.query(INSERT, COLUMNS.map((k) => row[k as keyof Row]));
      return record;
    });
  }

  async updateTrial(study: string, key: string, claim: Claim, event: TrialEvent): Promise<TrialRecord | undefined> {
    return this.write('updateTrial', async (c, retry) => {
      const version = await this.lockStudy(c, study);
      const row = (await c.query<Row>('SELECT * FROM hnas_trials WHERE study = $1 AND key = $2 FOR UPDATE', [study, key])).rows[0];
      if (!row) throw new StorageError(`study '${study}' has no trial '${key}'`, { file: this.where });
      const stored = fromRow(row);
      const moved = transition(stored, claim, event);
      if (!moved) return retry && alreadyApplied(stored, claim, event) ? stored : undefined;
      const next = { ...moved, version };
      const r = toRow(next);
      await c.query(UPDATE, [study, key, ...UPDATABLE.map((k) => r[k as keyof Row])]);
      return next;
    });
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/** Is `stored` what applying `event` under `claim` gave (a retried write that had landed)? */
function alreadyApplied(stored: TrialRecord, claim: Claim, event: TrialEvent): boolean {
  switch (event.type) {
    case 'finish':
      return stored.status === event.status && stored.worker === claim.worker && stored.attempt === claim.attempt && stored.finishedAt === event.at;
    case 'reclaim':
      return stored.status === 'running' && stored.worker === event.worker && stored.attempt === claim.attempt + 1 && stored.startedAt === event.at;
    case 'heartbeat':
      return stored.status === 'running' && stored.worker === claim.worker && stored.attempt === claim.attempt && stored.heartbeatAt === event.at;
  }
}
