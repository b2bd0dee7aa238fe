import { readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { preprocessDataset } from '../../src/data/cache.js';
import { loadDataset } from '../../src/data/dataset.js';
import { computeFingerprint } from '../../src/data/fingerprint.js';
import { BatchLoader } from '../../src/data/loader.js';
import { batchRng } from '../../src/data/loader-protocol.js';
import { readPreprocessedCase } from '../../src/data/case-file.js';
import { planExperiment } from '../../src/data/planner.js';
import { sampleBatch, type PatchSamplerConfig } from '../../src/data/patch-sampler.js';
import { tempDir, writeMsdDataset } from './helpers.js';

describe('BatchLoader (worker threads)', () => {
  const root = tempDir();
  writeMsdDataset(root, Array.from({ length: 5 }, (_, i) => ({ id: `w${i}`, dims: [20, 18, 14] as [number, number, number] })), 9);
  const dataset = loadDataset(root);
  const plan = planExperiment(computeFingerprint(dataset));
  const cache = preprocessDataset(dataset, plan, tempDir());
  const files = Object.values(cache.files);
  const sampler: PatchSamplerConfig = { patchSize: [8, 8, 8], batchSize: 3, oversampleForeground: 0.33, augmentationFactor: 1 };

  it('delivers the same batches, in order, for any worker count, equal to sampling in the main thread', async () => {
    const cases = files.map((f) => readPreprocessedCase(f));
    const expected = [0, 1, 2, 3, 4].map((k) => sampleBatch(cases, sampler, batchRng(42, k)));
    for (const workers of [1, 3]) {
      const loader = BatchLoader.start({ files, sampler, seed: 42, workers, prefetch: 2 });
      try {
        for (let k = 0; k < 5; k++) {
          const b = await loader.next();
          expect(b.shape).toEqual([3, 1, 8, 8, 8]);
          expect(b.image).toBeInstanceOf(Float32Array);
          expect(Array.from(b.image)).toEqual(Array.from(expected[k]!.image));
          expect(Array.from(b.label)).toEqual(Array.from(expected[k]!.label));
        }
      } finally {
        await loader.close();
      }
    }
  });

  it('resumes mid-stream with startIndex and converts labels to float32 in the workers', async () => {
    const cases = files.map((f) => readPreprocessedCase(f));
    const loader = BatchLoader.start({ files, sampler, seed: 42, workers: 2, startIndex: 3, labelFormat: 'float32' });
    try {
      for (const k of [3, 4]) {
        const b = await loader.next();
        const expected = sampleBatch(cases, sampler, batchRng(42, k));
        expect(b.label).toBeInstanceOf(Float32Array);
        expect(Array.from(b.label)).toEqual(Array.from(expected.label));
        expect(Array.from(b.image)).toEqual(Array.from(expected.image));
      }
    } finally {
      await loader.close();
    }
  });

  it('keeps producing while the main thread is blocked (prefetch fills during a busy wait)', async () => {
    const loader = BatchLoader.start({ files, sampler, seed: 1, workers: 2, prefetch: 2 });
    try {
      await loader.next(); // workers are up
      const until = Date.now() + 400;
      while (Date.now() < until) {
        /* blocks the event loop like session.run does */
      }
      const t = performance.now();
      for (let i = 0; i < 3; i++) await loader.next();
      expect(performance.now() - t).toBeLessThan(100); // already made during the block
    } finally {
      await loader.close();
    }
  });

  it('a foreign or old-format cache file is a DatasetError at start, naming it', () => {
    const bad = join(tempDir(), 'bad.hnpp');
    writeFileSync(bad, 'not a preprocessed case at all');
    expect(() => BatchLoader.start({ files: [bad], sampler, seed: 1, workers: 1 })).toThrow(/bad\.hnpp.*bad magic/);
    writeFileSync(bad, Buffer.concat([Buffer.from('HNASPP01'), Buffer.alloc(64)]));
    expect(() => BatchLoader.start({ files: [bad], sampler, seed: 1, workers: 1 })).toThrow(/bad\.hnpp: preprocessed-case file of cache format 1.*rerun `hnas preprocess`/);
  });

  it('a cache file cut short while training rejects next() in the worker instead of hanging', async () => {
    const copy = join(tempDir(), 'cut.hnpp');
    writeFileSync(copy, readFileSync(files[0]!));
    const loader = BatchLoader.start({ files: [copy], sampler, seed: 1, workers: 1, prefetch: 1 });
    try {
      await loader.next();
      truncateSync(copy, 4096);
      let failure: unknown;
      for (let i = 0; i < 4 && !failure; i++) await loader.next().catch((err: unknown) => (failure = err));
      expect(String(failure)).toMatch(/loader worker: .*cut\.hnpp: truncated preprocessed case/);
      await expect(loader.next()).rejects.toThrow(/loader worker/);
    } finally {
      await loader.close();
    }
  });

  it('a missing cache file is a DatasetError naming it', () => {
    expect(() => BatchLoader.start({ files: ['/nonexistent/x.hnpp'], sampler, seed: 1 })).toThrow(/x\.hnpp.*ENOENT/);
  });
});
