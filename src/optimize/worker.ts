/**
 * Worker identity and liveness. A worker id is `host/pid/nonce`. A running trial is
 * stale (its worker is gone) when the worker ran on this host and its process no
 * longer exists, or when its heartbeat is older than `staleAfterMs` (other hosts).
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { TrialRecord } from './trial.js';

export function newWorkerId(): string {
  return `${hostname()}/${process.pid}/${randomBytes(4).toString('hex')}`;
}

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
