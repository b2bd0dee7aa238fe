/**
 * `hnas importance`: a study's fANOVA written as importance.md, importance.json and two
 * plots (importance: main effects and interactions; marginals: the most important ones).
 *
 * Example:
 *   const { result, files } = await writeImportance(await loadStudy('studies/hippo', 'hpo_hnas'), 'importance/', { budget: 'all' });
 */
import type { LoadedStudy } from '../automl/load.js';
import { type ImportanceOptions, type ImportanceResult, type Effect, studyImportance } from '../analysis/importance.js';
import { importanceChart, marginalsChart } from './charts.js';
import { plotLines } from './markdown.js';
import { type Chart, OutputFolder } from './render.js';

const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
const effectRow = (e: Effect) => `| ${e.features.join(' x ')} | ${pct(e.fraction)} | ${pct(e.std)} |`;

export const importanceCharts = (r: ImportanceResult): Chart[] => [
  { name: 'importance', title: 'Hyperparameter importance (fANOVA)', spec: importanceChart(r) },
  { name: 'marginals', title: 'Marginal predicted 1 - Dice of the most important hyperparameters', spec: marginalsChart(r) },
];

/** The importance section: what was analysed, the main effects, the largest interactions (Markdown lines). */
export function importanceMarkdown(r: ImportanceResult, heading = '#'): string[] {
  const explained = r.main.reduce((s, e) => s + e.fraction, 0);
  const pairs = r.pairs.reduce((s, e) => s + e.fraction, 0);
  const conditional = r.features.filter((f) => f.conditional).map((f) => `\`${f.name}\``);
  return [
    `${heading} Hyperparameter importance of \`${r.study}\` (fANOVA)`,
    '',
    `Functional ANOVA (Hutter, Hoos & Leyton-Brown 2014) of a random forest (${r.forest.trees} trees, seed ${r.forest.seed}; ${r.forest.varyingTrees} non-constant) fitted to 1 - Dice of ` +
      `${r.trials.length} completed trials at ${r.budget === 'max' ? `the highest budget (${r.budgets[0]} epochs)` : `all budgets (${r.budgets.join(', ')} epochs; the budget is a feature)`}. ` +
      'Shares are of the surrogate\'s variance over the uniform measure on the space (log scale for log hyperparameters), mean and standard deviation over the trees. ' +
      'The architecture enters through features of its derivation tree (`arch.*`).' +
      (conditional.length ? ` Conditional hyperparameters (${conditional.join(', ')}) are imputed, where inactive, with a value drawn uniformly from their domain (docs/analysis.md).` : '') +
      (r.constant.length ? ` Left out, the same in every trial: ${r.constant.map((c) => `\`${c}\``).join(', ')}.` : ''),
    '',
    `Main effects explain ${pct(explained)}, pairwise interactions ${pct(pairs)}; the rest is higher-order interaction.`,
    '',
    '| main effect | share of variance | std over trees |',
    '|---|---|---|',
    ...r.main.map(effectRow),
    '',
    '| pairwise interaction (largest 10) | share of variance | std over trees |',
    '|---|---|---|',
    ...r.pairs.slice(0, 10).map(effectRow),
    '',
  ];
}

export interface WrittenImportance {
  readonly result: ImportanceResult;
  readonly files: readonly string[];
}

export async function writeImportance(study: LoadedStudy, outDir: string, options: ImportanceOptions = {}): Promise<WrittenImportance> {
  const result = studyImportance(study, options);
  const out = new OutputFolder(outDir);
  const plots = await out.charts(importanceCharts(result));
  out.write('importance.json', `${JSON.stringify(result, null, 2)}\n`);
  out.write('importance.md', [...importanceMarkdown(result), ...plotLines(plots), 'Data: `importance.json`.', ''].join('\n'));
  return { result, files: out.files };
}
