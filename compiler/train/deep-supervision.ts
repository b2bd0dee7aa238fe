/**
 * Deep supervision as nnU-Net does it: head i (highest resolution first) has weight
 * 1/2^i, the lowest-resolution head weight 0, normalised to sum 1; each head's target is
 * the label map downsampled by nearest neighbour (every f-th voxel, f = patch / head size).
 */
import type { GraphBuilder } from '../graph/builder.js';
import { headLoss, type LossOptions, type LossTerm } from './losses.js';

export function deepSupervisionWeights(heads: number): number[] {
  if (heads === 1) return [1];
  const w = Array.from({ length: heads }, (_, i) => (i === heads - 1 ? 0 : 1 / 2 ** i));
  const sum = w.reduce((a, b) => a + b, 0);
  return w.map((x) => x / sum);
}

export interface LossValues {
  readonly total: string;
  /** Weighted sum over heads of each term. */
  readonly terms: ReadonlyMap<LossTerm, string>;
}

/** Weighted loss over all heads (heads with weight 0 are left out of the graph). */
export function supervisedLoss(b: GraphBuilder, heads: readonly string[], labels: string, options: LossOptions): LossValues {
  const weights = deepSupervisionWeights(heads.length);
  const full = b.dims(labels);
  const sums = new Map<LossTerm, string>();
  heads.forEach((head, i) => {
    if (weights[i] === 0) return;
    const size = b.dims(head);
    const factors = full.map((d, a) => (a < 2 ? 1 : d / size[a]!));
    if (factors.some((f) => !Number.isInteger(f))) throw new Error(`head '${head}' size [${size.join(', ')}] does not divide the label size [${full.join(', ')}]`);
    const target = factors.every((f) => f === 1) ? labels : b.slice(labels, full.map(() => 0), full, factors);
    for (const [term, value] of headLoss(b, head, target, options)) {
      const weighted = weights[i] === 1 ? value : b.affine(value, weights[i]!);
      sums.set(term, sums.has(term) ? b.add(sums.get(term)!, weighted) : weighted);
    }
  });
  const total = [...sums.values()].reduce((a, v) => b.add(a, v));
  return { total, terms: sums };
}
