/** `hnas report <study> -o report/`: Markdown report, SVG + PNG plots, report.json and trials.csv of a study. */
import type { Command } from 'commander';
import { loadStudy } from '../../automl/load.js';
import { storageOption } from '../options.js';
import { writeReport } from '../../report/index.js';
import { output } from '../output.js';

export function registerReport(program: Command): void {
  program
    .command('report')
    .description('write a study report: incumbent, default, Pareto front, plots (incumbent over time, Pareto front, distributions)')
    .argument('<study>', 'study folder (holding study.db) or database file')
    .option('--name <name>', 'study name inside the database (needed when it holds several)')
    .addOption(storageOption())
    .option('-o, --output <dir>', 'report folder', 'report')
    .option('--json', 'machine-readable output')
    .action(async (path: string, opts: { name?: string; storage?: string; output: string; json?: boolean }) => {
      const { model, files } = await writeReport(await loadStudy(path, opts.name, opts.storage), opts.output);
      const inc = model.incumbent;
      output(!!opts.json, { study: model.study, incumbent: inc, files }, () =>
        [
          `report of '${model.study}' written to ${opts.output}/report.md (${files.length} files)`,
          inc ? `incumbent: trial ${inc.number} '${inc.key}', 1-Dice ${inc.loss!.toFixed(4)} (Dice ${(100 * (1 - inc.loss!)).toFixed(2)} %), runtime ${inc.cost?.toFixed(1) ?? '-'} s` : 'incumbent: none yet',
          `Pareto front: ${model.paretoFront.length} trials`,
        ].join('\n'),
      );
    });
}
