/** Issue 13: bad voxels, spacings, labels, files and paths are refused with the file named. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCaseImage } from '../../src/data/case.js';
import { loadDataset } from '../../src/data/dataset.js';
import { computeFingerprint } from '../../src/data/fingerprint.js';
import { writeNifti } from '../../src/data/nifti.js';
import { identityGeometry } from '../../src/data/nifti-types.js';
import { preprocessDataset } from '../../src/data/cache.js';
import { DatasetError } from '../../src/errors.js';
import { planDataset } from '../../src/pipeline/prepare.js';
import { planExperiment } from '../../src/data/planner.js';
import { runCli } from '../helpers/cli.js';
import { tempDir, writeMsdDataset } from './helpers.js';

const DIMS: [number, number, number] = [12, 10, 8];

function msd(n = 2): string {
  const root = tempDir();
  writeMsdDataset(root, Array.from({ length: n }, (_, i) => ({ id: `case_${i}`, dims: DIMS })));
  return root;
}

function caught(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a throw');
}

/** Rewrites case_1's image with `bad` at the given flat indices. */
function poison(root: string, bad: number, at: number[]): string {
  const file = join(root, 'imagesTr', 'case_1.nii.gz');
  const values = new Float32Array(DIMS[0] * DIMS[1] * DIMS[2]).fill(10);
  for (const i of at) values[i] = bad;
  writeNifti(file, values, DIMS, identityGeometry());
  return file;
}

describe('non-finite voxels are refused in every path, naming the file and the count', () => {
  for (const bad of [NaN, Infinity, -Infinity]) {
    it(`${bad}: predict's reader${Number.isNaN(bad) ? ', fingerprint, plan, preprocess' : ''}`, () => {
      const root = msd();
      const file = poison(root, bad, [5, 200, 300]);
      const ds = loadDataset(root);
      const expected = new RegExp(`case_1\\.nii\\.gz: 3 of 960 voxels are NaN or infinite \\(first: ${bad} at voxel \\(5, 0, 0\\)\\)`);
      const paths: (() => unknown)[] = [() => readCaseImage('case_1', [file], 1)];
      if (Number.isNaN(bad)) {
        paths.push(
          () => computeFingerprint(ds, { foregroundSamples: 1e4 }),
          () => planDataset(ds),
          () => preprocessDataset(ds, planExperiment(computeFingerprint(loadDataset(msd()), { foregroundSamples: 1e4 })), tempDir()),
        );
      }
      for (const run of paths) {
        const e = caught(run);
        expect(e).toBeInstanceOf(DatasetError);
        expect(e.message).toMatch(expected);
      }
    });
  }
  it('`hnas plan` exits 1 and names the file', async () => {
    const root = msd();
    poison(root, NaN, [7]);
    const r = await runCli('plan', root, '-o', join(tempDir(), 'plans.json'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/case_1\.nii\.gz: 1 of 960 voxels are NaN/);
  });
});

describe('spacing from pixdim', () => {
  for (const pixdim of [0, NaN]) {
    it(`pixdim ${pixdim} is refused, naming the field`, () => {
      const root = msd();
      const file = join(root, 'imagesTr', 'case_0.nii.gz');
      writeNifti(file, new Float32Array(960).fill(1), DIMS, { ...identityGeometry(), pixdim: [1, pixdim, 1] });
      const e = caught(() => readCaseImage('case_0', [file], 1));
      expect(e).toBeInstanceOf(DatasetError);
      expect(e.message).toMatch(/case_0\.nii\.gz at pixdim\[2\]: voxel spacing must be positive and finite/);
    });
  }
});

describe('dataset.json paths stay inside the dataset folder', () => {
  for (const [field, entry] of [['image', '../../etc/passwd'], ['label', '/etc/passwd'], ['image', './imagesTr/../../outside.nii.gz']] as const) {
    it(`${field} '${entry}' is refused`, () => {
      const root = msd(2);
      const file = join(root, 'dataset.json');
      const json = JSON.parse(readFileSync(file, 'utf8'));
      json.training[1][field] = entry;
      writeFileSync(file, JSON.stringify(json));
      const e = caught(() => loadDataset(root));
      expect(e).toBeInstanceOf(DatasetError);
      expect(e.message).toContain(`dataset.json at $.training[1].${field}: listed path '${entry}' leads outside the dataset folder`);
    });
  }
});
