/**
 * One configuration trained and validated on one fold: compile the configuration's
 * network for the plan, build its training step (loss, optimiser), train it with the
 * runtime's engine fed by the data loader's worker threads (foreground oversampling and
 * augmentation factor from the configuration; LR schedule spanning `maxEpochs`), then
 * predict the fold's validation cases with the sliding window and score them.
 *
 * Continuation: a fold folder that already holds a checkpoint continues from it, and
 * `continueFrom` seeds an empty folder with another run's checkpoint and log (a promoted
 * configuration trains only its extra epochs). The batch stream continues where the
 * checkpoint stopped, so continuing equals training the whole budget at once.
 *
 * @example
 *   const r = await trainFold({ dataset, plan, cache, fold: 0, configuration: resolveConfiguration({}, plan.nStages),
 *                               epochs: 10, maxEpochs: 1000, iterationsPerEpoch: 250, seed: 0, outDir: 'model/fold_0' });
 *   console.log(r.dice);
 */
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { compile } from '../../compiler/index.js';
import { compileTrainingStep } from '../../compiler/train/index.js';
import type { PreprocessedDataset } from '../data/cache.js';
import type { Dataset } from '../data/dataset.js';
import type { EvaluationSummary } from '../data/evaluate.js';
import { BatchLoader } from '../data/loader.js';
import type { Plan } from '../data/plan-types.js';
import { ConfigError, DatasetError } from '../errors.js';
import { loadCheckpoint } from '../runtime/checkpoint.js';
import { EpochLog } from '../runtime/log.js';
import type { Device } from '../runtime/providers.js';
import { defaultCalibrationFile } from '../runtime/calibrate.js';
import { FILES, train } from '../runtime/trainer.js';
import type { ResolvedConfiguration } from './config.js';
import { loadPredictors } from './inference.js';
import { MODEL_FILES, writeJson, type FoldId } from './model-dir.js';
import { validateCases } from './validate.js';

export interface FoldTrainingOptions {
  readonly dataset: Dataset;
  /** The plan to train with (patch and batch size as the network should see them). */
  readonly plan: Plan;
  readonly cache: PreprocessedDataset;
  readonly fold: FoldId;
  readonly configuration: ResolvedConfiguration;
  /** Epochs to have trained in total at the end of this call. */
  readonly epochs: number;
  /** Epochs the LR schedule spans (default `epochs`; Auto-nnU-Net: the maximum budget). */
  readonly maxEpochs?: number;
  readonly iterationsPerEpoch: number;
  /** Feature widths outside the search space (base, max), e.g. narrow networks for CPU smoke runs. */
  readonly features?: { readonly base: number; readonly max: number } | null;
  readonly seed: number;
  /** The fold's folder (created). */
  readonly outDir: string;
  /** Checkpoint file of an earlier run of the same configuration to continue (copied in with its log). */
  readonly continueFrom?: string | null;
  readonly device?: Device;
  readonly threads?: number;
  /** Optimiser steps per session.run (src/runtime/trainer.ts; default 1). */
  readonly stepsPerRun?: number;
  /** 'calibrate': the fastest of a few step lowerings on this machine, cached per machine (src/runtime/calibrate.ts); default: the device's own. */
  readonly lowering?: 'default' | 'calibrate';
  /** Loader worker threads (default 1: on few cores the main thread needs the rest). */
  readonly workers?: number;
  readonly progress?: boolean;
  /** Time-based training (src/runtime/trainer.ts): the total epochs re-estimated before each epoch, `epochs` the cap. */
  readonly adaptiveEpochs?: (epochsDone: number) => number;
  /** Test-time mirroring during validation. */
  readonly mirror?: boolean;
  /** Aborting stops at the next batch; the last epoch's checkpoint stays intact; `signal.reason` is thrown. */
  readonly signal?: AbortSignal;
  readonly log?: (line: string) => void;
}

export interface FoldResult {
  readonly fold: FoldId;
  readonly epochs: number;
  readonly maxEpochs: number;
  /** Training seconds of all epochs so far (continued ones included). */
  readonly seconds: number;
  /** Seconds this call spent training. */
  readonly secondsThisRun: number;
  /** Foreground mean validation Dice (NaN for fold 'all'). */
  readonly dice: number;
  readonly validation: EvaluationSummary | null;
  readonly finalLoss: number;
  readonly files: { readonly model: string; readonly checkpoint: string; readonly log: string };
}

/** Case ids a fold trains and validates on ('all': every case, no validation). */
export function foldCases(cache: PreprocessedDataset, fold: FoldId): { train: string[]; val: string[] } {
  if (fold === 'all') return { train: Object.keys(cache.files).sort(), val: [] };
  const split = cache.splits[fold];
  if (!split && cache.splits.length === 0) throw new ConfigError(`fold ${fold} does not exist: ${Object.keys(cache.files).length} cases are too few for 5-fold cross-validation; train with --folds all`);
  if (!split) throw new ConfigError(`fold ${fold} does not exist; splits_final.json has folds 0..${cache.splits.length - 1}`, { file: join(cache.dir, 'splits_final.json') });
  return { train: split.train, val: split.val };
}

export async function trainFold(o: FoldTrainingOptions): Promise<FoldResult> {
  const maxEpochs = o.maxEpochs ?? o.epochs;
  if (!(Number.isInteger(o.epochs) && o.epochs >= 1)) throw new ConfigError(`epochs must be a positive integer, got ${o.epochs}`);
  if (!(Number.isInteger(maxEpochs) && maxEpochs >= o.epochs)) throw new ConfigError(`the schedule's epochs (${maxEpochs}) must be an integer >= the epochs trained (${o.epochs})`);
  if (!(Number.isInteger(o.iterationsPerEpoch) && o.iterationsPerEpoch >= 1)) throw new ConfigError(`iterations per epoch must be a positive integer, got ${o.iterationsPerEpoch}`);
  const { train: trainIds, val } = foldCases(o.cache, o.fold);
  mkdirSync(o.outDir, { recursive: true });
  const files = { model: join(o.outDir, FILES.model), checkpoint: join(o.outDir, FILES.checkpoint), log: join(o.outDir, FILES.log) };
  if (o.continueFrom && !existsSync(files.checkpoint)) {
    if (!existsSync(o.continueFrom)) throw new DatasetError('checkpoint to continue from does not exist', { file: o.continueFrom });
    copyFileSync(o.continueFrom, files.checkpoint);
    const log = join(o.continueFrom, '..', FILES.log);
    if (existsSync(log)) copyFileSync(log, files.log);
  }
  const done = loadCheckpoint(files.checkpoint)?.epoch ?? 0;
  if (done > o.epochs) throw new ConfigError(`${files.checkpoint} has ${done} epochs, more than the ${o.epochs} asked for`);

  const t = o.configuration.training;
  const widths = o.features ? { baseFeatures: o.features.base, maxFeatures: o.features.max } : {};
  const model = compile(o.configuration.architecture, o.plan.network, { seed: o.seed, ...o.configuration.compileOptions, ...widths });
  const step = compileTrainingStep(model, { loss: { kind: t.loss }, optimizer: t.optimizer });
  const net = o.plan.network;
  o.log?.(`fold ${o.fold}: ${trainIds.length} training / ${val.length} validation cases; epochs ${done} -> ${o.adaptiveEpochs ? 'as many as the time allows (the schedule spans them)' : `${o.epochs} of a ${maxEpochs}-epoch schedule`}, ${o.iterationsPerEpoch} iterations each, batch ${net.batchSize} x [${net.patchSize.join(', ')}]`);

  const loader = BatchLoader.start({
    files: trainIds.map((id) => o.cache.files[id]!),
    sampler: { patchSize: net.patchSize, batchSize: net.batchSize, oversampleForeground: t.oversampleForeground, augmentationFactor: t.augmentationFactor },
    seed: o.seed,
    workers: o.workers ?? 1,
    startIndex: done * o.iterationsPerEpoch,
    labelFormat: 'float32',
  });
  let result;
  try {
    result = await train({
      step,
      inference: model.graph,
      initialWeights: model.weights,
      batches: async () => {
        if (o.signal?.aborted) throw o.signal.reason;
        return loader.next();
      },
      epochs: o.epochs,
      scheduleEpochs: maxEpochs,
      iterationsPerEpoch: o.iterationsPerEpoch,
      lr: t.learningRate,
      schedule: t.schedule,
      adaptiveEpochs: o.adaptiveEpochs,
      seed: o.seed,
      outDir: o.outDir,
      device: o.device,
      threads: o.threads,
      stepsPerRun: o.stepsPerRun,
      ...(o.lowering === 'calibrate' ? { lowering: 'calibrate' as const, calibrationCache: defaultCalibrationFile() } : {}),
      progress: o.progress,
      onEpoch: (r) => o.log?.(`fold ${o.fold} epoch ${r.epoch}: loss ${r.loss.toFixed(4)}, lr ${r.lr.toExponential(3)}, ${r.seconds.toFixed(1)} s`),
    });
  } finally {
    await loader.close();
  }
  // A time-based run ends where the time did: its epochs, and a schedule spanning them.
  const epochs = o.adaptiveEpochs ? result.epochsDone : o.epochs;
  const span = o.adaptiveEpochs ? epochs : maxEpochs;
  const records = EpochLog.read(files.log);
  const seconds = records.reduce((s, r) => s + r.seconds, 0);
  const secondsThisRun = result.records.reduce((s, r) => s + r.seconds, 0);
  const finalLoss = records.at(-1)?.loss ?? NaN;

  let validation: EvaluationSummary | null = null;
  if (val.length > 0) {
    const predictors = await loadPredictors([files.model], o.device, o.threads, o.plan.network);
    try {
      validation = await validateCases(o.dataset, val, o.plan, predictors.predict, { outDir: join(o.outDir, MODEL_FILES.validationDir), mirror: o.mirror, progress: o.progress, signal: o.signal });
    } finally {
      await predictors.release();
    }
    writeJson(join(o.outDir, MODEL_FILES.validation), validation);
  }
  const dice = validation?.foregroundMean ?? NaN;
  writeJson(join(o.outDir, MODEL_FILES.fold), { fold: o.fold, epochs, maxEpochs: span, iterationsPerEpoch: o.iterationsPerEpoch, seed: o.seed, features: o.features ?? null, seconds, dice, meanPerClass: validation?.meanPerClass ?? null, finalLoss });
  o.log?.(`fold ${o.fold}: ${epochs} epochs, ${seconds.toFixed(1)} s training${validation ? `, validation Dice ${dice.toFixed(4)}` : ''}`);
  return { fold: o.fold, epochs, maxEpochs: span, seconds, secondsThisRun, dice, validation, finalLoss, files };
}
