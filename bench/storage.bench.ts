/**
 * `npm run bench -- storage`: ask + tell latency (p50, p99) and worker idle fraction with 1, 4 and 8
 * workers, PostgreSQL (a throw-away local server, test/helpers/postgres.ts) vs SQLite (a file).
 * Workers are concurrent Study loops in this process, each with its own connection; the objective
 * sleeps 20 ms per evaluation. Idle = the share of the workers' wall time not spent in the
 * objective (asking, telling, and waiting for other workers' results at a rung).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Objective } from '../src/optimize/objective.js';
import { PostgresStorage } from '../src/optimize/postgres-storage.js';
import { SqliteStorage } from '../src/optimize/sqlite-storage.js';
import type { StudyStorage } from '../src/optimize/storage.js';
import { Study } from '../src/optimize/study.js';
import { syntheticObjective, syntheticSpace } from '../src/optimize/synthetic.js';
import { startPostgres } from '../test/helpers/postgres.js';

const EVAL_MS = 20;
const settings = { algorithm: 'hyperband' as const, space: syntheticSpace('good'), seed: 3, minBudget: 1, maxBudget: 81, eta: 3 };

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};

async function measure(open: () => StudyStorage, workers: number) {
  const asks: number[] = [];
  const tells: number[] = [];
  let busy = 0;
  const storages = Array.from({ length: workers }, open);
  const inner = syntheticObjective({});
  const objective: Objective = async (job, t) => {
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, EVAL_MS));
    const r = await inner(job, t);
    busy += performance.now() - t0;
    return r;
  };
  const studies = await Promise.all(storages.map((storage) => Study.open({ storage, name: 'bench', settings })));
  const start = performance.now();
  await Promise.all(
    studies.map(async (study) => {
      for (;;) {
        let t0 = performance.now();
        const step = await study.ask();
        asks.push(performance.now() - t0);
        if (step.kind === 'done') return;
        if (step.kind === 'wait') {
          await new Promise((r) => setTimeout(r, 5));
          continue;
        }
        const result = await objective(step.job, { dir: null, previousCheckpoint: step.job.checkpoint, signal: new AbortController().signal, log: () => undefined });
        t0 = performance.now();
        await study.tell(step.job, result);
        tells.push(performance.now() - t0);
      }
    }),
  );
  const wall = performance.now() - start;
  const evaluations = (await studies[0]!.trials()).length;
  await Promise.all(storages.map((s) => s.close()));
  return { evaluations, ask50: quantile(asks, 0.5), ask99: quantile(asks, 0.99), tell50: quantile(tells, 0.5), tell99: quantile(tells, 0.99), idle: 1 - busy / (wall * workers), wall };
}

export async function run(): Promise<void> {
  const pg = await startPostgres();
  if (!pg.server) {
    console.log(`PostgreSQL not measured: ${pg.reason}`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'hnas-bench-storage-'));
  let n = 0;
  const fmt = (x: number) => x.toFixed(2).padStart(7);
  console.log('backend     workers  evals  ask p50  ask p99  tell p50  tell p99  idle   wall s   (ms)');
  try {
    for (const workers of [1, 4, 8]) {
      const backends: [string, () => Promise<() => StudyStorage>][] = [
        ['sqlite', async () => { const f = join(dir, `b${n++}.db`); return () => new SqliteStorage(f); }],
        ...(pg.server ? [['postgresql', async () => { const url = await pg.server!.freshDatabase(); return () => new PostgresStorage(url); }] as [string, () => Promise<() => StudyStorage>]] : []),
      ];
      for (const [name, make] of backends) {
        const r = await measure(await make(), workers);
        console.log(`${name.padEnd(11)} ${String(workers).padStart(7)} ${String(r.evaluations).padStart(6)} ${fmt(r.ask50)}  ${fmt(r.ask99)}  ${fmt(r.tell50)}   ${fmt(r.tell99)}  ${(100 * r.idle).toFixed(0).padStart(3)} %  ${(r.wall / 1000).toFixed(1).padStart(6)}`);
      }
    }
  } finally {
    pg.server?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
