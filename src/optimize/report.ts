/** A study's summary and exports (JSON, CSV): trials, final incumbent, Pareto front. */
import { printTree } from '../grammar/tree.js';
import type { TreeNode } from '../grammar/tree-types.js';
import type { ParamValue } from '../space/types.js';
import { bestLossTrial, paretoTrials } from './incumbent.js';
import type { StudySettings } from './settings.js';
import { chargedEpochs, type TrialRecord } from './trial.js';

export interface StudyReport {
  readonly study: string;
  readonly settings: StudySettings;
  readonly counts: Readonly<Record<TrialRecord['status'], number>>;
  readonly configurations: number;
  readonly epochs: number;
  /** Best 1 - Dice of all completed trials. */
  readonly incumbent: TrialRecord | null;
  /** Completed trials on the (loss, cost) Pareto front. */
  readonly paretoFront: readonly TrialRecord[];
  readonly trials: readonly TrialRecord[];
}

export function studyReport(study: string, settings: StudySettings, trials: readonly TrialRecord[]): StudyReport {
  const counts = { running: 0, complete: 0, failed: 0 };
  for (const t of trials) counts[t.status]++;
  return {
    study,
    settings,
    counts,
    configurations: new Set(trials.map((t) => t.configId)).size,
    epochs: trials.reduce((s, t) => s + chargedEpochs(t), 0),
    incumbent: bestLossTrial(trials) ?? null,
    paretoFront: paretoTrials(trials),
    trials,
  };
}

const csvField = (v: unknown): string => {
  const s = v === null || v === undefined ? '' : typeof v === 'string' ? v : typeof v === 'number' ? String(v) : JSON.stringify(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};
const paramText = (v: ParamValue | undefined): unknown => (v !== undefined && typeof v === 'object' ? printTree(v as TreeNode) : v);

/** A hyperparameter value for people: fractional numbers to 3 significant digits (the stored config keeps them exact), trees bracketed. */
export const paramValueText = (v: ParamValue): string =>
  typeof v === 'object' ? printTree(v as TreeNode) : typeof v === 'number' && !Number.isInteger(v) ? String(Number(v.toPrecision(3))) : String(v);

/** A configuration for people on one line: `k=v` pairs (paramValueText). */
export function configText(config: Readonly<Record<string, ParamValue>>): string {
  return Object.entries(config)
    .map(([k, v]) => `${k}=${paramValueText(v)}`)
    .join(' ');
}

/** One row per trial; hyperparameters in their own `config.<name>` columns (trees in bracketed form). */
export function trialsCsv(report: StudyReport): string {
  const params = report.settings.space.params.map((p) => p.name);
  const pareto = new Set(report.paretoFront.map((t) => t.key));
  const head = ['number', 'key', 'config_id', 'source', 'bracket', 'rung', 'budget', 'previous_budget', 'status', 'loss', 'cost',
    'incumbent', 'pareto', 'worker', 'attempt', 'started_at', 'finished_at', 'checkpoint', 'error', ...params.map((p) => `config.${p}`)];
  const rows = report.trials.map((t) => [
    t.number, t.key, t.configId, t.source, t.bracket, t.rung, t.budget, t.previousBudget, t.status, t.loss, t.cost,
    report.incumbent?.key === t.key ? 1 : 0, pareto.has(t.key) ? 1 : 0, t.worker, t.attempt,
    new Date(t.startedAt).toISOString(), t.finishedAt === null ? null : new Date(t.finishedAt).toISOString(), t.checkpoint, t.error,
    ...params.map((p) => paramText(t.config[p])),
  ]);
  return [head, ...rows].map((r) => r.map(csvField).join(',')).join('\n') + '\n';
}
