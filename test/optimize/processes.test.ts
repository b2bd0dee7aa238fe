/**
 * Studies across processes: a worker killed with SIGKILL at random moments and
 * restarted, and several worker processes sharing one SQLite study.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { MemoryStorage } from '../../src/optimize/memory-storage.js';
import { SqliteStorage } from '../../src/optimize/sqlite-storage.js';
import { Study } from '../../src/optimize/study.js';
import { benchmarkSurface, syntheticObjective, syntheticSpace } from '../../src/optimize/synthetic.js';
import { Rng } from '../../src/util/rng.js';
import { FIXTURE_BUDGETS } from './fixtures/budgets.js';
import { decisions, expectScheduleRules } from './rules.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'hnas-proc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function startWorker(db: string, seed: number, sleepMs: number, log: string, ready: string[] = []): { child: ChildProcess; exit: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'fixtures', 'worker.ts'), db, 'priorband', String(seed), String(sleepMs), log, ...ready], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const exit = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      if (code !== 0 && code !== null) console.error(stderr);
      resolve(code);
    }),
  );
  return { child, exit };
}

/** The same study run uninterrupted in this process. */
async function uninterrupted(seed: number) {
  const storage = new MemoryStorage();
  const study = await Study.open({ storage, name: 'kill', settings: { algorithm: 'priorband', space: syntheticSpace('good'), seed, ...FIXTURE_BUDGETS } });
  await study.optimize(syntheticObjective({ surface: benchmarkSurface(FIXTURE_BUDGETS.minBudget, FIXTURE_BUDGETS.maxBudget) }));
  return { settings: study.settings, trials: await study.trials() };
}

const starts = (log: string) =>
  readFileSync(log, 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.split(' '))
    .map(([key, attempt, pid]) => ({ key: key!, attempt: Number(attempt), pid: Number(pid) }));

describe('studies across processes', () => {
  it('kill -9 at random moments, then resume: no trial lost, none run twice, same decisions', async () => {
    const db = join(dir, 'kill.db');
    const log = join(dir, 'kill.log');
    const rng = Rng.seeded(2024);
    let kills = 0;
    for (let i = 0; i < 4; i++) {
      const w = startWorker(db, 4, 30, log);
      // Kill at a random moment after this worker has started evaluating (mid-trial or between trials).
      const before = existsSync(log) ? starts(log).length : 0;
      const deadline = Date.now() + 10_000;
      while ((existsSync(log) ? starts(log).length : 0) === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      await new Promise((r) => setTimeout(r, rng.float() * 300));
      if (w.child.kill('SIGKILL')) kills++;
      await w.exit;
    }
    const last = startWorker(db, 4, 0, log);
    expect(await last.exit).toBe(0);
    expect(kills).toBe(4);

    const storage = new SqliteStorage(db);
    const trials = await storage.trials('kill');
    await storage.close();
    const reference = await uninterrupted(4);
    expect(decisions(trials)).toEqual(decisions(reference.trials));
    expectScheduleRules(reference.settings, trials);
    // Every evaluation start is one claim: a trial restarts only under a new claim (after its worker died).
    const started = starts(log);
    const claims = new Set(started.map((s) => `${s.key}#${s.attempt}`));
    expect(claims.size).toBe(started.length);
    for (const t of trials) expect(started.filter((s) => s.key === t.key)).toHaveLength(t.attempt + 1);
    // The kills did interrupt evaluations, which were re-claimed and finished by later workers.
    expect(trials.some((t) => t.attempt > 0)).toBe(true);
  }, 90_000);

  it('three worker processes share one study: the schedule\'s rules hold, a single worker\'s decisions, nothing evaluated twice', async () => {
    const db = join(dir, 'shared.db');
    const log = join(dir, 'shared.log');
    // Create the study first so the workers race only for trials.
    const storage = new SqliteStorage(db);
    await Study.open({ storage, name: 'kill', settings: { algorithm: 'priorband', space: syntheticSpace('good'), seed: 8, ...FIXTURE_BUDGETS } });
    const workers = [0, 1, 2].map(() => startWorker(db, 8, 8, log, [join(dir, 'shared.ready'), '3']));
    expect(await Promise.all(workers.map((w) => w.exit))).toEqual([0, 0, 0]);
    const trials = await storage.trials('kill');
    await storage.close();
    const reference = await uninterrupted(8);
    expectScheduleRules(reference.settings, trials);
    // PriorBand with three racing processes makes the decisions of one worker in one process.
    expect(decisions(trials)).toEqual(decisions(reference.trials));
    expect(trials).toHaveLength(66);
    expect(trials.every((t) => t.attempt === 0)).toBe(true);
    const started = starts(log);
    expect(started).toHaveLength(66);
    expect(new Set(started.map((s) => s.key)).size).toBe(66);
    expect(new Set(started.map((s) => s.pid)).size).toBeGreaterThan(1);
  }, 90_000);
});
