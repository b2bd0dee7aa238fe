/**
 * `hnas optimize <dataset> --approach hpo|hpo_nas|hpo_hnas ...`: search hyperparameters
 * (and architectures) with (Regularized) PriorBand, training each candidate as the
 * objective. Rerunning the same command resumes the study; Ctrl-C stops after saving.
 */
import { basename, join } from 'node:path';
import { type Command, Option } from 'commander';
import { APPROACH_NAMES, type ApproachName, approachNamed } from '../../automl/approaches.js';
import { budgetFromFlags, parseDuration } from '../../automl/budget.js';
import { everyTrialFailed, type OptimizeSummary, optimize } from '../../automl/driver.js';
import { OptimizationInterrupted } from '../../automl/interrupt.js';
import { OBJECTIVE_NAMES, type ObjectiveName, objectiveNamed } from '../../automl/objectives.js';
import { formatDuration, progressView } from '../../automl/progress.js';
import { UsageError } from '../../errors.js';
import { PRIOR_NAMES, type PriorName, PRIORS, priorNamed } from '../../space/priors.js';
import { output } from '../output.js';
import type { Device } from '../../runtime/providers.js';
import { deviceOption, intOption, parseFeatures, parseFolds, parsePatch, seedOption, storageOption } from '../options.js';

interface OptimizeFlags {
  approach: string;
  prior: string;
  study?: string;
  storage?: string;
  name?: string;
  minEpochs?: number;
  maxEpochs?: number;
  eta?: number;
  totalEpochs?: number;
  timeLimit?: number;
  folds: number[];
  iterationsPerEpoch: number;
  patch?: [number, number, number];
  batch?: number;
  workers: number;
  device: Device;
  seed: number;
  plan?: string;
  objective: string;
  delayMs?: number;
  features?: { base: number; max: number };
  threads?: number;
  maxTrials?: number;
  progress: boolean;
  json?: boolean;
}

function summaryText(s: OptimizeSummary): string {
  const why = { done: 'the schedule is complete', 'time-limit': 'the time limit is reached', 'max-trials': '--max-trials evaluations ran', interrupted: 'interrupted (saved; rerun to continue)' }[s.stopped];
  const inc = s.incumbent;
  return [
    `study '${s.name}' in ${s.dir}: stopped because ${why}`,
    `this run: ${s.evaluated} evaluations; study: ${s.counts.complete} complete, ${s.counts.failed} failed, ${s.counts.running} running`,
    inc
      ? `incumbent (best 1 - Dice): trial ${inc.number} '${inc.key}', 1-Dice ${inc.loss!.toFixed(4)} (Dice ${(100 * (1 - inc.loss!)).toFixed(2)} %), runtime ${formatDuration(inc.cost)}, ${inc.budget} epochs`
      : 'incumbent: none yet',
    `next: hnas report ${s.dir} --name ${s.name} -o report/`,
  ].join('\n');
}

export function registerOptimize(program: Command): void {
  program
    .command('optimize')
    .description('optimise nnU-Net on a dataset: HPO, HPO + NAS or HPO + grammar-based HNAS with (Regularized) PriorBand; rerun to resume')
    .argument('<dataset>', 'dataset folder holding dataset.json (MSD or nnU-Net v2 layout)')
    .requiredOption('--approach <name>', `search approach: ${APPROACH_NAMES.join(', ')}`)
    .option('--prior <name>', `the defaults the space is searched around: ${PRIOR_NAMES.map((n) => `${n} (${PRIORS[n].description})`).join('; ')}`, 'nnunet')
    .option('--study <path>', 'study folder, or its database file (*.db) (default: studies/<dataset folder name>)')
    .addOption(storageOption())
    .option('--name <name>', 'study name inside the database (default: the approach)')
    .option('--min-epochs <n>', 'lowest rung budget in epochs (paper: 10)', intOption('--min-epochs', 1))
    .option('--max-epochs <n>', 'highest rung budget in epochs (paper: 1000)', intOption('--max-epochs', 1))
    .option('--eta <n>', 'successive-halving reduction factor (paper: 3)', intOption('--eta', 2))
    .addOption(new Option('--total-epochs <B>', 'stop opening brackets once B epochs are planned').argParser(intOption('--total-epochs', 1)).conflicts('timeLimit'))
    .addOption(new Option('--time-limit <T>', 'start no trial after the study has been busy T (3600, 90m, 1.5h)').argParser((v) => parseDuration('--time-limit', v)))
    .addOption(new Option('--folds <folds>', "cross-validation folds per evaluation: '0', '0,1' or '0..4'").argParser(parseFolds).default([0, 1, 2, 3, 4], '0..4'))
    .option('--iterations-per-epoch <I>', 'training iterations (batches) per epoch (nnU-Net: 250)', intOption('--iterations-per-epoch', 1), 250)
    .option('--patch <XxYxZ>', "override the plan's patch size, e.g. 40x56x40", (v) => parsePatch(v))
    .option('--batch <B>', "override the plan's batch size", intOption('--batch', 1))
    .option('--workers <n>', 'worker processes evaluating trials at once', intOption('--workers', 1, 64), 1)
    .addOption(deviceOption())
    .addOption(seedOption('seed of the study (sampling and training)'))
    .option('--plan <file>', 'use this plan (plans.json, or nnU-Net\'s nnUNetPlans.json) instead of planning the dataset')
    .option('--features <BASE,MAX>', 'feature widths outside the search space (e.g. 4,16 for a quick CPU run)', parseFeatures)
    .option('--threads <N>', 'onnxruntime intra-op threads per worker (default: all cores)', intOption('--threads', 1))
    .option('--max-trials <n>', 'stop after this many evaluations by this process', intOption('--max-trials', 1))
    .option('--no-progress', 'no progress view')
    .option('--json', 'print the summary as JSON')
    .addOption(new Option('--objective <name>', `what evaluates a trial: ${OBJECTIVE_NAMES.join(', ')}`).default('nnunet').hideHelp())
    .addOption(new Option('--delay-ms <n>', 'synthetic objective: sleep per epoch').argParser(intOption('--delay-ms', 0)).hideHelp())
    .action(async (dataset: string, flags: OptimizeFlags) => {
      approachNamed(flags.approach);
      priorNamed(flags.prior);
      const budget = budgetFromFlags(flags);
      objectiveNamed(flags.objective); // after the usage checks: a missing trainer is not a usage error
      const controller = new AbortController();
      let interrupts = 0;
      let signal: 'SIGINT' | 'SIGTERM' = 'SIGINT';
      // SIGTERM (kill, a batch system's time limit) stops like Ctrl-C: finished trials saved, workers stopped.
      const onSignal = (received: 'SIGINT' | 'SIGTERM') => {
        if (++interrupts > 1) process.exit(received === 'SIGTERM' ? 143 : 130);
        signal = received;
        process.stderr.write(`\nhnas: stopping after saving (${received === 'SIGINT' ? 'Ctrl-C' : 'SIGTERM'} again to quit at once)\n`);
        controller.abort();
      };
      const onSigint = () => onSignal('SIGINT');
      const onSigterm = () => onSignal('SIGTERM');
      process.on('SIGINT', onSigint);
      process.on('SIGTERM', onSigterm);
      let summary: OptimizeSummary;
      try {
        summary = await optimize(
          {
            datasetDir: dataset, approach: flags.approach as ApproachName, prior: flags.prior as PriorName, study: flags.study ?? join('studies', basename(dataset)), storage: flags.storage, name: flags.name,
            budget, seed: flags.seed, objective: flags.objective as ObjectiveName, planFile: flags.plan, workers: flags.workers, device: flags.device,
            training: { folds: flags.folds, iterationsPerEpoch: flags.iterationsPerEpoch, patchSize: flags.patch ?? null, batchSize: flags.batch ?? null },
            objectiveOptions: {
              ...(flags.delayMs === undefined ? {} : { delayMs: flags.delayMs }),
              ...(flags.features ? { featuresBase: flags.features.base, featuresMax: flags.features.max } : {}),
              ...(flags.threads === undefined ? {} : { threads: flags.threads }),
            },
          },
          { signal: controller.signal, maxTrials: flags.maxTrials, view: flags.progress && !flags.json ? progressView() : undefined },
        );
      } finally {
        process.off('SIGINT', onSigint);
        process.off('SIGTERM', onSigterm);
      }
      output(!!flags.json, summary, () => summaryText(summary));
      if (summary.stopped === 'interrupted') throw new OptimizationInterrupted(signal);
      const failure = everyTrialFailed(summary);
      if (failure) throw failure;
    });
}
