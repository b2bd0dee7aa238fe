/**
 * The pipeline's public entry point: one configuration trained on a dataset's folds into a
 * model folder (layout: model-dir.ts), and predictions with such a folder.
 *
 * @example
 *   const prepared = prepareTraining('../shared/datasets/Task04_Hippocampus', { progress: true });
 *   const r = await trainModel({ ...prepared, configuration: resolveConfiguration({}, prepared.plan.nStages),
 *                                folds: [0], epochs: 10, iterationsPerEpoch: 50, seed: 0, outDir: 'models/hippo' });
 */
import { configurationFile, resolveConfiguration, type ResolvedConfiguration } from './config.js';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { FILES } from '../runtime/trainer.js';
import { foldDir, MODEL_FILES, prepareModelDir, type FoldId } from './model-dir.js';
import { prepareTraining, type PlanOverrides, type Prepared } from './prepare.js';
import type { Plan } from '../data/plan-types.js';
import { trainFold, type FoldResult, type FoldTrainingOptions } from './train-fold.js';

export interface TrainModelOptions extends Prepared, Omit<FoldTrainingOptions, 'dataset' | 'plan' | 'cache' | 'fold' | 'outDir' | 'continueFrom' | 'configuration'> {
  readonly configuration: ResolvedConfiguration;
  readonly folds: readonly FoldId[];
  /** The model folder. */
  readonly outDir: string;
  /** A model folder of the same configuration whose folds' checkpoints this run continues. */
  readonly continueFrom?: string | null;
}

export interface TrainModelResult {
  readonly folds: readonly FoldResult[];
  /** Mean foreground Dice over the validated folds (NaN if none). */
  readonly dice: number;
  /** Training seconds summed over the folds. */
  readonly seconds: number;
}

export async function trainModel(o: TrainModelOptions): Promise<TrainModelResult> {
  const undo = untilFirstCheckpoint(o.outDir, o.folds);
  prepareModelDir(o.outDir, o.plan, configurationFile(o.configuration));
  const results: FoldResult[] = [];
  try {
    for (const fold of o.folds) {
      const continueFrom = o.continueFrom ? `${foldDir(o.continueFrom, fold)}/checkpoint.safetensors` : null;
      results.push(await trainFold({ ...o, fold, outDir: foldDir(o.outDir, fold), continueFrom }));
    }
  } catch (err) {
    undo();
    throw err;
  }
  const validated = results.filter((r) => r.validation !== null);
  const dice = validated.length ? validated.reduce((s, r) => s + r.dice, 0) / validated.length : NaN;
  return { folds: results, dice, seconds: results.reduce((s, r) => s + r.seconds, 0) };
}

/**
 * A run that fails before its first checkpoint leaves no trace: removes what it created in the
 * model folder (plans.json, configuration.json, new fold folders, the folder itself when new and
 * empty), so the corrected command is not refused as "a model of a different plan".
 */
function untilFirstCheckpoint(outDir: string, folds: readonly FoldId[]): () => void {
  const created = [MODEL_FILES.plan, MODEL_FILES.configuration, ...folds.map((f) => basename(foldDir(outDir, f)))].filter((name) => !existsSync(join(outDir, name)));
  const newDir = !existsSync(outDir);
  return () => {
    if (folds.some((f) => existsSync(join(foldDir(outDir, f), FILES.checkpoint)))) return;
    for (const name of created) rmSync(join(outDir, name), { recursive: true, force: true });
    if (newDir && existsSync(outDir) && readdirSync(outDir).length === 0) rmSync(outDir, { recursive: true });
  };
}

export interface TrainOptions extends Omit<TrainModelOptions, keyof Prepared | 'configuration'> {
  /** Hyperparameters (the hpo / nas / hnas spaces' names); missing ones take their defaults. */
  readonly configuration?: Record<string, unknown>;
  /** A plan to train with (default: plan the dataset now). */
  readonly plan?: Plan | null;
  readonly overrides?: PlanOverrides;
  /** Where the preprocessed cases go (default: the shared cache, docs/pipeline.md). */
  readonly cacheDir?: string;
}

/** `hnas train` as a function: plan (or take `plan`), preprocess (cached), and train the folds into `outDir`. */
export async function train(datasetDir: string, o: TrainOptions): Promise<TrainModelResult> {
  const { configuration, plan, overrides, cacheDir, ...rest } = o;
  const prepared = prepareTraining(datasetDir, { plan, overrides, cacheDir, progress: o.progress });
  return trainModel({ ...prepared, ...rest, configuration: resolveConfiguration(configuration ?? {}, prepared.plan.nStages) });
}

export { resolveConfiguration, unwrapConfiguration, withPlanEncoder, configurationFile, spaceOf, type ResolvedConfiguration, type TrainingHyperparameters } from './config.js';
export { trainFold, foldCases, type FoldResult, type FoldTrainingOptions } from './train-fold.js';
export { prepareTraining, planTraining, preprocessWithProgress, withOverrides, planDataset, defaultCacheDir, type Prepared, type PlanOverrides } from './prepare.js';
export { readModelDir, foldDir, MODEL_FILES, type ModelDir, type FoldId } from './model-dir.js';
export { loadPredictors, sessionPredictor, averagePredictors, type Predictors } from './inference.js';
export { validateCases, foregroundClasses } from './validate.js';
export { predictFolder, type PredictFolderOptions, type PredictFolderResult } from './predict.js';
export { exportModel, exportMetadata, type ExportOptions, type ExportResult } from './export.js';
