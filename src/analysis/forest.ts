/**
 * A seeded random-forest regressor whose trees keep their split structure, so that
 * functional ANOVA (fanova.ts) can integrate them exactly over their leaf boxes.
 * Written here because the npm forests (ml-random-forest) neither expose their trees'
 * splits in their typed API nor split categorical features by subsets, and choose
 * features per tree rather than per split.
 *
 * Breiman's regression forest: every tree grows on a bootstrap sample, each split
 * considers a random share of the features and takes the one that most reduces the
 * squared error. Numeric splits go left for x <= threshold (midpoint between two observed
 * values); a categorical split sends a subset of its values left, the best one found by
 * ordering the values by their mean response (exact for squared error, Breiman 1984).
 * Values the node never saw follow the larger child, so every leaf is a box of the whole
 * domain and the leaves partition it.
 */
import { Rng } from '../util/rng.js';

/** Where a feature lives: an interval (encoded units) or `size` unordered codes 0..size-1. */
export type FeatureDomain =
  | { readonly kind: 'numeric'; readonly lower: number; readonly upper: number }
  | { readonly kind: 'categorical'; readonly size: number };

export type RegressionTree =
  | { readonly leaf: true; readonly value: number; readonly samples: number }
  | { readonly leaf: false; readonly feature: number; readonly threshold: number; readonly left: RegressionTree; readonly right: RegressionTree }
  | { readonly leaf: false; readonly feature: number; readonly leftCodes: readonly boolean[]; readonly left: RegressionTree; readonly right: RegressionTree };

export interface ForestOptions {
  readonly trees?: number;
  /** Share of the features each split considers (at least one). */
  readonly featureFraction?: number;
  readonly minSamplesLeaf?: number;
  readonly maxDepth?: number;
  readonly seed?: number;
}

export interface Forest {
  readonly domains: readonly FeatureDomain[];
  readonly trees: readonly RegressionTree[];
}

/** fANOVA's usual forest: fully grown trees on bootstrap samples, 7/10 of the features per split. */
export const FOREST_DEFAULTS = { trees: 32, featureFraction: 0.7, minSamplesLeaf: 1, maxDepth: 64, seed: 0 } as const;

export function fitForest(x: readonly (readonly number[])[], y: readonly number[], domains: readonly FeatureDomain[], options: ForestOptions = {}): Forest {
  const o = { ...FOREST_DEFAULTS, ...options };
  if (x.length !== y.length || x.length === 0) throw new RangeError(`fitForest needs as many rows as targets (> 0), got ${x.length} and ${y.length}`);
  if (y.some((v) => !Number.isFinite(v))) throw new RangeError('fitForest needs finite targets');
  const rng = Rng.seeded(o.seed);
  const perSplit = Math.max(1, Math.ceil(o.featureFraction * domains.length));
  const trees: RegressionTree[] = [];
  for (let t = 0; t < o.trees; t++) {
    const rows = Array.from({ length: x.length }, () => rng.int(x.length));
    trees.push(grow(rows, 0));
  }
  return { domains, trees };

  function grow(rows: number[], depth: number): RegressionTree {
    const mean = rows.reduce((s, r) => s + y[r]!, 0) / rows.length;
    const leaf = { leaf: true as const, value: mean, samples: rows.length };
    if (depth >= o.maxDepth || rows.length < 2 * o.minSamplesLeaf || rows.every((r) => y[r] === y[rows[0]!])) return leaf;
    let best: Candidate | undefined;
    let tried = 0;
    // Features in random order until `perSplit` of them could split this node (constant ones do not count).
    for (const f of shuffled(domains.length, rng)) {
      if (tried >= perSplit) break;
      const c = domains[f]!.kind === 'numeric' ? numericSplit(rows, f) : categoricalSplit(rows, f, domains[f] as { size: number });
      if (c === null) continue;
      tried++;
      if (!best || c.gain > best.gain) best = c;
    }
    if (!best || best.gain <= 1e-12 * Math.max(1, Math.abs(mean))) return leaf;
    const goesLeft = (r: number) => ('threshold' in best! ? x[r]![best!.feature]! <= best!.threshold : best!.leftCodes[x[r]![best!.feature]!]!);
    const left = rows.filter(goesLeft);
    const right = rows.filter((r) => !goesLeft(r));
    const children = { left: grow(left, depth + 1), right: grow(right, depth + 1) };
    return 'threshold' in best ? { leaf: false, feature: best.feature, threshold: best.threshold, ...children } : { leaf: false, feature: best.feature, leftCodes: best.leftCodes, ...children };
  }

  /** Squared-error reduction of splitting ordered groups after position k: sumL²/nL + sumR²/nR - total²/n. */
  function scan(groups: readonly { n: number; sum: number }[]): { at: number; gain: number } | null {
    const n = groups.reduce((s, g) => s + g.n, 0);
    const total = groups.reduce((s, g) => s + g.sum, 0);
    let nl = 0;
    let sl = 0;
    let best: { at: number; gain: number } | null = null;
    for (let k = 0; k < groups.length - 1; k++) {
      nl += groups[k]!.n;
      sl += groups[k]!.sum;
      const nr = n - nl;
      if (nl < o.minSamplesLeaf || nr < o.minSamplesLeaf) continue;
      const gain = (sl * sl) / nl + ((total - sl) * (total - sl)) / nr - (total * total) / n;
      if (!best || gain > best.gain) best = { at: k, gain };
    }
    return best;
  }

  function numericSplit(rows: readonly number[], f: number): Candidate | null {
    const order = [...rows].sort((a, b) => x[a]![f]! - x[b]![f]!);
    const first = x[order[0]!]![f]!;
    const last = x[order[order.length - 1]!]![f]!;
    if (first === last) return null;
    let total = 0;
    for (const r of order) total += y[r]!;
    const n = order.length;
    let sl = 0;
    let best: { k: number; gain: number } | null = null;
    for (let k = 0; k < n - 1; k++) {
      sl += y[order[k]!]!;
      const v = x[order[k]!]![f]!;
      const next = x[order[k + 1]!]![f]!;
      if (v === next || k + 1 < o.minSamplesLeaf || n - k - 1 < o.minSamplesLeaf) continue;
      const gain = (sl * sl) / (k + 1) + ((total - sl) * (total - sl)) / (n - k - 1) - (total * total) / n;
      if (!best || gain > best.gain) best = { k, gain };
    }
    return best && { feature: f, gain: best.gain, threshold: (x[order[best.k]!]![f]! + x[order[best.k + 1]!]![f]!) / 2 };
  }

  function categoricalSplit(rows: readonly number[], f: number, domain: { size: number }): Candidate | null {
    const groups = Array.from({ length: domain.size }, (_, code) => ({ code, n: 0, sum: 0 }));
    for (const r of rows) {
      groups[x[r]![f]!]!.n++;
      groups[x[r]![f]!]!.sum += y[r]!;
    }
    const seen = groups.filter((g) => g.n > 0).sort((a, b) => a.sum / a.n - b.sum / b.n || a.code - b.code);
    if (seen.length < 2) return null;
    const s = scan(seen);
    if (!s) return null;
    const leftCodes = new Array<boolean>(domain.size).fill(false);
    seen.slice(0, s.at + 1).forEach((g) => (leftCodes[g.code] = true));
    const nLeft = seen.slice(0, s.at + 1).reduce((sum, g) => sum + g.n, 0);
    if (nLeft * 2 >= rows.length) for (const g of groups) if (g.n === 0) leftCodes[g.code] = true;
    return { feature: f, gain: s.gain, leftCodes };
  }
}

type Candidate = { feature: number; gain: number } & ({ threshold: number } | { leftCodes: boolean[] });

function shuffled(n: number, rng: Rng): number[] {
  const a = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

export function predictTree(tree: RegressionTree, row: readonly number[]): number {
  let node = tree;
  while (!node.leaf) node = ('threshold' in node ? row[node.feature]! <= node.threshold : node.leftCodes[row[node.feature]!]) ? node.left : node.right;
  return node.value;
}

export const predictForest = (forest: Forest, row: readonly number[]): number => forest.trees.reduce((s, t) => s + predictTree(t, row), 0) / forest.trees.length;
