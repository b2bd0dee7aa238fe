/**
 * A trial whose worker is killed (kill -9) mid-training is re-claimed by the next worker and
 * continued from the newest epoch checkpoint in its trial folder, with the real nnU-Net objective
 * on the tiny MSD fixture: it completes once, its log has every epoch once, and it ends exactly
 * where the same trial run without the kill ends (same seed, one onnxruntime thread: training on
 * the CPU is deterministic, and the batch stream and Rng continue from the checkpoint).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadStudy } from '../../src/automl/load.js';
import { runCli } from '../helpers/cli.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const TINY = join(root, 'fixtures', 'data', 'tiny-msd');
const dir = mkdtempSync(join(tmpdir(), 'hnas-resume-'));
const previousCache = process.env.HNAS_CACHE_DIR;
beforeAll(() => {
  process.env.HNAS_CACHE_DIR = join(dir, 'cache');
});
afterAll(() => {
  if (previousCache === undefined) delete process.env.HNAS_CACHE_DIR;
  else process.env.HNAS_CACHE_DIR = previousCache;
  rmSync(dir, { recursive: true, force: true });
});

const EPOCHS = 8;
// One bracket of one configuration at 8 epochs, after the default (PriorBand's first trial, 8 epochs).
const flags = (study: string) => ['--approach', 'hpo', '--study', study, '--min-epochs', String(EPOCHS), '--max-epochs', String(EPOCHS), '--folds', '0', '--iterations-per-epoch', '3', '--batch', '2', '--features', '4,16', '--threads', '1', '--seed', '3', '--no-progress', '--max-trials', '1'];
const trialDir = (study: string) => join(study, 'hpo', 'trials', 'default');
const foldDir = (study: string) => join(trialDir(study), 'model', 'fold_0');
const epochLog = (study: string) => {
  const file = join(foldDir(study), 'log.jsonl');
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { epoch: number; loss: number; lr: number }) : [];
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a re-claimed nnU-Net trial continues from its last checkpoint', () => {
  it('kill -9 mid-trial, then hnas worker: resumes at epoch k > 0, completes once, equals the uninterrupted trial', async () => {
    const reference = join(dir, 'reference');
    const ref = await runCli('optimize', TINY, ...flags(reference), '--json');
    expect(ref.code, ref.err).toBe(0);

    // The same study in a process killed once its trial has checkpointed two epochs (of 8).
    const study = join(dir, 'killed');
    const child = spawn(process.execPath, [join(root, 'bin', 'hnas.mjs'), 'optimize', TINY, ...flags(study)], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'], env: process.env });
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    const exited = new Promise((resolve) => child.on('exit', resolve));
    const deadline = Date.now() + 120_000;
    while (epochLog(study).length < 2 && child.exitCode === null && Date.now() < deadline) await sleep(20);
    child.kill('SIGKILL');
    await exited;
    const atKill = epochLog(study).length;
    expect(atKill, stderr).toBeGreaterThanOrEqual(2);
    expect(atKill, 'the kill landed before the trial finished').toBeLessThan(EPOCHS);
    expect((await loadStudy(study)).trials.map((t) => [t.key, t.status, t.attempt])).toEqual([['default', 'running', 0]]);

    // Another worker (this process: the killed pid is gone) re-claims the trial and continues it.
    const worker = await runCli('worker', study, '--max-trials', '1', '--threads', '1', '--json');
    expect(worker.code, worker.err).toBe(0);
    const [trial, ...others] = (await loadStudy(study)).trials;
    expect(others).toEqual([]);
    expect(trial!.error).toBeNull();
    expect(trial).toMatchObject({ key: 'default', status: 'complete', attempt: 1 });
    const trialLog = readFileSync(join(trialDir(study), 'log.txt'), 'utf8');
    expect(trialLog).toMatch(/attempt 1, re-claimed/);
    // The second attempt's training started at the checkpoint (the log line of an epoch precedes its
    // checkpoint, so a kill between the two re-trains that one epoch).
    const starts = [...trialLog.matchAll(/fold 0: .* epochs (\d+) -> 8 /g)].map((m) => Number(m[1]));
    expect(starts).toHaveLength(2);
    expect(starts[0]).toBe(0);
    expect(starts[1]).toBeGreaterThan(0);
    expect(starts[1]).toBeGreaterThanOrEqual(atKill - 1);
    // Every epoch once, with the uninterrupted run's losses and learning rates; the same result.
    const log = epochLog(study);
    expect(log.map((e) => e.epoch)).toEqual(Array.from({ length: EPOCHS }, (_, i) => i + 1));
    expect(log.map((e) => [e.loss, e.lr])).toEqual(epochLog(reference).map((e) => [e.loss, e.lr]));
    const uninterrupted = (await loadStudy(reference)).trials[0]!;
    expect(trial!.loss).toBe(uninterrupted.loss);
    // The cost counts each epoch once: the log's seconds (the killed attempt's unfinished epoch is not charged).
    expect(trial!.cost).toBeCloseTo(log.reduce((s, e) => s + (e as unknown as { seconds: number }).seconds, 0), 6);
    expect(readFileSync(join(trialDir(study), 'config.json'), 'utf8')).toMatch(/"attempt": 1/);
  }, 300_000);
});
