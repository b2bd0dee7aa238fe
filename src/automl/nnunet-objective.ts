/**
 * The nnU-Net objective of `hnas optimize` (contract: src/optimize/objective.ts), an adapter from the pipeline (src/pipeline) to the study's trials: a job's
 * configuration trained to `job.budget` epochs on the study's folds, each validated with
 * sliding-window inference; returns 1 - mean foreground Dice and the training seconds.
 *
 * - The LR schedule spans `setup.options.maxEpochs` (the study's --max-epochs; the paper's
 *   1000 when not given), also in short runs, so a promoted run continues the same curve.
 * - A promotion (job.previousBudget > 0) continues the previous trial's checkpoints and
 *   trains only the extra epochs; its cost still counts every epoch (the contract's rule).
 * - The model folder is `<trial>/model` (layout of src/pipeline/model-dir.ts), returned as
 *   the checkpoint to continue from.
 * - Ctrl-C (trial.signal) stops at the next batch and throws TrialInterrupted; a NaN loss or
 *   out-of-memory throws TrainingFailure, which the driver records as a failed trial.
 * - `setup.options.featuresBase` / `featuresMax` narrow the networks (CPU smoke runs);
 *   `setup.options.threads` caps onnxruntime's intra-op threads (studies sharing a machine).
 */
import { join } from 'node:path';
import { HnasError, TrainingFailure } from '../errors.js';
import { type Objective, TrialInterrupted } from '../optimize/objective.js';
import type { ObjectiveSetup } from './objective-setup.js';
import { resolveConfiguration } from '../pipeline/config.js';
import { trainModel } from '../pipeline/index.js';
import { prepareTraining, type Prepared } from '../pipeline/prepare.js';

/** The paper's maximum budget: the schedule's span when the study does not say. */
export const DEFAULT_MAX_EPOCHS = 1000;
export const MODEL_SUBDIR = 'model';

export function nnunetObjective(setup: ObjectiveSetup): Objective {
  let prepared: Prepared | undefined; // planned and preprocessed once per worker
  const maxEpochs = setup.options.maxEpochs ?? DEFAULT_MAX_EPOCHS;
  const features = setup.options.featuresBase !== undefined ? { base: setup.options.featuresBase, max: setup.options.featuresMax ?? setup.options.featuresBase * 8 } : null;
  return async (job, trial) => {
    if (trial.dir === null) throw new Error('the nnU-Net objective writes its model into the trial folder: run it through `hnas optimize` (inTrialFolders)');
    const dir = trial.dir;
    prepared ??= prepareTraining(setup.datasetDir, { plan: setup.plan, overrides: { patchSize: setup.training.patchSize, batchSize: setup.training.batchSize } });
    const configuration = resolveConfiguration(job.config, prepared.plan.nStages);
    trial.log(`nnU-Net objective: ${configuration.space} configuration, ${job.previousBudget} -> ${job.budget} epochs of a ${Math.max(maxEpochs, job.budget)}-epoch schedule, folds ${setup.training.folds.join(', ')}`);
    try {
      const r = await trainModel({
        ...prepared,
        configuration,
        folds: setup.training.folds,
        epochs: job.budget,
        maxEpochs: Math.max(maxEpochs, job.budget),
        iterationsPerEpoch: setup.training.iterationsPerEpoch,
        features,
        seed: job.seed,
        outDir: join(dir, MODEL_SUBDIR),
        continueFrom: job.previousBudget > 0 ? trial.previousCheckpoint : null,
        device: setup.device,
        threads: setup.options.threads,
        signal: trial.signal,
        log: (line) => trial.log(line),
      });
      const dice = Number.isNaN(r.dice) ? 0 : r.dice;
      return { loss: 1 - dice, cost: r.seconds, checkpoint: MODEL_SUBDIR, folds: r.folds.map((f) => ({ fold: f.fold as number, dice: f.dice, seconds: f.seconds })) };
    } catch (err) {
      if (trial.signal.aborted) throw new TrialInterrupted();
      if (err instanceof HnasError) throw err;
      // Allocation failures outside a training step (session creation) are failed trials, not bugs.
      const msg = (err as Error)?.message ?? String(err);
      if (/bad_alloc|failed to allocate|out of memory/i.test(msg)) throw new TrainingFailure(`out of memory: ${msg}`, 'oom', undefined, { cause: err });
      throw err;
    }
  };
}
