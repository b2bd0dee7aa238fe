/** Small pieces of the pipeline: fold ensembles average logits, image-folder grouping (MSD vs nnU-Net v2 names), plan overrides. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Plan } from '../../src/data/plan-types.js';
import { DatasetError, PlanError } from '../../src/errors.js';
import { averagePredictors } from '../../src/pipeline/inference.js';
import { groupImages } from '../../src/pipeline/predict.js';
import { withOverrides } from '../../src/pipeline/prepare.js';

describe('averagePredictors', () => {
  it('returns the element-wise mean of the models\' logits', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(fc.float({ min: -100, max: 100, noNaN: true }), { minLength: 6, maxLength: 6 }), { minLength: 1, maxLength: 5 }), async (outputs) => {
        const models = outputs.map((o) => async () => Float32Array.from(o));
        const got = await averagePredictors(models)(new Float32Array(1), [1, 1, 1, 1, 1]);
        for (let i = 0; i < 6; i++) {
          const mean = outputs.reduce((s, o) => s + Math.fround(o[i]!), 0) / outputs.length;
          expect(got[i]).toBeCloseTo(mean, 3);
        }
      }),
      { numRuns: 50 },
    );
  });
});

describe('groupImages', () => {
  const folder = (names: string[]) => {
    const dir = mkdtempSync(join(tmpdir(), 'hnas-images-'));
    for (const n of names) writeFileSync(join(dir, n), '');
    return dir;
  };

  it('groups nnU-Net v2 channel files per case, in channel order', () => {
    const dir = folder(['b_0001.nii.gz', 'a_0000.nii.gz', 'a_0001.nii.gz', 'b_0000.nii.gz', '._a_0000.nii.gz', 'notes.txt']);
    expect([...groupImages(dir, 2)].map(([id, f]) => [id, f.map((x) => x.slice(dir.length + 1))])).toEqual([
      ['a', ['a_0000.nii.gz', 'a_0001.nii.gz']],
      ['b', ['b_0000.nii.gz', 'b_0001.nii.gz']],
    ]);
  });

  it('treats every file as one case when the names are not a complete v2 set (MSD names like case_0001)', () => {
    const dir = folder(['case_0001.nii.gz', 'case_0002.nii.gz', 'hippocampus_003.nii']);
    expect([...groupImages(dir, 1).keys()]).toEqual(['case_0001', 'case_0002', 'hippocampus_003']);
    const single = folder(['x_0000.nii.gz', 'y_0000.nii.gz']);
    expect([...groupImages(single, 1).keys()]).toEqual(['x', 'y']);
  });

  it('an empty or missing folder is a DatasetError naming it', () => {
    const empty = folder(['readme.md']);
    expect(() => groupImages(empty, 1)).toThrow(DatasetError);
    expect(() => groupImages(empty, 1)).toThrow(empty);
    expect(() => groupImages(join(empty, 'nope'), 1)).toThrow(/nope: image folder does not exist/);
  });
});

describe('withOverrides', () => {
  const plan = { network: { patchSize: [40, 56, 40], batchSize: 9, mustBeDivisibleBy: [8, 8, 8] } } as unknown as Plan;

  it('replaces patch and batch size and nothing else', () => {
    const p = withOverrides(plan, { patchSize: [24, 32, 16], batchSize: 2 });
    expect(p.network).toEqual({ patchSize: [24, 32, 16], batchSize: 2, mustBeDivisibleBy: [8, 8, 8] });
    expect(withOverrides(plan, {}).network).toEqual(plan.network);
  });

  it('patch sizes the poolings cannot divide and bad batch sizes are PlanErrors naming the field', () => {
    fc.assert(
      fc.property(fc.tuple(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 64 })), (patch) => {
        const ok = patch.every((x) => x % 8 === 0);
        if (ok) expect(withOverrides(plan, { patchSize: patch }).network.patchSize).toEqual(patch);
        else expect(() => withOverrides(plan, { patchSize: patch })).toThrow(/patchSize: patch axis \d is \d+/);
      }),
    );
    expect(() => withOverrides(plan, { batchSize: 0 })).toThrow(PlanError);
    expect(() => withOverrides(plan, { batchSize: 1.5 })).toThrow(/batchSize/);
  });
});
