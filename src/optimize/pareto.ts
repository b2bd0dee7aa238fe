/**
 * Multi-objective pieces for minimisation: dominance, non-dominated sorting (Deb et al.
 * 2002), crowding distance, 2-D hypervolume and the max-area incumbent of Regularized
 * PriorBand. Points are arrays of objective values of equal length.
 */
export type Point = readonly number[];

/** a dominates b: no worse in every objective and better in one (equal points do not). */
export function dominates(a: Point, b: Point): boolean {
  let better = false;
  for (let k = 0; k < a.length; k++) {
    if (a[k]! > b[k]!) return false;
    if (a[k]! < b[k]!) better = true;
  }
  return better;
}

/** Fronts of indices: F1 = points nobody dominates, F2 = the same once F1 is removed, ... */
export function nonDominatedSort(points: readonly Point[]): number[][] {
  const n = points.length;
  const dominatedBy = new Array<number>(n).fill(0);
  const dominating: number[][] = Array.from({ length: n }, () => []);
  for (let i = 0; i < n; i++)
    for (let j = i + 1; j < n; j++) {
      if (dominates(points[i]!, points[j]!)) {
        dominating[i]!.push(j);
        dominatedBy[j]!++;
      } else if (dominates(points[j]!, points[i]!)) {
        dominating[j]!.push(i);
        dominatedBy[i]!++;
      }
    }
  const fronts: number[][] = [];
  let current = points.map((_, i) => i).filter((i) => dominatedBy[i] === 0);
  while (current.length > 0) {
    fronts.push(current);
    const next: number[] = [];
    for (const i of current)
      for (const j of dominating[i]!) if (--dominatedBy[j]! === 0) next.push(j);
    current = next.sort((a, b) => a - b);
  }
  return fronts;
}

/**
 * Crowding distance of each member of `front` (same order). Per objective the front is
 * sorted; both extremes get +Infinity, an interior point adds the normalised gap between
 * its neighbours. An objective with zero range adds nothing; fronts of <= 2 points are all
 * +Infinity.
 */
export function crowdingDistance(points: readonly Point[], front: readonly number[]): number[] {
  const m = front.length;
  const distance = new Array<number>(m).fill(0);
  if (m <= 2) return distance.fill(Infinity);
  const objectives = points[front[0]!]!.length;
  for (let k = 0; k < objectives; k++) {
    const order = Array.from({ length: m }, (_, i) => i).sort((a, b) => points[front[a]!]![k]! - points[front[b]!]![k]! || a - b);
    const lo = points[front[order[0]!]!]![k]!;
    const hi = points[front[order[m - 1]!]!]![k]!;
    distance[order[0]!] = Infinity;
    distance[order[m - 1]!] = Infinity;
    if (hi === lo) continue;
    for (let r = 1; r < m - 1; r++) {
      const i = order[r]!;
      distance[i]! += (points[front[order[r + 1]!]!]![k]! - points[front[order[r - 1]!]!]![k]!) / (hi - lo);
    }
  }
  return distance;
}

/** Hypervolume dominated by 2-D points w.r.t. the reference point (points clipped to it). */
export function hypervolume2d(points: readonly Point[], reference: Point): number {
  const [r1, r2] = reference as [number, number];
  const inside = points.filter((p) => p[0]! < r1 && p[1]! < r2).sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!);
  let volume = 0;
  let level = r2;
  for (const p of inside) {
    if (p[1]! >= level) continue; // dominated by an earlier point
    volume += (r1 - p[0]!) * (level - p[1]!);
    level = p[1]!;
  }
  return volume;
}

/** Indices of the non-dominated points, ascending (O(n log n) for two objectives). */
export function paretoFront(points: readonly Point[]): number[] {
  if (points.length === 0 || points[0]!.length !== 2) return [...(nonDominatedSort(points)[0] ?? [])].sort((a, b) => a - b);
  // Sweep by f1 (then f2): a point is on the front iff its f2 is below every earlier point's,
  // or it equals the last front point exactly (equal points do not dominate each other).
  const order = points.map((_, i) => i).sort((a, b) => points[a]![0]! - points[b]![0]! || points[a]![1]! - points[b]![1]!);
  const front: number[] = [];
  let last: Point | undefined;
  for (const i of order) {
    const p = points[i]!;
    if (!last || p[1]! < last[1]! || (p[0] === last[0] && p[1] === last[1])) {
      front.push(i);
      last = p;
    }
  }
  return front.sort((a, b) => a - b);
}

/**
 * Regularized PriorBand's incumbent: among the Pareto front, objectives min-max normalised
 * over the front, the point maximising the area prod_k (reference - f_k). Ties: lowest index.
 */
export function maxAreaPoint(points: readonly Point[], reference = 1.1): number | undefined {
  const front = paretoFront(points);
  if (front.length === 0) return undefined;
  const objectives = points[front[0]!]!.length;
  const lo = Array.from({ length: objectives }, (_, k) => Math.min(...front.map((i) => points[i]![k]!)));
  const hi = Array.from({ length: objectives }, (_, k) => Math.max(...front.map((i) => points[i]![k]!)));
  let best = front[0]!;
  let bestArea = -Infinity;
  for (const i of front) {
    let area = 1;
    for (let k = 0; k < objectives; k++) area *= reference - (hi[k]! > lo[k]! ? (points[i]![k]! - lo[k]!) / (hi[k]! - lo[k]!) : 0);
    if (area > bestArea || (area === bestArea && i < best)) [best, bestArea] = [i, area];
  }
  return best;
}
