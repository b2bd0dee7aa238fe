/**
 * Studies across machines, on a real PostgreSQL server (test/helpers/postgres.ts): `hnas worker`
 * processes killed with SIGKILL and restarted while the server restarts once (the small
 * version; the full-size one is distributed.slow.test.ts), storage URLs on the CLI, and
 * determinism of concurrent workers.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadStudy } from '../../src/automl/load.js';
import { parseSlurmTime } from '../../src/automl/slurm.js';
import { PostgresStorage } from '../../src/optimize/postgres-storage.js';
import { Study } from '../../src/optimize/study.js';
import { syntheticObjective, syntheticSpace } from '../../src/optimize/synthetic.js';
import { runCli } from '../helpers/cli.js';
import { decisions } from '../optimize/rules.js';
import { startPostgres } from '../helpers/postgres.js';
import { expectNothingLost } from './fault-checks.js';
import { type FaultPlan, faultRun, flags } from './fault-scenario.js';
import { writeTinyDataset } from './fixtures/dataset.js';

const pg = await startPostgres();
const dir = mkdtempSync(join(tmpdir(), 'hnas-distributed-'));
const dataset = join(dir, 'Tiny');
beforeAll(() => writeTinyDataset(dataset));
afterAll(() => {
  pg.server?.stop();
  rmSync(dir, { recursive: true, force: true });
});
const quiet = { warn: () => undefined };

describe('hnas slurm without a server', () => {
  it('SLURM times parse as sbatch reads them', () => {
    expect([parseSlurmTime('90'), parseSlurmTime('10:30'), parseSlurmTime('01:02:03'), parseSlurmTime('2-00:00:10'), parseSlurmTime('1-2')]).toEqual([5400, 630, 3723, 172810, 93600]);
    expect(() => parseSlurmTime('1h')).toThrow(/HH:MM:SS/);
  });

  it('refuses several workers on a SQLite study (machines cannot share it)', async () => {
    const s = join(dir, 'sqlite-slurm');
    expect((await runCli('optimize', dataset, '--approach', 'hpo', '--study', s, ...flags({ workers: 1, kills: 0, maxEpochs: 3, delayMs: 0, seed: 1 }), '--max-trials', '1')).code).toBe(0);
    const r = await runCli('slurm', s, '--workers', '4');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/SQLite.*cannot share.*postgresql:\/\//);
  });
});

if (!pg.server) describe('studies across machines (PostgreSQL)', () => it.skip(`skipped: ${pg.reason}`, () => undefined));
else {
  const server = pg.server;
  describe('studies across machines (PostgreSQL)', () => {
    it('3 hnas workers, 5 kill -9s with restarts, a server restart: every slot completed once, the incumbent the best', async () => {
      const plan: FaultPlan = { workers: 3, kills: 5, maxEpochs: 27, delayMs: 80, seed: 5 };
      // The slots of the schedule: a single worker's run of the same study (SQLite).
      const ref = join(dir, 'ref');
      const single = await runCli('optimize', dataset, '--approach', 'hpo', '--study', ref, ...flags(plan), '--json');
      expect(single.code, single.err).toBe(0);
      const slots = (await loadStudy(ref, 'hpo')).trials;
      expect(slots.length).toBeGreaterThanOrEqual(60);
      const run = await faultRun(server, dataset, join(dir, 'fault'), plan);
      expectNothingLost(run, plan, slots);
    }, 180_000);

    it('report, incumbent and study read a PostgreSQL study through --storage; a bad URL is a usage error', async () => {
      const url = await server.freshDatabase();
      const s = join(dir, 'cli');
      const r = await runCli('optimize', dataset, '--approach', 'hpo', '--study', s, '--storage', url, ...flags({ workers: 1, kills: 0, maxEpochs: 9, delayMs: 0, seed: 1 }), '--json');
      expect(r.code, r.err).toBe(0);
      const inc = JSON.parse((await runCli('incumbent', s, '--storage', url, '--json')).out);
      const shown = JSON.parse((await runCli('study', 'show', 'hpo', '--storage', url, '--json')).out);
      expect(inc.trial.key).toBe(shown.incumbent.key);
      expect(shown.trials).toHaveLength(21);
      // hnas worker finds the storage in study.json: nothing is left to do
      const w = await runCli('worker', s, '--json');
      expect(w.code, w.err).toBe(0);
      expect(JSON.parse(w.out)).toMatchObject({ evaluated: 0, stopped: 'done' });
      const bad = await runCli('report', s, '--storage', 'mysql://x@h/db');
      expect(bad.code).toBe(2);
      expect(bad.err).toMatch(/unknown scheme 'mysql:\/\/'/);
    }, 120_000);

    it('hnas slurm writes a job array of hnas workers; bash -n accepts it and one array task run here finishes the study', async () => {
      const url = await server.freshDatabase();
      const s = join(dir, 'slurm');
      expect((await runCli('optimize', dataset, '--approach', 'hpo', '--study', s, '--storage', url, ...flags({ workers: 1, kills: 0, maxEpochs: 9, delayMs: 0, seed: 2 }), '--max-trials', '1')).code).toBe(0);
      const file = join(dir, 'job.sbatch');
      const r = await runCli('slurm', s, '--workers', '6', '--time', '02:00:00', '--partition', 'gpu', '--device', 'cpu', '-o', file);
      expect(r.code, r.err).toBe(0);
      const script = readFileSync(file, 'utf8');
      expect(script).toMatch(/^#SBATCH --array=0-5$/m);
      expect(script).toMatch(/^#SBATCH --gres=gpu:1$/m);
      expect(script).toMatch(/^#SBATCH --time=02:00:00$/m);
      expect(script).toMatch(/^#SBATCH --partition=gpu$/m);
      expect(script).toMatch(/^exec "\$\{HNAS\[@\]\}" worker .* --time-limit 6960s$/m);
      execFileSync('bash', ['-n', file]);
      // One array task, run here as SLURM would run it on a node.
      execFileSync('bash', [file], { env: { ...process.env, SLURM_ARRAY_TASK_ID: '0' }, stdio: 'pipe', timeout: 100_000 });
      const trials = (await loadStudy(s, 'hpo', url)).trials;
      expect(trials.filter((t) => t.status === 'complete')).toHaveLength(21);
    }, 120_000);

    for (const algorithm of ['hyperband', 'priorband', 'regularized-priorband'] as const)
      it(`determinism: 4 concurrent workers make the decisions of a single worker (${algorithm}, same seed and objective)`, async () => {
        const settings = { algorithm, space: syntheticSpace('good'), seed: 11, minBudget: 1, maxBudget: 27, eta: 3 };
        const run = async (workers: number) => {
          const storage = new PostgresStorage(await server.freshDatabase(), quiet);
          const studies = await Promise.all(Array.from({ length: workers }, () => Study.open({ storage, name: 'd', settings })));
          const objective = syntheticObjective({});
          // Random per-trial delays so the workers interleave differently from the single one.
          await Promise.all(studies.map((s, i) => s.optimize(async (job, t) => (await new Promise((r) => setTimeout(r, (job.number * 7 + i * 3) % 11)), objective(job, t)), { pollMs: 5 })));
          const trials = await studies[0]!.trials();
          await storage.close();
          return { decisions: decisions(trials), workers: new Set(trials.map((t) => t.worker)).size };
        };
        const one = await run(1);
        const four = await run(4);
        expect(four.decisions).toEqual(one.decisions);
        expect(four.workers).toBeGreaterThan(1);
        expect(one.decisions.length).toBeGreaterThan(40);
      }, 120_000);
  });
}
