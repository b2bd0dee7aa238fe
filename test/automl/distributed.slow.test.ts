/** The full-size fault run (slow tier): 8 `hnas worker`s, 570 evaluations, 20+ kill -9s, a PostgreSQL restart. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadStudy } from '../../src/automl/load.js';
import { runCli } from '../helpers/cli.js';
import { startPostgres } from '../helpers/postgres.js';
import { expectNothingLost } from './fault-checks.js';
import { type FaultPlan, faultRun, flags } from './fault-scenario.js';
import { writeTinyDataset } from './fixtures/dataset.js';

const pg = await startPostgres();
const dir = mkdtempSync(join(tmpdir(), 'hnas-distributed-slow-'));
afterAll(() => {
  pg.server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!pg.server)(`studies across machines, full size${pg.server ? '' : ` (skipped: ${pg.reason})`}`, () => {
  it('8 workers, >= 300 evaluations, >= 20 kill -9s, the server restarted once: nothing lost, duplicated or left running', async () => {
    const plan: FaultPlan = { workers: 8, kills: 20, maxEpochs: 243, delayMs: 15, seed: 9 };
    const dataset = join(dir, 'Tiny');
    writeTinyDataset(dataset);
    const ref = join(dir, 'ref');
    expect((await runCli('optimize', dataset, '--approach', 'hpo', '--study', ref, ...flags(plan))).code).toBe(0);
    const slots = (await loadStudy(ref, 'hpo')).trials;
    expect(slots.length).toBeGreaterThanOrEqual(300);
    expectNothingLost(await faultRun(pg.server!, dataset, join(dir, 'fault'), plan), plan, slots);
  });
});
