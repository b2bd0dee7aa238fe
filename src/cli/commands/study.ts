/**
 * `hnas study list|show|export`: inspect studies (trials, incumbent, Pareto front). Like `report`
 * and `incumbent`, they take the study folder `hnas optimize` wrote (or its .db file) and --name.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Command, Option } from 'commander';
import { loadStudy } from '../../automl/load.js';
import { studyPaths } from '../../automl/layout.js';
import { UsageError } from '../../errors.js';
import { configText, type StudyReport, studyReport, trialsCsv } from '../../optimize/report.js';
import { openStorage } from '../../optimize/storage-url.js';
import type { TrialRecord } from '../../optimize/trial.js';
import { writeFileAtomic } from '../../util/fs.js';
import { output } from '../output.js';
import { intOption, oldSpelling, storageOption } from '../options.js';

/** Where `hnas optimize` puts studies by default (studies/<dataset folder>). */
const STUDIES = 'studies';

async function listStudies(db: string): Promise<string[]> {
  // Reading must not create an empty database where the user mistyped a path.
  const storage = await openStorage(db, { mustExist: true });
  try {
    return await storage.listStudies();
  } finally {
    await storage.close();
  }
}

/** The databases `study list` reads: the one given, else every studies/<dataset>/study.db. */
function databases(path: string | undefined): string[] {
  if (path !== undefined) return [studyPaths(path).db];
  const found = existsSync(STUDIES)
    ? readdirSync(STUDIES, { withFileTypes: true }).filter((e) => e.isDirectory() && existsSync(join(STUDIES, e.name, 'study.db'))).map((e) => join(STUDIES, e.name, 'study.db'))
    : [];
  if (found.length === 0) throw new UsageError(`no study given and ./${STUDIES}/ holds none: pass a study folder (hnas optimize --study, default ${STUDIES}/<dataset>) or its .db file`);
  return found.sort();
}

/** `--db FILE NAME` (the old form) or `STUDY [--name NAME]`. */
function studyAndName(arg: string, opts: { db?: string; name?: string }): [string, string | undefined] {
  if (opts.db === undefined) return [arg, opts.name];
  process.stderr.write(`hnas: --db is now the first argument (hnas study show <study> --name <name>); the old form goes in the next release\n`);
  return [opts.db, arg];
}

async function loadReport([path, name]: [string, string | undefined], storage: string | undefined): Promise<StudyReport> {
  const study = await loadStudy(path, name, storage);
  return studyReport(study.name, study.settings, study.trials);
}

const dbOption = () => new Option('--db <file>', 'old form: the database file, the argument then names the study').hideHelp();

const num = (x: number | null, digits = 4): string => (x === null ? '-' : Number.isInteger(x) ? String(x) : x.toFixed(digits));
const row = (t: TrialRecord): string =>
  [String(t.number).padStart(5), t.key.padEnd(22), t.source.padEnd(10), String(t.budget).padStart(6), t.status.padEnd(9), num(t.loss).padStart(8), num(t.cost, 1).padStart(10)].join(' ');
const HEADER = ['    #', 'key'.padEnd(22), 'source'.padEnd(10), 'epochs'.padStart(6), 'status'.padEnd(9), '1 - Dice'.padStart(8), 'cost (s)'.padStart(10)].join(' ');

function showText(r: StudyReport, limit: number): string {
  const s = r.settings;
  const lines = [
    `study '${r.study}': ${s.algorithm} over space '${s.space.name}' (${s.space.params.length} hyperparameters), budgets ${s.minBudget}..${s.maxBudget} epochs, eta ${s.eta}, seed ${s.seed}`,
    `trials: ${r.trials.length} (${r.counts.complete} complete, ${r.counts.failed} failed, ${r.counts.running} running), ${r.configurations} configurations, ${r.epochs.toLocaleString('en-US')} epochs`,
    '',
    r.incumbent
      ? `incumbent (best loss): trial ${r.incumbent.number} '${r.incumbent.key}', loss (1 - Dice) ${num(r.incumbent.loss)}, cost ${num(r.incumbent.cost, 1)} s, ${r.incumbent.budget} epochs\n  ${configText(r.incumbent.config)}`
      : 'incumbent: none yet',
    '',
    `Pareto front (loss, cost): ${r.paretoFront.length} trials`,
    HEADER,
    ...r.paretoFront.map(row),
    '',
    `trials${r.trials.length > limit ? ` (last ${limit} of ${r.trials.length}; --limit to change)` : ''}:`,
    HEADER,
    ...r.trials.slice(-limit).map(row),
  ];
  return lines.join('\n');
}

export function registerStudy(program: Command): void {
  const study = program.command('study').description('inspect studies: list, show, export');
  study
    .command('list')
    .description(`list the studies of a study folder (default: every folder under ./${STUDIES}/)`)
    .argument('[study]', 'study folder (holding study.db) or database file')
    .addOption(dbOption())
    .addOption(storageOption('the study folder\'s study.db'))
    .option('--json', 'machine-readable output: [{db, studies}]')
    .action(async (path: string | undefined, opts: { db?: string; storage?: string; json?: boolean }) => {
      const rows = await Promise.all((opts.storage ? [opts.storage] : databases(path ?? opts.db)).map(async (db) => ({ db, studies: await listStudies(db) })));
      output(!!opts.json, rows, () =>
        rows.length === 1 ? rows[0]!.studies.join('\n') || '(no studies)' : rows.map((r) => `${r.db}: ${r.studies.join(', ') || '(no studies)'}`).join('\n'));
    });
  study
    .command('show')
    .description('trials table, incumbent and Pareto front of a study')
    .argument('<study>', 'study folder (holding study.db) or database file')
    .option('--name <name>', 'study name inside the database (needed when it holds several)')
    .addOption(storageOption())
    .option('--limit <n>', 'trials to list', intOption('--limit', 1), 50)
    .addOption(dbOption())
    .option('--json', 'machine-readable output (the whole report)')
    .action(async (arg: string, opts: { db?: string; name?: string; storage?: string; limit: number; json?: boolean }) => {
      const report = await loadReport(studyAndName(arg, opts), opts.storage);
      output(!!opts.json, report, () => showText(report, opts.limit));
    });
  const exportCmd = study
    .command('export')
    .description('export a study as JSON (settings, trials, incumbent, Pareto front) or CSV (one row per trial)')
    .argument('<study>', 'study folder (holding study.db) or database file')
    .option('--name <name>', 'study name inside the database (needed when it holds several)')
    .option('--json', 'JSON (the default)')
    .option('--csv', 'CSV, one row per trial with a column per hyperparameter')
    .option('-o, --output <file>', 'write to a file (atomically) instead of stdout')
    .addOption(storageOption())
    .addOption(dbOption())
    .addOption(new Option('--format <format>', 'old form of --json/--csv').hideHelp());
  oldSpelling(exportCmd, '--out <file>', '--output');
  exportCmd.action(async (arg: string, opts: { db?: string; name?: string; storage?: string; json?: boolean; csv?: boolean; format?: string; output?: string }) => {
    if (opts.format !== undefined && opts.format !== 'json' && opts.format !== 'csv') throw new UsageError(`--format must be json or csv, got '${opts.format}'`);
    const csv = opts.csv || opts.format === 'csv';
    if (csv && (opts.json || opts.format === 'json')) throw new UsageError('give --json or --csv, not both');
    const report = await loadReport(studyAndName(arg, opts), opts.storage);
    const text = csv ? trialsCsv(report) : `${JSON.stringify(report, null, 2)}\n`;
    if (opts.output) writeFileAtomic(opts.output, text);
    else process.stdout.write(text);
  });
}
