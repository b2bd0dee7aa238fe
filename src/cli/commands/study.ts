/** `hnas study list|show|export`: inspect a study database (trials, incumbent, Pareto front). */
import type { Command } from 'commander';
import { StorageError, UsageError } from '../../errors.js';
import { configText, type StudyReport, studyReport, trialsCsv } from '../../optimize/report.js';
import type { StudyStorage } from '../../optimize/storage.js';
import { openStorage } from '../../optimize/storage-url.js';
import { redactUrl } from '../../optimize/postgres-storage.js';
import type { TrialRecord } from '../../optimize/trial.js';
import { writeFileAtomic } from '../../util/fs.js';
import { intOption, output } from '../main.js';
import { storageOption } from '../options.js';

const DEFAULT_DB = 'hnas-studies.db';

interface StorageFlags {
  db: string;
  storage?: string;
}

async function withStorage<T>(opts: StorageFlags, fn: (s: StudyStorage) => Promise<T>): Promise<T> {
  const storage = openStorage(opts.storage ?? opts.db, { mustExist: true });
  try {
    return await fn(storage);
  } finally {
    await storage.close();
  }
}

async function loadReport(opts: StorageFlags, name: string): Promise<StudyReport> {
  return withStorage(opts, async (storage) => {
    const settings = await storage.getStudy(name);
    if (!settings) throw new StorageError(`no study named '${name}' (studies: ${(await storage.listStudies()).join(', ') || 'none'})`, { file: redactUrl(opts.storage ?? opts.db) });
    return studyReport(name, settings, await storage.trials(name));
  });
}

const num = (x: number | null, digits = 4): string => (x === null ? '-' : Number.isInteger(x) ? String(x) : x.toFixed(digits));
const row = (t: TrialRecord): string =>
  [String(t.number).padStart(5), t.key.padEnd(22), t.source.padEnd(10), String(t.budget).padStart(6), t.status.padEnd(9), num(t.loss).padStart(8), num(t.cost).padStart(10)].join(' ');
const HEADER = ['    #', 'key'.padEnd(22), 'source'.padEnd(10), 'epochs'.padStart(6), 'status'.padEnd(9), 'loss'.padStart(8), 'cost'.padStart(10)].join(' ');

function showText(r: StudyReport, limit: number): string {
  const s = r.settings;
  const lines = [
    `study '${r.study}': ${s.algorithm} over space '${s.space.name}' (${s.space.params.length} hyperparameters), budgets ${s.minBudget}..${s.maxBudget} epochs, eta ${s.eta}, seed ${s.seed}`,
    `trials: ${r.trials.length} (${r.counts.complete} complete, ${r.counts.failed} failed, ${r.counts.running} running), ${r.configurations} configurations, ${r.epochs.toLocaleString('en-US')} epochs`,
    '',
    r.incumbent
      ? `incumbent (best loss): trial ${r.incumbent.number} '${r.incumbent.key}', loss ${num(r.incumbent.loss)}, cost ${num(r.incumbent.cost)}, ${r.incumbent.budget} epochs\n  ${configText(r.incumbent.config)}`
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
  const study = program.command('study').description('inspect study databases: list, show, export');
  study
    .command('list')
    .description('list the studies in a database')
    .option('--db <path>', 'study database (SQLite)', DEFAULT_DB)
    .addOption(storageOption('--db'))
    .option('--json', 'machine-readable output')
    .action(async (opts: StorageFlags & { json?: boolean }) => {
      const names = await withStorage(opts, (s) => s.listStudies());
      output(!!opts.json, names, () => names.join('\n') || '(no studies)');
    });
  study
    .command('show <name>')
    .description('trials table, incumbent and Pareto front of a study')
    .option('--db <path>', 'study database (SQLite)', DEFAULT_DB)
    .addOption(storageOption('--db'))
    .option('--limit <n>', 'trials to list', intOption('--limit', 1), 50)
    .option('--json', 'machine-readable output (the whole report)')
    .action(async (name: string, opts: StorageFlags & { limit: number; json?: boolean }) => {
      const report = await loadReport(opts, name);
      output(!!opts.json, report, () => showText(report, opts.limit));
    });
  study
    .command('export <name>')
    .description('export a study as JSON (settings, trials, incumbent, Pareto front) or CSV (one row per trial)')
    .option('--db <path>', 'study database (SQLite)', DEFAULT_DB)
    .addOption(storageOption('--db'))
    .option('--format <format>', 'json or csv', 'json')
    .option('--out <file>', 'write to a file (atomically) instead of stdout')
    .action(async (name: string, opts: StorageFlags & { format: string; out?: string }) => {
      if (opts.format !== 'json' && opts.format !== 'csv') throw new UsageError(`--format must be json or csv, got '${opts.format}'`);
      const report = await loadReport(opts, name);
      const text = opts.format === 'csv' ? trialsCsv(report) : `${JSON.stringify(report, null, 2)}\n`;
      if (opts.out) writeFileAtomic(opts.out, text);
      else process.stdout.write(text);
    });
}
