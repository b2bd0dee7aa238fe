/**
 * `hnas auto`'s decisions (src/automl/auto-settings.ts): concrete settings for several measured
 * speeds and budgets, the refusal of budgets too small to do anything useful, and the laws by
 * fast-check: the plan fits the budget, more time never gives fewer final epochs (nor a
 * different network), the search's round fits its share.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type AutoInputs, decideAutoSettings, epochsThatFit, overrunMargin, RULES, WIDTH_TIERS } from '../../src/automl/auto-settings.js';
import { UsageError } from '../../src/errors.js';

/** Hippocampus on the shared 2-core machine under load (docs/results.md): 0.9 s per 8..64 step. */
const hippocampusCpu = (budgetSeconds: number, over: Partial<AutoInputs['speed']> = {}): AutoInputs => ({
  budgetSeconds,
  speed: { stepSeconds: 0.9, setupSeconds: 6, caseSeconds: 0.3, caseMirrorSeconds: 1.5, ...over },
  flopsRatios: [15.7, 4.0, 1.0],
  planBatchSize: 7,
  patchSize: [40, 56, 40],
  validationCases: [34, 34, 34, 33, 33],
  device: 'cpu',
});

const total = (s: ReturnType<typeof decideAutoSettings>) => s.search.seconds + s.final.seconds + s.reserve.validationSeconds + s.reserve.reportSeconds + s.reserve.safetySeconds;

describe('hnas auto settings', () => {
  it('one CPU hour on Hippocampus: narrow network, batch 2, a two-rung search and about two thousand final steps on fold 0', () => {
    const s = decideAutoSettings(hippocampusCpu(3600));
    expect(s.features).toEqual({ base: 8, max: 64 });
    expect(s.batchSize).toBe(2);
    expect(s.stepSeconds).toBeCloseTo(0.9, 12);
    expect(s.search).toMatchObject({ approach: 'hpo_hnas', fold: 0, eta: 3, minEpochs: 1, maxEpochs: 3 });
    // 40 % of what the reserve leaves, one round (7 evaluations of 6 s setup + 34 x 0.3 s validation) and 14 rung units.
    const usable = 3600 - 34 * 1.8 - RULES.REPORT_S - 0.05 * 3600;
    expect(s.search.seconds).toBeCloseTo(0.4 * usable, 9);
    expect(s.search.iterationsPerEpoch).toBe(Math.floor((0.4 * usable - 7 * (6 + 34 * 0.3)) / (14 * 0.9)));
    expect(s.final.folds).toEqual([0]);
    expect(s.final.iterationsPerEpoch).toBe(11);
    expect(s.final.plannedEpochs).toBe(Math.floor((0.6 * usable - 6) / (11 * 0.9)));
    expect(s.final.plannedSteps).toBeGreaterThan(2000);
    expect(s.marginSeconds).toBeCloseTo(108, 9);
    expect(s.reasons.join('\n')).toMatch(/features 8\.\.64.*above the 0\.25 s/);
  });

  it('a quiet machine at 0.3 s per step gets more rungs of the search and more final steps, same network', () => {
    const s = decideAutoSettings(hippocampusCpu(3600, { stepSeconds: 0.3, setupSeconds: 3, caseSeconds: 0.1, caseMirrorSeconds: 0.5 }));
    expect(s.features).toEqual({ base: 8, max: 64 });
    expect(s.search.maxEpochs / s.search.minEpochs).toBe(9); // three rungs
    expect(s.search.iterationsPerEpoch).toBeGreaterThanOrEqual(RULES.MIN_RUNG_STEPS);
    expect(s.final.plannedSteps).toBeGreaterThan(6000);
  });

  it('45 minutes on a heavily loaded machine (4 s per step, as measured at load 20): a one-rung search of at least 50 steps', () => {
    const s = decideAutoSettings(hippocampusCpu(45 * 60 - 40, { stepSeconds: 4, setupSeconds: 4.7, caseSeconds: 0.56, caseMirrorSeconds: 5.7 }));
    expect(s.search.minEpochs).toBe(s.search.maxEpochs);
    expect(s.search.iterationsPerEpoch * s.search.minEpochs).toBeGreaterThanOrEqual(RULES.MIN_RUNG_STEPS);
    expect(s.final.iterationsPerEpoch).toBe(3); // 10 s epochs at 4 s per step, rounded
    expect(s.final.plannedSteps).toBeGreaterThan(300);
  });

  it('a GPU-fast step buys nnU-Net\'s width (0.01 s at 8..64), and the plan\'s batch when that step stays fast (0.004 s)', () => {
    const gpu = (stepSeconds: number) => decideAutoSettings({ ...hippocampusCpu(3600, { stepSeconds, setupSeconds: 5, caseSeconds: 0.05, caseMirrorSeconds: 0.2 }), device: 'cuda' });
    expect(gpu(0.01)).toMatchObject({ features: WIDTH_TIERS[0], batchSize: 2 }); // batch 7 would take 0.55 s
    expect(gpu(0.004)).toMatchObject({ features: WIDTH_TIERS[0], batchSize: 7 });
    expect(gpu(0.004).stepSeconds).toBeCloseTo((0.004 * 15.7 * 7) / 2, 12);
    expect(gpu(0.05).features).toEqual(WIDTH_TIERS[1]); // 0.79 s at 32..320, 0.2 s at 16..128
  });

  it('24 GPU hours at a 0.1 s step: still one fold (each of several folds would get fewer than nnU-Net\'s 250,000 steps); --folds overrides', () => {
    const gpu = { ...hippocampusCpu(24 * 3600, { stepSeconds: 0.1 / 15.7, setupSeconds: 5, caseSeconds: 0.05, caseMirrorSeconds: 0.2 }), planBatchSize: 2 };
    expect(decideAutoSettings(gpu).final.folds).toEqual([0]);
    const week = decideAutoSettings({ ...gpu, budgetSeconds: 7 * 24 * 3600 });
    expect(week.final.folds).toEqual([0, 1, 2, 3, 4]);
    expect(week.final.plannedSteps).toBeGreaterThanOrEqual(RULES.FULL_SCHEDULE_STEPS);
    expect(decideAutoSettings({ ...gpu, folds: [1, 3] }).final.folds).toEqual([1, 3]);
    expect(decideAutoSettings({ ...gpu, folds: [1, 3] }).search.fold).toBe(1);
    expect(() => decideAutoSettings({ ...gpu, folds: [7] })).toThrow(/fold 7 does not exist/);
  });

  it("the prior: short-schedule below a tenth of nnU-Net's schedule (a CPU hour; a GPU hour), nnunet above it (a GPU week)", () => {
    expect(decideAutoSettings(hippocampusCpu(3600)).search.prior).toBe('short-schedule');
    const gpu = { ...hippocampusCpu(3600, { stepSeconds: 0.1 / 15.7, setupSeconds: 5, caseSeconds: 0.05, caseMirrorSeconds: 0.2 }), planBatchSize: 2 };
    const hour = decideAutoSettings(gpu);
    expect(hour.final.plannedSteps).toBeLessThan(RULES.SHORT_SCHEDULE_STEPS);
    expect(hour.search.prior).toBe('short-schedule');
    const day = decideAutoSettings({ ...gpu, budgetSeconds: 24 * 3600 });
    expect(day.final.plannedSteps).toBeGreaterThanOrEqual(RULES.SHORT_SCHEDULE_STEPS);
    expect(day.search.prior).toBe('nnunet');
    expect(day.reasons.join('\n')).toMatch(/around the nnunet prior/);
    expect(hour.reasons.join('\n')).toMatch(/around the short-schedule prior/);
    const chosen = decideAutoSettings({ ...hippocampusCpu(3600), prior: 'nnunet' });
    expect(chosen.search.prior).toBe('nnunet');
    expect(chosen.reasons.join('\n')).toMatch(/around the nnunet prior \(--prior\)/);
    expect({ ...chosen, search: { ...chosen.search, prior: 'short-schedule' }, reasons: [] }).toEqual({ ...decideAutoSettings(hippocampusCpu(3600)), reasons: [] }); // nothing else moves
  });

  it('refuses budgets too small to search and train, naming the time that would do', () => {
    for (const budget of [30, 120, 240]) {
      let err: unknown;
      try {
        decideAutoSettings(hippocampusCpu(budget));
      } catch (e) {
        err = e;
      }
      expect(err, `${budget} s`).toBeInstanceOf(UsageError);
      const need = Number(/at least --time (\d+)m/.exec((err as Error).message)![1]);
      // The named budget is enough (and not wildly more than needed).
      const ok = decideAutoSettings(hippocampusCpu(need * 60));
      expect(ok.final.plannedSteps).toBeGreaterThanOrEqual(RULES.MIN_FINAL_STEPS);
      expect(() => decideAutoSettings(hippocampusCpu(need * 60 - 120))).toThrow(UsageError);
    }
    expect(() => decideAutoSettings(hippocampusCpu(-5))).toThrow(/used up before the search could start/);
  });

  const speeds = fc.record({
    stepSeconds: fc.double({ min: 0.005, max: 5, noNaN: true }),
    setupSeconds: fc.double({ min: 0, max: 30, noNaN: true }),
    caseSeconds: fc.double({ min: 0, max: 2, noNaN: true }),
    caseMirrorSeconds: fc.double({ min: 0, max: 16, noNaN: true }),
  });
  const decide = (i: AutoInputs) => {
    try {
      return decideAutoSettings(i);
    } catch (err) {
      if (err instanceof UsageError) return null;
      throw err;
    }
  };

  it('law: search + final + reserve never exceed the budget; the search round fits its share', () => {
    fc.assert(
      fc.property(speeds, fc.double({ min: 60, max: 14 * 24 * 3600, noNaN: true }), (speed, budget) => {
        const s = decide({ ...hippocampusCpu(budget), speed });
        if (!s) return;
        expect(total(s)).toBeLessThanOrEqual(budget * (1 + 1e-12));
        expect(s.search.roundSeconds).toBeLessThanOrEqual(s.search.seconds * (1 + 1e-12));
        expect(s.final.plannedEpochs * s.final.iterationsPerEpoch * s.stepSeconds).toBeLessThanOrEqual(s.final.seconds / s.final.folds.length);
        expect(s.marginSeconds).toBe(overrunMargin(budget));
      }),
      { numRuns: 500 },
    );
  });

  it('law: more time never gives fewer final epochs (nor another network), once a budget is accepted every larger one is', () => {
    fc.assert(
      fc.property(speeds, fc.double({ min: 60, max: 3 * 24 * 3600, noNaN: true }), fc.double({ min: 0, max: 24 * 3600, noNaN: true }), (speed, budget, more) => {
        const a = decide({ ...hippocampusCpu(budget), speed });
        const b = decide({ ...hippocampusCpu(budget + more), speed });
        if (!a) return;
        expect(b).not.toBeNull();
        expect(b!.features).toEqual(a.features);
        expect(b!.batchSize).toBe(a.batchSize);
        expect(b!.final.seconds).toBeGreaterThanOrEqual(a.final.seconds);
        // Per fold; the fold count only grows once every fold gets nnU-Net's whole schedule.
        if (b!.final.folds.length === a.final.folds.length) expect(b!.final.plannedEpochs).toBeGreaterThanOrEqual(a.final.plannedEpochs);
        else expect(b!.final.plannedSteps).toBeGreaterThanOrEqual(RULES.FULL_SCHEDULE_STEPS);
      }),
      { numRuns: 500 },
    );
  });

  it('epochsThatFit: the epochs done plus the whole epochs the time left holds at the pace', () => {
    expect(epochsThatFit(4, 95, 10)).toBe(13);
    expect(epochsThatFit(4, -3, 10)).toBe(4);
    fc.assert(
      fc.property(fc.nat(1000), fc.double({ min: -100, max: 1e5, noNaN: true }), fc.double({ min: 0.01, max: 1000, noNaN: true }), (done, left, pace) => {
        const e = epochsThatFit(done, left, pace);
        expect(e).toBeGreaterThanOrEqual(done);
        expect((e - done) * pace).toBeLessThanOrEqual(Math.max(0, left) + 1e-9);
        expect((e - done + 1) * pace).toBeGreaterThan(left);
      }),
    );
    expect(() => epochsThatFit(0, 10, 0)).toThrow(RangeError);
  });
});
