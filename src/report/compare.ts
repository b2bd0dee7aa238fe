/**
 * `hnas compare`: several studies on one cost-over-time plot and one Pareto plot, and a
 * table of their final incumbents (compare.md), with the numbers in compare.json.
 *
 * Example:
 *   const { comparison } = await writeComparison([await loadStudy('s0/hippo', 'hpo'), await loadStudy('s0/hippo', 'hpo_hnas')], 'compare/');
 */
import type { LoadedStudy } from '../automl/load.js';
import { type Comparison, compareStudies } from '../analysis/compare.js';
import { configText } from '../optimize/report.js';
import type { TrialRecord } from '../optimize/trial.js';
import { comparisonCostChart, comparisonParetoChart } from './charts.js';
import { plotLines } from './markdown.js';
import { OutputFolder } from './render.js';

const dice = (t: TrialRecord | null) => (t ? `${(100 * (1 - t.loss!)).toFixed(2)} %` : '-');
const runtime = (t: TrialRecord | null) => (t?.cost != null ? `${t.cost.toFixed(1)} s` : '-');
const trialAt = (t: TrialRecord | null) => (t ? `#${t.number}@${t.budget} (\`${t.key}\`)` : '-');

export function comparisonMarkdown(c: Comparison): string[] {
  const lines = [
    '# Comparison of studies',
    '',
    'Final incumbents (best 1 - Dice of a completed trial). Speed-up = the default\'s training runtime / the incumbent\'s (> 1: the incumbent trains faster), both from the same study. Trials are named #number@epochs, as in the plots.',
    '',
    '| approach | study | seed | completed trials | incumbent | epochs | Dice | runtime | default Dice | default runtime | speed-up over default |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...c.studies.map((s) => `| ${s.approach} | ${s.study} (${s.db}) | ${s.seed} | ${s.completed.length} | ${trialAt(s.incumbent)} | ${s.incumbent?.budget ?? '-'} | ${dice(s.incumbent)} | ${runtime(s.incumbent)} | ${dice(s.defaultTrial)} | ${runtime(s.defaultTrial)} | ${s.speedup === null ? '-' : `${s.speedup.toFixed(2)}x`} |`),
    '',
    'Per approach, over its studies (seeds):',
    '',
    '| approach | studies | final Dice, median | min | max |',
    '|---|---|---|---|---|',
    ...c.approaches.map((a) => {
      const f = a.finalLoss;
      const d = (loss: number | undefined) => (loss === undefined ? '-' : `${(100 * (1 - loss)).toFixed(2)} %`);
      // The best loss is the highest Dice: min and max swap.
      return `| ${a.approach} | ${a.studies.length} | ${d(f?.median)} | ${d(f?.max)} | ${d(f?.min)} |`;
    }),
    '',
    '## Pareto fronts (1 - Dice vs training runtime)',
    '',
    '| approach | study | trial | epochs | Dice | runtime | configuration |',
    '|---|---|---|---|---|---|---|',
    ...c.approaches.flatMap((a) =>
      [...a.front].sort((x, y) => x.trial.cost! - y.trial.cost!).map((f) => `| ${a.approach} | ${f.study} | #${f.trial.number} (\`${f.trial.key}\`) | ${f.trial.budget} | ${dice(f.trial)} | ${runtime(f.trial)} | ${configText(f.trial.config).replace(/\|/g, '\\|')} |`),
    ),
    '',
  ];
  return lines;
}

export interface WrittenComparison {
  readonly comparison: Comparison;
  readonly files: readonly string[];
}

export async function writeComparison(studies: readonly LoadedStudy[], outDir: string): Promise<WrittenComparison> {
  const comparison = compareStudies(studies);
  const out = new OutputFolder(outDir);
  const plots = await out.charts([
    { name: 'cost-over-time', title: 'Incumbent 1 - Dice over wall-clock time and over epochs', spec: comparisonCostChart(comparison) },
    { name: 'pareto-fronts', title: 'Pareto fronts of the approaches, the default configuration marked', spec: comparisonParetoChart(comparison) },
  ]);
  out.write('compare.json', `${JSON.stringify(comparison, null, 2)}\n`);
  out.write('compare.md', [...comparisonMarkdown(comparison), ...plotLines(plots), 'Data: `compare.json`.', ''].join('\n'));
  return { comparison, files: out.files };
}
