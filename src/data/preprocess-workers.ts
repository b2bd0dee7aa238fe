/**
 * Preprocessing spread over worker threads: each worker reads, preprocesses and writes whole cases
 * (one at a time, so memory is one case's worth per worker), the main thread keeps the manifest.
 * With one worker (or one case to build) everything runs in this thread, as preprocessDataset.
 *
 * Example:
 *   const cache = await preprocessInWorkers(dataset, plan, dir, { workers: 2 });
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { DatasetError, HnasError } from '../errors.js';
import { CacheBuild, preprocessDataset, type CaseJob, type PreprocessedDataset, type PreprocessOptions } from './cache.js';
import type { Dataset } from './dataset.js';
import type { Plan } from './plan-types.js';

export interface PreprocessWorkerData {
  readonly dataset: Dataset;
  readonly plan: Plan;
}
export type PreprocessRequest = { type: 'build'; job: CaseJob } | { type: 'stop' };
export type PreprocessReply =
  | { type: 'done'; index: number }
  | { type: 'error'; index: number; name: string; message: string; stack?: string; errno?: Pick<NodeJS.ErrnoException, 'code' | 'path' | 'syscall' | 'errno'> };

/** The worker-thread count `hnas preprocess --threads` defaults to: the cores this process may use. */
export const defaultPreprocessWorkers = (): number => availableParallelism();

/** A worker's failure as the error the same case raises in the main thread (a DatasetError names its file). */
function workerError(reply: Extract<PreprocessReply, { type: 'error' }>): Error {
  if (reply.name === 'DatasetError') return new DatasetError(reply.message);
  // A system error (ENOSPC, ENOTDIR, ...) keeps its code and path, so the CLI reports it as one.
  if (reply.errno?.code) return Object.assign(new Error(reply.message), reply.errno);
  const err = new Error(`preprocessing failed in a worker: ${reply.message}`);
  if (reply.stack) err.stack = reply.stack;
  return err;
}

export async function preprocessInWorkers(dataset: Dataset, plan: Plan, dir: string, options: PreprocessOptions & { workers?: number } = {}): Promise<PreprocessedDataset> {
  const build = new CacheBuild(dataset, plan, dir, options.seed);
  const count = Math.min(Math.max(1, options.workers ?? defaultPreprocessWorkers()), build.jobs.length);
  if (count <= 1) return preprocessDataset(dataset, plan, dir, options);
  const total = dataset.cases.length;
  let done = build.cached;
  if (done > 0) options.onCase?.(done, total);
  const queue = [...build.jobs];
  const data: PreprocessWorkerData = { dataset, plan };
  const workers = Array.from({ length: count }, () => new Worker(new URL('./preprocess-worker-boot.mjs', import.meta.url), { workerData: data }));
  let failure: Error | undefined;
  try {
    await Promise.all(
      workers.map(
        (worker) =>
          new Promise<void>((resolve) => {
            let current: CaseJob | undefined;
            const next = (): void => {
              current = failure ? undefined : queue.shift();
              if (current) worker.postMessage({ type: 'build', job: current } satisfies PreprocessRequest);
              else resolve();
            };
            worker.on('message', (reply: PreprocessReply) => {
              if (reply.type === 'done') {
                build.done(current!);
                options.onCase?.(++done, total);
              } else failure ??= workerError(reply);
              next();
            });
            worker.on('error', (err) => {
              failure ??= err instanceof HnasError ? err : new Error(`a preprocessing worker failed: ${err.message}`, { cause: err });
              resolve();
            });
            worker.on('exit', (code) => {
              if (current) failure ??= new DatasetError(`a preprocessing worker exited (code ${code}) while building ${current.file}; out of memory? try fewer --workers`);
              resolve();
            });
            next();
          }),
      ),
    );
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  if (failure) throw failure;
  return build.finish();
}
