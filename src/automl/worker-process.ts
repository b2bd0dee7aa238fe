/**
 * Extra worker processes for `hnas optimize --workers N`. Each is a plain Node process
 * running worker-main.ts over the same SQLite study: the storage's compare-and-set claims
 * keep them from running a trial twice, and a dead worker's trial is re-claimed.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { WorkerArgs } from './driver.js';

export interface WorkerHandle {
  readonly child: ChildProcess;
  /** Exit code (130 after an interrupt; signals map to 128 + n). */
  readonly exit: Promise<number>;
  /** Ask it to stop after saving (SIGINT). */
  interrupt(): void;
  /** Stop it now (it is gone only if still running). */
  kill(): void;
}

const SIGNALS: Record<string, number> = { SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };

export function spawnWorker(dir: string, args: WorkerArgs): WorkerHandle {
  // Absolute loader and entry paths: the user's working directory need not be this package.
  const tsx = import.meta.resolve('tsx');
  const entry = fileURLToPath(new URL('./worker-main.ts', import.meta.url));
  // The IPC channel is the worker's lifeline: it closes when this process dies, even by kill -9.
  const child = spawn(process.execPath, ['--import', tsx, entry, dir, JSON.stringify(args)], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  child.channel?.unref();
  const exit = new Promise<number>((resolve) => child.on('exit', (code, signal) => resolve(code ?? 128 + (SIGNALS[signal ?? ''] ?? 0))));
  return {
    child,
    exit,
    interrupt: () => void (child.exitCode === null && child.kill('SIGINT')),
    kill: () => void (child.exitCode === null && child.signalCode === null && child.kill('SIGKILL')),
  };
}
