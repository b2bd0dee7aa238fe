import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { APPROACH_NAMES, APPROACHES } from '../../src/automl/approaches.js';
import { optimize } from '../../src/automl/driver.js';
import { trialFolder, studyPaths } from '../../src/automl/layout.js';
import { ConfigError } from '../../src/errors.js';
import { SqliteStorage } from '../../src/optimize/sqlite-storage.js';
import { Study } from '../../src/optimize/study.js';
import type { TrialRecord } from '../../src/optimize/trial.js';
import { writeTinyPlan } from './fixtures/dataset.js';
import { tinyRequest } from './fixtures/request.js';

const dir = mkdtempSync(join(tmpdir(), 'hnas-automl-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const plan = writeTinyPlan(join(dir, 'plans.json'));

async function storedTrials(studyPath: string, name: string): Promise<TrialRecord[]> {
  const storage = new SqliteStorage(studyPaths(studyPath).db);
  try {
    return await (await Study.open({ storage, name })).trials();
  } finally {
    await storage.close();
  }
}

/** What the optimiser decided: the same in an interrupted-and-resumed study as in an uninterrupted one. */
const decisions = (trials: TrialRecord[]) => trials.map((t) => ({ key: t.key, config: t.config, budget: t.budget, loss: t.loss, status: t.status }));

describe('optimize with the synthetic objective', () => {
  it.each(APPROACH_NAMES)('%s: runs a whole Hyperband round, keeps every trial\'s files', async (approach) => {
    const study = join(dir, `all-${approach}`);
    const summary = await optimize(tinyRequest(study, approach, plan));
    expect(summary.stopped).toBe('done');
    const trials = await storedTrials(study, approach);
    // 1..9 epochs, eta 3: brackets of 9/3/1, 3/1 and 3 configurations (20 evaluations) + the default.
    expect(trials.length).toBe(21);
    expect(trials.every((t) => t.status === 'complete')).toBe(true);
    expect(trials[0]!.key).toBe('default');
    expect(summary.counts.complete).toBe(trials.length);
    expect(summary.incumbent?.loss).toBe(Math.min(...trials.map((t) => t.loss!)));
    for (const t of trials) {
      const folder = trialFolder(studyPaths(study), approach, t.key);
      const config = JSON.parse(readFileSync(join(folder, 'config.json'), 'utf8'));
      expect(config.config).toEqual(t.config);
      const scores = JSON.parse(readFileSync(join(folder, 'scores.json'), 'utf8'));
      expect(scores.loss).toBe(t.loss);
      expect(existsSync(join(folder, 'log.txt'))).toBe(true);
      expect(t.checkpoint && existsSync(join(study, approach, t.checkpoint))).toBe(true);
      if (t.source === 'promotion') expect(t.previousBudget).toBeGreaterThan(0); // continued from a checkpoint
    }
    const settings = JSON.parse(readFileSync(join(study, approach, 'study.json'), 'utf8'));
    expect(settings.nMax).toBe(4);
    if (approach === 'hpo_hnas') expect(typeof trials[1]!.config.architecture).toBe('object');
    expect(APPROACHES[approach].algorithm).toBe(approach === 'hpo' ? 'priorband' : 'regularized-priorband');
  });

  it('stopping after N trials and rerunning loses and repeats nothing', async () => {
    const whole = join(dir, 'whole');
    await optimize(tinyRequest(whole, 'hpo_hnas', plan));
    const reference = decisions(await storedTrials(whole, 'hpo_hnas'));
    const parts = join(dir, 'parts');
    for (const n of [2, 3, 1]) expect((await optimize(tinyRequest(parts, 'hpo_hnas', plan), { maxTrials: n })).stopped).toBe('max-trials');
    const last = await optimize(tinyRequest(parts, 'hpo_hnas', plan));
    expect(last.stopped).toBe('done');
    expect(decisions(await storedTrials(parts, 'hpo_hnas'))).toEqual(reference);
    expect(readdirSync(join(parts, 'hpo_hnas', 'trials')).length).toBe(reference.length);
  });

  it('--total-epochs keeps opening brackets until the budget is charged', async () => {
    const study = join(dir, 'total');
    await optimize(tinyRequest(study, 'hpo', plan, { totalEpochs: 100 }));
    const trials = await storedTrials(study, 'hpo');
    const charged = (ts: TrialRecord[]) => ts.reduce((s, t) => s + t.budget - t.previousBudget, 0);
    expect(charged(trials)).toBeGreaterThanOrEqual(100);
    // The last bracket opened before 100 epochs were charged.
    const lastBracket = Math.max(...trials.map((t) => t.bracket));
    const before = trials.filter((t) => t.bracket < lastBracket);
    expect(charged(before)).toBeLessThan(100);
    expect(lastBracket).toBeGreaterThan(2); // more than one Hyperband round (3 brackets)
  });

  it('a resumed study must keep its approach, training settings and seed', async () => {
    const study = join(dir, 'mismatch');
    await optimize(tinyRequest(study, 'hpo', plan), { maxTrials: 1 });
    await expect(optimize(tinyRequest(study, 'hpo', plan, {}, { seed: 4 }))).rejects.toThrow(ConfigError);
    await expect(optimize(tinyRequest(study, 'hpo', plan, {}, { datasetDir: 'another-dataset' }))).rejects.toThrow(/dataset/);
    await expect(optimize(tinyRequest(study, 'hpo', plan, {}, { training: { folds: [0, 1], iterationsPerEpoch: 2, patchSize: null, batchSize: null } }))).rejects.toThrow(/training/);
  });

  it('a study records its prior: the default trial is the prior\'s, and a resume with another prior is refused', async () => {
    const study = join(dir, 'prior');
    await optimize({ ...tinyRequest(study, 'hpo', plan), prior: 'short-schedule' }, { maxTrials: 1 });
    const [first] = await storedTrials(study, 'hpo');
    expect(first!.key).toBe('default');
    expect(first!.config).toMatchObject({ optimizer: 'adamw', learning_rate: 3e-3, lr_scheduler: 'cosine' });
    expect(JSON.parse(readFileSync(join(study, 'hpo', 'study.json'), 'utf8')).prior).toBe('short-schedule');
    await expect(optimize(tinyRequest(study, 'hpo', plan), { maxTrials: 1 })).rejects.toThrow(/started with prior "short-schedule", now "nnunet"/);
  });

  it('an aborted signal stops before the next trial', async () => {
    const controller = new AbortController();
    controller.abort();
    const summary = await optimize(tinyRequest(join(dir, 'aborted'), 'hpo', plan), { signal: controller.signal });
    expect(summary.stopped).toBe('interrupted');
    expect(summary.evaluated).toBe(0);
  });
});
