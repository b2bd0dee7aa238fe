/** `hnas incumbent <study>`: the final incumbent (best 1 - Dice), its trial folder and its trained model folder. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
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
      if (opts.retrain || opts.folds) throw new HnasError('retraining the incumbent on more folds is not available yet (without --retrain the incumbent\'s trained model folder is printed, for `hnas predict`)');
      const study = await loadStudy(path, opts.name);
      const inc = bestLossTrial(study.trials);
      if (!inc) throw new HnasError(`study '${study.name}' has no completed trial yet`, { file: study.paths.db });
      const folder = trialFolder(study.paths, study.name, inc.key);
      // The trained state the objective returned: for the nnU-Net objective, a model folder `hnas predict` reads.
      const model = inc.checkpoint !== null && existsSync(join(study.folder, inc.checkpoint)) ? join(study.folder, inc.checkpoint) : null;
      output(!!opts.json, { study: study.name, folder, model, trial: inc }, () =>
        [
          `incumbent of '${study.name}': trial ${inc.number} '${inc.key}' (${inc.source}), ${inc.budget} epochs`,
          `1 - Dice ${inc.loss!.toFixed(4)} (Dice ${(100 * (1 - inc.loss!)).toFixed(2)} %), runtime ${inc.cost?.toFixed(1) ?? '-'} s`,
          `folder: ${folder}`,
          ...(model ? [`model: ${model}  (hnas predict ${model} <images> -o <out>)`] : []),
          configText(inc.config),
        ].join('\n'),
      );
    });
}
