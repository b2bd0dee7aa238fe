/**
 * Determinism across worker counts: with the same seed and objective values, any number of
 * workers finishing their evaluations in any order make the decisions of a single worker
 * (configurations, their sources, promotions, failures), for every algorithm. PriorBand's draws
 * read only the finished trials of the earlier brackets (schedule.ts's samplingEvidence).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ALGORITHM_NAMES } from '../../src/optimize/algorithms.js';
import { hyperbandSchedule } from '../../src/optimize/brackets.js';
import { drawConfiguration } from '../../src/optimize/config-sampler.js';
import { makeSettings } from '../../src/optimize/settings.js';
import { samplingEvidence } from '../../src/optimize/schedule.js';
import { syntheticSpace } from '../../src/optimize/synthetic.js';
import { hashString } from '../../src/util/hash.js';
import { Rng } from '../../src/util/rng.js';
import { decisions, expectScheduleRules } from './rules.js';
import { simulate } from './simulate.js';

const BUDGETS = { minBudget: 1, maxBudget: 27, eta: 3 };
const settingsOf = (algorithm: (typeof ALGORITHM_NAMES)[number], seed: number, prior: 'good' | 'misleading') => ({ algorithm, space: syntheticSpace(prior), seed, ...BUDGETS, brackets: 6 });

describe('the decisions of many workers equal a single worker\'s', () => {
  for (const algorithm of ALGORITHM_NAMES)
    it(`${algorithm}: any worker count, any completion order, with failures and total-epochs limits`, async () => {
      let incumbentDraws = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 0, max: 10_000 }),
          fc.constantFrom('good' as const, 'misleading' as const),
          fc.integer({ min: 2, max: 8 }),
          fc.integer(),
          fc.integer({ min: 0, max: 12 }),
          fc.option(fc.integer({ min: 27, max: 700 }), { nil: null }),
          async (seed, prior, workers, orderSeed, failEvery, maxEpochs) => {
            // A total-epochs limit: the brackets that open are the schedule's, not the racing workers'.
            const settings = { ...settingsOf(algorithm, seed, prior), ...(maxEpochs === null ? {} : { maxEpochs, brackets: 1000 }) };
            const fails = (key: string) => failEvery > 0 && hashString(`${seed}/${key}`) % (failEvery + 8) === 0;
            const one = await simulate(settings, { workers: 1, fails });
            const order = Rng.seeded(orderSeed);
            const many = await simulate(settings, { workers, fails, next: (n) => order.int(n) });
            expect(decisions(many.trials)).toEqual(decisions(one.trials));
            expectScheduleRules(makeSettings(settings), many.trials);
            incumbentDraws += one.trials.filter((t) => t.source === 'incumbent').length;
          },
        ),
        { numRuns: 12 },
      );
      // The property is not vacuous: PriorBand's later brackets do sample around an incumbent.
      if (algorithm.includes('priorband')) expect(incumbentDraws).toBeGreaterThan(0);
    }, 120_000);

  it('PriorBand draws depend on the evidence: drawn from every finished trial instead, the multi-worker configurations would differ', async () => {
    // The single worker's study, and the draws of bracket 1 had they read whatever was finished when
    // they were asked for in a 8-worker run (bracket 0's rung-0 results only) instead of the evidence.
    const settings = makeSettings(settingsOf('priorband', 3, 'good'));
    const schedule = hyperbandSchedule(settings);
    const { trials } = await simulate(settings, { workers: 1 });
    const evidence = samplingEvidence(settings, schedule, trials, 1)!;
    expect(evidence.length).toBe(1 + 27 + 9 + 3 + 1);
    const partial = evidence.filter((t) => t.bracket === -1 || t.rung === 0);
    const draw = (from: typeof evidence) => Array.from({ length: 9 }, (_, i) => drawConfiguration(settings, schedule, from, 1, Rng.seeded(hashString(`${settings.seed}/b1/new/${i}`))));
    const stored = trials.filter((t) => t.bracket === 1 && t.rung === 1 && t.source !== 'promotion').sort((a, b) => a.number - b.number);
    expect(draw(evidence).map((d) => d.config)).toEqual(stored.map((t) => t.config));
    expect(draw(partial).map((d) => d.config)).not.toEqual(stored.map((t) => t.config));
  });

  it('a slot whose evidence is incomplete waits: the workers idle at the end of each PriorBand bracket, as the documented cost', async () => {
    const idle = async (algorithm: 'hyperband' | 'priorband', workers: number) => (await simulate({ ...settingsOf(algorithm, 1, 'good'), brackets: 4 }, { workers })).idle;
    expect(await idle('priorband', 1)).toBe(0);
    const [hb, pb] = [await idle('hyperband', 8), await idle('priorband', 8)];
    expect(pb).toBeGreaterThan(hb);
    expect(pb).toBeLessThan(0.9);
  });
});
