/**
 * `hnas train <dataset> --folds F|all`: train one configuration (nnU-Net's default, or
 * `--config`) on a fold and validate it; writes the model folder described in
 * src/pipeline/model-dir.ts. Rerunning the same command continues from the checkpoint.
 */
import { basename, resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { readPlanFile } from '../../data/plan-file.js';
import { ConfigError, PlanError, UsageError } from '../../errors.js';
import { defaultCacheDir, planTraining, preprocessWithProgress, resolveConfiguration, trainModel, withPlanEncoder, unwrapConfiguration, withOverrides, type FoldId } from '../../pipeline/index.js';
import type { Device } from '../../runtime/providers.js';
import { output } from '../output.js';
import { deviceOption, foldsParser, intOption, oldSpelling, parseFeatures, parsePatch, seedOption } from '../options.js';
import { readJsonFile } from '../../util/json.js';
import { encoderOf } from '../../data/plan-types.js';

interface TrainFlags {
  folds: FoldId[];
  config?: string;
  plan?: string;
  epochs: number;
  maxEpochs?: number;
  iterationsPerEpoch: number;
  patch?: number[];
  batch?: number;
  features?: { base: number; max: number };
  device: Device;
  seed: number;
  output?: string;
  cache?: string;
  mirror?: boolean;
  loaderThreads: number;
  threads?: number;
  stepsPerRun: number;
  lowering: 'default' | 'calibrate';
  progress: boolean;
  json?: boolean;
}

/** A plan override that does not suit the plan is a wrong flag: a usage error naming it. */
function overrideFlags<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    const field = err instanceof PlanError ? err.location?.path : undefined;
    if (field === 'patchSize' || field === 'batchSize') throw new UsageError(`${field === 'patchSize' ? '--patch' : '--batch'}: ${err instanceof Error ? err.message.replace(/^at \w+: /, '') : ''}`, undefined, { cause: err });
    throw err;
  }
}

const readConfigFile = (file: string): unknown => unwrapConfiguration(readJsonFile(file, ConfigError, 'the configuration'));

const pct = (x: number): string => (Number.isNaN(x) ? '-' : (100 * x).toFixed(2));

export function registerTrain(program: Command): void {
  const cmd = program
    .command('train')
    .description("train one configuration (default: nnU-Net's) on a fold and validate it with sliding-window inference; rerun to continue")
    .argument('<dataset>', 'dataset folder holding dataset.json (MSD or nnU-Net v2 layout)')
    .requiredOption('--folds <F>', "fold 0..4, a list like 0,1 or 0..4, or 'all' (every case, no validation)", foldsParser({ all: true }))
    .option('--config <file>', 'configuration JSON (hyperparameters of the hpo/nas/hnas spaces; missing ones take their defaults)')
    .option('--plan <file>', 'plans.json from `hnas plan`, or nnU-Net\'s nnUNetPlans.json (default: plan the dataset now)')
    .option('--epochs <E>', 'epochs to train', intOption('--epochs', 1), 1000)
    .option('--max-epochs <M>', 'epochs the LR schedule spans (default: --epochs; a short run of a long schedule)', intOption('--max-epochs', 1))
    .option('--iterations-per-epoch <I>', 'batches per epoch', intOption('--iterations-per-epoch', 1), 250)
    .option('--patch <XxYxZ>', "patch size (plan axis order) instead of the plan's, e.g. 24x32x24", (v) => parsePatch(v))
    .option('--batch <B>', "batch size instead of the plan's", intOption('--batch', 1))
    .option('--features <BASE,MAX>', 'feature widths outside the search space (e.g. 8,64 for a quick CPU run)', parseFeatures)
    .addOption(deviceOption())
    .addOption(seedOption('seed of weights, batches and dropout'))
    .option('-o, --output <dir>', 'model folder (default: models/<dataset folder>)')
    .option('--cache <dir>', 'preprocessed-data folder (default: .hnas-cache/<dataset>/<plan hash>)')
    .option('--mirror', 'mirroring test-time augmentation during validation')
    .option('--loader-threads <N>', 'data-loader worker threads (augmentation)', intOption('--loader-threads', 1, 16), 1)
    .option('--threads <N>', 'onnxruntime intra-op threads (default: all cores)', intOption('--threads', 1))
    .option('--steps-per-run <K>', 'optimiser steps per onnxruntime run (one Loop over K batches: parameters cross host<->device once per K steps; same results)', intOption('--steps-per-run', 1), 1)
    .addOption(
      new Option('--lowering <L>', "training-step lowering: the device's default, or 'calibrate' = time a few lowerings on this machine first and keep the fastest (cached per CPU model, onnxruntime version, threads and device in ~/.cache/hnas)")
        .choices(['default', 'calibrate'])
        .default('default'),
    )
    .option('--no-progress', 'no progress bars')
    .option('--json', 'machine-readable summary');
  oldSpelling(cmd, '--fold <F>', '--folds');
  oldSpelling(cmd, '--workers <N>', '--loader-threads');
  cmd.action(async (datasetDir: string, opts: TrainFlags) => {
    if (opts.maxEpochs !== undefined && opts.maxEpochs < opts.epochs) throw new UsageError(`--max-epochs (${opts.maxEpochs}) must be >= --epochs (${opts.epochs})`);
    const rawConfig = opts.config ? readConfigFile(opts.config) : {};
    // Every check that can fail runs before anything is written (the cache, the model folder).
    const overrides = { patchSize: opts.patch, batchSize: opts.batch };
    const plan = opts.plan ? readPlanFile(opts.plan) : null;
    if (plan) overrideFlags(() => withOverrides(plan, overrides)); // before reading the dataset
    const { dataset, plan: planned } = overrideFlags(() => planTraining(datasetDir, { plan, overrides }));
    const configuration = resolveConfiguration(withPlanEncoder(rawConfig, encoderOf(planned.network.architecture)), planned.nStages, opts.config);
    const cache = preprocessWithProgress(dataset, planned, opts.cache ?? defaultCacheDir(dataset, planned), opts.progress);
    const prepared = { dataset, plan: planned, cache };
    const outDir = resolve(opts.output ?? `models/${basename(resolve(datasetDir))}`);
    const log = opts.progress && !opts.json ? (line: string) => process.stderr.write(`${line}\n`) : undefined;
    const result = await trainModel({
      ...prepared,
      configuration,
      folds: opts.folds,
      epochs: opts.epochs,
      maxEpochs: opts.maxEpochs,
      iterationsPerEpoch: opts.iterationsPerEpoch,
      features: opts.features,
      seed: opts.seed,
      outDir,
      device: opts.device,
      threads: opts.threads,
      stepsPerRun: opts.stepsPerRun,
      lowering: opts.lowering,
      workers: opts.loaderThreads,
      mirror: opts.mirror,
      progress: opts.progress,
      log,
    });
    const classes = prepared.plan.labels.filter((l) => l.value !== 0);
    output(
      !!opts.json,
      {
        model: outDir,
        dice: result.dice,
        seconds: result.seconds,
        folds: result.folds.map((f) => ({ fold: f.fold, epochs: f.epochs, seconds: f.seconds, secondsPerEpoch: f.seconds / f.epochs, dice: f.dice, meanPerClass: f.validation?.meanPerClass ?? null })),
      },
      () =>
        [
          `model folder: ${outDir} (${configuration.space} configuration)`,
          `fold | epochs | train s | s/epoch | ${classes.map((c) => `Dice ${c.name} %`).join(' | ')} | foreground Dice %`,
          ...result.folds.map((f) =>
            [f.fold, f.epochs, f.seconds.toFixed(1), (f.seconds / f.epochs).toFixed(2), ...classes.map((c) => pct(f.validation?.meanPerClass[c.value] ?? NaN)), pct(f.dice)].join(' | '),
          ),
        ].join('\n'),
    );
  });
}
