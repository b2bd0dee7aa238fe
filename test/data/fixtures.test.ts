/** The committed tiny datasets are what their generator writes, and they read with all their quirks. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TINY_CT, TINY_MSD, writeTinyCt, writeTinyMsd } from '../../fixtures/data/make-fixtures.js';
import { readCase } from '../../src/data/case.js';
import { loadDataset } from '../../src/data/dataset.js';
import { readNifti } from '../../src/data/nifti.js';
import { tempDir } from './helpers.js';

function expectRegenerated(committed: string, write: (root: string) => void): void {
  const fresh = join(tempDir(), 'fresh');
  write(fresh);
  for (const sub of ['imagesTr', 'labelsTr']) {
    const files = readdirSync(join(committed, sub)).sort();
    expect(readdirSync(join(fresh, sub)).sort()).toEqual(files);
    for (const f of files) expect(readFileSync(join(fresh, sub, f)).equals(readFileSync(join(committed, sub, f))), f).toBe(true);
  }
  expect(readFileSync(join(fresh, 'dataset.json'), 'utf8')).toBe(readFileSync(join(committed, 'dataset.json'), 'utf8'));
}

describe('fixtures/data/tiny-msd', () => {
  it('is byte-identical to a fresh generation', () => expectRegenerated(TINY_MSD, writeTinyMsd));
  it('holds a uint8 image, a float32 label and a big-endian NIfTI-2 image, all readable', () => {
    const ds = loadDataset(TINY_MSD);
    const headers = ds.cases.map((c) => readNifti(c.images[0]!));
    expect(headers.map((h) => h.datatype)).toContain('uint8');
    expect(headers.some((h) => h.version === 2 && !h.littleEndian)).toBe(true);
    expect(ds.cases.map((c) => readNifti(c.label).datatype)).toContain('float32');
    for (const c of ds.cases) expect(new Set(readCase(ds, c).label)).toEqual(new Set([0, 1, 2]));
  });
});

describe('fixtures/data/tiny-ct', () => {
  it('is byte-identical to a fresh generation', () => expectRegenerated(TINY_CT, writeTinyCt));
  it('is another kind of dataset: nnU-Net v2 layout, CT intensities, anisotropic voxels, one foreground class in every case', () => {
    const ds = loadDataset(TINY_CT);
    expect([ds.layout, ds.channelNames, ds.labels.length]).toEqual(['nnunet-v2', ['CT'], 2]);
    for (const c of ds.cases) {
      const data = readCase(ds, c);
      expect(data.spacing.map((x) => Number(x.toFixed(3)))).toEqual([3, 0.8, 0.8]);
      expect(new Set(data.label)).toEqual(new Set([0, 1]));
      expect(Math.min(...data.image)).toBeLessThan(-900);
    }
  });
});
