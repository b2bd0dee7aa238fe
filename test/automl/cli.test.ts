/**
 * End to end through the command line on a tiny generated dataset: all three approaches,
 * Ctrl-C of a real `hnas optimize` process and resume, worker processes, the time limit,
 * report and incumbent, and the usage errors.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skipAllUnless } from '../helpers/skip.js';
import { trialFolder, studyPaths } from '../../src/automl/layout.js';
import { loadStudy } from '../../src/automl/load.js';
import { parseFolds } from '../../src/cli/options.js';
import type { TrialRecord } from '../../src/optimize/trial.js';
import { writeTinyDataset } from './fixtures/dataset.js';
import { runCli } from '../helpers/cli.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'hnas-optimize-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const dataset = join(dir, 'Tiny');
const study = join(dir, 'study');
const TINY = ['--min-epochs', '1', '--max-epochs', '9', '--eta', '3', '--folds', '0', '--iterations-per-epoch', '2', '--objective', 'synthetic', '--no-progress'];

const cli = runCli;

function hnas(args: string[]): { child: ChildProcess; exit: Promise<{ code: number | null; stderr: string }> } {
  const child = spawn(process.execPath, [join(root, 'bin', 'hnas.mjs'), ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  child.stdout!.resume();
  return { child, exit: new Promise((resolve) => child.on('exit', (code) => resolve({ code, stderr }))) };
}

const completeCount = (db: string): number => {
  if (!existsSync(db)) return 0;
  const d = new Database(db, { readonly: true, fileMustExist: true });
  try {
    return (d.prepare("SELECT COUNT(*) AS n FROM trials WHERE status = 'complete'").get() as { n: number }).n;
  } catch {
    return 0; // not created yet
  } finally {
    d.close();
  }
};

const decisions = (trials: readonly TrialRecord[]) =>
  [...trials].sort((a, b) => a.number - b.number).map((t) => ({ key: t.key, config: t.config, budget: t.budget, loss: t.loss, status: t.status }));

beforeAll(() => {
  writeTinyDataset(dataset);
});

describe('hnas optimize (synthetic objective) on a generated dataset', () => {
  it.each(['hpo', 'hpo_nas', 'hpo_hnas'])('%s: plans the dataset and runs the whole schedule', async (approach) => {
    const { code, out, err } = await cli('optimize', dataset, '--approach', approach, '--study', study, ...TINY, '--json');
    expect(err).toBe('');
    expect(code).toBe(0);
    const summary = JSON.parse(out);
    expect(summary).toMatchObject({ name: approach, stopped: 'done', counts: { complete: 21, failed: 0, running: 0 } });
    expect(JSON.parse(readFileSync(join(study, approach, 'plans.json'), 'utf8')).datasetName).toBe('Tiny');
  });

  it('rerunning a finished study evaluates nothing', async () => {
    const { code, out } = await cli('optimize', dataset, '--approach', 'hpo', '--study', study, ...TINY, '--json');
    expect(code).toBe(0);
    expect(JSON.parse(out)).toMatchObject({ evaluated: 0, stopped: 'done' });
  });

  it('report and incumbent name the best trial', async () => {
    const out = join(dir, 'report');
    const r = await cli('report', study, '--name', 'hpo_hnas', '-o', out);
    expect(r.code).toBe(0);
    expect(existsSync(join(out, 'report.md')) && existsSync(join(out, 'pareto-front.png'))).toBe(true);
    const inc = await cli('incumbent', study, '--name', 'hpo_hnas', '--json');
    expect(inc.code).toBe(0);
    const { trial, folder } = JSON.parse(inc.out);
    const trials = (await loadStudy(study, 'hpo_hnas')).trials;
    expect(trial.loss).toBe(Math.min(...trials.map((t) => t.loss!)));
    expect(folder).toBe(trialFolder(studyPaths(study), 'hpo_hnas', trial.key));
    expect(JSON.parse(readFileSync(join(folder, 'scores.json'), 'utf8')).loss).toBe(trial.loss);
    expect(r.out).toContain(`trial ${trial.number}`);
  });

  it('--folds forms', () => {
    expect(parseFolds('all5')).toEqual([0, 1, 2, 3, 4]);
    expect(parseFolds('0..4')).toEqual([0, 1, 2, 3, 4]);
    expect(parseFolds('1..2')).toEqual([1, 2]);
    expect(parseFolds('0,2')).toEqual([0, 2]);
    expect(parseFolds('3')).toEqual([3]);
    for (const bad of ['3..1', '0,0', '5', '0..5', 'all', '', '-1']) expect(() => parseFolds(bad), bad).toThrow(/--folds/);
  });

  it('usage errors exit 2 and create nothing', async () => {
    const bad = [
      ['--approach', 'nas'],
      ['--approach', 'hpo', '--folds', '5'],
      ['--approach', 'hpo', '--folds', 'all'],
      ['--approach', 'hpo', '--total-epochs', '100', '--time-limit', '1h'],
      ['--approach', 'hpo', '--device', 'tpu'],
      ['--approach', 'hpo', '--workers', '0'],
      ['--approach', 'hpo', '--threads', '0'],
      ['--approach', 'hpo', '--time-limit', 'soon'],
      ['--approach', 'hpo', '--patch', '40x56'],
      ['--approach', 'hpo', '--prior', 'nnUNet'],
      ['--approach', 'hpo', '--objective', 'synthetic', '--name', '../escape'],
      [],
    ];
    for (const args of bad) expect((await cli('optimize', dataset, '--study', join(dir, 'bad'), ...args)).code, args.join(' ')).toBe(2);
    expect(existsSync(join(dir, 'bad'))).toBe(false);
    expect((await cli('report', study, '-o', join(dir, 'r2'))).code).toBe(2); // several studies: --name needed
    expect((await cli('report', join(dir, 'missing'))).code).toBe(1);
    expect((await cli('incumbent', study, '--name', 'hpo', '--folds', '0')).code).toBe(2); // --folds needs --retrain
    expect((await cli('incumbent', study, '--name', 'hpo', '--retrain', '--device', 'tpu')).code).toBe(2);
  });

  it('Ctrl-C stops a running hnas optimize after saving (exit 130); rerunning continues: same study, nothing lost or repeated', async () => {
    const s2 = join(dir, 'interrupted');
    const run = hnas(['optimize', dataset, '--approach', 'hpo_hnas', '--study', s2, ...TINY, '--delay-ms', '25']);
    const db = join(s2, 'study.db');
    while (completeCount(db) < 6) await new Promise((r) => setTimeout(r, 50));
    run.child.kill('SIGINT');
    const { code, stderr } = await run.exit;
    expect(code, stderr).toBe(130);
    expect(stderr).toMatch(/stopping after saving/);
    const saved = (await loadStudy(s2, 'hpo_hnas')).trials;
    expect(saved.filter((t) => t.status === 'complete').length).toBeGreaterThanOrEqual(6);
    expect(saved.length).toBeLessThan(21);

    const resumed = await cli('optimize', dataset, '--approach', 'hpo_hnas', '--study', s2, ...TINY, '--json');
    expect(resumed.code).toBe(0);
    const trials = (await loadStudy(s2, 'hpo_hnas')).trials;
    const got = decisions(trials);
    const want = decisions((await loadStudy(study, 'hpo_hnas')).trials);
    const first = got.findIndex((g, i) => JSON.stringify(g) !== JSON.stringify(want[i]));
    expect(got, `first difference at trial ${first}: ${JSON.stringify(got[first])} vs ${JSON.stringify(want[first])}; attempts ${trials.map((t) => t.attempt).join('')}`).toEqual(want);
    for (const t of saved.filter((x) => x.status === 'complete')) expect(trials.find((x) => x.key === t.key)).toMatchObject({ attempt: t.attempt, loss: t.loss });
    expect(readdirSync(join(s2, 'hpo_hnas', 'trials')).length).toBe(trials.length);
    for (const t of trials) expect(JSON.parse(readFileSync(join(trialFolder(studyPaths(s2), 'hpo_hnas', t.key), 'config.json'), 'utf8')).attempt).toBe(t.attempt);
  });

  it('--workers 2 shares the study between two processes', async () => {
    const s3 = join(dir, 'workers');
    // 300 ms a trial: long enough that the second process has started (tsx, a loaded CI machine) before the first has done all 21.
    const { code, stderr } = await hnas(['optimize', dataset, '--approach', 'hpo', '--study', s3, ...TINY, '--delay-ms', '300', '--workers', '2']).exit;
    expect(code, stderr).toBe(0);
    const trials = (await loadStudy(s3, 'hpo')).trials;
    expect(trials.filter((t) => t.status === 'complete')).toHaveLength(21);
    expect(new Set(trials.map((t) => t.worker.split('/')[1])).size).toBe(2);
  });

  it('SIGTERM stops like Ctrl-C after saving (exit 143)', async () => {
    const s5 = join(dir, 'sigterm');
    const run = hnas(['optimize', dataset, '--approach', 'hpo', '--study', s5, ...TINY, '--delay-ms', '25']);
    while (completeCount(join(s5, 'study.db')) < 3) await new Promise((r) => setTimeout(r, 50));
    run.child.kill('SIGTERM');
    const { code, stderr } = await run.exit;
    expect(code, stderr).toBe(143);
    expect(stderr).toMatch(/stopping after saving \(SIGTERM again to quit at once\)/);
    expect((await loadStudy(s5, 'hpo')).trials.filter((t) => t.status === 'complete').length).toBeGreaterThanOrEqual(3);
  });

  it('worker processes stop when their driver is killed (kill -9): no orphans keep training', async () => {
    const s6 = join(dir, 'orphans');
    const run = hnas(['optimize', dataset, '--approach', 'hpo', '--study', s6, ...TINY, '--delay-ms', '200', '--workers', '3']);
    const children = (): number[] => {
      try {
        return execFileSync('ps', ['-o', 'pid=', '--ppid', String(run.child.pid)], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
      } catch {
        return [];
      }
    };
    let workers: number[] = [];
    while ((workers = children()).length < 2 || completeCount(join(s6, 'study.db')) < 1) await new Promise((r) => setTimeout(r, 100));
    run.child.kill('SIGKILL');
    await run.exit;
    // Gone = no such process, or a zombie waiting for a reaper (it no longer runs).
    const alive = (pid: number) => existsSync(`/proc/${pid}`) && !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    const deadline = Date.now() + 20_000;
    while (workers.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(workers.filter(alive)).toEqual([]);
  }, 60_000);

  it('--time-limit stops starting trials once the study has been busy that long', async () => {
    const s4 = join(dir, 'timed');
    const { code, out } = await cli('optimize', dataset, '--approach', 'hpo', '--study', s4, ...TINY, '--delay-ms', '20', '--time-limit', '0.5s', '--json');
    expect(code).toBe(0);
    const summary = JSON.parse(out);
    expect(summary.stopped).toBe('time-limit');
    expect(summary.counts.complete).toBeGreaterThan(0);
    expect(summary.counts.complete).toBeLessThan(21);
  });
});

const hippocampus = join(root, '..', 'shared', 'datasets', 'Task04_Hippocampus');
const hasHippocampus = existsSync(join(hippocampus, 'dataset.json'));

describe('hnas optimize on ../shared/datasets/Task04_Hippocampus (synthetic objective)', () => {
  skipAllUnless(hasHippocampus, `needs the MSD dataset at ${hippocampus}, absent here`);
  it('plans the dataset: the HNAS grammar gets n_max = 4 stages, the default tree has 4 encoder stages', async () => {
    const s = join(dir, 'hippocampus');
    const { code, out, err } = await cli('optimize', hippocampus, '--approach', 'hpo_hnas', '--study', s, ...TINY, '--max-epochs', '3', '--json');
    expect(code, err).toBe(0);
    expect(JSON.parse(out)).toMatchObject({ stopped: 'done', counts: { failed: 0, running: 0 } });
    const loaded = await loadStudy(s);
    expect(loaded.meta).toMatchObject({ datasetName: 'Hippocampus', nMax: 4 });
    const tree = loaded.settings.space.params.find((p) => p.name === 'architecture');
    expect(tree).toMatchObject({ grammar: { name: 'unet', nMax: 4 } });
    const def = loaded.trials.find((t) => t.key === 'default')!;
    expect(JSON.stringify(def.config.architecture)).toContain('"symbol":"E4"');
  });
});
