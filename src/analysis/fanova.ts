/**
 * Functional ANOVA over a random forest, exactly, as in Hutter, Hoos & Leyton-Brown (2014),
 * "An Efficient Approach for Assessing Hyperparameter Importance". Under the uniform
 * measure on the (encoded) domain a tree is a sum over its leaves' boxes of constants, so
 * its marginals are piecewise constant on the grid its own split points cut each feature
 * into:
 *   a_U(x_U) = sum over leaves L whose box holds x_U of  c_L * prod_{f not in U} |box_L,f| / |domain_f|
 *   f_0 = mean,  f_U = a_U - sum_{W strict subset of U} f_W,  V_U = integral of f_U^2,  V = total variance.
 * Main effects (|U| = 1) and pairwise interactions (|U| = 2) are computed per tree; the
 * importance of U is V_U / V averaged over the trees (with its standard deviation), trees
 * that predict a constant (V = 0) left out, as the paper does.
 */
import type { FeatureDomain, Forest, RegressionTree } from './forest.js';

export interface Spread {
  readonly mean: number;
  readonly std: number;
}

export interface PairEffect extends Spread {
  readonly features: readonly [number, number];
}

export interface FanovaResult {
  /** Trees with a non-constant prediction (the ones averaged). */
  readonly trees: number;
  /** Share of the variance of each feature's main effect, by feature index. */
  readonly main: readonly Spread[];
  /** Share of the variance of each pairwise interaction (i < j), all pairs. */
  readonly pairs: readonly PairEffect[];
}

interface Leaf {
  readonly value: number;
  /** Per feature: covered cells, a contiguous range [from, to] (numeric) or a list of codes (categorical). */
  readonly cells: readonly (readonly [number, number] | readonly number[])[];
  /** Per feature: the box's share of the domain. */
  readonly widths: readonly number[];
  readonly volume: number;
}

/** One tree on its own grid: cells per feature and the leaves as boxes of cells. */
export interface TreeGrid {
  /** Numeric: the cell boundaries (lower .. upper); categorical: null (one cell per code). */
  readonly boundaries: readonly (readonly number[] | null)[];
  /** Per feature: each cell's share of the domain. */
  readonly sizes: readonly (readonly number[])[];
  readonly leaves: readonly Leaf[];
  readonly mean: number;
  readonly variance: number;
}

export function treeGrid(tree: RegressionTree, domains: readonly FeatureDomain[]): TreeGrid {
  const thresholds = domains.map(() => new Set<number>());
  const collect = (n: RegressionTree) => {
    if (n.leaf) return;
    if ('threshold' in n) thresholds[n.feature]!.add(n.threshold);
    collect(n.left);
    collect(n.right);
  };
  collect(tree);
  const boundaries = domains.map((d, f) => (d.kind === 'categorical' ? null : [d.lower, ...[...thresholds[f]!].filter((t) => t > d.lower && t < d.upper).sort((a, b) => a - b), d.upper]));
  const sizes = domains.map((d, f) => {
    if (d.kind === 'categorical') return new Array<number>(d.size).fill(1 / d.size);
    const b = boundaries[f]!;
    const span = d.upper - d.lower;
    return span > 0 ? b.slice(1).map((u, k) => (u - b[k]!) / span) : [1];
  });
  const leaves: Leaf[] = [];
  type Box = ({ lo: number; hi: number } | boolean[])[];
  const walk = (n: RegressionTree, box: Box) => {
    if (n.leaf) {
      const cells = box.map((b, f) => {
        if (Array.isArray(b)) return b.flatMap((on, code) => (on ? [code] : []));
        const edges = boundaries[f]!;
        const d = domains[f] as { lower: number; upper: number };
        if (d.upper === d.lower) return [0, 0] as const;
        const from = edges.indexOf(Math.min(Math.max(b.lo, d.lower), d.upper));
        const to = edges.indexOf(Math.min(Math.max(b.hi, d.lower), d.upper)) - 1;
        return [from, to] as const;
      });
      const widths = cells.map((c, f) => (Array.isArray(c) && domains[f]!.kind === 'categorical' ? c.length * sizes[f]![0]! : rangeSum(sizes[f]!, c as readonly [number, number])));
      const volume = widths.reduce((p, w) => p * w, 1);
      if (volume > 0) leaves.push({ value: n.value, cells, widths, volume });
      return;
    }
    const b = box[n.feature]!;
    if ('threshold' in n) {
      const { lo, hi } = b as { lo: number; hi: number };
      walk(n.left, box.map((x, f) => (f === n.feature ? { lo, hi: Math.min(hi, n.threshold) } : x)));
      walk(n.right, box.map((x, f) => (f === n.feature ? { lo: Math.max(lo, n.threshold), hi } : x)));
    } else {
      const codes = b as boolean[];
      walk(n.left, box.map((x, f) => (f === n.feature ? codes.map((on, c) => on && n.leftCodes[c]!) : x)));
      walk(n.right, box.map((x, f) => (f === n.feature ? codes.map((on, c) => on && !n.leftCodes[c]!) : x)));
    }
  };
  walk(tree, domains.map((d) => (d.kind === 'categorical' ? new Array<boolean>(d.size).fill(true) : { lo: -Infinity, hi: Infinity })));
  const mean = leaves.reduce((s, l) => s + l.value * l.volume, 0);
  const variance = leaves.reduce((s, l) => s + l.volume * (l.value - mean) ** 2, 0);
  return { boundaries, sizes, leaves, mean, variance };
}

function rangeSum(sizes: readonly number[], [from, to]: readonly [number, number]): number {
  let s = 0;
  for (let k = from; k <= to; k++) s += sizes[k]!;
  return s;
}

/**
 * The marginal prediction a_U on the grid of the features in U (one or two), row-major.
 * Each leaf adds its weight to the cells it covers, through difference arrays along the
 * numeric features (a leaf covers a contiguous range there) and directly per code.
 */
export function marginalGrid(g: TreeGrid, features: readonly number[]): Float64Array {
  const dims = features.map((f) => g.sizes[f]!.length);
  const strides = dims.map((_, i) => dims.slice(i + 1).reduce((p, d) => p * d, 1));
  const grid = new Float64Array(dims.reduce((p, d) => p * d, 1));
  const numeric = features.map((f) => g.boundaries[f] !== null);
  for (const leaf of g.leaves) {
    let weight = leaf.value;
    for (let f = 0; f < leaf.widths.length; f++) if (!features.includes(f)) weight *= leaf.widths[f]!;
    // Per feature of U: (cell offset, sign) entries of the difference array.
    const entries = features.map((f, i) => {
      const c = leaf.cells[f]!;
      if (!numeric[i]) return (c as readonly number[]).map((code) => [code * strides[i]!, 1] as const);
      const [from, to] = c as readonly [number, number];
      return to + 1 < dims[i]! ? [[from * strides[i]!, 1] as const, [(to + 1) * strides[i]!, -1] as const] : [[from * strides[i]!, 1] as const];
    });
    const add = (i: number, offset: number, sign: number) => {
      if (i === entries.length) grid[offset] += sign * weight;
      else for (const [o, s] of entries[i]!) add(i + 1, offset + o, sign * s);
    };
    add(0, 0, 1);
  }
  // Prefix sums along the numeric axes turn the differences into values.
  for (let i = 0; i < features.length; i++) {
    if (!numeric[i]) continue;
    const stride = strides[i]!;
    const block = stride * dims[i]!;
    for (let start = 0; start < grid.length; start += block)
      for (let idx = start + stride; idx < start + block; idx++) grid[idx] += grid[idx - stride]!;
  }
  return grid;
}

export interface TreeEffects {
  readonly variance: number;
  readonly main: readonly number[];
  /** V_ij for i < j, keyed i * features + j (absent: zero, a feature the tree never splits on). */
  readonly pairs: ReadonlyMap<number, number>;
}

/** The variance decomposition of one tree into main effects and pairwise interactions (unnormalised). */
export function treeEffects(g: TreeGrid, withPairs = true): TreeEffects {
  const n = g.sizes.length;
  const used = g.sizes.map((s) => s.length > 1);
  const centred = g.sizes.map((_, f) => (used[f] ? Array.from(marginalGrid(g, [f]), (a) => a - g.mean) : [0]));
  const main = centred.map((fi, f) => fi.reduce((s, v, k) => s + g.sizes[f]![k]! * v * v, 0));
  const pairs = new Map<number, number>();
  if (withPairs)
    for (let i = 0; i < n; i++)
      for (let j = i + 1; j < n; j++) {
        if (!used[i] || !used[j]) continue;
        const a = marginalGrid(g, [i, j]);
        const nj = g.sizes[j]!.length;
        let v = 0;
        for (let k = 0; k < g.sizes[i]!.length; k++)
          for (let l = 0; l < nj; l++) {
            const fij = a[k * nj + l]! - centred[i]![k]! - centred[j]![l]! - g.mean;
            v += g.sizes[i]![k]! * g.sizes[j]![l]! * fij * fij;
          }
        pairs.set(i * n + j, v);
      }
  return { variance: g.variance, main, pairs };
}

const spread = (xs: readonly number[]): Spread => {
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  return { mean, std: Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / xs.length) };
};

/** Importance of every feature and pair of features, from the trees with a non-constant prediction. */
export function fanova(forest: Forest, options: { pairs?: boolean } = {}): FanovaResult {
  const n = forest.domains.length;
  const effects = forest.trees.map((t) => treeEffects(treeGrid(t, forest.domains), options.pairs ?? true)).filter((e) => e.variance > 1e-300);
  if (effects.length === 0) return { trees: 0, main: forest.domains.map(() => ({ mean: 0, std: 0 })), pairs: [] };
  const main = forest.domains.map((_, f) => spread(effects.map((e) => e.main[f]! / e.variance)));
  const pairs: PairEffect[] = [];
  if (options.pairs ?? true)
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) pairs.push({ features: [i, j], ...spread(effects.map((e) => (e.pairs.get(i * n + j) ?? 0) / e.variance)) });
  return { trees: effects.length, main, pairs };
}

/** Each tree's marginal prediction of feature f at the encoded points `at` (numeric) or per code (categorical): mean and spread over the trees. */
export function marginalCurve(forest: Forest, f: number, at?: readonly number[]): { at: readonly number[]; mean: readonly number[]; std: readonly number[] } {
  const d = forest.domains[f]!;
  const points = d.kind === 'categorical' ? Array.from({ length: d.size }, (_, c) => c) : (at ?? Array.from({ length: 50 }, (_, k) => d.lower + ((d.upper - d.lower) * k) / 49));
  const perTree = forest.trees.map((t) => {
    const g = treeGrid(t, forest.domains);
    const a = g.sizes[f]!.length > 1 ? marginalGrid(g, [f]) : new Float64Array([g.mean]);
    const b = g.boundaries[f];
    return points.map((x) => (b === null ? a[x]! : a[cellOf(b, x)]!));
  });
  const stats = points.map((_, k) => spread(perTree.map((p) => p[k]!)));
  return { at: points, mean: stats.map((s) => s.mean), std: stats.map((s) => s.std) };
}

/** The cell of x among boundaries b (cells [b_k, b_k+1]; x on a boundary goes left, as splits do). */
function cellOf(b: readonly number[], x: number): number {
  let k = 0;
  while (k < b.length - 2 && x > b[k + 1]!) k++;
  return k;
}
