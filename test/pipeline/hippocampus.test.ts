/**
 * A short CPU training run on the real MSD Task04_Hippocampus, fold 0 (skips, with the
 * reason in the test report, when ../shared is absent): the validation Dice must clearly beat a trivial baseline, the
 * best constant segmentation (every voxel one class; the best class per case).
 * Small on purpose (narrow network, small patch, 30 steps, 12 of the fold's 42 validation
 * cases) so it fits the suite's budget; docs/results.md has the full-size run.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, onTestFinished } from 'vitest';
import { skipAllUnless } from '../helpers/skip.js';
import { readCase } from '../../src/data/case.js';
import { scoreCase } from '../../src/data/evaluate.js';
import { prepareTraining, resolveConfiguration, trainFold } from '../../src/pipeline/index.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const DATASET = join(repoRoot, '..', 'shared', 'datasets', 'Task04_Hippocampus');
const present = existsSync(join(DATASET, 'dataset.json'));

describe('Task04_Hippocampus training', () => {
  skipAllUnless(present, `needs the MSD dataset at ${DATASET}, absent here`);
  it('smoke test: a 30-step CPU run on fold 0 trains and validates, Dice above 0.1 and twice the best constant segmentation', async () => {
    const work = mkdtempSync(join(tmpdir(), 'hnas-hippo-'));
    onTestFinished(() => rmSync(work, { recursive: true, force: true }));
    const prepared = prepareTraining(DATASET, { cacheDir: join(work, 'cache'), overrides: { patchSize: [24, 32, 24], batchSize: 4 } });
    expect(prepared.plan.nStages).toBe(4);
    const split = prepared.cache.splits[0]!;
    const val = split.val.slice(0, 12);
    const cache = { ...prepared.cache, splits: [{ train: split.train, val }] };
    const r = await trainFold({
      ...prepared,
      cache,
      fold: 0,
      configuration: resolveConfiguration({ optimizer: 'adam', learning_rate: 3e-3 }, prepared.plan.nStages),
      epochs: 3,
      iterationsPerEpoch: 10,
      features: { base: 8, max: 64 },
      seed: 0,
      outDir: join(work, 'fold_0'),
    });
    // Trivial baseline: for each case the best single class painted everywhere.
    const byId = new Map(prepared.dataset.cases.map((c) => [c.id, c]));
    let baseline = 0;
    for (const id of val) {
      const label = readCase(prepared.dataset, byId.get(id)!).label;
      let best = 0;
      for (const c of [1, 2]) {
        const s = scoreCase(new Int16Array(label.length).fill(c), label, [1, 2]);
        best = Math.max(best, (s[1]!.dice + s[2]!.dice) / 2);
      }
      baseline += best / val.length;
    }
    console.log(`Hippocampus fold 0, 30 steps: validation Dice ${r.dice.toFixed(4)} (per class ${JSON.stringify(r.validation!.meanPerClass)}), constant baseline ${baseline.toFixed(4)}, ${r.seconds.toFixed(1)} s training`);
    expect(r.validation!.cases).toHaveLength(12);
    expect(r.dice).toBeGreaterThan(Math.max(0.1, 2 * baseline));
  }, 240_000);
});
