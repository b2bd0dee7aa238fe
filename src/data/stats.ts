/** Order statistics with numpy's default (linear) interpolation, so our numbers match nnU-Net's. */

/** q-th percentile (0..100) of already sorted values; NaN for an empty list. */
export function percentileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const pos = (q / 100) * (n - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, n - 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export function percentile(values: ArrayLike<number>, q: number): number {
  return percentileSorted(Float64Array.from(values as ArrayLike<number>).sort(), q);
}

export const median = (values: ArrayLike<number>): number => percentile(values, 50);

/** Per-axis percentile of a list of vectors. */
export function percentilePerAxis<T extends number[]>(vectors: readonly T[], q: number): T {
  const dims = vectors[0]!.length;
  return Array.from({ length: dims }, (_, d) => percentile(vectors.map((v) => v[d]!), q)) as T;
}

/** Python's round(): halves go to the even neighbour (nnU-Net rounds shapes this way). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

export interface SummaryStats {
  mean: number;
  median: number;
  std: number;
  min: number;
  max: number;
  percentile_00_5: number;
  percentile_99_5: number;
}

export function summarize(values: ArrayLike<number>): SummaryStats {
  const sorted = Float64Array.from(values as ArrayLike<number>).sort();
  const n = sorted.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += sorted[i]!;
  const mean = n ? sum / n : NaN;
  let sq = 0;
  for (let i = 0; i < n; i++) sq += (sorted[i]! - mean) ** 2;
  return {
    mean,
    median: percentileSorted(sorted, 50),
    std: n ? Math.sqrt(sq / n) : NaN,
    min: n ? sorted[0]! : NaN,
    max: n ? sorted[n - 1]! : NaN,
    percentile_00_5: percentileSorted(sorted, 0.5),
    percentile_99_5: percentileSorted(sorted, 99.5),
  };
}
