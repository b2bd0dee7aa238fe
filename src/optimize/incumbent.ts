/**
 * Incumbents. Local search starts from the best-loss configuration (PriorBand) or from
 * the max-area point of the Pareto front over (loss, cost) (Regularized PriorBand); the
 * final incumbent reported to the user is always the best loss.
 */
import { maxAreaPoint, paretoFront } from './pareto.js';
import { busySeconds, chargedEpochs, type TrialRecord } from './trial.js';

const completed = (trials: readonly TrialRecord[]) => trials.filter((t) => t.status === 'complete' && t.loss !== null);

/** Lowest loss of all completed trials; ties: the larger budget, then the earlier trial. */
export function bestLossTrial(trials: readonly TrialRecord[]): TrialRecord | undefined {
  let best: TrialRecord | undefined;
  for (const t of completed(trials))
    if (!best || t.loss! < best.loss! || (t.loss === best.loss && t.budget > best.budget)) best = t;
  return best;
}

/** Completed trials with a cost, on the Pareto front of (loss, cost), by number. */
export function paretoTrials(trials: readonly TrialRecord[]): TrialRecord[] {
  const pts = completed(trials).filter((t) => t.cost !== null);
  return paretoFront(pts.map((t) => [t.loss!, t.cost!])).map((i) => pts[i]!).sort((a, b) => a.number - b.number);
}

/** The Pareto point maximising the normalised area to the reference point 1.1. */
export function maxAreaTrial(trials: readonly TrialRecord[]): TrialRecord | undefined {
  const pts = completed(trials).filter((t) => t.cost !== null);
  const i = maxAreaPoint(pts.map((t) => [t.loss!, t.cost!]));
  return i === undefined ? undefined : pts[i];
}

export interface TrajectoryPoint {
  /** Busy seconds of the study when the trial finished (pauses between resumes excluded). */
  readonly seconds: number;
  /** Epochs charged by the trials finished so far (this one included). */
  readonly epochs: number;
  readonly trial: number;
  readonly loss: number;
  /** Best loss of a completed trial so far. */
  readonly incumbentLoss: number;
}

/** The incumbent after each finished trial, in the order they finished, from the first completed one on (failed trials count as time and epochs). */
export function incumbentTrajectory(trials: readonly TrialRecord[]): TrajectoryPoint[] {
  const finished = trials.filter((t) => t.finishedAt !== null && t.loss !== null).sort((a, b) => a.finishedAt! - b.finishedAt! || a.number - b.number);
  const points: TrajectoryPoint[] = [];
  let best = Infinity;
  let epochs = 0;
  for (const t of finished) {
    epochs += chargedEpochs(t);
    if (t.status === 'complete') best = Math.min(best, t.loss!);
    if (!Number.isFinite(best)) continue;
    // Busy time up to this trial's end: the union of all running intervals clipped there.
    const clipped = trials.filter((o) => o.startedAt < t.finishedAt!).map((o) => ({ ...o, finishedAt: Math.min(o.finishedAt ?? t.finishedAt!, t.finishedAt!) }));
    points.push({ seconds: busySeconds(clipped, t.finishedAt!), epochs, trial: t.number, loss: t.loss!, incumbentLoss: best });
  }
  return points;
}

export const LOCAL_INCUMBENT = {
  'best-loss': bestLossTrial,
  'max-area': maxAreaTrial,
} as const;
