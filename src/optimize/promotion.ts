/**
 * Promotion rankers for successive halving: given the results of a rung, the order in
 * which configurations are promoted. Failed results (recorded with loss 1.0) always rank
 * last, so a crash is never promoted over a finished run.
 *  - loss:   ascending loss (PriorBand, Hyperband);
 *  - pareto: non-dominated fronts over (loss, cost); within a front descending crowding
 *            distance; equal distance -> lower loss (Regularized PriorBand). The most
 *            accurate configuration is therefore always first.
 * Ties fall back to the order of the results (creation order), so rankings are deterministic.
 */
import { crowdingDistance, nonDominatedSort } from './pareto.js';

export interface RungResult {
  readonly loss: number;
  readonly cost: number;
  readonly failed: boolean;
}

export type Ranker = (results: readonly RungResult[]) => number[];

function rankByLoss(results: readonly RungResult[]): number[] {
  return results.map((_, i) => i).sort((a, b) => results[a]!.loss - results[b]!.loss || a - b);
}

function rankPareto(results: readonly RungResult[]): number[] {
  const points = results.map((r) => [r.loss, r.cost]);
  const order: number[] = [];
  for (const front of nonDominatedSort(points)) {
    const crowd = crowdingDistance(points, front);
    const members = front.map((index, j) => ({ index, crowd: crowd[j]! }));
    members.sort((a, b) => (b.crowd === a.crowd ? 0 : b.crowd - a.crowd) || results[a.index]!.loss - results[b.index]!.loss || a.index - b.index);
    order.push(...members.map((m) => m.index));
  }
  return order;
}

/** Successful results in the ranker's order, then failed ones in creation order. */
function failedLast(ranker: Ranker): Ranker {
  return (results) => {
    const ok = results.map((_, i) => i).filter((i) => !results[i]!.failed);
    const ranked = ranker(ok.map((i) => results[i]!)).map((j) => ok[j]!);
    return [...ranked, ...results.map((_, i) => i).filter((i) => results[i]!.failed)];
  };
}

export const RANKERS = {
  loss: failedLast(rankByLoss),
  pareto: failedLast(rankPareto),
} as const satisfies Record<string, Ranker>;

export type RankerName = keyof typeof RANKERS;
