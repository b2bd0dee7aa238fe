/**
 * The fault scenario of studies across machines, shared by the default suite (small) and the
 * slow tier (full size): `hnas worker` processes on one PostgreSQL study (synthetic objective),
 * killed with SIGKILL at random moments and restarted, and the database server restarted once
 * mid-study. Returns what the checks need; the callers assert.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { loadStudy } from '../../src/automl/load.js';
import type { TrialRecord } from '../../src/optimize/trial.js';
import { Rng } from '../../src/util/rng.js';
import { runCli } from '../helpers/cli.js';
import type { PostgresServer } from '../helpers/postgres.js';

export interface FaultPlan {
  readonly workers: number;
  readonly kills: number;
  readonly maxEpochs: number;
  readonly delayMs: number;
  readonly seed: number;
}

export interface FaultRun {
  readonly trials: readonly TrialRecord[];
  readonly kills: number;
  /** Exit codes of the workers that were not killed. */
  readonly exits: number[];
  readonly stderr: string;
  readonly incumbentKey: string;
}

const root = join(import.meta.dirname, '..', '..');
export const flags = (p: FaultPlan) => ['--min-epochs', '1', '--max-epochs', String(p.maxEpochs), '--eta', '3', '--folds', '0', '--iterations-per-epoch', '1', '--objective', 'synthetic', '--no-progress', '--seed', String(p.seed)];

interface Worker {
  child: ChildProcess;
  exit: Promise<number>;
  killed: boolean;
}

export async function faultRun(server: PostgresServer, dataset: string, study: string, plan: FaultPlan): Promise<FaultRun> {
  const url = await server.freshDatabase();
  // Create the study (one evaluation: the default), then let the workers do the rest.
  const created = await runCli('optimize', dataset, '--approach', 'hpo', '--study', study, '--storage', url, ...flags(plan), '--max-trials', '1', '--json');
  if (created.code !== 0) throw new Error(`hnas optimize failed: ${created.err}`);
  let stderr = '';
  const start = (): Worker => {
    const child = spawn(process.execPath, [join(root, 'bin', 'hnas.mjs'), 'worker', study, '--delay-ms', String(plan.delayMs), '--heartbeat', '0.2s'], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr!.on('data', (d) => (stderr += d));
    const w: Worker = { child, killed: false, exit: new Promise((resolve) => child.on('exit', (code) => resolve(code ?? 137))) };
    return w;
  };
  const workers = Array.from({ length: plan.workers }, start);
  const rng = Rng.seeded(plan.seed);
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const running = () => workers.filter((w) => w.child.exitCode === null && w.child.signalCode === null && !w.killed);
  let kills = 0;
  // Kill only once the workers are at work (their start-up is slow on a loaded machine).
  while ((await loadStudy(study, 'hpo', url)).trials.length < 1 + plan.workers) await sleep(100);
  // The server restarts while the first workers are busy (later ones may still be starting up).
  server.halt();
  await sleep(1000);
  server.start();
  while (kills < plan.kills && running().length > 0) {
    await sleep(200 + rng.float() * 800);
    const alive = running();
    if (alive.length === 0) break;
    const victim = alive[rng.int(alive.length)]!;
    victim.killed = true;
    victim.child.kill('SIGKILL');
    kills++;
    workers.push(start());
  }
  const exits = await Promise.all(workers.filter((w) => !w.killed).map((w) => w.exit));
  const trials = (await loadStudy(study, 'hpo', url)).trials;
  const inc = await runCli('incumbent', study, '--storage', url, '--json');
  return { trials, kills, exits, stderr, incumbentKey: JSON.parse(inc.out).trial.key };
}
