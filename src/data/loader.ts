/**
 * Batches made in worker threads, so loading and augmentation overlap with
 * `session.run`, which blocks the main thread. Workers read each patch from the case files
 * (positioned reads), so memory does not grow with the dataset. Batch k is made by worker k mod W with
 * a generator seeded by (seed, k), so the stream is identical for any worker count.
 * Each worker keeps `prefetch` batches in flight.
 *
 * Example:
 *   const loader = BatchLoader.start({ files: Object.values(cache.files), sampler, seed: 1 });
 *   const batch = await loader.next();   // { image: Float32Array [B, C, X, Y, Z], label: Int16Array, ... }
 *   await loader.close();
 */
import { Worker } from 'node:worker_threads';
import { DatasetError } from '../errors.js';
import { CaseFile } from './case-file.js';
import type { LoaderWorkerData, WorkerReply, WorkerRequest } from './loader-protocol.js';
import { checkPatchSamplerConfig, type Batch, type PatchSamplerConfig } from './patch-sampler.js';

export interface LoaderOptions {
  /** Preprocessed-case files (the training cases of a fold). */
  readonly files: readonly string[];
  readonly sampler: PatchSamplerConfig;
  readonly seed: number;
  readonly workers?: number;
  readonly prefetch?: number;
  /** Index of the first batch served: a resumed run passes epoch x iterations to continue the same stream. */
  readonly startIndex?: number;
  /** 'float32' converts labels in the workers (class ids as floats, -1 = ignore), as the training graph takes them. */
  readonly labelFormat?: 'int16' | 'float32';
}

interface Pending {
  promise: Promise<Batch>;
  resolve: (b: Batch) => void;
  reject: (e: Error) => void;
}

export class BatchLoader {
  private nextIndex: number;
  private readonly pending = new Map<number, Pending>();
  private closed = false;
  private failure: Error | undefined;

  private constructor(
    private readonly workers: Worker[],
    private readonly depth: number,
    startIndex: number,
  ) {
    this.nextIndex = startIndex;
    workers.forEach((w) => {
      w.on('message', (reply: WorkerReply) => {
        const p = this.slot(reply.index);
        if (reply.type === 'batch') p.resolve(reply.batch);
        else p.reject(new DatasetError(`batch ${reply.index} failed in a loader worker: ${reply.message}`));
      });
      w.on('error', (err) => this.failAll(new DatasetError(`a loader worker failed: ${err.message}`, undefined, { cause: err })));
      w.on('exit', (code) => {
        if (!this.closed) this.failAll(new DatasetError(`a loader worker exited unexpectedly (code ${code})`));
      });
    });
    for (let i = 0; i < depth; i++) this.request(startIndex + i);
  }

  static start(options: LoaderOptions): BatchLoader {
    if (options.files.length === 0) throw new DatasetError('no training cases for the loader');
    checkPatchSamplerConfig(options.sampler);
    // Headers only: a missing, foreign, old or truncated file fails here, naming it; voxels are read per patch.
    for (const f of options.files) CaseFile.open(f);
    const startIndex = options.startIndex ?? 0;
    if (!(Number.isInteger(startIndex) && startIndex >= 0)) throw new RangeError(`startIndex must be a non-negative integer, got ${startIndex}`);
    const data: LoaderWorkerData = { files: [...options.files], sampler: options.sampler, seed: options.seed, labelFormat: options.labelFormat ?? 'int16' };
    const count = Math.max(1, options.workers ?? 2);
    const workers = Array.from({ length: count }, () => new Worker(new URL('./loader-worker-boot.mjs', import.meta.url), { workerData: data }));
    return new BatchLoader(workers, count * Math.max(1, options.prefetch ?? 2), startIndex);
  }

  private slot(index: number): Pending {
    let p = this.pending.get(index);
    if (!p) {
      let resolve!: (b: Batch) => void;
      let reject!: (e: Error) => void;
      const promise = new Promise<Batch>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      promise.catch(() => undefined); // rejections surface through next()
      p = { promise, resolve, reject };
      this.pending.set(index, p);
    }
    return p;
  }

  private request(index: number): void {
    this.slot(index);
    const msg: WorkerRequest = { type: 'make', index };
    this.workers[index % this.workers.length]!.postMessage(msg);
  }

  private failAll(err: Error): void {
    this.failure ??= err;
    for (const p of this.pending.values()) p.reject(err);
  }

  /** The next batch in order (batch startIndex, startIndex + 1, ...). */
  async next(): Promise<Batch> {
    if (this.closed) throw new Error('BatchLoader is closed');
    if (this.failure) throw this.failure; // later batches would never come
    const index = this.nextIndex++;
    this.request(index + this.depth);
    const batch = await this.slot(index).promise;
    this.pending.delete(index);
    return batch;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
