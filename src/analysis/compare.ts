/**
 * Several studies compared (`hnas compare`), as the paper's Figures 2 and 4: the incumbent
 * 1 - Dice of each approach over wall-clock time and over epochs (median and range over
 * the studies of the approach, e.g. seeds), each approach's Pareto front over (1 - Dice,
 * training runtime) with nnU-Net's default marked, and the final incumbents.
 *
 * An approach's studies are grouped by the approach recorded in study.json (`hnas
 * optimize --approach`), or by the study's name for studies made by the library alone.
 * The curves of a group start once every study of it has a completed trial and run to
 * the end of its longest study; a study that ended earlier keeps its final incumbent.
 */
import type { LoadedStudy } from '../automl/load.js';
import { UsageError } from '../errors.js';
import { bestLossTrial, incumbentTrajectory, paretoTrials, type TrajectoryPoint } from '../optimize/incumbent.js';
import type { TrialRecord } from '../optimize/trial.js';

export interface StudySummary {
  readonly study: string;
  /** Where it is: the database and name. */
  readonly db: string;
  readonly approach: string;
  readonly seed: number;
  /** Completed trials, by number. */
  readonly completed: readonly TrialRecord[];
  readonly incumbent: TrialRecord | null;
  readonly defaultTrial: TrialRecord | null;
  /** Who the default trial is: nnU-Net's default, or another prior's (src/space/priors.ts). */
  readonly defaultLabel: string;
  /** Default runtime / incumbent runtime (> 1: the incumbent trains faster). */
  readonly speedup: number | null;
  /** The incumbent after each finished trial (report/model.ts's trajectory). */
  readonly steps: readonly TrajectoryPoint[];
  readonly front: readonly TrialRecord[];
}

export interface SeriesPoint {
  readonly x: number;
  readonly median: number;
  readonly min: number;
  readonly max: number;
  /** Studies the statistics are over. */
  readonly n: number;
}

export interface ApproachSummary {
  readonly approach: string;
  readonly studies: readonly string[];
  readonly overTime: readonly SeriesPoint[];
  readonly overEpochs: readonly SeriesPoint[];
  /** The Pareto front of all the approach's trials (several studies: their union), each with its study. */
  readonly front: readonly { readonly study: string; readonly trial: TrialRecord }[];
  readonly finalLoss: { readonly median: number; readonly min: number; readonly max: number } | null;
}

export interface Comparison {
  readonly studies: readonly StudySummary[];
  readonly approaches: readonly ApproachSummary[];
}

const complete = (t: TrialRecord) => t.status === 'complete' && t.loss !== null;

/** A step function's value at x (the last step at or before x), or undefined before its first step. */
export function stepValue(steps: readonly TrajectoryPoint[], axis: 'seconds' | 'epochs', x: number): number | undefined {
  let value: number | undefined;
  for (const s of steps) {
    if (s[axis] > x) break;
    value = s.incumbentLoss;
  }
  return value;
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** Median and range over the studies at every x where one of them changes, from where all have a value. */
export function seriesOverStudies(all: readonly (readonly TrajectoryPoint[])[], axis: 'seconds' | 'epochs'): SeriesPoint[] {
  const withSteps = all.filter((s) => s.length > 0);
  if (withSteps.length === 0) return [];
  const start = Math.max(...withSteps.map((s) => s[0]![axis]));
  const xs = [...new Set(withSteps.flatMap((s) => s.map((p) => p[axis])))].filter((x) => x >= start).sort((a, b) => a - b);
  return xs.map((x) => {
    const values = withSteps.map((s) => stepValue(s, axis, x)!);
    return { x, median: median(values), min: Math.min(...values), max: Math.max(...values), n: values.length };
  });
}

export const defaultLabel = (prior: string | undefined): string => (prior === undefined || prior === 'nnunet' ? 'nnU-Net default' : `${prior} default`);

export function summarizeStudy(s: LoadedStudy): StudySummary {
  const trials = [...s.trials].sort((a, b) => a.number - b.number);
  const incumbent = bestLossTrial(trials) ?? null;
  const defaultTrial = trials.find((t) => t.source === 'default' && complete(t)) ?? null;
  return {
    study: s.name,
    db: s.paths.db,
    approach: s.meta?.approach ?? s.name,
    seed: s.settings.seed,
    completed: trials.filter(complete),
    incumbent,
    defaultTrial,
    defaultLabel: defaultLabel(s.meta?.prior),
    speedup: incumbent?.cost && defaultTrial?.cost ? defaultTrial.cost / incumbent.cost : null,
    steps: incumbentTrajectory(trials),
    front: paretoTrials(trials),
  };
}

export function compareStudies(studies: readonly LoadedStudy[]): Comparison {
  if (studies.length === 0) throw new UsageError('compare needs at least one study');
  const seen = new Set<string>();
  for (const s of studies) {
    const id = `${s.paths.storage}#${s.name}`;
    if (seen.has(id)) throw new UsageError(`study '${s.name}' of ${s.paths.db} is named twice`);
    seen.add(id);
  }
  const summaries = studies.map(summarizeStudy);
  const order = [...new Set(summaries.map((s) => s.approach))];
  const approaches = order.map((approach): ApproachSummary => {
    const group = summaries.filter((s) => s.approach === approach);
    const pooled = studies.filter((_, i) => summaries[i]!.approach === approach).flatMap((s) => s.trials.map((trial) => ({ study: s.name, trial })));
    const frontKeys = new Set(paretoTrials(pooled.map((p, i) => ({ ...p.trial, number: i }))).map((t) => t.number));
    const finals = group.flatMap((s) => (s.incumbent ? [s.incumbent.loss!] : []));
    return {
      approach,
      studies: group.map((s) => s.study),
      overTime: seriesOverStudies(group.map((s) => s.steps), 'seconds'),
      overEpochs: seriesOverStudies(group.map((s) => s.steps), 'epochs'),
      front: pooled.filter((_, i) => frontKeys.has(i)),
      finalLoss: finals.length ? { median: median(finals), min: Math.min(...finals), max: Math.max(...finals) } : null,
    };
  });
  return { studies: summaries, approaches };
}
