/**
 * `hnas auto` end to end with a 2-minute budget on a tiny dataset the test writes (16x16x8
 * volumes, 10 cases): a real process is stopped with Ctrl-C once the search finished a trial (exit
 * 130, the state and the finished trials kept), the rerun continues it to the end, and the two runs
 * together end within the budget plus the stated margin, leaving the model folder (which
 * `hnas predict` segments with), the export, the report and the summary. Usage and input
 * errors come first, and a failed first run leaves no output folder behind.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { overrunMargin } from '../../src/automl/auto-settings.js';
import { loadStudy } from '../../src/automl/load.js';
import { runCli } from '../helpers/cli.js';
import { writeTinyDataset } from './fixtures/dataset.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'hnas-auto-'));
const dataset = writeTinyDataset(join(dir, 'Tiny'), 10, 7, [16, 16, 8]);
const env = { ...process.env, HNAS_CACHE_DIR: join(dir, 'cache') };
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function hnas(args: string[]): { child: ChildProcess; exit: Promise<{ code: number | null; stderr: string; seconds: number }> } {
  const t0 = performance.now();
  const child = spawn(process.execPath, [join(root, 'bin', 'hnas.mjs'), ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  child.stdout!.resume();
  return { child, exit: new Promise((resolve) => child.on('exit', (code) => resolve({ code, stderr, seconds: (performance.now() - t0) / 1000 }))) };
}

const completeTrials = async (study: string): Promise<number> => {
  if (!existsSync(join(study, 'study.db'))) return 0;
  try {
    return (await loadStudy(study, 'hpo_hnas')).trials.filter((t) => t.status === 'complete').length;
  } catch {
    return 0; // not created yet
  }
};

describe('hnas auto', () => {
  it('usage and input errors: exit 2 / 1, nothing written', async () => {
    const out = join(dir, 'bad');
    expect((await runCli('auto', dataset, '-o', out)).code).toBe(2); // --time is required
    expect((await runCli('auto', dataset, '--time', 'soon', '-o', out)).code).toBe(2);
    expect((await runCli('auto', dataset, '--time', '1h', '--device', 'tpu', '-o', out)).code).toBe(2);
    const prior = await runCli('auto', dataset, '--time', '1h', '--prior', 'paper', '-o', out);
    expect(prior.code).toBe(2);
    expect(prior.err).toMatch(/--prior must be one of nnunet, short-schedule, got 'paper'/);
    const missing = await runCli('auto', join(dir, 'nope'), '--time', '1h', '-o', out);
    expect(missing.code).toBe(1);
    expect(existsSync(out)).toBe(false);
    // Too small a budget: a clear usage error after timing, and the output folder is gone again.
    const tiny = await runCli('auto', dataset, '--time', '20s', '-o', out, '--no-progress');
    expect(tiny.code, tiny.err).toBe(2);
    // (Planning alone may use up 20 s on a loaded machine; either way the error says what to give.)
    expect(tiny.err).toMatch(/too little .* give at least --time \d+m|used up before the search could start .* give more --time/);
    expect(existsSync(out)).toBe(false);
  }, 120_000);

  it('2-minute budget: Ctrl-C after the first trial and a rerun finish within budget + margin with model, export, report, summary', async () => {
    const out = join(dir, 'out');
    // Two minutes, unless this machine is at the moment too slow for a 50-step rung in them (a load of ~25 on
    // 2 cores): then the refusal names the budget that would do, and the test runs with that (at most 6 minutes).
    let budget = 120;
    const study = join(out, 'study');
    const args = () => ['auto', dataset, '--time', `${budget}s`, '-o', out, '--no-progress'];
    /** The run, once its search has finished a trial (null: it exited first). */
    const untilFirstTrial = async (run: ReturnType<typeof hnas>) => {
      let exited = false;
      void run.exit.then(() => (exited = true));
      while (!exited && (await completeTrials(study)) < 1) await new Promise((r) => setTimeout(r, 200));
      return exited ? null : run;
    };
    let first = hnas(args());
    // Refused: the named budget plus a minute (the next timing may measure a slower moment), at most twice.
    for (let refusals = 0; (await untilFirstTrial(first)) === null; refusals++) {
      const refused = await first.exit;
      expect(refused.code, refused.stderr).toBe(2);
      expect(existsSync(out)).toBe(false);
      expect(refusals).toBeLessThan(2);
      budget = Math.max(budget, 60 * Number(/give at least --time (\d+)m/.exec(refused.stderr)![1]) + 60);
      console.log(`hnas auto: refused on this loaded machine (${refused.stderr.trim().split('\n').at(-1)}); testing with ${budget} s`);
      expect(budget).toBeLessThanOrEqual(360);
      first = hnas(args());
    }
    first.child.kill('SIGINT');
    const a = await first.exit;
    expect(a.code, a.stderr).toBe(130);
    expect(a.stderr).toMatch(/stopping after saving/);
    const state1 = JSON.parse(readFileSync(join(out, 'auto.json'), 'utf8'));
    expect(state1.settings.search.approach).toBe('hpo_hnas');
    expect(state1.spentSeconds).toBeGreaterThan(0);
    const kept = (await loadStudy(study, 'hpo_hnas')).trials.filter((t) => t.status === 'complete');
    expect(kept.length).toBeGreaterThanOrEqual(1);

    // Another --time is refused, naming the flag.
    const other = await runCli('auto', dataset, '--time', `${budget + 60}s`, '-o', out, '--no-progress');
    expect(other.code).toBe(2);
    expect(other.err).toMatch(/--time differs/);
    const otherPrior = await runCli('auto', dataset, '--time', `${budget}s`, '--prior', 'nnunet', '-o', out, '--no-progress');
    expect(otherPrior.code).toBe(2);
    expect(otherPrior.err).toMatch(/--prior differs from the run this folder continues \(null there, "nnunet" now\)/);

    const second = hnas(args());
    const b = await second.exit;
    expect(b.code, b.stderr).toBe(0);
    const state = JSON.parse(readFileSync(join(out, 'auto.json'), 'utf8'));
    // The budget holds over both runs: what they spent, and their wall clock (process start-up included).
    const margin = overrunMargin(budget);
    expect(state.settings.marginSeconds).toBe(margin);
    expect(state.spentSeconds).toBeLessThanOrEqual(budget + margin);
    console.log(`hnas auto ${budget} s: runs ${a.seconds.toFixed(1)} + ${b.seconds.toFixed(1)} s, spent ${state.spentSeconds.toFixed(1)} s, phases ${JSON.stringify(state.phases)}`);
    expect(a.seconds + b.seconds).toBeLessThanOrEqual(budget + margin);
    // The interrupted search continued: its finished trials are still there, unchanged.
    const trials = (await loadStudy(study, 'hpo_hnas')).trials;
    for (const t of kept) expect(trials.find((x) => x.key === t.key)).toMatchObject({ status: 'complete', loss: t.loss, attempt: t.attempt });
    expect(state.search.done).toBe(true);
    expect(state.final.folds[0].epochs).toBeGreaterThanOrEqual(1);
    expect(state.final.folds[0].dice).toBeGreaterThan(0);
    expect(typeof state.tta.mirror).toBe('boolean');

    for (const f of ['model/fold_0/model.onnx', 'model/plans.json', 'export/model.onnx', 'export/README.md', 'export/inference.json', 'report.md', 'summary.md', 'search-report/report.md'])
      expect(existsSync(join(out, f)), f).toBe(true);
    const summary = readFileSync(join(out, 'summary.md'), 'utf8');
    expect(summary.trim().split('\n')).toHaveLength(1);
    expect(summary).toMatch(/Regularized PriorBand/);
    expect(state.settings.search.prior).toBe('short-schedule'); // a two-minute final training is far below nnU-Net's schedule
    expect(summary).toMatch(/around the short-schedule prior/);
    expect(summary).toContain(state.search.incumbent.key);
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toMatch(/Where the time went/);
    // The final training's log: the epochs it ran, the LR schedule spanning them (the last epoch's LR is the schedule's last value).
    const log = readFileSync(join(out, 'model', 'fold_0', 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(log).toHaveLength(state.final.folds[0].epochs);

    // The model folder segments new images.
    const images = join(dir, 'images');
    mkdirSync(images);
    const firstImage = readdirSync(join(dataset, 'imagesTr')).sort()[0]!;
    copyFileSync(join(dataset, 'imagesTr', firstImage), join(images, firstImage));
    const pred = await runCli('predict', join(out, 'model'), images, '-o', join(dir, 'pred'), '--no-progress', ...(state.tta.mirror ? ['--mirror'] : []));
    expect(pred.code, pred.err).toBe(0);
    expect(readdirSync(join(dir, 'pred')).filter((f) => !f.startsWith('.'))).toEqual([firstImage]);

    // A rerun of a finished run changes nothing and ends at once.
    const again = await runCli('auto', dataset, '--time', `${budget}s`, '-o', out, '--no-progress', '--json');
    expect(again.code, again.err).toBe(0);
    expect(JSON.parse(again.out).final).toEqual(state.final);
  }, 900_000);
});
