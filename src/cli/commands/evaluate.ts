/**
 * `hnas evaluate <pred-dir> <gt-dir>`: per case and class Dice, IoU, precision, recall, volume
 * difference, HD95 and NSD; mean / median / std per class; the foreground mean Dice. --json, --csv.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { loadDataset } from '../../data/dataset.js';
import { UsageError } from '../../errors.js';
import { evaluateFolders, type EvaluationSummary } from '../../data/evaluate.js';
import { METRICS, type MetricName } from '../../data/metrics.js';
import { writeFileAtomic } from '../../util/fs.js';
import { output } from '../output.js';

const pct = (x: number): string => (Number.isNaN(x) ? 'NaN' : (100 * x).toFixed(2));
const num = (x: number): string => (Number.isNaN(x) ? 'NaN' : Number.isFinite(x) ? String(+x.toPrecision(6)) : x > 0 ? 'inf' : '-inf');

/** How each metric reads in the text table and the CSV header. */
const LABELS: Record<MetricName, { text: string; csv: string }> = {
  dice: { text: 'Dice', csv: 'dice' },
  iou: { text: 'IoU', csv: 'iou' },
  precision: { text: 'precision', csv: 'precision' },
  recall: { text: 'recall', csv: 'recall' },
  volumeDifference: { text: 'vol. diff. (ml)', csv: 'volume_difference_ml' },
  hd95: { text: 'HD95 (mm)', csv: 'hd95_mm' },
  nsd: { text: 'NSD', csv: 'nsd' },
};

function parseClasses(value: string): number[] {
  const list = value.split(',').map((s) => Number(s.trim()));
  if (list.some((v) => !Number.isInteger(v) || v <= 0)) throw new UsageError(`--classes must be a comma-separated list of positive integers, got '${value}'`);
  return list;
}

function parseTolerance(value: string): number {
  const t = Number(value);
  if (!Number.isFinite(t) || t < 0) throw new UsageError(`--tolerance must be a distance in mm >= 0, got '${value}'`);
  return t;
}

/**
 * Label names for the table: from `--dataset`, else the dataset.json next to the reference folder
 * (`<dataset>/labelsTr`), when it reads; else "class N".
 */
function labelNames(gtDir: string, datasetDir: string | undefined): Map<number, string> {
  const names = new Map<number, string>();
  if (datasetDir === undefined && !existsSync(join(dirname(resolve(gtDir)), 'dataset.json'))) return names;
  try {
    for (const l of loadDataset(datasetDir ?? dirname(resolve(gtDir))).labels) names.set(l.value, l.name);
  } catch (err) {
    if (datasetDir !== undefined) throw err; // asked for: its errors are the user's to see
  }
  return names;
}

/** JSON holds neither NaN nor Infinity: NaN becomes null, +-Infinity the strings "Infinity" / "-Infinity". */
const jsonSafe = (s: EvaluationSummary): unknown =>
  JSON.parse(JSON.stringify(s, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? (Number.isNaN(v) ? null : v > 0 ? 'Infinity' : '-Infinity') : v)));

/** One row per case and class, then mean / median / std rows per class. */
export function summaryCsv(s: EvaluationSummary): string {
  const metrics = METRICS.filter((m) => s.stats[m]);
  const rows = [['case', 'class', ...metrics.map((m) => LABELS[m].csv), 'tp', 'fp', 'fn', 'n_pred', 'n_ref'].join(',')];
  for (const k of s.cases) {
    for (const c of s.classes) {
      const x = k.perClass[c]!;
      rows.push([k.id, c, ...metrics.map((m) => num(x[m] ?? NaN)), x.tp, x.fp, x.fn, x.nPred, x.nRef].join(','));
    }
  }
  for (const stat of ['mean', 'median', 'std'] as const) {
    for (const c of s.classes) rows.push([stat, c, ...metrics.map((m) => num(s.stats[m]![c]![stat])), '', '', '', '', ''].join(','));
  }
  return `${rows.join('\n')}\n`;
}

function table(s: EvaluationSummary, perCase: boolean, names: Map<number, string>): string {
  const head = `${'case'.padEnd(24)}${s.classes.map((c) => (names.get(c) ?? `class ${c}`).padStart(26)).join('')}`;
  const rows = perCase ? s.cases.map((k) => `${k.id.padEnd(24)}${s.classes.map((c) => pct(k.perClass[c]!.dice).padStart(26)).join('')}`) : [];
  const stats = METRICS.filter((m) => s.stats[m]).map((m) => {
    const cell = (c: number) => {
      const x = s.stats[m]![c]!;
      return `${num(x.mean)} +- ${num(x.std)} (${num(x.median)})`.padStart(26);
    };
    return `${LABELS[m].text.padEnd(24)}${s.classes.map(cell).join('')}`;
  });
  return [
    `Dice (%) over ${s.cases.length} case(s)`,
    ...(perCase ? [head, ...rows] : []),
    `${'mean'.padEnd(24)}${s.classes.map((c) => pct(s.meanPerClass[c]!).padStart(26)).join('')}`,
    `foreground mean: ${pct(s.foregroundMean)} %`,
    '',
    `per class: mean +- std (median), NaN cases skipped`,
    head,
    ...stats,
    ...(s.missingPredictions.length ? [`references without a prediction: ${s.missingPredictions.length} (${s.missingPredictions.slice(0, 5).join(', ')}${s.missingPredictions.length > 5 ? ', ...' : ''})`] : []),
  ].join('\n');
}

export function registerEvaluate(program: Command): void {
  program
    .command('evaluate')
    .description('per case and class Dice, IoU, precision, recall, volume difference, HD95 and NSD (NaN when a class is absent from both); mean / median / std')
    .argument('<pred-dir>', 'folder of predicted segmentations (.nii/.nii.gz)')
    .argument('<gt-dir>', 'folder of reference segmentations with the same file names')
    .option('--classes <list>', 'foreground class values to score (default: every nonzero value in the references)', parseClasses)
    .option('--tolerance <mm>', 'tolerance of the normalised surface distance, in mm', parseTolerance, 1)
    .option('--per-case', 'list every case in the table')
    .option('--dataset <dir>', 'dataset folder whose label names head the table (default: the one holding <gt-dir>, if any)')
    .option('-o, --output <file>', 'also write the summary JSON here (NaN as null, Infinity as "Infinity")')
    .option('--csv <file>', 'also write one CSV row per case and class (and mean / median / std rows)')
    .option('--json', 'print the summary as JSON')
    .action((predDir: string, gtDir: string, opts: { classes?: number[]; tolerance: number; perCase?: boolean; dataset?: string; output?: string; csv?: string; json?: boolean }) => {
      const summary = evaluateFolders(predDir, gtDir, { classes: opts.classes, tolerance: opts.tolerance });
      const names = labelNames(gtDir, opts.dataset);
      if (opts.output) writeFileAtomic(opts.output, `${JSON.stringify(jsonSafe(summary), null, 2)}\n`);
      if (opts.csv) writeFileAtomic(opts.csv, summaryCsv(summary));
      output(!!opts.json, jsonSafe(summary), () => table(summary, !!opts.perCase, names));
    });
}
