import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { crowdingDistance, dominates, hypervolume2d, maxAreaPoint, nonDominatedSort, paretoFront } from '../../src/optimize/pareto.js';
import { RANKERS } from '../../src/optimize/promotion.js';
import { bruteForceRanking } from './rules.js';

const smallInt = fc.integer({ min: 0, max: 12 });
const points2 = fc.array(fc.tuple(smallInt, smallInt), { minLength: 0, maxLength: 25 });
const points3 = fc.array(fc.tuple(smallInt, smallInt, smallInt), { minLength: 0, maxLength: 25 });

/** Brute force: peel the set of points that no remaining point dominates. */
function bruteFronts(points: number[][]): number[][] {
  let left = points.map((_, i) => i);
  const fronts: number[][] = [];
  while (left.length) {
    const front = left.filter((i) => !left.some((j) => dominates(points[j]!, points[i]!)));
    fronts.push(front);
    left = left.filter((i) => !front.includes(i));
  }
  return fronts;
}

describe('dominance and non-dominated sorting', () => {
  it('equal points do not dominate each other', () => {
    expect(dominates([1, 2], [1, 2])).toBe(false);
    expect(dominates([1, 2], [1, 3])).toBe(true);
    expect(dominates([1, 3], [2, 2])).toBe(false);
  });
  it('matches brute-force peeling (2 and 3 objectives)', () => {
    for (const arb of [points2, points3])
      fc.assert(
        fc.property(arb, (pts) => {
          const fronts = nonDominatedSort(pts).map((f) => [...f].sort((a, b) => a - b));
          expect(fronts).toEqual(bruteFronts(pts));
        }),
        { numRuns: 300 },
      );
  });
});

describe('Pareto front', () => {
  it('the 2-D sweep equals the first front of the full sort (ties included)', () => {
    fc.assert(
      fc.property(points2, (pts) => {
        expect(paretoFront(pts)).toEqual([...(nonDominatedSort(pts)[0] ?? [])].sort((a, b) => a - b));
      }),
      { numRuns: 500 },
    );
  });
});

describe('crowding distance (Deb 2002)', () => {
  it('follows the definition on a worked example', () => {
    const pts = [[0, 10], [2, 6], [5, 5], [10, 0]];
    const d = crowdingDistance(pts, [0, 1, 2, 3]);
    expect(d[0]).toBe(Infinity);
    expect(d[3]).toBe(Infinity);
    expect(d[1]).toBeCloseTo((5 - 0) / 10 + (10 - 5) / 10, 12);
    expect(d[2]).toBeCloseTo((10 - 2) / 10 + (6 - 0) / 10, 12);
  });
  it('fronts of <= 2 points are all infinite', () => {
    expect(crowdingDistance([[1, 2], [2, 1]], [0, 1])).toEqual([Infinity, Infinity]);
    expect(crowdingDistance([[1, 2]], [0])).toEqual([Infinity]);
  });
  it('equals the definition evaluated independently; every objective\'s extremes are infinite', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 100 }), { minLength: 3, maxLength: 15 }), (xs) => {
        // A 2-D front with distinct values: f2 decreasing in f1, so each objective has one order.
        const sorted = [...xs].sort((a, b) => a - b);
        const pts = sorted.map((x, i) => [x, 100 - sorted[i]! * 0.5 - i]);
        const front = pts.map((_, i) => i).reverse(); // shuffle order relative to the sort
        const d = crowdingDistance(pts, front);
        const range0 = sorted.at(-1)! - sorted[0]!;
        const range1 = pts[0]![1]! - pts.at(-1)![1]!;
        front.forEach((i, j) => {
          if (i === 0 || i === pts.length - 1) return expect(d[j]).toBe(Infinity);
          const ref = (pts[i + 1]![0]! - pts[i - 1]![0]!) / range0 + (pts[i - 1]![1]! - pts[i + 1]![1]!) / range1;
          expect(d[j]).toBeCloseTo(ref, 12);
        });
      }),
    );
  });
  it('duplicate points (ties in every objective) are neighbours of each other, in front order', () => {
    const pts = [[1, 1], [1, 1], [0, 2], [2, 0]];
    const d = crowdingDistance(pts, [0, 1, 2, 3]);
    expect(d[2]).toBe(Infinity);
    expect(d[3]).toBe(Infinity);
    expect(d[0]).toBeCloseTo(1, 12); // f1: (1 - 0) / 2, f2: (1 - 0) / 2
    expect(d[1]).toBeCloseTo(1, 12); // f1: (2 - 1) / 2, f2: (2 - 1) / 2
  });
  it('3 objectives with ties: matches a direct evaluation of the definition (stable sort by front position)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 4 })), { minLength: 3, maxLength: 12 }), (pts) => {
        const front = pts.map((_, i) => i);
        const d = crowdingDistance(pts, front);
        const ref = front.map(() => 0);
        for (let k = 0; k < 3; k++) {
          const sorted = front.map((i, pos) => ({ v: pts[i]![k]!, pos })).sort((a, b) => a.v - b.v || a.pos - b.pos);
          const range = sorted.at(-1)!.v - sorted[0]!.v;
          ref[sorted[0]!.pos] = Infinity;
          ref[sorted.at(-1)!.pos] = Infinity;
          if (range > 0) for (let r = 1; r < sorted.length - 1; r++) ref[sorted[r]!.pos] += (sorted[r + 1]!.v - sorted[r - 1]!.v) / range;
        }
        d.forEach((x, i) => (ref[i] === Infinity ? expect(x).toBe(Infinity) : expect(x).toBeCloseTo(ref[i]!, 12)));
      }),
      { numRuns: 300 },
    );
  });
  it('an objective with zero range adds nothing; ties keep finite interior distances', () => {
    const pts = [[1, 5], [2, 5], [3, 5], [4, 5]];
    const d = crowdingDistance(pts, [0, 1, 2, 3]);
    expect(d[0]).toBe(Infinity);
    expect(d[3]).toBe(Infinity);
    expect(d[1]).toBeCloseTo(2 / 3, 12);
    expect(d[2]).toBeCloseTo(2 / 3, 12);
  });
});

describe('2-D hypervolume', () => {
  it('matches a brute-force count of grid cells', () => {
    fc.assert(
      fc.property(points2, (pts) => {
        const ref = [12, 12];
        let cells = 0;
        for (let x = 0; x < 12; x++)
          for (let y = 0; y < 12; y++) if (pts.some((p) => p[0]! <= x && p[1]! <= y)) cells++;
        expect(hypervolume2d(pts, ref)).toBe(cells);
      }),
      { numRuns: 300 },
    );
  });
});

describe('max-area incumbent', () => {
  it('picks the knee of a front and ignores dominated points', () => {
    const pts = [[0, 1], [0.1, 0.1], [1, 0], [0.5, 0.5]];
    expect(maxAreaPoint(pts)).toBe(1);
    expect(maxAreaPoint([])).toBeUndefined();
  });
  it('is always on the Pareto front', () => {
    fc.assert(
      fc.property(points2.filter((p) => p.length > 0), (pts) => {
        const i = maxAreaPoint(pts)!;
        expect(pts.some((q) => dominates(q, pts[i]!))).toBe(false);
      }),
    );
  });
});

describe('promotion rankers', () => {
  const results = fc.array(
    fc.record({ loss: fc.double({ min: 0, max: 1, noNaN: true }), cost: fc.double({ min: 0, max: 100, noNaN: true }), failed: fc.boolean() }),
    { minLength: 1, maxLength: 30 },
  );
  it('successive halving always promotes the most accurate successful configuration first', () => {
    for (const ranker of Object.values(RANKERS))
      fc.assert(
        fc.property(results, (rs) => {
          const order = ranker(rs);
          expect([...order].sort((a, b) => a - b)).toEqual(rs.map((_, i) => i));
          const ok = rs.filter((r) => !r.failed);
          if (ok.length) expect(rs[order[0]!]!.loss).toBe(Math.min(...ok.map((r) => r.loss)));
          // failed results come last
          const firstFailed = order.findIndex((i) => rs[i]!.failed);
          if (firstFailed >= 0) expect(order.slice(firstFailed).every((i) => rs[i]!.failed)).toBe(true);
        }),
        { numRuns: 300 },
      );
  });
  it('both rankers equal the brute-force ranking written from the rule (ties, duplicates and failures included)', () => {
    const tied = fc.array(fc.record({ loss: fc.integer({ min: 0, max: 6 }).map((v) => v / 6), cost: fc.integer({ min: 0, max: 6 }), failed: fc.integer({ min: 0, max: 9 }).map((v) => v === 0) }), { minLength: 1, maxLength: 30 });
    const spread = fc.array(fc.record({ loss: fc.double({ min: 0, max: 1, noNaN: true }), cost: fc.double({ min: 0, max: 1000, noNaN: true }), failed: fc.constant(false) }), { minLength: 1, maxLength: 30 });
    for (const name of ['loss', 'pareto'] as const)
      for (const arb of [tied, spread])
        fc.assert(
          fc.property(arb, (rs) => {
            expect(RANKERS[name](rs)).toEqual(bruteForceRanking(name, rs));
          }),
          { numRuns: 400 },
        );
    // A worked example: one front, (loss, cost) with cost on a 100x larger scale, ranges 0.8 and 80.
    // #2 (0.1, 90) and #0 (0.9, 10) are extremes (infinite; lower loss first). Interior:
    // #1 (0.2, 60): (0.3 - 0.1) / 0.8 + (90 - 50) / 80 = 0.75;
    // #4 (0.3, 50): (0.5 - 0.2) / 0.8 + (60 - 40) / 80 = 0.625;
    // #3 (0.5, 40): (0.9 - 0.3) / 0.8 + (50 - 10) / 80 = 1.25.
    const worked = [[0.9, 10], [0.2, 60], [0.1, 90], [0.5, 40], [0.3, 50]].map(([loss, cost]) => ({ loss: loss!, cost: cost!, failed: false }));
    expect(RANKERS.pareto(worked)).toEqual([2, 0, 3, 1, 4]);
    expect(bruteForceRanking('pareto', worked)).toEqual([2, 0, 3, 1, 4]);
  });
  it('pareto ranking puts every first-front point before any dominated one', () => {
    fc.assert(
      fc.property(results, (rs) => {
        const order = RANKERS.pareto(rs.map((r) => ({ ...r, failed: false })));
        for (let a = 0; a < order.length; a++)
          for (let b = a + 1; b < order.length; b++) {
            const [p, q] = [rs[order[a]!]!, rs[order[b]!]!];
            expect(dominates([q.loss, q.cost], [p.loss, p.cost])).toBe(false);
          }
      }),
    );
  });
});
