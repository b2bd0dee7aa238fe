/**
 * `hnas incumbent --retrain --folds ...`: train the study's final incumbent again on the
 * given folds (its configuration, its budget, the study's training settings and schedule
 * span) into `<study>/<name>/incumbent-<trial>/`, a model folder with one ONNX model per
 * fold that `hnas predict` ensembles. Rerunning continues the folds already started.
 */
import type { Device } from '../runtime/providers.js';
import { join } from 'node:path';
import { HnasError } from '../errors.js';
import { bestLossTrial } from '../optimize/incumbent.js';
import type { TrialRecord } from '../optimize/trial.js';
import { prepareTraining, resolveConfiguration, trainModel } from '../pipeline/index.js';
import { trialFolderName } from './layout.js';
import type { LoadedStudy } from './load.js';
import type { FoldScore } from '../optimize/objective.js';
import { readPlanFile } from '../data/plan-file.js';

export interface RetrainOptions {
  readonly folds: readonly number[];
  readonly device: Device;
  /** Feature widths outside the search space, as the study ran with `--features` (null: the configuration's). */
  readonly features?: { readonly base: number; readonly max: number } | null;
  /** onnxruntime intra-op threads (default: all cores). */
  readonly threads?: number;
  readonly progress?: boolean;
  readonly signal?: AbortSignal;
}

export interface RetrainResult {
  readonly trial: TrialRecord;
  readonly model: string;
  /** Mean foreground validation Dice over the folds. */
  readonly dice: number;
  readonly seconds: number;
  readonly folds: readonly FoldScore[];
}

export async function retrainIncumbent(study: LoadedStudy, o: RetrainOptions): Promise<RetrainResult> {
  const trial = bestLossTrial(study.trials);
  if (!trial) throw new HnasError(`study '${study.name}' has no completed trial yet`, { file: study.paths.db });
  const meta = study.meta;
  if (!meta) throw new HnasError(`study '${study.name}' has no study.json (it was not made by \`hnas optimize\`): nothing says which dataset to train on`, { file: study.paths.db });
  const plan = readPlanFile(join(study.folder, 'plans.json'));
  const prepared = prepareTraining(meta.dataset, { plan, overrides: { patchSize: meta.training.patchSize, batchSize: meta.training.batchSize }, progress: o.progress });
  const model = join(study.folder, `incumbent-${trialFolderName(trial.key)}`);
  const r = await trainModel({
    ...prepared,
    configuration: resolveConfiguration(trial.config, plan.nStages),
    folds: o.folds,
    epochs: trial.budget,
    maxEpochs: Math.max(study.settings.maxBudget, trial.budget),
    iterationsPerEpoch: meta.training.iterationsPerEpoch,
    features: o.features ?? meta.features ?? null,
    seed: trial.seed,
    outDir: model,
    device: o.device,
    threads: o.threads,
    progress: o.progress,
    signal: o.signal,
  });
  return { trial, model, dice: r.dice, seconds: r.seconds, folds: r.folds.map((f) => ({ fold: f.fold as number, dice: f.dice, seconds: f.seconds })) };
}
