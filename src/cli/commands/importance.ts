/** `hnas importance <study> [--budget max|all] -o importance/`: fANOVA of a study's completed trials (importance.md, importance.json, plots). */
import { Option, type Command } from 'commander';
import { loadStudy } from '../../automl/load.js';
import { BUDGET_CHOICES, type BudgetChoice } from '../../analysis/importance.js';
import { writeImportance } from '../../report/importance.js';
import { intOption, seedOption, storageOption } from '../options.js';
import { output } from '../output.js';

export function registerImportance(program: Command): void {
  program
    .command('importance')
    .description('hyperparameter importance of a study: functional ANOVA of a random-forest surrogate of 1 - Dice (main effects, pairwise interactions, marginal plots)')
    .argument('<study>', 'study folder (holding study.db) or database file')
    .option('--name <name>', 'study name inside the database (needed when it holds several)')
    .addOption(storageOption())
    .addOption(new Option('--budget <which>', "trials analysed: 'max' (the highest budget) or 'all' (every budget, the budget a feature)").choices(BUDGET_CHOICES).default('max'))
    .addOption(seedOption('seed of the random forest'))
    .option('--trees <n>', 'trees of the random forest', intOption('--trees', 1, 1000), 32)
    .option('-o, --output <dir>', 'output folder', 'importance')
    .option('--json', 'machine-readable output')
    .action(async (path: string, opts: { name?: string; storage?: string; budget: BudgetChoice; seed: number; trees: number; output: string; json?: boolean }) => {
      const { result, files } = await writeImportance(await loadStudy(path, opts.name, opts.storage), opts.output, { budget: opts.budget, seed: opts.seed, trees: opts.trees });
      output(!!opts.json, { study: result.study, trials: result.trials.length, main: result.main, pairs: result.pairs.slice(0, 10), files }, () =>
        [
          `importance of '${result.study}' (${result.trials.length} trials, ${opts.budget === 'max' ? `${result.budgets[0]} epochs` : 'all budgets'}) written to ${opts.output}/importance.md`,
          ...result.main.slice(0, 5).map((e) => `  ${e.features[0]}: ${(100 * e.fraction).toFixed(1)} % (std ${(100 * e.std).toFixed(1)})`),
          ...(result.pairs[0] ? [`  largest interaction: ${result.pairs[0].features.join(' x ')}: ${(100 * result.pairs[0].fraction).toFixed(1)} %`] : []),
        ].join('\n'),
      );
    });
}
