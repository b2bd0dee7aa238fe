import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
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
    const { code, out } = await cli('brackets', '--min', '10', '--max', '1000', '--eta', '3');
    expect(code).toBe(0);
    expect(out).toMatch(/81@12 {2}27@37 {2}9@111 {2}3@333 {2}1@1000/);
    expect(out).toMatch(/5 brackets, 128 new configurations, 187 evaluations, 21,000 epochs/);
    expect(out).toMatch(/22,000 epochs \(18,308 with continuation\)/);
  });
  it('--json gives the totals', async () => {
    const { out } = await cli('brackets', '--min', '10', '--max', '1000', '--json');
    expect(JSON.parse(out).totals).toMatchObject({ brackets: 5, newConfigs: 128, evaluations: 187, nominalEpochs: 21000 });
  });
  it('usage errors exit 2', async () => {
    expect((await cli('brackets', '--min', '100', '--max', '10')).code).toBe(2);
    expect((await cli('brackets', '--min', 'ten', '--max', '10')).code).toBe(2);
    expect((await cli('brackets', '--max', '10')).code).toBe(2);
  });
});

describe('hnas study', () => {
  it('show: counts, incumbent, Pareto front', async () => {
    const { code, out } = await cli('study', 'show', 'demo', '--db', db);
    expect(code).toBe(0);
    expect(out).toMatch(/66 \(\d+ complete, [1-9]\d* failed, 0 running\)/);
    expect(out).toMatch(/incumbent \(best loss\): trial \d+/);
    expect(out).toMatch(/Pareto front \(loss, cost\): \d+ trials/);
  });
  it('export json: the incumbent is the best loss and the front is non-dominated', async () => {
    const { out } = await cli('study', 'export', 'demo', '--db', db);
    const r = JSON.parse(out);
    const complete = r.trials.filter((t: { status: string }) => t.status === 'complete');
    expect(r.incumbent.loss).toBe(Math.min(...complete.map((t: { loss: number }) => t.loss)));
    for (const p of r.paretoFront)
      expect(complete.some((q: { loss: number; cost: number }) => q.loss <= p.loss && q.cost <= p.cost && (q.loss < p.loss || q.cost < p.cost))).toBe(false);
    expect(r.trials.filter((t: { status: string; loss: number }) => t.status === 'failed').every((t: { loss: number }) => t.loss === 1)).toBe(true);
  });
  it('export csv --out writes one row per trial with a column per hyperparameter', async () => {
    const out = join(dir, 'demo.csv');
    expect((await cli('study', 'export', 'demo', '--db', db, '--format', 'csv', '--out', out)).code).toBe(0);
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
    const missing = await cli('study', 'show', 'demo', '--db', join(dir, 'nope.db'));
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/nope\.db/);
    const unknown = await cli('study', 'show', 'other', '--db', db);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toMatch(/no study named 'other' \(studies: demo\)/);
    expect((await cli('study', 'export', 'demo', '--db', db, '--format', 'xml')).code).toBe(2);
    expect((await cli('study', 'list', '--db', db)).out.trim()).toBe('demo');
  });
});
