/**
 * The objective contract: what a study's worker loop (`Study.optimize`) runs for each job.
 * An objective trains `job.config` to `job.budget` epochs in total (continuing the checkpoint
 * of a promoted configuration, trained `job.previousBudget` epochs) and returns the two
 * objectives, 1 - Dice and the training runtime. One contract for every caller: the nnU-Net
 * trainer and the synthetic objective behind `hnas optimize` (src/automl gives them trial
 * folders), and bare loops in tests and benchmarks.
 *
 *   const objective: Objective = async (job, trial) => {
 *     // job.config (hyperparameters; `architecture` is a TreeNode in the hnas space)
 *     // trial.previousCheckpoint: what it continues (null: from scratch); trial.dir: its folder
 *     // stop early when trial.signal aborts: throw TrialInterrupted (the trial is re-run on resume)
 *     return { loss: 1 - meanFoldDice, cost: trainingSeconds, checkpoint: 'model', folds };
 *   };
 *
 * Throw an HnasError (e.g. TrainingFailure) for a failed run: the trial is recorded as failed
 * with loss 1.0 and the study goes on. Any other error is a bug: it stops the worker and leaves
 * the trial running, to be re-claimed.
 */
import type { Claim, TrialSpec } from './trial.js';

/** One evaluation to run: train `config` up to `budget` epochs, continuing `checkpoint` (trained `previousBudget` epochs). */
export interface Job
  extends Pick<TrialSpec, 'study' | 'key' | 'configId' | 'config' | 'source' | 'bracket' | 'rung' | 'budget' | 'previousBudget' | 'seed'> {
  readonly number: number;
  /** Checkpoint of the trial it continues (previousKey's), as stored, or null. */
  readonly checkpoint: string | null;
  readonly claim: Claim;
}

/** What an objective sees of its trial besides the job. */
export interface TrialContext {
  /** The trial's own folder (created, empty on a first attempt) when the study keeps trial folders (`hnas optimize`); null in a bare loop. */
  readonly dir: string | null;
  /** The checkpoint this trial continues, trained job.previousBudget epochs: an absolute path under trial folders, else as stored; null for a fresh start. */
  readonly previousCheckpoint: string | null;
  /**
   * Aborted when the worker is asked to stop (Ctrl-C) or loses the trial's claim (another worker
   * re-claimed it, or no heartbeat got through for 80 % of the stale timeout): stop writing, throw
   * TrialInterrupted. The trial's next holder continues from the newest checkpoint in its folder.
   */
  readonly signal: AbortSignal;
  /** Appends a line to the trial's log (log.txt under trial folders). */
  log(line: string): void;
}

export interface FoldScore {
  readonly fold: number;
  /** Foreground mean validation Dice of this fold. */
  readonly dice: number;
  /** Training seconds of this fold. */
  readonly seconds: number;
}

export interface ObjectiveResult {
  /** 1 - foreground mean validation Dice, fold mean (or any loss); NaN marks a failed run. */
  readonly loss: number;
  /** Training runtime (or any cost) of the model at job.budget epochs, the epochs of the checkpoint it continued included. */
  readonly cost: number;
  /** The trained state, for continuation by a promotion (relative to trial.dir under trial folders). */
  readonly checkpoint?: string;
  readonly folds?: readonly FoldScore[];
}

export type Objective = (job: Job, trial: TrialContext) => Promise<ObjectiveResult>;

/** The context of a trial without a folder: the bare loop's, and a caller's own ask/tell's. */
export function bareTrial(job: Job, signal: AbortSignal = new AbortController().signal): TrialContext {
  return { dir: null, previousCheckpoint: job.checkpoint, signal, log: () => undefined };
}

/** Thrown by an objective that stopped because trial.signal aborted. */
export class TrialInterrupted extends Error {
  constructor() {
    super('trial interrupted');
    this.name = 'TrialInterrupted';
  }
}
