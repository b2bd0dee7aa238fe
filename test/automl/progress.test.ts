import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatDuration, progressLine, progressSnapshot } from '../../src/automl/progress.js';
import type { Job, TrialContext } from '../../src/optimize/objective.js';
import { syntheticModelSize, syntheticObjective } from '../../src/optimize/synthetic.js';
import type { TrialRecord } from '../../src/optimize/trial.js';
import { defaultConfig } from '../../src/space/config.js';
import { hnasSpace, hpoSpace, nasSpace } from '../../src/space/spaces.js';

const trial = (over: Partial<TrialRecord>): TrialRecord =>
  ({ key: 'k', number: 0, bracket: 0, rung: 0, budget: 1, previousBudget: 0, status: 'complete', loss: 0.5, cost: 10, startedAt: 0, finishedAt: 1000, ...over }) as TrialRecord;

describe('progress view', () => {
  it('shows bracket/rung, counts, the incumbent and an ETA from the epochs spent', () => {
    const trials = [
      trial({ key: 'default', number: 0, bracket: -1, rung: 2, budget: 9, loss: 0.3, cost: 90, startedAt: 0, finishedAt: 4000 }),
      trial({ key: 'b0/new/0', number: 1, loss: 0.6, startedAt: 4000, finishedAt: 5000 }),
      trial({ key: 'b0/new/1', number: 2, status: 'failed', loss: 1, startedAt: 5000, finishedAt: 6000 }),
      trial({ key: 'b0/new/2', number: 3, status: 'running', loss: null, cost: null, startedAt: 6000, finishedAt: null }),
    ];
    const p = progressSnapshot(trials, { plannedEpochs: 22, timeLimitS: null }, 7000);
    expect(p).toMatchObject({ done: 3, failed: 1, running: 1, bracket: 0, rung: 0, rungEpochs: 1, epochs: 11, busySeconds: 7 });
    expect(p.incumbent).toEqual({ number: 0, loss: 0.3, cost: 90, epochs: 9 });
    expect(p.fraction).toBeCloseTo(0.5);
    expect(p.etaSeconds).toBeCloseTo(7);
    expect(progressLine(p)).toBe('bracket 0 rung 0 (1 epochs) | 3 done (1 failed), 1 running | incumbent #0: 1-Dice 0.3000, runtime 1m30s | 50% | ETA 7s');
    const timed = progressSnapshot(trials, { plannedEpochs: 22, timeLimitS: 14 }, 7000);
    expect(timed.fraction).toBeCloseTo(0.5);
    expect(progressLine(progressSnapshot([], { plannedEpochs: 22, timeLimitS: null }, 0))).toMatch(/^starting \| 0 done, 0 running \| no incumbent yet \| 0% \| ETA \?$/);
  });
  it('durations read as s, m, h', () => {
    expect([formatDuration(5), formatDuration(125), formatDuration(7300), formatDuration(null)]).toEqual(['5s', '2m05s', '2h01m', '?']);
  });
});

describe('synthetic trial objective', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hnas-synth-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const folds = [0, 1];
  const context = (previousCheckpoint: string | null): TrialContext => ({ dir, previousCheckpoint, signal: new AbortController().signal, log: () => undefined });
  const job = (config: Job['config'], budget: number, previousBudget = 0) => ({ config, budget, previousBudget }) as Job;

  it('has the default model size 1 in every space and is deterministic', async () => {
    for (const space of [hpoSpace(), nasSpace(), hnasSpace(4)]) expect(syntheticModelSize(defaultConfig(space))).toBeCloseTo(1);
    const f = syntheticObjective({ folds });
    const a = await f(job(defaultConfig(hpoSpace()), 9), context(null));
    const b = await f(job(defaultConfig(hpoSpace()), 9), context(null));
    expect(a).toEqual(b);
    expect(a.folds).toHaveLength(2);
    expect(a.loss).toBeCloseTo(1 - (a.folds![0]!.dice + a.folds![1]!.dice) / 2, 12);
  });
  it('continues only from a checkpoint with the promised epochs', async () => {
    const f = syntheticObjective({ folds });
    const config = defaultConfig(hpoSpace());
    await expect(f(job(config, 9, 3), context(null))).rejects.toThrow(/missing checkpoint/);
    await f(job(config, 3), context(null));
    const ckpt = join(dir, 'checkpoint.json');
    expect(JSON.parse(readFileSync(ckpt, 'utf8')).epochs).toBe(3);
    await expect(f(job(config, 9, 1), context(ckpt))).rejects.toThrow(/3 epochs/);
    const continued = await f(job(config, 9, 3), context(ckpt));
    const fresh = await f(job(config, 9), context(null));
    expect(continued).toEqual(fresh); // a continued run reports the model at 9 epochs, as a fresh one would
  });
  it('stops when the signal aborts', async () => {
    const controller = new AbortController();
    const f = syntheticObjective({ folds, delayMs: 5 });
    const running = f(job(defaultConfig(hpoSpace()), 100), { ...context(null), signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    await expect(running).rejects.toThrow(/interrupted/);
  });
});
