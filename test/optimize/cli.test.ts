import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteStorage } from '../../src/optimize/sqlite-storage.js';
import { Study } from '../../src/optimize/study.js';
import { benchmarkSurface, syntheticObjective, syntheticSpace } from '../../src/optimize/synthetic.js';
import { runCli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'hnas-cli-'));
const db = join(dir, 'studies.db');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cli = runCli;

beforeAll(async () => {
  const storage = new SqliteStorage(db);
  const study = await Study.open({ storage, name: 'demo', settings: { algorithm: 'regularized-priorband', space: syntheticSpace('good'), minBudget: 1, maxBudget: 27 } });
  let n = 0;
  await study.optimize(async (job, trial) => (++n % 10 === 0 ? { loss: NaN, cost: 1 } : syntheticObjective({ surface: benchmarkSurface(1, 27) })(job, trial)));
  await storage.close();
});

describe('hnas brackets', () => {
  it('prints the reference schedule', async () => {
    const { code, out } = await cli('brackets', '--min-epochs', '10', '--max-epochs', '1000', '--eta', '3');
    expect(code).toBe(0);
    expect(out).toMatch(/81@12 {2}27@37 {2}9@111 {2}3@333 {2}1@1000/);
    expect(out).toMatch(/5 brackets, 128 new configurations, 187 evaluations, 21,000 epochs/);
    expect(out).toMatch(/22,000 epochs \(18,308 with continuation\)/);
  });
  it('--json gives the totals', async () => {
    const { out } = await cli('brackets', '--min-epochs', '10', '--max-epochs', '1000', '--json');
    expect(JSON.parse(out).totals).toMatchObject({ brackets: 5, newConfigs: 128, evaluations: 187, nominalEpochs: 21000 });
  });
  it('usage errors exit 2', async () => {
    expect((await cli('brackets', '--min-epochs', '100', '--max-epochs', '10')).code).toBe(2);
    expect((await cli('brackets', '--min-epochs', 'ten', '--max-epochs', '10')).code).toBe(2);
    expect((await cli('brackets', '--max-epochs', '10')).code).toBe(2);
  });
  it('the old spellings --min/--max still work for one release, hidden from help, with a warning', async () => {
    const old = await cli('brackets', '--min', '10', '--max', '1000', '--json');
    expect(old.code).toBe(0);
    expect(JSON.parse(old.out).totals.evaluations).toBe(187);
    expect(old.err).toMatch(/--min is now --min-epochs/);
    expect((await cli('brackets', '--min', 'ten', '--max', '10')).code).toBe(2);
    const help = await cli('brackets', '--help');
    expect(help.out).toMatch(/--min-epochs/);
    expect(help.out).not.toMatch(/--min </);
  });
});

describe('hnas study', () => {
  it('show: counts, incumbent, Pareto front', async () => {
    const { code, out } = await cli('study', 'show', db, '--name', 'demo');
    expect(code).toBe(0);
    expect(out).toMatch(/66 \(\d+ complete, [1-9]\d* failed, 0 running\)/);
    expect(out).toMatch(/incumbent \(best loss\): trial \d+/);
    expect(out).toMatch(/Pareto front \(loss, cost\): \d+ trials/);
  });
  it('export json: the incumbent is the best loss and the front is non-dominated', async () => {
    const { out } = await cli('study', 'export', db);
    const r = JSON.parse(out);
    const complete = r.trials.filter((t: { status: string }) => t.status === 'complete');
    expect(r.incumbent.loss).toBe(Math.min(...complete.map((t: { loss: number }) => t.loss)));
    for (const p of r.paretoFront)
      expect(complete.some((q: { loss: number; cost: number }) => q.loss <= p.loss && q.cost <= p.cost && (q.loss < p.loss || q.cost < p.cost))).toBe(false);
    expect(r.trials.filter((t: { status: string; loss: number }) => t.status === 'failed').every((t: { loss: number }) => t.loss === 1)).toBe(true);
  });
  it('export csv --out writes one row per trial with a column per hyperparameter', async () => {
    const out = join(dir, 'demo.csv');
    expect((await cli('study', 'export', db, '--csv', '-o', out)).code).toBe(0);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(67);
    expect(lines[0]).toMatch(/^number,key,.*,config\.x1,config\.x2,config\.x3,config\.x4,config\.lr,config\.cat,config\.units$/);
    const head = lines[0]!.split(',');
    const rows = lines.slice(1).map((l) => l.split(','));
    expect(rows.every((r) => r.length === head.length)).toBe(true);
    expect(rows.filter((r) => r[head.indexOf('incumbent')] === '1')).toHaveLength(1);
    expect(rows.filter((r) => r[head.indexOf('status')] === 'failed').every((r) => r[head.indexOf('loss')] === '1')).toBe(true);
  });
  it('a missing database or study is an error naming it; a bad format is a usage error', async () => {
    const missing = await cli('study', 'show', join(dir, 'nope.db'));
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/nope\.db/);
    const unknown = await cli('study', 'show', db, '--name', 'other');
    expect(unknown.code).toBe(1);
    expect(unknown.err).toMatch(/no study named 'other' \(studies: demo\)/);
    expect((await cli('study', 'export', db, '--json', '--csv')).code).toBe(2);
    expect((await cli('study', 'list', db)).out.trim()).toBe('demo');
    expect(JSON.parse((await cli('study', 'list', db, '--json')).out)).toEqual([{ db, studies: ['demo'] }]);
  });
  it('the old forms (--db FILE NAME, --format, --out) still work for one release', async () => {
    const show = await cli('study', 'show', 'demo', '--db', db);
    expect(show.code).toBe(0);
    expect(show.out).toMatch(/study 'demo'/);
    expect(show.err).toMatch(/--db is now the first argument/);
    const out = join(dir, 'old.csv');
    expect((await cli('study', 'export', 'demo', '--db', db, '--format', 'csv', '--out', out)).code).toBe(0);
    expect(readFileSync(out, 'utf8').trim().split('\n')).toHaveLength(67);
    expect((await cli('study', 'export', 'demo', '--db', db, '--format', 'xml')).code).toBe(2);
    expect((await cli('study', 'list', '--db', db)).out.trim()).toBe('demo');
  });
  it('a bare `study list` reads every studies/<dataset>/study.db of the working folder, or says what to pass', async () => {
    const cwd = process.cwd();
    const here = mkdtempSync(join(tmpdir(), 'hnas-cwd-'));
    try {
      process.chdir(here);
      const none = await cli('study', 'list');
      expect(none.code).toBe(2);
      expect(none.err).toMatch(/pass a study folder/);
      mkdirSync(join(here, 'studies', 'Task04'), { recursive: true });
      copyFileSync(db, join(here, 'studies', 'Task04', 'study.db'));
      const found = await cli('study', 'list');
      expect(found.code).toBe(0);
      expect(found.out.trim()).toBe('demo');
    } finally {
      process.chdir(cwd);
      rmSync(here, { recursive: true, force: true });
    }
  });
});
