/** Messages between BatchLoader and its workers, and the per-batch seed rule they share. */
import { Rng } from '../util/rng.js';
import type { Batch, PatchSamplerConfig } from './patch-sampler.js';

export interface LoaderWorkerData {
  /** Preprocessed-case files; workers read patches from them. */
  readonly files: string[];
  readonly sampler: PatchSamplerConfig;
  readonly seed: number;
  readonly labelFormat: 'int16' | 'float32';
}

export type WorkerRequest = { type: 'make'; index: number } | { type: 'stop' };
export type WorkerReply = { type: 'batch'; index: number; batch: Batch } | { type: 'error'; index: number; message: string };

/** Batch k's generator depends only on (seed, k): the same batches whatever the worker count or timing. */
export function batchRng(seed: number, index: number): Rng {
  return Rng.seeded(index * 4294967296 + (seed >>> 0));
}
