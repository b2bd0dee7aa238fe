/** `hnas incumbent <study>`: the final incumbent (best 1 - Dice) and its trial folder. */
import type { Command } from 'commander';
import { trialFolder } from '../../automl/layout.js';
import { loadStudy } from '../../automl/load.js';
import { HnasError } from '../../errors.js';
import { bestLossTrial } from '../../optimize/incumbent.js';
import { configText } from '../../optimize/report.js';
import { output } from '../main.js';

export function registerIncumbent(program: Command): void {
  program
    .command('incumbent')
    .description('print the final incumbent of a study (best 1 - Dice) and its trial folder')
    .argument('<study>', 'study folder (holding study.db) or database file')
    .option('--name <name>', 'study name inside the database (needed when it holds several)')
    .option('--retrain', 'retrain the incumbent on --folds and export its ONNX model(s) (needs the trainer)')
    .option('--folds <folds>', "folds to retrain on with --retrain: '0', '0..4' or 'all5'")
    .option('--json', 'machine-readable output')
    .action(async (path: string, opts: { name?: string; retrain?: boolean; folds?: string; json?: boolean }) => {
      if (opts.retrain || opts.folds) throw new HnasError('retraining and exporting the incumbent is not available yet: the nnU-Net trainer is not wired in (the incumbent and its folder are printed without --retrain)');
      const study = await loadStudy(path, opts.name);
      const inc = bestLossTrial(study.trials);
      if (!inc) throw new HnasError(`study '${study.name}' has no completed trial yet`, { file: study.paths.db });
      const folder = trialFolder(study.paths, study.name, inc.key);
      output(!!opts.json, { study: study.name, folder, trial: inc }, () =>
        [
          `incumbent of '${study.name}': trial ${inc.number} '${inc.key}' (${inc.source}), ${inc.budget} epochs`,
          `1 - Dice ${inc.loss!.toFixed(4)} (Dice ${(100 * (1 - inc.loss!)).toFixed(2)} %), runtime ${inc.cost?.toFixed(1) ?? '-'} s`,
          `folder: ${folder}`,
          configText(inc.config),
        ].join('\n'),
      );
    });
}
