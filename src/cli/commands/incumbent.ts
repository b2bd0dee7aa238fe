/** `hnas incumbent <study>`: the final incumbent (best 1 - Dice), its trial folder and its trained model folder; `--retrain` trains it on more folds. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { OptimizationInterrupted } from '../../automl/interrupt.js';
import { trialFolder } from '../../automl/layout.js';
import { type LoadedStudy, loadStudy } from '../../automl/load.js';
import { retrainIncumbent } from '../../automl/retrain.js';
import { HnasError, UsageError } from '../../errors.js';
import { bestLossTrial } from '../../optimize/incumbent.js';
import { configText } from '../../optimize/report.js';
import { output } from '../output.js';
import type { Device } from '../../runtime/providers.js';
import { deviceOption, intOption, parseFeatures, parseFolds, storageOption } from '../options.js';

interface IncumbentFlags {
  storage?: string;
  name?: string;
  retrain?: boolean;
  folds?: number[];
  device: Device;
  features?: { base: number; max: number };
  threads?: number;
  progress: boolean;
  json?: boolean;
}

function show(study: LoadedStudy, json: boolean): void {
  const inc = bestLossTrial(study.trials);
  if (!inc) throw new HnasError(`study '${study.name}' has no completed trial yet`, { file: study.paths.db });
  const folder = trialFolder(study.paths, study.name, inc.key);
  // The trained state the objective returned: for the nnU-Net objective, a model folder `hnas predict` reads.
  const model = inc.checkpoint !== null && existsSync(join(study.folder, inc.checkpoint)) ? join(study.folder, inc.checkpoint) : null;
  output(json, { study: study.name, folder, model, trial: inc }, () =>
    [
      `incumbent of '${study.name}': trial ${inc.number} '${inc.key}' (${inc.source}), ${inc.budget} epochs`,
      `1 - Dice ${inc.loss!.toFixed(4)} (Dice ${(100 * (1 - inc.loss!)).toFixed(2)} %), runtime ${inc.cost?.toFixed(1) ?? '-'} s`,
      `folder: ${folder}`,
      ...(model ? [`model: ${model}  (hnas predict ${model} <images> -o <out>)`] : []),
      configText(inc.config),
    ].join('\n'),
  );
}

async function retrain(study: LoadedStudy, flags: IncumbentFlags): Promise<void> {
  const controller = new AbortController();
  const onSigint = () => controller.abort(new OptimizationInterrupted());
  process.on('SIGINT', onSigint);
  try {
    const r = await retrainIncumbent(study, {
      folds: flags.folds ?? [0, 1, 2, 3, 4], device: flags.device, progress: flags.progress && !flags.json, signal: controller.signal,
      features: flags.features ?? null, threads: flags.threads,
    });
    output(!!flags.json, r, () =>
      [
        `retrained the incumbent of '${study.name}' (trial ${r.trial.number} '${r.trial.key}', ${r.trial.budget} epochs) on fold(s) ${r.folds.map((f) => f.fold).join(', ')}`,
        ...r.folds.map((f) => `  fold ${f.fold}: Dice ${(100 * f.dice).toFixed(2)} %, ${f.seconds.toFixed(1)} s`),
        `mean Dice ${(100 * r.dice).toFixed(2)} %, training ${r.seconds.toFixed(1)} s`,
        `model: ${r.model}  (hnas predict ${r.model} <images> -o <out>: fold ensemble)`,
      ].join('\n'),
    );
  } finally {
    process.off('SIGINT', onSigint);
  }
}

export function registerIncumbent(program: Command): void {
  program
    .command('incumbent')
    .description('the final incumbent of a study (best 1 - Dice), its trial and model folders; --retrain trains it on more folds')
    .argument('<study>', 'study folder (holding study.db) or database file')
    .option('--name <name>', 'study name inside the database (needed when it holds several)')
    .addOption(storageOption())
    .option('--retrain', 'train the incumbent again on --folds (its budget and the study\'s settings) into <study>/<name>/incumbent-<trial>/')
    .option('--folds <folds>', "folds for --retrain: '0', '0,1' or '0..4' (default 0..4)", parseFolds)
    .addOption(deviceOption('execution provider, for --retrain'))
    .option('--features <BASE,MAX>', 'feature widths outside the search space, as the study ran with (for --retrain)', parseFeatures)
    .option('--threads <N>', 'onnxruntime intra-op threads, for --retrain (default: all cores)', intOption('--threads', 1))
    .option('--no-progress', 'no progress bars')
    .option('--json', 'machine-readable output')
    .action(async (path: string, flags: IncumbentFlags) => {
      if (!flags.retrain && (flags.folds || flags.features || flags.threads)) throw new UsageError('--folds, --features and --threads go with --retrain');
      const study = await loadStudy(path, flags.name, flags.storage);
      if (flags.retrain) await retrain(study, flags);
      else show(study, !!flags.json);
    });
}
