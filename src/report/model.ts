/**
 * What a study report says, as data (also written as report.json): the final incumbent
 * (best 1 - Dice), the Pareto front over (1 - Dice, runtime), the default configuration's
 * result, the incumbent over the study's busy wall-clock time, and per-trial values of
 * every hyperparameter and of the architecture's features.
 */
import type { LoadedStudy } from '../automl/load.js';
import { trialFolder } from '../automl/layout.js';
import { isNode, type TreeNode } from '../grammar/tree-types.js';
import { bestLossTrial, paretoTrials } from '../optimize/incumbent.js';
import { busySeconds, chargedEpochs, type TrialRecord } from '../optimize/trial.js';

export interface TrajectoryPoint {
  /** Busy seconds of the study when the trial finished (pauses between resumes excluded). */
  readonly seconds: number;
  readonly trial: number;
  readonly loss: number;
  /** Best loss so far. */
  readonly incumbentLoss: number;
}

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

/** The summary features of a U-Net derivation tree that the distributions plot shows. */
export function architectureFeatures(tree: TreeNode): Record<string, number | string> {
  const features: Record<string, number | string> = {};
  let blocks = 0;
  let downs = 0;
  const walk = (node: TreeNode) => {
    for (const c of node.children) {
      if (isNode(c)) {
        if (/^[ED](NORM|NONLIN|DROPOUT)$/.test(c.symbol) && typeof c.children[0] === 'string') features[`arch.${c.symbol.toLowerCase()}`] = c.children[0];
        walk(c);
      } else if (c.endsWith('_block')) blocks++;
      else if (c === 'down') downs++;
      else if (c.endsWith('_encoder')) features['arch.encoder'] = c;
    }
  };
  walk(tree);
  return { 'arch.stages': downs + 1, 'arch.blocks': blocks, ...features };
}

export function reportModel(s: LoadedStudy): ReportModel {
  const trials = [...s.trials].sort((a, b) => a.number - b.number);
  const counts = { complete: 0, failed: 0, running: 0 };
  for (const t of trials) counts[t.status]++;
  const completed = trials.filter((t) => t.status === 'complete' && t.loss !== null);
  const finished = trials.filter((t) => t.finishedAt !== null && t.loss !== null).sort((a, b) => a.finishedAt! - b.finishedAt!);
  let best = Infinity;
  const trajectory = finished.map((t) => {
    // Busy time up to this trial's end: the union of all running intervals clipped there.
    const clipped = trials.filter((o) => o.startedAt < t.finishedAt!).map((o) => ({ ...o, finishedAt: Math.min(o.finishedAt ?? t.finishedAt!, t.finishedAt!) }));
    if (t.status === 'complete') best = Math.min(best, t.loss!);
    return { seconds: busySeconds(clipped, t.finishedAt!), trial: t.number, loss: t.loss!, incumbentLoss: best };
  }).filter((p) => Number.isFinite(p.incumbentLoss));
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
    trajectory,
    completed,
  };
}
