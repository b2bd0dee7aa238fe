import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DatasetError } from '../../src/errors.js';
import { dice, evaluateFolders, nanMean, scoreCase } from '../../src/data/evaluate.js';
import { writeNifti } from '../../src/data/nifti.js';
import { identityGeometry } from '../../src/data/nifti-types.js';
import { tempDir } from './helpers.js';

describe('Dice', () => {
  it('hand-computed cases', () => {
    // pred 1 1 0 0 2 ; ref 1 0 1 0 2: class 1 tp 1 fp 1 fn 1 -> 2/4; class 2 tp 1 -> 1
    const s = scoreCase([1, 1, 0, 0, 2], [1, 0, 1, 0, 2], [1, 2]);
    expect(s[1]).toEqual({ dice: 0.5, iou: 1 / 3, precision: 0.5, recall: 0.5, tp: 1, fp: 1, fn: 1, nPred: 2, nRef: 2 });
    expect(s[2]!.dice).toBe(1);
  });
  it('empty reference and prediction give NaN; one of them empty gives 0', () => {
    expect(scoreCase([0, 0], [0, 0], [1])[1]!.dice).toBeNaN();
    expect(scoreCase([1, 0], [0, 0], [1])[1]!.dice).toBe(0);
    expect(scoreCase([0, 0], [1, 0], [1])[1]!.dice).toBe(0);
  });
  it('ignored reference voxels do not count', () => {
    expect(scoreCase([1, 1], [1, -1], [1], -1)[1]!.dice).toBe(1);
  });
  it('laws: symmetric, in [0, 1], and 1 iff the class masks are identical and present (both directions)', () => {
    // b is a copy of a with up to 3 voxels changed, so identical and nearly identical masks are common.
    const pair = fc
      .array(fc.integer({ min: 0, max: 2 }), { minLength: 1, maxLength: 40 })
      .chain((a) => fc.tuple(fc.constant(a), fc.array(fc.tuple(fc.nat({ max: a.length - 1 }), fc.integer({ min: 0, max: 2 })), { maxLength: 3 })))
      .map(([a, edits]) => {
        const b = [...a];
        for (const [i, v] of edits) b[i] = v;
        return [a, b] as const;
      });
    let ones = 0;
    let notOnes = 0;
    fc.assert(
      fc.property(pair, ([a, b]) => {
        const ab = scoreCase(a, b, [1, 2]);
        const ba = scoreCase(b, a, [1, 2]);
        for (const c of [1, 2]) {
          const d = ab[c]!.dice;
          expect(Object.is(d, ba[c]!.dice)).toBe(true);
          if (!Number.isNaN(d)) expect(d >= 0 && d <= 1).toBe(true);
          const sameMask = a.every((v, i) => (v === c) === (b[i] === c));
          const present = a.includes(c) || b.includes(c);
          // Dice 1 <=> identical and present; Dice NaN <=> absent from both.
          expect(d === 1, `class ${c}: ${a} vs ${b}`).toBe(sameMask && present);
          expect(Number.isNaN(d)).toBe(!present);
          if (d === 1) ones++;
          else if (present) notOnes++;
        }
      }),
      { numRuns: 500 },
    );
    expect(ones).toBeGreaterThan(100);
    expect(notOnes).toBeGreaterThan(100);
  });
  it('means skip NaN', () => {
    expect(nanMean([1, NaN, 0.5])).toBe(0.75);
    expect(nanMean([NaN])).toBeNaN();
    expect(dice(0, 0, 0)).toBeNaN();
  });
});

describe('evaluateFolders', () => {
  it('scores matching files, skips NaN in class means, lists missing predictions', () => {
    const dir = tempDir();
    const pred = join(dir, 'pred');
    const gt = join(dir, 'gt');
    mkdirSync(pred);
    mkdirSync(gt);
    const g = identityGeometry();
    writeNifti(join(gt, 'a.nii.gz'), [0, 1, 1, 2], [4, 1, 1], g, { datatype: 'uint8' });
    writeNifti(join(pred, 'a.nii.gz'), [0, 1, 0, 2], [4, 1, 1], g, { datatype: 'uint8' });
    writeNifti(join(gt, 'b.nii.gz'), [0, 1, 0, 0], [4, 1, 1], g, { datatype: 'uint8' });
    writeNifti(join(pred, 'b.nii.gz'), [0, 1, 0, 0], [4, 1, 1], g, { datatype: 'uint8' });
    writeNifti(join(gt, 'c.nii.gz'), [0, 0, 0, 0], [4, 1, 1], g, { datatype: 'uint8' });
    const s = evaluateFolders(pred, gt);
    expect(s.classes).toEqual([1, 2]);
    expect(s.cases.map((c) => c.id)).toEqual(['a', 'b']);
    expect(s.cases[0]!.perClass[1]!.dice).toBeCloseTo(2 / 3, 12);
    expect(s.cases[1]!.perClass[2]!.dice).toBeNaN();
    expect(s.meanPerClass[1]).toBeCloseTo((2 / 3 + 1) / 2, 12);
    expect(s.meanPerClass[2]).toBe(1);
    expect(s.foregroundMean).toBeCloseTo(((2 / 3 + 1) / 2 + 1) / 2, 12);
    expect(s.missingPredictions).toEqual(['c.nii.gz']);
  });
  it('a prediction without reference or with another shape is a DatasetError naming the file', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'p'));
    mkdirSync(join(dir, 'g'));
    writeNifti(join(dir, 'p', 'x.nii.gz'), [0, 1], [2, 1, 1], identityGeometry());
    expect(() => evaluateFolders(join(dir, 'p'), join(dir, 'g'))).toThrow(/p\/x\.nii\.gz.*no reference/);
    writeNifti(join(dir, 'g', 'x.nii.gz'), [0, 1, 0], [3, 1, 1], identityGeometry());
    expect(() => evaluateFolders(join(dir, 'p'), join(dir, 'g'))).toThrow(DatasetError);
  });
  describe('voxels that are not labels are refused, naming the file, the value and the voxel', () => {
    const g = identityGeometry();
    function folders(ref: number[], pred: number[], datasetLabels?: Record<string, string>) {
      const root = tempDir();
      for (const d of ['p', 'labelsTr']) mkdirSync(join(root, d));
      if (datasetLabels) writeFileSync(join(root, 'dataset.json'), JSON.stringify({ modality: { '0': 'MRI' }, labels: datasetLabels, training: [] }));
      writeNifti(join(root, 'labelsTr', 'x.nii.gz'), ref, [4, 1, 1], g);
      writeNifti(join(root, 'p', 'x.nii.gz'), pred, [4, 1, 1], g);
      return () => evaluateFolders(join(root, 'p'), join(root, 'labelsTr'));
    }
    it.each([
      ['a fractional prediction', [0, 1, 1, 0], [0, 0.5, 1, 0], /p\/x\.nii\.gz: prediction value 0\.5 at voxel \(1, 0, 0\) is not one of the label values \{0, 1\}/],
      ['a NaN prediction', [0, 1, 1, 0], [0, 1, NaN, 0], /prediction value NaN at voxel \(2, 0, 0\)/],
      ['a prediction class the references lack', [0, 1, 1, 0], [0, 1, 1, 7], /prediction value 7 at voxel \(3, 0, 0\)/],
      ['a fractional reference', [0, 0.5, 1, 0], [0, 1, 1, 0], /labelsTr\/x\.nii\.gz: reference value 0\.5 at voxel \(1, 0, 0\) is not a non-negative integer label/],
      ['a negative reference', [0, -1, 1, 0], [0, 1, 1, 0], /reference value -1 at voxel \(1, 0, 0\)/],
    ])('%s', (_what, ref, pred, message) => {
      const run = folders(ref, pred);
      expect(run).toThrow(DatasetError);
      expect(run).toThrow(message);
    });
    it("with dataset.json next to the references, its label set is the one", () => {
      const labels = { '0': 'background', '1': 'anterior', '2': 'posterior' };
      expect(folders([0, 1, 1, 0], [0, 2, 1, 0], labels)().classes).toEqual([1]);
      expect(folders([0, 1, 7, 0], [0, 1, 1, 0], labels)).toThrow(/reference value 7 at voxel \(2, 0, 0\) is not one of the label values \{0, 1, 2\}/);
    });
  });
});
