/**
 * A trial record as a table row (snake_case columns, JSON text for structured fields):
 * the one mapping every SQL backend (sqlite-storage.ts, postgres-storage.ts) stores.
 */
import { createTrial, type TrialRecord } from './trial.js';

export interface Row {
  study: string; key: string; number: number; version: number; config_id: string; config: string; source: string;
  bracket: number; rung: number; budget: number; previous_budget: number; previous_key: string | null;
  seed: number; rng_state: string | null; status: string; worker: string; attempt: number;
  loss: number | null; cost: number | null; checkpoint: string | null; folds: string | null; error: string | null;
  created_at: number; started_at: number; heartbeat_at: number; finished_at: number | null;
}

export const fromRow = (r: Row): TrialRecord => ({
  study: r.study, key: r.key, number: r.number, version: r.version, configId: r.config_id, config: JSON.parse(r.config), source: r.source as TrialRecord['source'],
  bracket: r.bracket, rung: r.rung, budget: r.budget, previousBudget: r.previous_budget, previousKey: r.previous_key,
  seed: r.seed, rngState: r.rng_state === null ? null : JSON.parse(r.rng_state), status: r.status as TrialRecord['status'],
  worker: r.worker, attempt: r.attempt, loss: r.loss, cost: r.cost, checkpoint: r.checkpoint,
  folds: r.folds === null ? null : JSON.parse(r.folds), error: r.error,
  createdAt: r.created_at, startedAt: r.started_at, heartbeatAt: r.heartbeat_at, finishedAt: r.finished_at,
});

export const toRow = (t: TrialRecord): Row => ({
  study: t.study, key: t.key, number: t.number, version: t.version, config_id: t.configId, config: JSON.stringify(t.config), source: t.source,
  bracket: t.bracket, rung: t.rung, budget: t.budget, previous_budget: t.previousBudget, previous_key: t.previousKey,
  seed: t.seed, rng_state: t.rngState === null ? null : JSON.stringify(t.rngState), status: t.status, worker: t.worker,
  attempt: t.attempt, loss: t.loss, cost: t.cost, checkpoint: t.checkpoint, folds: t.folds === null || t.folds === undefined ? null : JSON.stringify(t.folds),
  error: t.error, created_at: t.createdAt, started_at: t.startedAt, heartbeat_at: t.heartbeatAt, finished_at: t.finishedAt,
});

export const COLUMNS = Object.keys(toRow(createTrial({ study: '', key: '', configId: '', config: {}, source: 'random', bracket: 0, rung: 0, budget: 0, previousBudget: 0, previousKey: null, seed: 0, rngState: null }, 0, 0, '', 0)));

