/**
 * Trials: one evaluation of one configuration at one budget, the unit a study stores.
 * A trial is created already claimed by a worker (status `running`); it ends `complete`
 * or `failed` and is then immutable. A running trial whose worker died may be re-claimed
 * by another worker (attempt + 1). `transition` is the one place these rules live; every
 * storage backend applies it.
 */
import { TrialStateError } from '../errors.js';
import type { Configuration } from '../space/types.js';

export type TrialStatus = 'running' | 'complete' | 'failed';
/** Where a trial's configuration came from. */
export type TrialSource = 'default' | 'random' | 'prior' | 'incumbent' | 'promotion';

/** The fields fixed when a trial is created. */
export interface TrialSpec {
  readonly study: string;
  /** The trial's slot in the schedule, unique in the study: `default`, `b3/new/7`, `b3/r2/b3/new/7`. */
  readonly key: string;
  /** Key of the trial that introduced the configuration (its own key for a new configuration). */
  readonly configId: string;
  readonly config: Configuration;
  readonly source: TrialSource;
  /** Index of the successive-halving bracket run (-1 for the default). */
  readonly bracket: number;
  /** Global rung index (budget level). */
  readonly rung: number;
  /** Epochs the model has trained for when the trial ends. */
  readonly budget: number;
  /** Epochs already trained in the checkpoint it continues from (0 for a fresh start). */
  readonly previousBudget: number;
  /** The trial whose checkpoint it continues. */
  readonly previousKey: string | null;
  /** Seed for the objective (training randomness). */
  readonly seed: number;
  /** State of the sampler's generator when this configuration was drawn (null for promotions). */
  readonly rngState: readonly number[] | null;
}

export interface TrialOutcome {
  /** 1 - Dice (or any loss); 1.0 for a failed trial. */
  readonly loss: number | null;
  /** Second objective: training runtime (or any cost). */
  readonly cost: number | null;
  readonly checkpoint: string | null;
  /** Per-fold results as reported by the objective. */
  readonly folds: unknown;
  readonly error: string | null;
}

export interface TrialRecord extends TrialSpec, TrialOutcome {
  /** Creation order in the study (0-based), assigned by the storage. */
  readonly number: number;
  /** Bumped by the storage on every write to the study (1, 2, ...): readers fetch only what changed. */
  readonly version: number;
  readonly status: TrialStatus;
  /** The worker that holds (or held) the trial. */
  readonly worker: string;
  /** 0 for the first claim, +1 for each re-claim after a worker died. */
  readonly attempt: number;
  readonly createdAt: number;
  readonly startedAt: number;
  readonly heartbeatAt: number;
  readonly finishedAt: number | null;
}

/** Who holds a running trial; a transition must name the current holder (compare-and-set). */
export interface Claim {
  readonly worker: string;
  readonly attempt: number;
}

export type TrialEvent =
  | { readonly type: 'finish'; readonly status: 'complete' | 'failed'; readonly outcome: TrialOutcome; readonly at: number }
  | { readonly type: 'reclaim'; readonly worker: string; readonly at: number }
  | { readonly type: 'heartbeat'; readonly at: number };

export const EMPTY_OUTCOME: TrialOutcome = { loss: null, cost: null, checkpoint: null, folds: null, error: null };

/** A new trial record, claimed by `worker`. */
export function createTrial(spec: TrialSpec, number: number, version: number, worker: string, at: number): TrialRecord {
  return { ...spec, ...EMPTY_OUTCOME, number, version, status: 'running', worker, attempt: 0, createdAt: at, startedAt: at, heartbeatAt: at, finishedAt: null };
}

/**
 * Applies `event` to `trial` held under `claim`. Returns undefined when the claim is stale
 * (another worker holds the trial now, or it already ended): the compare-and-set lost.
 */
export function transition(trial: TrialRecord, claim: Claim, event: TrialEvent): TrialRecord | undefined {
  if (trial.status !== 'running' || trial.worker !== claim.worker || trial.attempt !== claim.attempt) return undefined;
  switch (event.type) {
    case 'finish':
      if (event.status === 'failed' && event.outcome.loss !== 1) throw new TrialStateError(`a failed trial is recorded with loss 1.0, got ${event.outcome.loss}`, { path: trial.key });
      return { ...trial, ...event.outcome, status: event.status, finishedAt: event.at, heartbeatAt: event.at };
    case 'reclaim':
      return { ...trial, worker: event.worker, attempt: trial.attempt + 1, startedAt: event.at, heartbeatAt: event.at };
    case 'heartbeat':
      return { ...trial, heartbeatAt: event.at };
  }
}

/** Epochs a trial trains (what it is charged): a continuation pays only the difference. */
export const chargedEpochs = (t: TrialSpec): number => t.budget - t.previousBudget;

/** Length of the union of the trials' running intervals, in seconds (resumes leave gaps that do not count). */
export function busySeconds(trials: readonly TrialRecord[], now: number): number {
  const spans = trials.map((t) => [t.startedAt, t.finishedAt ?? now] as const).sort((a, b) => a[0] - b[0]);
  let total = 0;
  let end = -Infinity;
  for (const [s, e] of spans) {
    if (e <= end) continue;
    total += e - Math.max(s, end);
    end = e;
  }
  return total / 1000;
}
