/** Issue 13: studies keep their word (lost databases, invalid settings, conflicting resumes, read-only folders). */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { OBJECTIVES } from '../../src/automl/objectives.js';
import { optimize } from '../../src/automl/driver.js';
import { StorageError, TrainingFailure } from '../../src/errors.js';
import { runCli } from '../helpers/cli.js';
import { writeTinyPlan } from './fixtures/dataset.js';
import { tinyRequest } from './fixtures/request.js';

const dir = mkdtempSync(join(tmpdir(), 'hnas-faults-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const plan = writeTinyPlan(join(dir, 'plans.json'));

describe('a study whose database was lost is refused, not restarted over its trial folders', () => {
  for (const damage of ['emptied', 'deleted', 'replaced'] as const) {
    it(`study.db ${damage}`, async () => {
      const study = join(dir, `lost-${damage}`);
      await optimize(tinyRequest(study, 'hpo', plan), { maxTrials: 2 });
      const trials = join(study, 'hpo', 'trials');
      const scores = readdirSync(trials).map((t) => readFileSync(join(trials, t, 'scores.json'), 'utf8'));
      const db = join(study, 'study.db');
      for (const f of [db, `${db}-wal`, `${db}-shm`]) rmSync(f, { force: true });
      if (damage === 'emptied') writeFileSync(db, '');
      if (damage === 'replaced') await optimize(tinyRequest(study, 'hpo', plan, {}, { name: 'other' }), { maxTrials: 1 });
      const run = optimize(tinyRequest(study, 'hpo', plan));
      await expect(run).rejects.toBeInstanceOf(StorageError);
      await expect(run).rejects.toThrow(
        new RegExp(`hpo/trials holds 2 trial folder\\(s\\) but the study database ${{ emptied: 'is empty \\(0 bytes\\)', deleted: 'is missing', replaced: "holds no study 'hpo'" }[damage]}: restore study.db`),
      );
      expect(readdirSync(trials).map((t) => readFileSync(join(trials, t, 'scores.json'), 'utf8'))).toEqual(scores);
      if (damage === 'deleted') expect(readdirSync(study)).not.toContain('study.db');
    });
  }
});

const cli = (study: string, ...extra: string[]) =>
  runCli('optimize', 'unused-with-a-plan', '--approach', 'hpo', '--study', study, '--plan', plan, '--objective', 'synthetic', '--min-epochs', '1', '--max-epochs', '9', '--eta', '3', '--folds', '0', '--iterations-per-epoch', '2', '--no-progress', ...extra);

describe('settings are checked before the first trial; a study whose every trial failed is a failure', () => {
  it('--patch the plan cannot take is refused before anything is created', async () => {
    const study = join(dir, 'bad-patch');
    const r = await cli(study, '--patch', '3x3x3');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/PlanError: at patchSize: patch axis 0 is 3/);
    expect(existsSync(join(study, 'study.db'))).toBe(false);
    expect(existsSync(join(study, 'hpo', 'trials'))).toBe(false);
  });
  it('every trial failing exits 1 naming the last error', async () => {
    const spy = vi.spyOn(OBJECTIVES.synthetic, 'create').mockImplementation(() => async () => {
      throw new TrainingFailure('loss is NaN at epoch 1', 'nan');
    });
    try {
      const r = await cli(join(dir, 'all-fail'), '--max-trials', '2');
      expect(r.code).toBe(1);
      expect(r.out).toMatch(/0 complete, 2 failed/);
      expect(r.err).toMatch(/every trial of study 'hpo' failed \(2\); the last error: .*loss is NaN at epoch 1/);
    } finally {
      spy.mockRestore();
    }
  });
});

describe('a resume with a different setting is refused, naming the field', () => {
  it.each([
    ['seed', ['--seed', '5'], /exists with seed 0, now 5/],
    ['budget', ['--max-epochs', '27'], /exists with maxBudget 9, now 27/],
    ['features', ['--features', '4,32'], /started with features \{"base":4,"max":16\}, now \{"base":4,"max":32\}/],
    ['features dropped', [], /started with features \{"base":4,"max":16\}, now null/],
    ['patch', ['--patch', '16x16x16'], /started with training\.patchSize null, now \[16,16,16\]/],
  ])('%s', async (what, flags, message) => {
    const study = join(dir, `resume-${what.replace(' ', '-')}`);
    expect((await cli(study, '--features', '4,16', '--max-trials', '1')).code).toBe(0);
    const r = what === 'features dropped' ? await cli(study, '--max-trials', '1') : await cli(study, '--max-trials', '1', ...(what.startsWith('features') ? [] : ['--features', '4,16']), ...flags);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(message);
  });
  it('a --plan with the same n_max but other content is refused as "plan"', async () => {
    const study = join(dir, 'resume-plan');
    expect((await cli(study, '--max-trials', '1')).code).toBe(0);
    const other = JSON.parse(readFileSync(plan, 'utf8'));
    other.network.batchSize += 1;
    const otherFile = join(dir, 'other-plan.json');
    writeFileSync(otherFile, JSON.stringify(other));
    const r = await runCli('optimize', 'unused-with-a-plan', '--approach', 'hpo', '--study', study, '--plan', otherFile, '--objective', 'synthetic', '--min-epochs', '1', '--max-epochs', '9', '--eta', '3', '--folds', '0', '--iterations-per-epoch', '2', '--no-progress', '--max-trials', '1');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/study\.json at \$\.planDigest: this study was started with plan a plan with sha256 [0-9a-f]{12}\.\.\., now one with [0-9a-f]{12}\.\.\. \(--plan differs/);
    const meta = JSON.parse(readFileSync(join(study, 'hpo', 'study.json'), 'utf8'));
    expect(meta.features).toBeNull();
    expect(meta.planDigest).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('"this run: N evaluations" counts only this command\'s workers', () => {
  it('two commands sharing a study each report their own evaluations', async () => {
    const study = join(dir, 'shared');
    await optimize(tinyRequest(study, 'hpo', plan, {}, { objectiveOptions: { delayMs: 5 } }), { maxTrials: 1 });
    const [a, b] = await Promise.all([
      optimize(tinyRequest(study, 'hpo', plan, {}, { objectiveOptions: { delayMs: 5 } }), { maxTrials: 3, pollMs: 5 }),
      optimize(tinyRequest(study, 'hpo', plan, {}, { objectiveOptions: { delayMs: 5 } }), { maxTrials: 4, pollMs: 5 }),
    ]);
    expect(a.evaluated).toBe(3);
    expect(b.evaluated).toBe(4);
    expect(b.counts.complete).toBeGreaterThanOrEqual(1 + 3 + 4 - a.counts.running - b.counts.running);
    const rerun = await optimize(tinyRequest(study, 'hpo', plan), { maxTrials: 2 });
    expect(rerun.evaluated).toBe(2);
  });
});

describe('a read-only study folder can be read', () => {
  /** Tests run as root, which ignores permissions: a read-only bind mount is what refuses writes. */
  function readOnlyMount(folder: string): (() => void) | undefined {
    try {
      execFileSync('mount', ['--bind', folder, folder], { stdio: 'ignore' });
      execFileSync('mount', ['-o', 'remount,ro,bind', folder], { stdio: 'ignore' });
      return () => execFileSync('umount', [folder], { stdio: 'ignore' });
    } catch {
      return undefined;
    }
  }

  it('incumbent, report and study list read it, leaving no file behind', async (ctx) => {
    const study = join(dir, 'readonly');
    await optimize(tinyRequest(study, 'hpo', plan), { maxTrials: 3 });
    const unmount = readOnlyMount(study);
    if (!unmount) ctx.skip('cannot bind-mount read-only here (needs root and mount); the snapshot path goes untested');
    try {
      expect(() => writeFileSync(join(study, 'probe'), '')).toThrow(/EROFS/);
      const before = readdirSync(study).sort();
      for (const argv of [['incumbent', study], ['report', study, '-o', join(dir, 'readonly-report')], ['study', 'list', '--db', join(study, 'study.db')]]) {
        const r = await runCli(...argv);
        expect(r.err, argv.join(' ')).toBe('');
        expect(r.code, argv.join(' ')).toBe(0);
      }
      expect((await runCli('incumbent', study)).out).toMatch(/trial/);
      expect(readdirSync(study).sort()).toEqual(before);
    } finally {
      unmount?.();
    }
  });

  it('in a writable folder, a reader opens the database read-only and creates no study', async () => {
    const study = join(dir, 'reader');
    await optimize(tinyRequest(study, 'hpo', plan), { maxTrials: 1 });
    const db = join(study, 'study.db');
    const bytes = readFileSync(db);
    expect((await runCli('incumbent', study)).code).toBe(0);
    expect(readFileSync(db).equals(bytes)).toBe(true);
    writeFileSync(join(dir, 'empty.db'), '');
    const r = await runCli('incumbent', join(dir, 'empty.db'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/empty\.db: not a study database \(empty, or never written by hnas\)/);
    expect(readFileSync(join(dir, 'empty.db')).length).toBe(0);
  });
});
