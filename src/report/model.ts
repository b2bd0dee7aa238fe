/**
 * What a study report says, as data (also written as report.json): the final incumbent
 * (best 1 - Dice), the Pareto front over (1 - Dice, runtime), the default configuration's
 * result, the incumbent over the study's busy wall-clock time, and per-trial values of
 * every hyperparameter and of the architecture's features.
 */
import type { LoadedStudy } from '../automl/load.js';
import { trialFolder } from '../automl/layout.js';
import { bestLossTrial, incumbentTrajectory, paretoTrials, type TrajectoryPoint } from '../optimize/incumbent.js';
import { busySeconds, chargedEpochs, type TrialRecord } from '../optimize/trial.js';

export type { TrajectoryPoint };

export interface ReportModel {
  readonly study: string;
  readonly dir: string;
  readonly settings: LoadedStudy['settings'];
  readonly meta: LoadedStudy['meta'];
  readonly counts: { readonly complete: number; readonly failed: number; readonly running: number };
  readonly epochs: number;
  readonly busySeconds: number;
  readonly incumbent: TrialRecord | null;
  readonly incumbentFolder: string | null;
  readonly defaultTrial: TrialRecord | null;
  readonly paretoFront: readonly TrialRecord[];
  readonly trajectory: readonly TrajectoryPoint[];
  readonly completed: readonly TrialRecord[];
}

export function reportModel(s: LoadedStudy): ReportModel {
  const trials = [...s.trials].sort((a, b) => a.number - b.number);
  const counts = { complete: 0, failed: 0, running: 0 };
  for (const t of trials) counts[t.status]++;
  const completed = trials.filter((t) => t.status === 'complete' && t.loss !== null);
  const incumbent = bestLossTrial(trials) ?? null;
  const now = Math.max(0, ...trials.map((t) => t.finishedAt ?? t.heartbeatAt));
  return {
    study: s.name,
    dir: s.paths.dir,
    settings: s.settings,
    meta: s.meta,
    counts,
    epochs: trials.reduce((sum, t) => sum + chargedEpochs(t), 0),
    busySeconds: busySeconds(trials, now),
    incumbent,
    incumbentFolder: incumbent ? trialFolder(s.paths, s.name, incumbent.key) : null,
    defaultTrial: trials.find((t) => t.source === 'default' && t.status !== 'running') ?? null,
    paretoFront: paretoTrials(trials),
    trajectory: incumbentTrajectory(trials),
    completed,
  };
}
