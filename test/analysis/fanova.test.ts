/**
 * fANOVA against functions whose decomposition is known exactly, and the exactness of the
 * decomposition over a tree's leaf boxes (brute force over a fine grid).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fanova, marginalCurve, marginalGrid, treeEffects, treeGrid } from '../../src/analysis/fanova.js';
import { type FeatureDomain, fitForest, predictTree, type RegressionTree } from '../../src/analysis/forest.js';
import { Rng } from '../../src/util/rng.js';

const unit: FeatureDomain = { kind: 'numeric', lower: 0, upper: 1 };

/**
 * f = a*x1 + b*x2^2 + c*x1*x3, x uniform on [0,1]^3. With f0 = a/2 + b/3 + c/4:
 *   f1(x1) = E[f | x1] - f0 = (a + c/2)(x1 - 1/2)        V1 = (a + c/2)^2 / 12
 *   f2(x2) = b (x2^2 - 1/3)                               V2 = b^2 (E[x^4] - 1/9) = 4 b^2 / 45
 *   f3(x3) = (c/2)(x3 - 1/2)                              V3 = c^2 / 48
 *   f13    = c (x1 - 1/2)(x3 - 1/2)                       V13 = c^2 / 144
 * and nothing else (f12 = f23 = f123 = 0), so V = V1 + V2 + V3 + V13.
 */
function exactShares(a: number, b: number, c: number) {
  const v = [(a + c / 2) ** 2 / 12, (4 * b * b) / 45, (c * c) / 48, (c * c) / 144];
  const total = v.reduce((s, x) => s + x, 0);
  return { x1: v[0]! / total, x2: v[1]! / total, x3: v[2]! / total, x13: v[3]! / total };
}

function sample(n: number, seed: number, f: (x: number[]) => number) {
  const rng = Rng.seeded(seed);
  const x = Array.from({ length: n }, () => [rng.float(), rng.float(), rng.float()]);
  return { x, y: x.map(f) };
}

const pair = (r: ReturnType<typeof fanova>, i: number, j: number) => r.pairs.find((p) => p.features[0] === i && p.features[1] === j)!.mean;

describe('fANOVA on known functions', () => {
  it('f = x1 + 2 x2^2 + 3 x1 x3: shares within 0.03 of the exact 0.462, 0.316, 0.166 and 0.055 (1000 uniform samples)', () => {
    const exact = exactShares(1, 2, 3);
    expect(exact.x1).toBeCloseTo(0.4624, 4);
    const { x, y } = sample(1000, 11, ([x1, x2, x3]) => x1! + 2 * x2! ** 2 + 3 * x1! * x3!);
    const r = fanova(fitForest(x, y, [unit, unit, unit], { seed: 5, trees: 16 }));
    // The tolerance covers the forest's approximation of a smooth function by boxes (its
    // estimates move by about 0.01 between seeds at this sample size).
    expect(Math.abs(r.main[0]!.mean - exact.x1)).toBeLessThan(0.03);
    expect(Math.abs(r.main[1]!.mean - exact.x2)).toBeLessThan(0.03);
    expect(Math.abs(r.main[2]!.mean - exact.x3)).toBeLessThan(0.03);
    expect(Math.abs(pair(r, 0, 2) - exact.x13)).toBeLessThan(0.03);
    expect(pair(r, 0, 1)).toBeLessThan(0.02);
    expect(pair(r, 1, 2)).toBeLessThan(0.02);
  });

  it('a categorical and a numeric input: f = g(c) + 2x with g = (0, 1, 2) gives shares 2/3 and 1/3 (no interaction)', () => {
    // Var g(c) over 3 equally likely codes = 2/3; Var(2x) = 4/12 = 1/3; total 1.
    const rng = Rng.seeded(3);
    const x = Array.from({ length: 600 }, () => [rng.int(3), rng.float()]);
    const y = x.map(([c, u]) => c! + 2 * u!);
    const r = fanova(fitForest(x, y, [{ kind: 'categorical', size: 3 }, unit], { seed: 2, trees: 16 }));
    expect(Math.abs(r.main[0]!.mean - 2 / 3)).toBeLessThan(0.03);
    expect(Math.abs(r.main[1]!.mean - 1 / 3)).toBeLessThan(0.03);
    expect(pair(r, 0, 1)).toBeLessThan(0.02);
    const m = marginalCurve(fitForest(x, y, [{ kind: 'categorical', size: 3 }, unit], { seed: 2, trees: 16 }), 0);
    // Marginal of c: g(c) + E[2x] = g(c) + 1.
    m.mean.forEach((v, c) => expect(v).toBeCloseTo(c + 1, 1));
  });

  it('the same seed gives the same forest and shares; another seed another forest', () => {
    const { x, y } = sample(200, 4, ([x1, x2]) => x1! * x2!);
    const a = fanova(fitForest(x, y, [unit, unit, unit], { seed: 9, trees: 8 }));
    const b = fanova(fitForest(x, y, [unit, unit, unit], { seed: 9, trees: 8 }));
    const c = fanova(fitForest(x, y, [unit, unit, unit], { seed: 10, trees: 8 }));
    expect(b).toEqual(a);
    expect(c.main[0]!.mean).not.toBe(a.main[0]!.mean);
  });

  it('a constant target gives no non-constant tree (nothing to decompose)', () => {
    const { x } = sample(50, 1, () => 0);
    expect(fanova(fitForest(x, x.map(() => 0.3), [unit, unit, unit], { trees: 4 })).trees).toBe(0);
  });
});

describe('the decomposition of one tree is exact', () => {
  /** Random trees over a numeric [0, 2] feature, a categorical one (4 codes) and a numeric [0, 1] one. */
  const domains: FeatureDomain[] = [{ kind: 'numeric', lower: 0, upper: 2 }, { kind: 'categorical', size: 4 }, unit];
  const treeArb: fc.Arbitrary<RegressionTree> = fc.letrec<{ tree: RegressionTree }>((tie) => ({
    tree: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.integer({ min: -5, max: 5 }).map((v): RegressionTree => ({ leaf: true, value: v, samples: 1 })),
      fc.record({ feature: fc.constantFrom(0, 2), t: fc.integer({ min: 1, max: 7 }), left: tie('tree'), right: tie('tree') }).map(({ feature, t, left, right }): RegressionTree => ({ leaf: false, feature, threshold: (t / 8) * (feature === 0 ? 2 : 1), left, right })),
      fc.record({ codes: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }), left: tie('tree'), right: tie('tree') }).map(({ codes, left, right }): RegressionTree => ({ leaf: false, feature: 1, leftCodes: codes, left, right })),
    ),
  })).tree;

  it('mean, variance, main effects and pairwise terms equal a brute-force integration of the tree over a fine grid', () => {
    // Thresholds lie on multiples of 1/8 of each numeric range, so cell midpoints of a 16-step grid integrate exactly.
    const xs0 = Array.from({ length: 16 }, (_, k) => ((k + 0.5) / 16) * 2);
    const xs2 = Array.from({ length: 16 }, (_, k) => (k + 0.5) / 16);
    const codes = [0, 1, 2, 3];
    fc.assert(
      fc.property(treeArb, (tree) => {
        const value = (a: number, c: number, b: number) => predictTree(tree, [a, c, b]);
        const grid: number[][][] = xs0.map((a) => codes.map((c) => xs2.map((b) => value(a, c, b))));
        const avg = (f: (i: number, c: number, k: number) => boolean) => {
          let s = 0;
          let n = 0;
          xs0.forEach((_, i) => codes.forEach((c) => xs2.forEach((_, k) => f(i, c, k) && ((s += grid[i]![c]![k]!), n++))));
          return s / n;
        };
        const f0 = avg(() => true);
        const variance = grid.flat(2).reduce((s, v) => s + (v - f0) ** 2, 0) / (16 * 4 * 16);
        const a0 = xs0.map((_, i) => avg((ii) => ii === i) - f0);
        const a1 = codes.map((c) => avg((_, cc) => cc === c) - f0);
        const a2 = xs2.map((_, k) => avg((_, __, kk) => kk === k) - f0);
        const v0 = a0.reduce((s, v) => s + v * v, 0) / 16;
        const v1 = a1.reduce((s, v) => s + v * v, 0) / 4;
        const v2 = a2.reduce((s, v) => s + v * v, 0) / 16;
        let v01 = 0;
        xs0.forEach((_, i) => codes.forEach((c) => (v01 += (avg((ii, cc) => ii === i && cc === c) - a0[i]! - a1[c]! - f0) ** 2)));
        v01 /= 16 * 4;
        const g = treeGrid(tree, domains);
        const e = treeEffects(g);
        expect(g.mean).toBeCloseTo(f0, 9);
        expect(e.variance).toBeCloseTo(variance, 9);
        expect(e.main[0]).toBeCloseTo(v0, 9);
        expect(e.main[1]).toBeCloseTo(v1, 9);
        expect(e.main[2]).toBeCloseTo(v2, 9);
        expect(e.pairs.get(0 * 3 + 1) ?? 0).toBeCloseTo(v01, 9);
        // The marginal of the categorical feature, per code, is the grid average.
        if (g.sizes[1]!.length > 1) Array.from(marginalGrid(g, [1])).forEach((m, c) => expect(m).toBeCloseTo(a1[c]! + f0, 9));
      }),
      { numRuns: 60 },
    );
  });
});
