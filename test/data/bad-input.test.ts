/** Issue 13: bad voxels, spacings, labels, files and paths are refused with the file named. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCaseImage } from '../../src/data/case.js';
import { loadDataset } from '../../src/data/dataset.js';
import { computeFingerprint } from '../../src/data/fingerprint.js';
import { encodeNifti, readNifti, writeNifti } from '../../src/data/nifti.js';
import { identityGeometry } from '../../src/data/nifti-types.js';
import { preprocessDataset } from '../../src/data/cache.js';
import { DatasetError } from '../../src/errors.js';
import { planDataset } from '../../src/pipeline/prepare.js';
import { planExperiment } from '../../src/data/planner.js';
import { runCli } from '../helpers/cli.js';
import { tempDir, writeMsdDataset } from './helpers.js';
import { thrown } from '../helpers/thrown.js';

const DIMS: [number, number, number] = [12, 10, 8];

function msd(n = 2): string {
  const root = tempDir();
  writeMsdDataset(root, Array.from({ length: n }, (_, i) => ({ id: `case_${i}`, dims: DIMS })));
  return root;
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
        const e = thrown(run);
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
      const e = thrown(() => readCaseImage('case_0', [file], 1));
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
      const e = thrown(() => loadDataset(root));
      expect(e).toBeInstanceOf(DatasetError);
      expect(e.message).toContain(`dataset.json at $.training[1].${field}: listed path '${entry}' leads outside the dataset folder`);
    });
  }
});

describe('NIfTI reads are bounded by what the header promises', () => {
  const small = () => encodeNifti(new Float32Array(64).fill(1), [4, 4, 4], identityGeometry());
  it('a gzip stream that inflates past the header (a 32 MiB bomb) stops at the promise', () => {
    const file = join(tempDir(), 'bomb.nii.gz');
    const header = small();
    const bomb = new Uint8Array(header.length + 32 * 2 ** 20);
    bomb.set(header);
    writeFileSync(file, gzipSync(bomb));
    const t0 = performance.now();
    const e = thrown(() => readNifti(file));
    expect(e).toBeInstanceOf(DatasetError);
    expect(e.message).toMatch(/bomb\.nii\.gz: the gzip stream inflates to more than the 608 bytes the header promises \(vox_offset 352 \+ 256 bytes of float32\)/);
    expect(performance.now() - t0).toBeLessThan(2000);
  });
  it('uncompressed trailing bytes, and a header promising more than 2 GiB', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'long.nii'), Buffer.concat([small(), Buffer.alloc(10)]));
    expect(thrown(() => readNifti(join(dir, 'long.nii'))).message).toMatch(/long\.nii: the file holds 10 bytes more than the header promises/);
    const huge = small();
    new DataView(huge.buffer, huge.byteOffset).setInt16(42, 2048, true); // dim[1..3] at bytes 42, 44, 46
    new DataView(huge.buffer, huge.byteOffset).setInt16(44, 2048, true);
    new DataView(huge.buffer, huge.byteOffset).setInt16(46, 2048, true);
    writeFileSync(join(dir, 'huge.nii.gz'), gzipSync(huge));
    expect(thrown(() => readNifti(join(dir, 'huge.nii.gz'))).message).toMatch(/huge\.nii\.gz at dim: the header promises 34359738368 bytes of voxels/);
  });
  it('devices, FIFOs and folders are refused without reading (also through a symlink)', () => {
    const dir = tempDir();
    symlinkSync('/dev/zero', join(dir, 'zero.nii.gz'));
    execFileSync('mkfifo', [join(dir, 'fifo.nii')]);
    mkdirSync(join(dir, 'folder.nii'));
    for (const [file, kind] of [
      [join(dir, 'zero.nii.gz'), 'a device, via a symlink'],
      ['/dev/urandom', 'a device'],
      [join(dir, 'fifo.nii'), 'a FIFO'],
      [join(dir, 'folder.nii'), 'a folder'],
    ]) {
      const e = thrown(() => readNifti(file!));
      expect(e).toBeInstanceOf(DatasetError);
      expect(e.message).toBe(`${file}: not a regular file (${kind}): an image must be a .nii or .nii.gz file`);
    }
  });
});
