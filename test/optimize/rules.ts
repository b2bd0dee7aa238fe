/** Checks a finished study's trials against the schedule's rules (used by several tests). */
import { expect } from 'vitest';
import { ALGORITHMS } from '../../src/optimize/algorithms.js';
import { hyperbandSchedule } from '../../src/optimize/brackets.js';
import type { RankerName, RungResult } from '../../src/optimize/promotion.js';
import { bracketCycle } from '../../src/optimize/schedule.js';
import type { StudySettings } from '../../src/optimize/settings.js';
import type { TrialRecord } from '../../src/optimize/trial.js';
import { defaultConfig } from '../../src/space/config.js';

export function expectScheduleRules(settings: StudySettings, trials: readonly TrialRecord[]): void {
  const schedule = hyperbandSchedule(settings);
  const cycle = bracketCycle(settings, schedule);
  const alg = ALGORITHMS[settings.algorithm];
  expect(new Set(trials.map((t) => t.key)).size).toBe(trials.length);
  expect(trials.every((t) => t.status !== 'running')).toBe(true);
  const defaults = trials.filter((t) => t.source === 'default');
  if (alg.evaluateDefault) {
    expect(defaults).toHaveLength(1);
    expect(defaults[0]!.budget).toBe(settings.maxBudget);
    expect(defaults[0]!.config).toEqual(defaultConfig(settings.space));
  } else expect(defaults).toHaveLength(0);

  const brackets = new Set(trials.filter((t) => t.bracket >= 0).map((t) => t.bracket));
  expect([...brackets].sort((a, b) => a - b)).toEqual(Array.from({ length: brackets.size }, (_, i) => i));
  for (const k of brackets) {
    const type = cycle[k % cycle.length]!;
    const inBracket = trials.filter((t) => t.bracket === k);
    type.rungs.forEach(({ rung, configs }, j) => {
      const here = inBracket.filter((t) => t.rung === rung).sort((a, b) => a.number - b.number);
      expect(here, `bracket ${k} rung ${rung}`).toHaveLength(configs);
      expect(here.every((t) => t.budget === schedule.budgets[rung])).toBe(true);
      if (j === 0) return expect(here.every((t) => t.source !== 'promotion' && t.previousBudget === 0)).toBe(true);
      const below = inBracket.filter((t) => t.rung === type.rungs[j - 1]!.rung).sort((a, b) => a.number - b.number);
      const ranked = bruteForceRanking(alg.ranker, below.map((t) => ({ loss: t.loss ?? 1, cost: t.cost ?? Infinity, failed: t.status === 'failed' })));
      const winners = ranked.slice(0, configs).map((i) => below[i]!);
      expect(new Set(here.map((t) => t.configId))).toEqual(new Set(winners.map((w) => w.configId)));
      for (const t of here) {
        const from = below.find((b) => b.configId === t.configId)!;
        expect(t.previousKey).toBe(from.key);
        expect(t.config).toEqual(from.config);
        expect(t.previousBudget).toBe(from.checkpoint ? from.budget : 0);
      }
    });
  }
}

/** The parts of the trials that must not depend on timing or interruptions. */
export const decisions = (trials: readonly TrialRecord[]) =>
  trials
    .map((t) => ({ key: t.key, config: t.config, budget: t.budget, previousBudget: t.previousBudget, source: t.source, status: t.status, loss: t.loss }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));

/**
 * The promotion order written directly from the rules, by brute force and without the
 * code under test (../shared/reference/auto-nnunet.md "Regularized PriorBand",
 * priorband.md "Multi-objective pieces"): failed results last in creation order;
 * 'loss': ascending loss; 'pareto': fronts peeled by pairwise dominance over (loss, cost),
 * inside a front descending crowding distance (Deb 2002: per objective the extremes are
 * infinite, an interior point adds its neighbours' gap over the range, a zero range adds
 * nothing, fronts of <= 2 are all infinite), equal distance -> lower loss. Remaining ties go
 * to creation order, which also decides who is "below" whom among equal objective values.
 */
export function bruteForceRanking(ranker: RankerName, results: readonly RungResult[]): number[] {
  const all = results.map((_, i) => i);
  const ok = all.filter((i) => !results[i]!.failed);
  const failed = all.filter((i) => results[i]!.failed);
  const loss = (i: number): number => results[i]!.loss;
  if (ranker === 'loss') return [...ok.sort((a, b) => (loss(a) < loss(b) ? -1 : loss(a) > loss(b) ? 1 : a - b)), ...failed];
  const objectives = [loss, (i: number): number => results[i]!.cost];
  const beats = (j: number, i: number): boolean =>
    objectives.every((f) => f(j) <= f(i)) && objectives.some((f) => f(j) < f(i));
  const order: number[] = [];
  let left = ok;
  while (left.length > 0) {
    const front = left.filter((i) => !left.some((j) => beats(j, i)));
    const crowd = new Map<number, number>();
    for (const i of front) {
      if (front.length <= 2) {
        crowd.set(i, Infinity);
        continue;
      }
      let d = 0;
      for (const f of objectives) {
        const precedes = (a: number, b: number): boolean => f(a) < f(b) || (f(a) === f(b) && a < b);
        const below = front.filter((j) => precedes(j, i));
        const above = front.filter((j) => precedes(i, j));
        if (below.length === 0 || above.length === 0) {
          d = Infinity;
          continue;
        }
        const values = front.map(f);
        const range = Math.max(...values) - Math.min(...values);
        if (range > 0) d += (Math.min(...above.map(f)) - Math.max(...below.map(f))) / range;
      }
      crowd.set(i, d);
    }
    const ranked = [...front].sort((a, b) => {
      const [ca, cb] = [crowd.get(a)!, crowd.get(b)!];
      if (ca !== cb) return ca > cb ? -1 : 1;
      if (loss(a) !== loss(b)) return loss(a) < loss(b) ? -1 : 1;
      return a - b;
    });
    order.push(...ranked);
    left = left.filter((i) => !front.includes(i));
  }
  return [...order, ...failed];
}
