import { describe, expect, it } from 'vitest';
import { hyperbandSchedule } from '../../src/optimize/brackets.js';
import { maxAreaTrial } from '../../src/optimize/incumbent.js';
import { drawConfiguration, incumbentActive, priorbandWeights } from '../../src/optimize/config-sampler.js';
import { makeSettings } from '../../src/optimize/settings.js';
import { type TrialRecord, createTrial } from '../../src/optimize/trial.js';
import { defaultConfig, logDensity, sampleConfig } from '../../src/space/config.js';
import type { Configuration } from '../../src/space/types.js';
import { syntheticSpace } from '../../src/optimize/synthetic.js';
import { Rng } from '../../src/util/rng.js';

const space = syntheticSpace('good');
const settings = makeSettings({ algorithm: 'priorband', space, minBudget: 10, maxBudget: 1000, eta: 3 });
const schedule = hyperbandSchedule(settings);

let counter = 0;
function done(config: Configuration, rung: number, loss: number, options: { previousBudget?: number; cost?: number } = {}): TrialRecord {
  const key = `t${counter++}`;
  const t = createTrial(
    { study: 's', key, configId: key, config, source: 'random', bracket: 0, rung, budget: schedule.budgets[rung]!, previousBudget: options.previousBudget ?? 0, previousKey: null, seed: 0, rngState: null },
    counter,
    counter,
    'w',
    0,
  );
  return { ...t, status: 'complete', loss, cost: options.cost ?? 1, finishedAt: 1 };
}

describe('PriorBand sampling weights', () => {
  it('p_random = 1 / (1 + eta^r); everything else goes to the prior before incumbent sampling is on', () => {
    for (let r = 0; r <= 4; r++) {
      const w = priorbandWeights(settings, schedule, [], r);
      expect(w.random).toBeCloseTo(1 / (1 + 3 ** r), 15);
      expect(w.prior).toBeCloseTo(1 - w.random, 15);
      expect(w.incumbent).toBe(0);
    }
  });

  it('incumbent sampling needs a max-budget result and one full bracket of finished epochs', () => {
    const d = defaultConfig(space);
    const atMax = done(d, 4, 0.3);
    expect(incumbentActive(schedule, [atMax])).toBe(false); // 1000 < 3646 epochs
    const filler = Array.from({ length: 250 }, () => done(d, 0, 0.5)); // 250 * 12 = 3000 more
    expect(incumbentActive(schedule, filler)).toBe(false); // no max-budget result
    expect(incumbentActive(schedule, [atMax, ...filler])).toBe(true);
  });

  /** Independent evaluation of the dynamic weighting rule. */
  function expectedShare(top: TrialRecord[], inc: Configuration): number {
    let sp = 0;
    let si = 0;
    top.forEach((t, i) => {
      const w = top.length - i;
      sp += w * Math.exp(logDensity(space, 'prior', t.config));
      si += w * Math.exp(logDensity(space, inc, t.config));
    });
    return sp / (sp + si);
  }

  it('weighs prior against incumbent by the rank-weighted densities of the top configurations', () => {
    const rng = Rng.seeded(1);
    const d = defaultConfig(space);
    const far: Configuration = { ...d, x1: 0.02, x2: 0.98, x4: 0.05, cat: 'a' };
    const filler = Array.from({ length: 300 }, () => done(sampleConfig(space, 'uniform', rng), 0, 0.9));
    // The incumbent (best loss) is far from the default; the top of rung 1 sits around the incumbent.
    const inc = done(far, 4, 0.01);
    const nearInc = Array.from({ length: 9 }, (_, i) => done({ ...far, x3: 0.1 * i }, 1, 0.1 + i * 0.01));
    const nearPrior = Array.from({ length: 9 }, (_, i) => done({ ...d, x3: 0.1 * i }, 1, 0.5 + i * 0.01));
    const trials = [inc, ...filler, ...nearInc, ...nearPrior];
    const w = priorbandWeights(settings, schedule, trials, 0);
    expect(w.incumbentTrial!.key).toBe(inc.key);
    // rung 4 has one result (< eta), rung 1 has 18: top max(18/3, 3) = 6 by loss, all near the incumbent
    const top = nearInc.slice(0, 6);
    expect(w.prior / (1 - w.random)).toBeCloseTo(expectedShare(top, far), 10);
    expect(w.incumbent).toBeGreaterThan(w.prior);
    // Swap the losses: now the prior explains the top configurations.
    const swapped = [inc, ...filler, ...nearInc.map((t) => ({ ...t, loss: t.loss! + 0.5 })), ...nearPrior.map((t) => ({ ...t, loss: t.loss! - 0.45 }))];
    const w2 = priorbandWeights(settings, schedule, swapped, 0);
    expect(w2.prior).toBeGreaterThan(w2.incumbent);
    expect(w2.random + w2.prior + w2.incumbent).toBeCloseTo(1, 12);
  });

  it('draws each source with its probability', () => {
    const rng = Rng.seeded(3);
    const d = defaultConfig(space);
    const trials = [done(d, 4, 0.2), ...Array.from({ length: 300 }, () => done(sampleConfig(space, 'uniform', rng), 0, 0.4 + 0.5 * rng.float()))];
    const w = priorbandWeights(settings, schedule, trials, 1);
    const counts = { random: 0, prior: 0, incumbent: 0, default: 0, promotion: 0 };
    const n = 1500;
    for (let i = 0; i < n; i++) counts[drawConfiguration(settings, schedule, trials, 1, rng).source]++;
    expect(Math.abs(counts.random / n - w.random)).toBeLessThan(0.04);
    expect(Math.abs(counts.prior / n - w.prior)).toBeLessThan(0.04);
    expect(Math.abs(counts.incumbent / n - w.incumbent)).toBeLessThan(0.04);
  });

  it('Regularized PriorBand starts local search from the max-area Pareto point', () => {
    const rsettings = makeSettings({ ...settings, algorithm: 'regularized-priorband' });
    const rng = Rng.seeded(4);
    const cfg = () => sampleConfig(space, 'uniform', rng);
    const accurateSlow = done(cfg(), 4, 0.05, { cost: 100 });
    const knee = done(cfg(), 4, 0.1, { cost: 10 });
    const fastBad = done(cfg(), 4, 0.9, { cost: 1 });
    const filler = Array.from({ length: 300 }, () => done(cfg(), 0, 0.95, { cost: 50 }));
    const trials = [accurateSlow, knee, fastBad, ...filler];
    expect(maxAreaTrial(trials)!.key).toBe(knee.key);
    expect(priorbandWeights(rsettings, schedule, trials, 0).incumbentTrial!.key).toBe(knee.key);
    expect(priorbandWeights(settings, schedule, trials, 0).incumbentTrial!.key).toBe(accurateSlow.key);
  });
});
