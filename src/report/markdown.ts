/** The report as Markdown: facts of the study, incumbent (architecture in bracketed form), default, Pareto front, plots. */
import { formatDuration } from '../automl/progress.js';
import { printTree } from '../grammar/tree.js';
import type { TreeNode } from '../grammar/tree-types.js';
import type { TrialRecord } from '../optimize/trial.js';
import { configText, paramValueText } from '../optimize/report.js';
import type { ReportModel } from './model.js';
import type { PlotFiles } from './render.js';

export type { PlotFiles };

/** Markdown for rendered plots: a heading, the SVG inline, a link to the PNG. */
export const plotLines = (plots: readonly PlotFiles[], heading = '##'): string[] =>
  plots.flatMap((p) => [`${heading} ${p.title}`, '', `![${p.title}](${p.svg})`, '', `(PNG: [${p.png}](${p.png}))`, '']);

const pct = (loss: number | null) => (loss === null ? '-' : `${(100 * (1 - loss)).toFixed(2)} %`);
const fix = (x: number | null, d = 4) => (x === null ? '-' : x.toFixed(d));
const secs = (x: number | null) => (x === null ? '-' : `${x.toFixed(1)} s (${formatDuration(x)})`);
const escape = (s: string) => s.replace(/\|/g, '\\|');

function configTable(t: TrialRecord): string[] {
  const rows = Object.entries(t.config).filter(([, v]) => typeof v !== 'object');
  const lines = ['| hyperparameter | value |', '|---|---|', ...rows.map(([k, v]) => `| ${k} | ${paramValueText(v)} |`)];
  for (const [k, v] of Object.entries(t.config)) if (typeof v === 'object') lines.push('', `${k} (bracketed derivation tree):`, '', '```', printTree(v as TreeNode), '```');
  return lines;
}

/** Dice gain in points and the runtime ratio of the incumbent over the default. */
function comparison(inc: TrialRecord, d: TrialRecord): string {
  const gain = (d.loss! - inc.loss!) * 100;
  const dice = `Dice ${gain >= 0 ? '+' : ''}${gain.toFixed(2)} points`;
  if (!d.cost || !inc.cost) return dice;
  const ratio = d.cost / inc.cost;
  return `${dice}, training runtime ${ratio >= 1 ? `${ratio.toFixed(2)}x shorter` : `${(1 / ratio).toFixed(2)}x longer`}`;
}

const trialRow = (t: TrialRecord) => `| ${t.number} | \`${t.key}\` | ${t.source} | ${t.budget} | ${fix(t.loss)} | ${pct(t.loss)} | ${secs(t.cost)} |`;
const TRIAL_HEAD = ['| trial | key | source | epochs | 1 - Dice | Dice | runtime |', '|---|---|---|---|---|---|---|'];

/** `importance`: the lines of the importance section (importance.ts), placed before the plots. */
export function reportMarkdown(m: ReportModel, plots: readonly PlotFiles[], importance: readonly string[] = []): string {
  const s = m.settings;
  const meta = m.meta;
  const stop = s.maxEpochs !== null ? `total ${s.maxEpochs} epochs` : s.brackets >= 1_000_000 ? 'brackets cycled until the time limit' : `${s.brackets} brackets`;
  const budget = `rungs ${s.minBudget}..${s.maxBudget} epochs, eta ${s.eta}, ${stop}`;
  const lines = [
    `# Auto-nnU-Net study \`${m.study}\``,
    '',
    '| | |',
    '|---|---|',
    ...(meta ? [`| dataset | ${meta.datasetName} (\`${meta.dataset}\`), n_max ${meta.nMax} |`, `| approach | ${meta.approach} |`, `| objective | ${meta.objective} |`] : []),
    `| algorithm | ${s.algorithm} over space \`${s.space.name}\` (${s.space.params.length} hyperparameters) |`,
    `| budget | ${budget} |`,
    ...(meta ? [`| training | folds ${meta.training.folds.join(',')}, ${meta.training.iterationsPerEpoch} iterations per epoch${meta.training.patchSize ? `, patch ${meta.training.patchSize.join('x')}` : ''}${meta.training.batchSize ? `, batch ${meta.training.batchSize}` : ''} |`] : []),
    `| seed | ${s.seed} |`,
    `| trials | ${m.counts.complete} complete, ${m.counts.failed} failed, ${m.counts.running} running; ${m.epochs} epochs charged; busy ${formatDuration(m.busySeconds)} |`,
    '',
    '## Incumbent (best 1 - Dice)',
    '',
  ];
  if (m.incumbent) lines.push(...TRIAL_HEAD, trialRow(m.incumbent), '', `Trial folder: \`${m.incumbentFolder}\``, '', ...configTable(m.incumbent));
  else lines.push('No completed trial yet.');
  lines.push('', '## Default configuration', '');
  if (m.defaultTrial) {
    lines.push(...TRIAL_HEAD, trialRow(m.defaultTrial));
    const d = m.defaultTrial;
    if (m.incumbent && m.incumbent.key === d.key) lines.push('', 'The incumbent is the default configuration.');
    else if (m.incumbent && d.loss !== null) lines.push('', `Incumbent vs default: ${comparison(m.incumbent, d)}.`);
  } else lines.push('The default configuration has not been evaluated in this study.');
  lines.push('', `## Pareto front (1 - Dice vs runtime): ${m.paretoFront.length} trials`, '', ...TRIAL_HEAD.map((h, i) => (i === 0 ? `${h} configuration |` : `${h}---|`)));
  for (const t of [...m.paretoFront].sort((a, b) => a.cost! - b.cost!)) {
    const text = configText(t.config);
    lines.push(`${trialRow(t)} ${escape(text)} |`);
  }
  lines.push('', ...importance, '## Plots', '', ...plotLines(plots, '###'));
  lines.push('Data: `report.json` (the numbers behind this report), `trials.csv` (one row per trial).', '');
  return lines.join('\n');
}
