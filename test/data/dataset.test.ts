import { mkdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DatasetError } from '../../src/errors.js';
import { loadDataset } from '../../src/data/dataset.js';
import { readCase } from '../../src/data/case.js';
import { writeNifti } from '../../src/data/nifti.js';
import { identityGeometry } from '../../src/data/nifti-types.js';
import { tempDir, writeMsdDataset } from './helpers.js';
import { thrown } from '../helpers/thrown.js';


function msd(n = 3) {
  const root = tempDir();
  writeMsdDataset(root, Array.from({ length: n }, (_, i) => ({ id: `case_${String(i).padStart(3, '0')}`, dims: [12, 10, 8] as [number, number, number] })));
  return root;
}

describe('MSD layout', () => {
  it('reads dataset.json, sorts cases and reads a case with [k, j, i] axes', () => {
    const root = msd();
    const ds = loadDataset(root);
    expect(ds.layout).toBe('msd');
    expect(ds.channelNames).toEqual(['MRI']);
    expect(ds.labels.map((l) => l.value)).toEqual([0, 1, 2]);
    expect(ds.cases.map((c) => c.id)).toEqual(['case_000', 'case_001', 'case_002']);
    const c = readCase(ds, ds.cases[0]!);
    expect(c.shape).toEqual([8, 10, 12]);
    expect(c.channels).toBe(1);
    expect(new Set(c.label)).toEqual(new Set([0, 1, 2]));
  });

  it('4D MSD images give channel-first data', () => {
    const root = msd(1);
    const file = join(root, 'imagesTr', 'case_000.nii.gz');
    const values = Array.from({ length: 12 * 10 * 8 * 2 }, (_, i) => i + 1);
    writeNifti(file, values, [12, 10, 8, 2], identityGeometry());
    const json = JSON.parse(readFileSync(join(root, 'dataset.json'), 'utf8'));
    json.modality = { '0': 'T1', '1': 'T2' };
    writeFileSync(join(root, 'dataset.json'), JSON.stringify(json));
    const ds = loadDataset(root);
    const c = readCase(ds, ds.cases[0]!);
    expect(c.channels).toBe(2);
    expect(c.image[960]).toBe(961); // first voxel of channel 1
  });
});

describe('nnU-Net v2 layout', () => {
  it('finds _0000/_0001 channel files and name -> index labels', () => {
    const root = tempDir();
    mkdirSync(join(root, 'imagesTr'));
    mkdirSync(join(root, 'labelsTr'));
    for (const id of ['b', 'a']) {
      for (const ch of [0, 1]) writeNifti(join(root, 'imagesTr', `${id}_000${ch}.nii.gz`), new Array(24).fill(ch + 1), [4, 3, 2], identityGeometry());
      writeNifti(join(root, 'labelsTr', `${id}.nii.gz`), new Array(24).fill(1), [4, 3, 2], identityGeometry(), { datatype: 'uint8' });
    }
    writeFileSync(join(root, 'dataset.json'), JSON.stringify({ channel_names: { '0': 'CT', '1': 'PET' }, labels: { background: 0, lesion: 1 }, numTraining: 2, file_ending: '.nii.gz' }));
    const ds = loadDataset(root);
    expect(ds.layout).toBe('nnunet-v2');
    expect(ds.cases.map((c) => c.id)).toEqual(['a', 'b']);
    const c = readCase(ds, ds.cases[0]!);
    expect(c.channels).toBe(2);
    expect(c.image[0]).toBe(1);
    expect(c.image[24]).toBe(2);
    expect(ds.labels).toEqual([{ name: 'background', value: 0 }, { name: 'lesion', value: 1 }]);
  });
});

describe('bad datasets get a DatasetError naming the file', () => {
  it('missing dataset.json', () => {
    const e = thrown(() => loadDataset(tempDir()));
    expect(e).toBeInstanceOf(DatasetError);
    expect(e.message).toMatch(/dataset\.json.*no dataset\.json/);
  });
  it('invalid JSON and schema errors carry the JSON path', () => {
    const root = tempDir();
    writeFileSync(join(root, 'dataset.json'), '{ not json');
    expect(thrown(() => loadDataset(root)).message).toMatch(/not valid JSON/);
    writeFileSync(join(root, 'dataset.json'), JSON.stringify({ modality: { '0': 'MRI' }, labels: { '0': 'bg' }, training: [{ image: 3 }] }));
    expect(thrown(() => loadDataset(root)).message).toMatch(/at \$\.training\[0\]\.image/);
  });
  it('label values must be consecutive from 0', () => {
    const root = tempDir();
    writeFileSync(join(root, 'dataset.json'), JSON.stringify({ modality: { '0': 'MRI' }, labels: { '0': 'bg', '1': 'a', '5': 'b' }, training: [] }));
    expect(thrown(() => loadDataset(root)).message).toMatch(/at \$\.labels: label values must be consecutive 0\.\.2, got 0, 1, 5/);
  });
  it('empty dataset', () => {
    const root = tempDir();
    writeFileSync(join(root, 'dataset.json'), JSON.stringify({ modality: { '0': 'MRI' }, labels: { '0': 'bg', '1': 'fg' }, training: [] }));
    expect(thrown(() => loadDataset(root)).message).toMatch(/no training cases/);
  });
  it('missing listed file', () => {
    const root = msd(2);
    rmSync(join(root, 'labelsTr', 'case_001.nii.gz'));
    const e = thrown(() => loadDataset(root));
    expect(e.message).toMatch(/case_001\.nii\.gz/);
    expect(e.message).toMatch(/\$\.training\[1\]\.label/);
  });
  it('label values outside dataset.json labels, with the voxel', () => {
    const root = msd(1);
    const values = new Array(12 * 10 * 8).fill(0);
    values[5] = 3;
    writeNifti(join(root, 'labelsTr', 'case_000.nii.gz'), values, [12, 10, 8], identityGeometry(), { datatype: 'uint8' });
    const ds = loadDataset(root);
    const e = thrown(() => readCase(ds, ds.cases[0]!));
    expect(e).toBeInstanceOf(DatasetError);
    expect(e.message).toMatch(/labelsTr\/case_000\.nii\.gz.*label value 3 at voxel \(5, 0, 0\)/);
  });
  it('float labels that are not integers are rejected', () => {
    const root = msd(1);
    writeNifti(join(root, 'labelsTr', 'case_000.nii.gz'), new Array(960).fill(0.5), [12, 10, 8], identityGeometry());
    const ds = loadDataset(root);
    expect(thrown(() => readCase(ds, ds.cases[0]!)).message).toMatch(/label value 0\.5/);
  });
  it('image/label shape and geometry mismatch', () => {
    const root = msd(1);
    writeNifti(join(root, 'labelsTr', 'case_000.nii.gz'), new Array(12 * 10 * 7).fill(0), [12, 10, 7], identityGeometry(), { datatype: 'uint8' });
    let ds = loadDataset(root);
    expect(thrown(() => readCase(ds, ds.cases[0]!)).message).toMatch(/labelsTr\/case_000\.nii\.gz: label does not match its image: shape 12x10x7 differs from 12x10x8/);
    writeNifti(join(root, 'labelsTr', 'case_000.nii.gz'), new Array(960).fill(0), [12, 10, 8], identityGeometry([1, 1, 2]), { datatype: 'uint8' });
    ds = loadDataset(root);
    expect(thrown(() => readCase(ds, ds.cases[0]!)).message).toMatch(/spacing 1x1x2 differs/);
  });
  it('wrong channel count', () => {
    const root = msd(1);
    const json = JSON.parse(readFileSync(join(root, 'dataset.json'), 'utf8'));
    json.modality = { '0': 'T1', '1': 'T2' };
    writeFileSync(join(root, 'dataset.json'), JSON.stringify(json));
    const ds = loadDataset(root);
    expect(thrown(() => readCase(ds, ds.cases[0]!)).message).toMatch(/expected 2 channel\(s\).*found 1/);
  });
  it('v2 numTraining disagreeing with the files', () => {
    const root = tempDir();
    mkdirSync(join(root, 'imagesTr'));
    writeFileSync(join(root, 'dataset.json'), JSON.stringify({ channel_names: { '0': 'CT' }, labels: { background: 0 }, numTraining: 4, file_ending: '.nii.gz' }));
    expect(thrown(() => loadDataset(root)).message).toMatch(/numTraining says 4 cases but imagesTr holds 0/);
  });
});
