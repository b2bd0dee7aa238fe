/**
 * Incumbents. Local search starts from the best-loss configuration (PriorBand) or from
 * the max-area point of the Pareto front over (loss, cost) (Regularized PriorBand); the
 * final incumbent reported to the user is always the best loss.
 */
import { maxAreaPoint, paretoFront } from './pareto.js';
import type { TrialRecord } from './trial.js';

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

export const LOCAL_INCUMBENT = {
  'best-loss': bestLossTrial,
  'max-area': maxAreaTrial,
} as const;
