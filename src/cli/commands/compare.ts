/**
 * `hnas compare <study>... -o compare/`: studies (approaches, seeds) on one cost-over-time plot
 * and one Pareto plot, with a table of their final incumbents. A <study> is a study folder or
 * database file (all of its studies), or one study's own folder (<dir>/<name>); with --storage,
 * study names in that storage.
 */
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { type LoadedStudy, loadStudy, studyNames } from '../../automl/load.js';
import { StorageError } from '../../errors.js';
import { writeComparison } from '../../report/compare.js';
import { storageOption } from '../options.js';
import { output } from '../output.js';

/** The studies one argument names. */
async function studiesOf(arg: string, storage: string | undefined, studyDir: string): Promise<LoadedStudy[]> {
  if (storage !== undefined) return [await loadStudy(studyDir, arg, storage)];
  const p = resolve(arg);
  const isDb = p.endsWith('.db') && existsSync(p);
  if (isDb || existsSync(join(p, 'study.db'))) return Promise.all((await studyNames(p)).map((name) => loadStudy(p, name)));
  if (existsSync(join(p, 'study.json')) && existsSync(join(dirname(p), 'study.db'))) return [await loadStudy(dirname(p), basename(p))];
  const what = !existsSync(p) ? 'does not exist' : statSync(p).isDirectory() ? 'holds no study.db and is no study\'s own folder (<dir>/<name>/study.json)' : 'is not a study database (*.db)';
  throw new StorageError(`${what}: name a study folder, a database file, or <study folder>/<study name>`, { file: p });
}

export function registerCompare(program: Command): void {
  program
    .command('compare')
    .description("compare studies (approaches, seeds): incumbent over time and epochs (median, range over seeds), Pareto fronts with nnU-Net's default, final incumbents")
    .argument('<study...>', 'study folders or database files (all their studies), study folders <dir>/<name>, or with --storage study names')
    .addOption(storageOption('the folders\' own study.db'))
    .option('--study <dir>', 'with --storage: the study folder holding the studies\' study.json', '.')
    .option('-o, --output <dir>', 'output folder', 'compare')
    .option('--json', 'machine-readable output')
    .action(async (args: string[], opts: { storage?: string; study: string; output: string; json?: boolean }) => {
      const studies = (await Promise.all(args.map((a) => studiesOf(a, opts.storage, opts.study)))).flat();
      const { comparison, files } = await writeComparison(studies, opts.output);
      output(!!opts.json, { studies: comparison.studies.map((s) => ({ study: s.study, approach: s.approach, seed: s.seed, incumbent: s.incumbent, speedup: s.speedup })), files }, () =>
        [
          `comparison of ${comparison.studies.length} studies (${comparison.approaches.map((a) => `${a.approach}: ${a.studies.length}`).join(', ')}) written to ${opts.output}/compare.md`,
          ...comparison.studies.map((s) => `  ${s.approach} '${s.study}': ${s.incumbent ? `Dice ${(100 * (1 - s.incumbent.loss!)).toFixed(2)} %, ${s.incumbent.cost?.toFixed(1) ?? '-'} s` : 'no completed trial'}${s.speedup === null ? '' : `, ${s.speedup.toFixed(2)}x the default's speed`}`),
        ].join('\n'),
      );
    });
}
