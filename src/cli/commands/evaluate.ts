/** `hnas evaluate <pred-dir> <gt-dir>`: Dice per case and class, class means, foreground mean. */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { loadDataset } from '../../data/dataset.js';
import { UsageError } from '../../errors.js';
import { evaluateFolders, type EvaluationSummary } from '../../data/evaluate.js';
import { writeFileAtomic } from '../../util/fs.js';
import { output } from '../output.js';

const pct = (x: number): string => (Number.isNaN(x) ? 'NaN' : (100 * x).toFixed(2));

function parseClasses(value: string): number[] {
  const list = value.split(',').map((s) => Number(s.trim()));
  if (list.some((v) => !Number.isInteger(v) || v <= 0)) throw new UsageError(`--classes must be a comma-separated list of positive integers, got '${value}'`);
  return list;
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

/** JSON cannot hold NaN: write it as null. */
const jsonSafe = (s: EvaluationSummary): unknown => JSON.parse(JSON.stringify(s, (_k, v) => (typeof v === 'number' && Number.isNaN(v) ? null : v)));

export function registerEvaluate(program: Command): void {
  program
    .command('evaluate')
    .description('Dice per case and class (NaN when a class is absent from both), class means and the foreground mean')
    .argument('<pred-dir>', 'folder of predicted segmentations (.nii/.nii.gz)')
    .argument('<gt-dir>', 'folder of reference segmentations with the same file names')
    .option('--classes <list>', 'foreground class values to score (default: every nonzero value in the references)', parseClasses)
    .option('--per-case', 'list every case in the table')
    .option('--dataset <dir>', 'dataset folder whose label names head the table (default: the one holding <gt-dir>, if any)')
    .option('-o, --output <file>', 'also write the summary JSON here')
    .option('--json', 'print the summary as JSON')
    .action((predDir: string, gtDir: string, opts: { classes?: number[]; perCase?: boolean; dataset?: string; output?: string; json?: boolean }) => {
      const summary = evaluateFolders(predDir, gtDir, opts.classes);
      const names = labelNames(gtDir, opts.dataset);
      const width = Math.max(10, ...summary.classes.map((c) => (names.get(c) ?? `class ${c}`).length + 2));
      if (opts.output) writeFileAtomic(opts.output, `${JSON.stringify(jsonSafe(summary), null, 2)}\n`);
      output(!!opts.json, jsonSafe(summary), () => {
        const head = `${'case'.padEnd(24)}${summary.classes.map((c) => (names.get(c) ?? `class ${c}`).padStart(width)).join('')}`;
        const rows = opts.perCase ? summary.cases.map((k) => `${k.id.padEnd(24)}${summary.classes.map((c) => pct(k.perClass[c]!.dice).padStart(width)).join('')}`) : [];
        return [
          `Dice (%) over ${summary.cases.length} case(s)`,
          head,
          ...rows,
          `${'mean'.padEnd(24)}${summary.classes.map((c) => pct(summary.meanPerClass[c]!).padStart(width)).join('')}`,
          `foreground mean: ${pct(summary.foregroundMean)} %`,
          ...(summary.missingPredictions.length ? [`references without a prediction: ${summary.missingPredictions.length} (${summary.missingPredictions.slice(0, 5).join(', ')}${summary.missingPredictions.length > 5 ? ', ...' : ''})`] : []),
        ].join('\n');
      });
    });
}
