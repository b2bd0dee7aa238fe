/**
 * What `hnas optimize` evaluates: a trial objective trains one configuration to a
 * budget (continuing a checkpoint) and returns 1 - Dice and the training runtime.
 * Objectives are a registry (objectives.ts) so the nnU-Net trainer plugs in as one entry:
 *
 *   OBJECTIVES.nnunet = (setup) => async (job, trial) => {
 *     // setup.plan, setup.training: folds, iterations per epoch, patch/batch overrides, device
 *     // job.config (hyperparameters; `architecture` is a TreeNode in the hnas space),
 *     // job.budget epochs in total, trial.previousCheckpoint trained job.previousBudget epochs
 *     // write the model, log and scores under trial.dir; stop early when trial.signal aborts
 *     return { loss: 1 - meanFoldDice, cost: trainingSeconds, checkpoint: 'checkpoint', folds };
 *   };
 *
 * The driver (driver.ts) owns the study, the trial folders and the bookkeeping; an
 * objective owns only training. Throw an HnasError (TrainingFailure) for a failed run:
 * the trial is recorded as failed with 1 - Dice = 1.0 and the study goes on.
 */
import type { Device } from '../runtime/providers.js';
import type { Plan } from '../data/plan-types.js';
import type { Job } from '../optimize/study.js';

/** Training settings fixed for a whole study (stored in study.json; a resume must use the same). */
export interface TrainingSettings {
  /** Cross-validation folds trained per evaluation; objectives are fold means. */
  readonly folds: readonly number[];
  /** Iterations (batches) per epoch: 250 in nnU-Net, a few for CPU smoke runs. */
  readonly iterationsPerEpoch: number;
  /** Overrides of the plan's patch and batch size (null: the plan's). */
  readonly patchSize: readonly [number, number, number] | null;
  readonly batchSize: number | null;
}

export interface ObjectiveSetup {
  readonly datasetDir: string;
  readonly plan: Plan | null;
  readonly training: TrainingSettings;
  readonly device: Device;
  /** Objective-specific knobs (the synthetic objective's delay per epoch in ms). */
  readonly options: Readonly<Record<string, number>>;
}

/** What an objective sees of its trial besides the job. */
export interface TrialContext {
  /** The trial's own folder (created, empty on a first attempt): model, logs, scores, checkpoints. */
  readonly dir: string;
  /** Absolute path of the checkpoint this trial continues (trained job.previousBudget epochs), or null. */
  readonly previousCheckpoint: string | null;
  /** Aborted on Ctrl-C: save what is needed and throw (the trial is re-run on resume). */
  readonly signal: AbortSignal;
  /** Appends a line to the trial's log.txt. */
  log(line: string): void;
}

export interface FoldScore {
  readonly fold: number;
  /** Foreground mean validation Dice of this fold. */
  readonly dice: number;
  /** Training seconds of this fold. */
  readonly seconds: number;
}

export interface TrialResult {
  /** 1 - foreground mean validation Dice, fold mean. */
  readonly loss: number;
  /** Training runtime in seconds of the model at job.budget epochs, checkpoint epochs included. */
  readonly cost: number;
  /** The trained state, relative to trial.dir, for continuation by a promotion. */
  readonly checkpoint: string;
  readonly folds?: readonly FoldScore[];
}

export type TrialObjective = (job: Job, trial: TrialContext) => Promise<TrialResult>;
export type ObjectiveFactory = (setup: ObjectiveSetup) => TrialObjective;

/** Thrown by an objective that stopped because trial.signal aborted. */
export class TrialInterrupted extends Error {
  constructor() {
    super('trial interrupted');
    this.name = 'TrialInterrupted';
  }
}
