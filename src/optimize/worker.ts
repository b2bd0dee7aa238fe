/**
 * Worker identity and liveness. A worker id is `host/pid/nonce`. A running trial is
 * stale (its worker is gone) when the worker ran on this host and its process no
 * longer exists, or when its heartbeat is older than `staleAfterMs` (other hosts).
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { TrialRecord } from './trial.js';

/** `run` (a runId) makes the id say which command's run it belongs to (see ranIn). */
export function newWorkerId(run?: string): string {
  const nonce = randomBytes(4).toString('hex');
  return `${hostname()}/${process.pid}/${run === undefined ? nonce : `${run}.${nonce}`}`;
}

/** An id for one command's run, shared by the workers it starts. */
export const newRunId = (): string => randomBytes(6).toString('hex');

/** Did a worker of run `run` claim this trial? */
export const ranIn = (t: TrialRecord, run: string): boolean => (t.worker.split('/')[2] ?? '').startsWith(`${run}.`);

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

/** A predicate for `nextStep`: is this running trial's worker gone? */
export function staleness(self: string, staleAfterMs: number, now: () => number = Date.now): (t: TrialRecord) => boolean {
  const host = hostname();
  return (t) => {
    if (t.worker === self) return false;
    const [h, pid] = t.worker.split('/');
    if (h === host && pid !== undefined && /^\d+$/.test(pid) && !processAlive(Number(pid))) return true;
    return now() - t.heartbeatAt > staleAfterMs;
  };
}
