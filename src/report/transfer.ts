/**
 * The transfer matrix of `hnas transfer` as a report: transfer.json (the numbers), transfer.md
 * (the Dice matrix with each dataset's default row, and the gain over the default), and two
 * Vega-Lite heatmaps (Dice; gain in Dice points, diverging around 0), as SVG and PNG.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { TransferCell, TransferMatrix } from '../automl/transfer.js';
import { OutputFolder } from './render.js';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

const points = (x: number | null) => (x === null ? null : Number((100 * x).toFixed(2)));
const budgetText = (c: TransferCell) => `${c.budget.epochs} epochs`;

/** Rows: each study's incumbent, then the default (one row per distinct budget). */
function rows(m: TransferMatrix): { row: string; cells: TransferCell[] }[] {
  const defaults = new Map<string, TransferCell[]>();
  for (const d of m.defaults) {
    const key = `nnU-Net default (${budgetText(d)})`;
    defaults.set(key, [...(defaults.get(key) ?? []), d]);
  }
  return [...m.studies.map((s) => ({ row: s.label, cells: m.cells.filter((c) => c.study === s.label) })), ...[...defaults].map(([row, cells]) => ({ row, cells }))];
}

/** `dark`: a Vega expression true where the cell's colour is dark, so its label is written in white. */
function heatmap(title: string, values: { row: string; dataset: string; value: number | null; label: string }[], rowOrder: string[], datasets: string[], color: Record<string, unknown>, legend: string, dark: string): TopLevelSpec {
  return {
    $schema: SCHEMA,
    title,
    data: { values },
    width: Math.max(160, 90 * datasets.length),
    height: Math.max(60, 32 * rowOrder.length),
    encoding: {
      x: { field: 'dataset', type: 'nominal', sort: datasets, title: 'trained and validated on', axis: { labelAngle: 0 } },
      y: { field: 'row', type: 'nominal', sort: rowOrder, title: null, axis: { labelLimit: 400 } },
    },
    layer: [
      { mark: { type: 'rect' }, encoding: { color: { field: 'value', type: 'quantitative', title: legend, ...color } } },
      { mark: { type: 'text', fontSize: 12 }, encoding: { text: { field: 'label', type: 'nominal' }, color: { condition: { test: `datum.value !== null && (${dark})`, value: 'white' }, value: 'black' } } },
    ],
  } as TopLevelSpec;
}

/** Viridis is dark in the lower half of the data's range. */
function darkBelow(values: readonly { value: number | null }[]): number {
  const v = values.map((x) => x.value).filter((x): x is number => x !== null);
  return v.length ? (Math.min(...v) + Math.max(...v)) / 2 : 0;
}

/** Dice (%) per row and dataset; n/a where the configuration does not fit. */
export function diceHeatmap(m: TransferMatrix): TopLevelSpec {
  const rs = rows(m);
  const values = rs.flatMap(({ row, cells }) => cells.map((c) => ({ row, dataset: c.dataset, value: points(c.dice), label: c.dice === null ? 'n/a' : (100 * c.dice).toFixed(1) })));
  return heatmap('Transfer: validation Dice (%) of each incumbent on each dataset', values, rs.map((r) => r.row), m.datasets.map((d) => d.label), { scale: { scheme: 'viridis' } }, 'Dice %', `datum.value < ${darkBelow(values)}`);
}

/** Gain over the dataset's own default at the same budget, in Dice points. */
export function gainHeatmap(m: TransferMatrix): TopLevelSpec {
  const values = m.gains.map((g) => ({ row: g.study, dataset: g.dataset, value: points(g.gain), label: g.gain === null ? 'n/a' : `${g.gain >= 0 ? '+' : ''}${(100 * g.gain).toFixed(1)}` }));
  const span = Math.max(1, ...values.map((v) => Math.abs(v.value ?? 0)));
  return heatmap("Transfer: gain over each dataset's default (Dice points)", values, m.studies.map((s) => s.label), m.datasets.map((d) => d.label), { scale: { scheme: 'redblue', domain: [-span, span] } }, 'gain', `abs(datum.value) > ${0.6 * span}`);
}

export function transferMarkdown(m: TransferMatrix, plots: readonly { title: string; svg: string; png: string }[]): string {
  const ds = m.datasets.map((d) => d.label);
  const cellText = (c: TransferCell | undefined) => (!c ? '-' : c.status === 'not transferable' ? 'n/a' : c.dice === null ? '-' : (100 * c.dice).toFixed(2));
  const lines = [
    '# Transfer of incumbents across datasets',
    '',
    '| study | approach | incumbent | budget | found on |',
    '|---|---|---|---|---|',
    ...m.studies.map((s) => `| ${s.label} | ${s.approach ?? '-'} | trial ${s.trial.number} \`${s.trial.key}\`, 1 - Dice ${s.trial.loss.toFixed(4)} | ${budgetText(m.cells.find((c) => c.study === s.label)!)} | ${s.sourceDataset ?? '-'} |`),
    '',
    '| dataset | folder | n_max | classes | spacing (mm) |',
    '|---|---|---|---|---|',
    ...m.datasets.map((d) => `| ${d.label} | \`${d.root}\` | ${d.nStages} | ${d.classes} | ${d.spacing.map((x) => Number(x.toPrecision(3))).join(' x ')} |`),
    '',
    '## Validation Dice (%, foreground mean, fold mean)',
    '',
    `| trained | ${ds.join(' | ')} |`,
    `|---|${ds.map(() => '---|').join('')}`,
    ...rows(m).map(({ row, cells }) => `| ${row} | ${ds.map((d) => cellText(cells.find((c) => c.dataset === d))).join(' | ')} |`),
    '',
    "## Gain over the dataset's own default at the same budget (Dice points)",
    '',
    `| study | ${ds.join(' | ')} |`,
    `|---|${ds.map(() => '---|').join('')}`,
    ...m.studies.map((s) => `| ${s.label} | ${ds.map((d) => {
      const g = m.gains.find((x) => x.study === s.label && x.dataset === d)?.gain ?? null;
      return g === null ? 'n/a' : `${g >= 0 ? '+' : ''}${(100 * g).toFixed(2)}`;
    }).join(' | ')} |`),
    '',
  ];
  const unfit = m.cells.filter((c) => c.status === 'not transferable');
  if (unfit.length) lines.push('Not transferable (n/a):', '', ...unfit.map((c) => `- ${c.study} on ${c.dataset}: ${c.reason}`), '');
  lines.push('## Plots', '');
  for (const p of plots) lines.push(`### ${p.title}`, '', `![${p.title}](${p.svg})`, '', `(PNG: [${p.png}](${p.png}))`, '');
  lines.push('Data: `transfer.json`; each cell\'s model folder and `cell.json` under `<dataset>/<study>/`.', '');
  return lines.join('\n');
}

/** Writes transfer.json, transfer.md and the heatmaps (each file atomically); returns their paths. */
export async function writeTransferReport(m: TransferMatrix, outDir: string): Promise<string[]> {
  const out = new OutputFolder(outDir);
  const plots = await out.charts([
    { name: 'transfer-dice', title: 'Dice matrix', spec: diceHeatmap(m) },
    { name: 'transfer-gain', title: "Gain over each dataset's default", spec: gainHeatmap(m) },
  ]);
  out.write('transfer.json', `${JSON.stringify(m, null, 2)}\n`);
  out.write('transfer.md', transferMarkdown(m, plots));
  return out.files;
}
