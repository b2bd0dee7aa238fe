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

  /** erf by its Maclaurin series (float64; |x| < 3 here, error < 1e-13): independent of the code's erfc. */
  function erf(x: number): number {
    let term = x;
    let sum = x;
    for (let n = 1; n < 100; n++) {
      term *= (-x * x) / n;
      sum += term / (2 * n + 1);
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  }
  const Phi = (z: number): number => 0.5 * (1 + erf(z / Math.SQRT2));
  /** N(mu, 0.25) truncated to [0, 1] (priorband.md: std 0.25 of the range at medium confidence). */
  const SIGMA = 0.25;
  const Z = (mu: number): number => Phi((1 - mu) / SIGMA) - Phi(-mu / SIGMA);
  const pdf = (u: number, mu: number): number => Math.exp(-0.5 * ((u - mu) / SIGMA) ** 2) / (SIGMA * Math.sqrt(2 * Math.PI) * Z(mu));
  const logUnit = (v: number): number => (Math.log(v) - Math.log(1e-5)) / (Math.log(1e-1) - Math.log(1e-5));
  /**
   * The synthetic space's density (in the unit space) of `c` under the distribution centred on
   * `centre`, written out by hand: four linear floats and the log-float lr as truncated normals;
   * cat weighs the centre 4 against 1 for each other value (medium confidence); units (1..64)
   * is the truncated normal's mass over the value's bucket of width 1/64.
   */
  function density(c: Configuration, centre: Configuration): number {
    let p = 1;
    for (const k of ['x1', 'x2', 'x3', 'x4']) p *= pdf(c[k] as number, centre[k] as number);
    p *= pdf(logUnit(c.lr as number), logUnit(centre.lr as number));
    p *= c.cat === centre.cat ? 4 / 6 : 1 / 6;
    const mu = ((centre.units as number) - 0.5) / 64;
    const [a, b] = [((c.units as number) - 1) / 64, (c.units as number) / 64];
    p *= (Phi((b - mu) / SIGMA) - Phi((a - mu) / SIGMA)) / Z(mu);
    return p;
  }
  /** The dynamic weighting rule: rank weights K (best) .. 1 over the top configurations. */
  function expectedShare(top: TrialRecord[], inc: Configuration): number {
    const d = defaultConfig(space);
    let sp = 0;
    let si = 0;
    top.forEach((t, i) => {
      const w = top.length - i;
      sp += w * density(t.config, d);
      si += w * density(t.config, inc);
    });
    return sp / (sp + si);
  }

  it('the hand-written density agrees with the space at one point', () => {
    const d = defaultConfig(space);
    const c: Configuration = { ...d, x1: 0.9, lr: 1e-4, cat: 'a', units: 60 };
    expect(Math.log(density(c, d))).toBeCloseTo(logDensity(space, 'prior', c), 8);
  });

  it('weighs prior against incumbent by the rank-weighted densities of the top configurations', () => {
    const rng = Rng.seeded(1);
    const d = defaultConfig(space);
    const far: Configuration = { ...d, x1: 0.02, x2: 0.98, x4: 0.05, cat: 'a', units: 50 };
    const filler = Array.from({ length: 300 }, () => done(sampleConfig(space, 'uniform', rng), 0, 0.9));
    const inc = done(far, 4, 0.01);
    // Rung 1 has 20 results (rung 4 has one, < eta): its top max(floor(20 / 3), 3) = 6 by loss
    // alternate between configurations near the incumbent and near the prior, so the rank
    // weights decide the split (prior share 0.13 here).
    const nearInc = Array.from({ length: 10 }, (_, i) => done({ ...far, x3: 0.1 * i }, 1, 0.1 + i * 0.02));
    const nearPrior = Array.from({ length: 10 }, (_, i) => done({ ...d, x1: 0.45 + 0.01 * i, x3: 0.05 + 0.1 * i }, 1, 0.11 + i * 0.02));
    const trials = [inc, ...filler, ...nearInc, ...nearPrior];
    const w = priorbandWeights(settings, schedule, trials, 0);
    expect(w.incumbentTrial!.key).toBe(inc.key);
    const top = [nearInc[0]!, nearPrior[0]!, nearInc[1]!, nearPrior[1]!, nearInc[2]!, nearPrior[2]!];
    expect(w.prior / (1 - w.random)).toBeCloseTo(expectedShare(top, far), 10);
    expect(w.random + w.prior + w.incumbent).toBeCloseTo(1, 12);
    // Only the near-incumbent ones at the top: the incumbent explains them.
    const incTop = [inc, ...filler, ...nearInc, ...nearPrior.map((t) => ({ ...t, loss: t.loss! + 0.5 }))];
    const w1 = priorbandWeights(settings, schedule, incTop, 0);
    expect(w1.prior / (1 - w1.random)).toBeCloseTo(expectedShare(nearInc.slice(0, 6), far), 10);
    expect(w1.incumbent).toBeGreaterThan(w1.prior);
    // Swap: now the prior explains the top configurations.
    const swapped = [inc, ...filler, ...nearInc.map((t) => ({ ...t, loss: t.loss! + 0.5 })), ...nearPrior];
    const w2 = priorbandWeights(settings, schedule, swapped, 0);
    expect(w2.prior / (1 - w2.random)).toBeCloseTo(expectedShare(nearPrior.slice(0, 6), far), 10);
    expect(w2.prior).toBeGreaterThan(w2.incumbent);
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
