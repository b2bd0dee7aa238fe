import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { budgetFromFlags, budgetSettings, parseDuration, plannedEpochs } from '../../src/automl/budget.js';
import { busySeconds } from '../../src/optimize/trial.js';
import { UsageError } from '../../src/errors.js';
import { makeSettings } from '../../src/optimize/settings.js';
import { hpoSpace } from '../../src/space/spaces.js';
import type { TrialRecord } from '../../src/optimize/trial.js';

describe('budgets from flags', () => {
  it("defaults to the paper's setting: 10..1000 epochs, eta 3, one round = 18,308 epochs with the default", () => {
    const b = budgetFromFlags({});
    expect(b).toMatchObject({ minBudget: 10, maxBudget: 1000, eta: 3, totalEpochs: null, timeLimitS: null, brackets: undefined });
    expect(plannedEpochs(b)).toBe(18_308);
    expect(makeSettings({ algorithm: 'priorband', space: hpoSpace(), ...budgetSettings(b) }).brackets).toBe(5);
  });
  it('a total or a time limit lets brackets cycle until it is reached', () => {
    const total = budgetFromFlags({ minEpochs: 1, maxEpochs: 9, totalEpochs: 500 });
    expect(plannedEpochs(total)).toBe(500);
    expect(budgetSettings(total)).toMatchObject({ maxEpochs: 500 });
    expect(total.brackets).toBeGreaterThan(1000);
    expect(budgetFromFlags({ timeLimit: 60 })).toMatchObject({ timeLimitS: 60, totalEpochs: null });
  });
  it.each([
    [{ minEpochs: 0 }, /--min-epochs/],
    [{ minEpochs: 20, maxEpochs: 10 }, /--max-epochs/],
    [{ eta: 1 }, /--eta/],
    [{ totalEpochs: 100, timeLimit: 10 }, /either/],
    [{ totalEpochs: 100 }, /below --max-epochs/],
  ])('%j is a usage error', (flags, message) => {
    expect(() => budgetFromFlags(flags)).toThrow(UsageError);
    expect(() => budgetFromFlags(flags)).toThrow(message);
  });
  it('durations', () => {
    expect(parseDuration('--time-limit', '3600')).toBe(3600);
    expect(parseDuration('--time-limit', '90s')).toBe(90);
    expect(parseDuration('--time-limit', '45m')).toBe(2700);
    expect(parseDuration('--time-limit', '1.5h')).toBe(5400);
    for (const bad of ['', '0', '-5', '1d', 'h', '1.5.h']) expect(() => parseDuration('--time-limit', bad)).toThrow(UsageError);
  });
});

describe('busy time', () => {
  it('is the measure of the union of running intervals (brute force on a millisecond grid)', () => {
    const interval = fc.tuple(fc.integer({ min: 0, max: 400 }), fc.integer({ min: 0, max: 200 }), fc.boolean());
    fc.assert(
      fc.property(fc.array(interval, { maxLength: 12 }), ([...spans]) => {
        const now = 700;
        const trials = spans.map(([s, d, open]) => ({ startedAt: s, finishedAt: open ? null : s + d }) as unknown as TrialRecord);
        let covered = 0;
        for (let ms = 0; ms < 1000; ms++) if (trials.some((t) => t.startedAt <= ms && ms < (t.finishedAt ?? now))) covered++;
        expect(busySeconds(trials, now)).toBeCloseTo(covered / 1000, 9);
      }),
    );
  });
});
