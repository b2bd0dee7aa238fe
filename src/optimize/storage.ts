/**
 * The study storage contract. Every backend (in-memory, SQLite; a networked database
 * later) implements it, and one conformance suite (test/optimize/storage-contract.ts)
 * runs against each. Guarantees a backend must give, also across processes/machines:
 *  - records are copies: mutating a returned record never changes the store;
 *  - `insertTrial` is a compare-and-set on (study, key): exactly one of several racing
 *    workers gets the slot; numbers are unique and increase in creation order;
 *  - `updateTrial` applies `transition` atomically against the stored record, so a worker
 *    whose claim is stale (re-claimed by another, or already finished) gets `undefined`;
 *  - a finished trial never changes again;
 *  - every insert or update gives the trial the study's next `version`, so
 *    `trials(study, since)` returns exactly the records written after version `since`.
 * All methods are async so a networked backend fits the same interface.
 */
import type { StudySettings } from './settings.js';
import type { Claim, TrialEvent, TrialRecord, TrialSpec } from './trial.js';

export interface StudyStorage {
  /** Creates the study if absent; returns the stored settings (an existing study's win). */
  createStudy(name: string, settings: StudySettings): Promise<StudySettings>;
  getStudy(name: string): Promise<StudySettings | undefined>;
  listStudies(): Promise<string[]>;
  /** Trials of a study written after version `since` (default: all), by number. */
  trials(study: string, since?: number): Promise<TrialRecord[]>;
  /** Creates the trial claimed by `worker`, or returns undefined when its key is taken. */
  insertTrial(spec: TrialSpec, worker: string, at: number): Promise<TrialRecord | undefined>;
  /** Applies an event to a trial held under `claim`; undefined when the claim is stale. */
  updateTrial(study: string, key: string, claim: Claim, event: TrialEvent): Promise<TrialRecord | undefined>;
  close(): Promise<void>;
}
