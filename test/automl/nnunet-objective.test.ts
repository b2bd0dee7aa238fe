/** The nnU-Net objective of `hnas optimize` on the tiny fixture: scores, continuation of a promoted job, Ctrl-C, failures. */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ObjectiveSetup } from '../../src/automl/objective-setup.js';
import { HnasError } from '../../src/errors.js';
import { type Job, type TrialContext, TrialInterrupted } from '../../src/optimize/objective.js';
import { nnunetObjective } from '../../src/automl/nnunet-objective.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const TINY = join(repoRoot, 'fixtures', 'data', 'tiny-msd');

let work: string;
const savedCache = process.env.HNAS_CACHE_DIR;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'hnas-objective-'));
  process.env.HNAS_CACHE_DIR = join(work, 'cache');
});
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  if (savedCache === undefined) delete process.env.HNAS_CACHE_DIR;
  else process.env.HNAS_CACHE_DIR = savedCache;
});

const setup: ObjectiveSetup = {
  datasetDir: TINY,
  plan: null,
  training: { folds: [0, 1], iterationsPerEpoch: 2, patchSize: null, batchSize: 2 },
  device: 'cpu',
  options: { maxEpochs: 9, featuresBase: 4, featuresMax: 16, threads: 1 },
};

function job(budget: number, previousBudget: number, config: Record<string, unknown> = { learning_rate: 3e-3 }): Job {
  return { study: 's', key: `k${budget}`, number: budget, configId: 'c', config, source: 'prior', bracket: 0, rung: 0, budget, previousBudget, checkpoint: null, seed: 3, claim: {} } as unknown as Job;
}

function trial(name: string, previousCheckpoint: string | null = null, signal = new AbortController().signal): TrialContext & { dir: string; lines: string[] } {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  const lines: string[] = [];
  return { dir, previousCheckpoint, signal, log: (l) => lines.push(l), lines };
}

const logLines = (file: string) => readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));

describe('nnunetObjective', () => {
  it('returns 1 - mean fold Dice and the training seconds; a promoted job trains only its extra epochs on the same schedule', async () => {
    const objective = nnunetObjective(setup);
    const first = trial('t1');
    const r1 = await objective(job(1, 0), first);
    expect(r1.checkpoint).toBe('model');
    expect(r1.folds!.map((f) => f.fold)).toEqual([0, 1]);
    expect(r1.loss).toBeCloseTo(1 - (r1.folds![0]!.dice + r1.folds![1]!.dice) / 2, 12);
    expect(r1.cost).toBeCloseTo(r1.folds![0]!.seconds + r1.folds![1]!.seconds, 9);
    expect(first.lines.join('\n')).toMatch(/0 -> 1 epochs of a 9-epoch schedule/);

    const second = trial('t2', join(first.dir, r1.checkpoint!));
    const r2 = await objective(job(2, 1), second);
    for (const fold of [0, 1]) {
      const log = logLines(join(second.dir, 'model', `fold_${fold}`, 'log.jsonl'));
      expect(log.map((e) => e.epoch)).toEqual([1, 2]);
      // Epoch 0 is the first trial's (copied, not retrained); the LR follows the 9-epoch poly schedule.
      expect(log[0]).toEqual(logLines(join(first.dir, 'model', `fold_${fold}`, 'log.jsonl'))[0]);
      expect(log[1].lr).toBeCloseTo(3e-3 * (1 - 1 / 9) ** 0.9, 12);
    }
    expect(r2.cost).toBeGreaterThan(r1.cost); // the whole model's training time, continued epochs included
    expect(r2.loss).toBeGreaterThanOrEqual(0);
    expect(r2.loss).toBeLessThanOrEqual(1);
  }, 120_000);

  it('Ctrl-C gives TrialInterrupted; a bad configuration fails the trial with an HnasError', async () => {
    const objective = nnunetObjective(setup);
    const ctrl = new AbortController();
    ctrl.abort();
    await expect(objective(job(1, 0), trial('t3', null, ctrl.signal))).rejects.toBeInstanceOf(TrialInterrupted);
    await expect(objective(job(1, 0, { learning_rate: 7 }), trial('t4'))).rejects.toBeInstanceOf(HnasError);
  }, 60_000);
});
