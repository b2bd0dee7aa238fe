/** `hnas brackets`: print the Hyperband / PriorBand schedule for a budget range. */
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { bracketEpochs, hyperbandSchedule, scheduleTotals } from '../../optimize/brackets.js';
import { output } from '../output.js';
import { intOption, oldSpelling } from '../options.js';

const fmt = (x: number): string => Math.round(x).toLocaleString('en-US');

export function registerBrackets(program: Command): void {
  const cmd = program
    .command('brackets')
    .description('print the Hyperband schedule: rungs, configurations per rung, epochs per bracket, totals')
    .requiredOption('--min-epochs <n>', 'lowest rung budget in epochs (paper: 10)', intOption('--min-epochs', 1))
    .requiredOption('--max-epochs <n>', 'highest rung budget in epochs (paper: 1000)', intOption('--max-epochs', 1))
    .option('--eta <n>', 'reduction factor', intOption('--eta', 2), 3)
    .option('--json', 'machine-readable output');
  oldSpelling(cmd, '--min <epochs>', '--min-epochs');
  oldSpelling(cmd, '--max <epochs>', '--max-epochs');
  cmd.action((opts: { minEpochs: number; maxEpochs: number; eta: number; json?: boolean }) => {
    const { minEpochs: min, maxEpochs: max } = opts;
    if (max < min) throw new UsageError(`--max-epochs (${max}) must be >= --min-epochs (${min})`);
    const schedule = hyperbandSchedule({ minBudget: min, maxBudget: max, eta: opts.eta });
    const totals = scheduleTotals(schedule);
    const brackets = schedule.brackets.map((b) => ({
      s: b.s,
      rungs: b.rungs.map((r) => ({ rung: r.rung, configs: r.configs, epochs: schedule.budgets[r.rung]! })),
      epochs: bracketEpochs(schedule, b, { continuation: false }),
      epochsWithContinuation: bracketEpochs(schedule, b, { continuation: true }),
    }));
    output(!!opts.json, { ...schedule, brackets, totals, withDefault: { epochs: totals.nominalEpochs + max, epochsWithContinuation: totals.epochsWithContinuation + max } }, () => {
      const lines = [
        `Hyperband schedule: min ${min}, max ${max} epochs, eta ${opts.eta} (s_max ${schedule.sMax})`,
        `rung budgets (epochs): ${schedule.budgets.map((b, i) => (b === schedule.nominalBudgets[i] ? `${b}` : `${b} (${schedule.nominalBudgets[i]!.toFixed(2)})`)).join(', ')}`,
        '',
        'bracket  configurations@epochs                         epochs  with continuation',
        ...brackets.map((b) =>
          `${String(b.s).padEnd(9)}${b.rungs.map((r) => `${r.configs}@${r.epochs}`).join('  ').padEnd(46)}${fmt(b.epochs).padStart(6)}  ${fmt(b.epochsWithContinuation).padStart(17)}`,
        ),
        '',
        `total: ${totals.brackets} brackets, ${totals.newConfigs} new configurations, ${totals.evaluations} evaluations, ` +
          `${fmt(totals.nominalEpochs)} epochs (${fmt(totals.epochs)} in whole-epoch rungs); ${fmt(totals.epochsWithContinuation)} with continuation`,
        `with the default evaluated once at ${max} epochs: ${fmt(totals.nominalEpochs + max)} epochs (${fmt(totals.epochsWithContinuation + max)} with continuation)`,
      ];
      return lines.join('\n');
    });
  });
}
