/** Checks a finished study's trials against the schedule's rules (used by several tests). */
import { expect } from 'vitest';
import { ALGORITHMS } from '../../src/optimize/algorithms.js';
import { hyperbandSchedule } from '../../src/optimize/brackets.js';
import { RANKERS } from '../../src/optimize/promotion.js';
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
      const ranked = RANKERS[alg.ranker](below.map((t) => ({ loss: t.loss ?? 1, cost: t.cost ?? Infinity, failed: t.status === 'failed' })));
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
