/** `studyImportance` / `hnas importance`: conditional hyperparameters, the tree's pseudo-hyperparameters, budgets, seeds, errors. */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { optimize } from '../../src/automl/driver.js';
import type { LoadedStudy } from '../../src/automl/load.js';
import { loadStudy } from '../../src/automl/load.js';
import { fanova } from '../../src/analysis/fanova.js';
import { fitForest } from '../../src/analysis/forest.js';
import { MIN_TRIALS, studyImportance } from '../../src/analysis/importance.js';
import { AnalysisError } from '../../src/errors.js';
import { makeSettings } from '../../src/optimize/settings.js';
import type { TrialRecord } from '../../src/optimize/trial.js';
import type { Configuration, SearchSpace } from '../../src/space/types.js';
import { Rng } from '../../src/util/rng.js';
import { runCli } from '../helpers/cli.js';
import { thrown } from '../helpers/thrown.js';
import { writeTinyPlan } from '../automl/fixtures/dataset.js';
import { tinyRequest } from '../automl/fixtures/request.js';

const dir = mkdtempSync(join(tmpdir(), 'hnas-importance-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const conditionalSpace: SearchSpace = {
  name: 'conditional',
  params: [
    { name: 'optimizer', kind: 'categorical', values: ['sgd', 'adam'], default: 'sgd' },
    { name: 'momentum', kind: 'float', lower: 0, upper: 1, default: 0.5, condition: { param: 'optimizer', values: ['sgd'] } },
  ],
};

function studyOf(space: SearchSpace, configs: readonly { config: Configuration; loss: number; budget?: number }[]): LoadedStudy {
  const trials = configs.map(({ config, loss, budget = 9 }, number): TrialRecord => ({
    study: 's', key: `b0/new/${number}`, configId: `c${number}`, config, source: 'random', bracket: 0, rung: 0, budget, previousBudget: 0, previousKey: null,
    seed: 1, rngState: null, loss, cost: 1, checkpoint: null, folds: null, error: null, number, version: number + 1, status: 'complete', worker: 'w', attempt: 0,
    createdAt: number, startedAt: number, heartbeatAt: number, finishedAt: number + 1,
  }));
  const settings = makeSettings({ algorithm: 'random-search', space, minBudget: 1, maxBudget: 9 });
  return { paths: { dir: '/x', db: '/x/study.db', storage: 'sqlite:///x/study.db' }, name: 's', folder: '/x/s', settings, meta: null, trials };
}

/** loss = 2 m for SGD, 0 for Adam (momentum absent from Adam's configurations). */
function conditionalStudy(n: number, seed: number): LoadedStudy {
  const rng = Rng.seeded(seed);
  return studyOf(conditionalSpace, Array.from({ length: n }, (): { config: Configuration; loss: number } => {
    if (rng.float() < 0.5) return { config: { optimizer: 'adam' }, loss: 0 };
    const m = rng.float();
    return { config: { optimizer: 'sgd', momentum: m }, loss: 2 * m };
  }));
}

const share = (r: ReturnType<typeof studyImportance>, ...features: string[]) =>
  [...r.main, ...r.pairs].find((e) => e.features.length === features.length && e.features.every((f, i) => f === features[i]))!.fraction;

describe('importance of a conditional hyperparameter', () => {
  it('momentum only for SGD, loss = [sgd] 2m: optimizer 0.6, momentum 0.2, their interaction 0.2 (within 0.04)', () => {
    // Inactive momentum is imputed uniformly, so the surrogate is f = [sgd] 2m on the whole
    // domain: f0 = 1/2, V_opt = 1/4, V_m = 1/12, V_opt,m = 1/12, V = 5/12 (fanova.test.ts).
    const r = studyImportance(conditionalStudy(600, 1), { seed: 3, trees: 16 });
    expect(r.features.find((f) => f.name === 'momentum')!.conditional).toBe(true);
    expect(Math.abs(share(r, 'optimizer') - 0.6)).toBeLessThan(0.04);
    expect(Math.abs(share(r, 'momentum') - 0.2)).toBeLessThan(0.04);
    expect(Math.abs(share(r, 'optimizer', 'momentum') - 0.2)).toBeLessThan(0.04);
  });

  it('imputing the default instead would let the forest extrapolate SGD\'s trend over Adam (why importance does not)', () => {
    const s = conditionalStudy(600, 1);
    const rows = s.trials.map((t) => [t.config.optimizer === 'sgd' ? 0 : 1, (t.config.momentum as number | undefined) ?? 0.5]);
    const r = fanova(fitForest(rows, s.trials.map((t) => t.loss!), [{ kind: 'categorical', size: 2 }, { kind: 'numeric', lower: 0, upper: 1 }], { seed: 3, trees: 16 }));
    expect(r.main[0]!.mean).toBeLessThan(0.3);
  });
});

describe('studyImportance', () => {
  it('the same seed gives the same result, another seed another forest', () => {
    const s = conditionalStudy(120, 2);
    expect(studyImportance(s, { seed: 4, trees: 8 })).toEqual(studyImportance(s, { seed: 4, trees: 8 }));
    expect(studyImportance(s, { seed: 5, trees: 8 }).main[0]!.fraction).not.toBe(studyImportance(s, { seed: 4, trees: 8 }).main[0]!.fraction);
  });

  it(`too few trials: an AnalysisError that says how many there are and that --budget all has more`, () => {
    const rng = Rng.seeded(1);
    const configs = Array.from({ length: MIN_TRIALS + 2 }, (_, i) => ({ config: { optimizer: 'adam' }, loss: rng.float(), budget: i < 3 ? 9 : 3 }));
    const e = thrown(() => studyImportance(studyOf(conditionalSpace, configs)));
    expect(e).toBeInstanceOf(AnalysisError);
    expect(e.message).toMatch(/has 3 completed trials at the highest budget; fANOVA needs at least 10; 12 are complete over all budgets: use --budget all/);
    expect(thrown(() => studyImportance(studyOf(conditionalSpace, configs.slice(0, 5)), { budget: 'all' })).message).toMatch(/has 5 completed trials at any budget/);
  });

  it('every trial the same loss: a clear error, not a division by zero', () => {
    const configs = Array.from({ length: 12 }, (_, i) => ({ config: (i % 2 ? { optimizer: 'adam' } : { optimizer: 'sgd', momentum: i / 12 }) as Configuration, loss: 0.4 }));
    expect(thrown(() => studyImportance(studyOf(conditionalSpace, configs))).message).toMatch(/predicts one 1 - Dice everywhere/);
  });
});

describe('hnas importance on a study of the hnas space (synthetic objective)', () => {
  const studyDir = join(dir, 'study');
  beforeAll(async () => {
    await optimize(tinyRequest(studyDir, 'hpo_hnas', writeTinyPlan(join(dir, 'plans.json'))));
  });

  it('the tree enters as its pseudo-hyperparameters; all budgets add the budget; shares are fractions that sum to at most 1', async () => {
    const r = studyImportance(await loadStudy(studyDir), { budget: 'all', trees: 16 });
    const names = [...r.features.map((f) => f.name), ...r.constant];
    expect(names).toEqual(expect.arrayContaining(['learning_rate', 'optimizer', 'arch.stages', 'arch.encoder', 'arch.encoder_blocks', 'arch.decoder_blocks', 'arch.encoder_norm', 'arch.decoder_nonlin', 'arch.encoder_dropout', 'budget (epochs)']));
    expect(names).not.toContain('architecture');
    const total = [...r.main, ...r.pairs].reduce((s, e) => s + e.fraction, 0);
    expect(total).toBeGreaterThan(0);
    expect(total).toBeLessThanOrEqual(1 + 1e-9);
    for (const e of [...r.main, ...r.pairs]) expect(e.fraction).toBeGreaterThanOrEqual(-1e-12);
    expect(r.marginals.map((m) => m.feature).sort()).toEqual(r.features.map((f) => f.name).sort());
    // The synthetic objective's loss falls with the budget: its marginal at the highest budget is below the lowest's.
    const b = r.marginals.find((m) => m.feature === 'budget (epochs)')!;
    expect(b.points.at(-1)!.loss).toBeLessThan(b.points[0]!.loss);
  });

  it('writes importance.md, importance.json and the two plots; bad flags and thin studies fail with exit codes 2 and 1', async () => {
    const out = join(dir, 'imp');
    const ok = await runCli('importance', studyDir, '--budget', 'all', '--trees', '8', '-o', out);
    expect(ok.err).toBe('');
    expect(ok.code).toBe(0);
    for (const f of ['importance.md', 'importance.json', 'importance.svg', 'importance.png', 'marginals.svg', 'marginals.png']) expect(existsSync(join(out, f)), f).toBe(true);
    const json = JSON.parse(readFileSync(join(out, 'importance.json'), 'utf8'));
    const md = readFileSync(join(out, 'importance.md'), 'utf8');
    expect(md).toContain(`| ${json.main[0].features[0]} | ${(100 * json.main[0].fraction).toFixed(1)} % |`);
    expect(readFileSync(join(out, 'importance.svg'), 'utf8')).toContain(json.main[0].features[0]);
    const bad = await runCli('importance', studyDir, '--budget', 'most', '-o', join(dir, 'x'));
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--budget.*'most'.*max, all/s);
    const none = await runCli('importance', join(dir, 'nowhere'), '-o', join(dir, 'y'));
    expect(none.code).toBe(1);
    expect(none.err).toMatch(/no study database here/);
    expect(existsSync(join(dir, 'y'))).toBe(false);
  });
});
