import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DatasetError } from '../../src/errors.js';
import { encodeNifti, niftiValues, parseNifti, readNifti, writeNifti, writeNiftiChunked } from '../../src/data/nifti.js';
import { DATATYPES, identityGeometry, type NiftiGeometry } from '../../src/data/nifti-types.js';
import { skipAllUnless } from '../helpers/skip.js';
import { tempDir } from './helpers.js';

const RANGES: Record<string, [number, number]> = {
  uint8: [0, 255],
  int8: [-128, 127],
  int16: [-32768, 32767],
  uint16: [0, 65535],
  int32: [-(2 ** 31), 2 ** 31 - 1],
  uint32: [0, 2 ** 32 - 1],
  int64: [-(2 ** 40), 2 ** 40],
  uint64: [0, 2 ** 40],
  float32: [-1e6, 1e6],
  float64: [-1e12, 1e12],
};

const geometry: NiftiGeometry = {
  pixdim: [0.8, 1.25, 3],
  qformCode: 1,
  sformCode: 2,
  quatern: [0, 0, 1, -10.5, 20.25, 3],
  qfac: -1,
  affine: [
    [-0.8, 0, 0, -10.5],
    [0, -1.25, 0, 20.25],
    [0, 0, 3, 3],
  ],
  xyztUnits: 10,
};

describe('NIfTI round trip', () => {
  it('keeps values, dims, and geometry for every datatype, version, byte order and compression', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...DATATYPES.map((d) => d.name)),
        fc.constantFrom(1 as const, 2 as const),
        fc.boolean(),
        fc.boolean(),
        fc.tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 3 })),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        (datatype, version, littleEndian, gzip, dims, seed) => {
          const [lo, hi] = RANGES[datatype]!;
          const n = dims[0] * dims[1] * dims[2];
          const values = Array.from({ length: n }, (_, i) => {
            const u = ((seed + i * 2654435761) % 1000003) / 1000003;
            const v = lo + u * (hi - lo);
            return datatype.startsWith('float') ? (datatype === 'float32' ? Math.fround(v) : v) : Math.round(v) + 0; // + 0 turns -0 into 0
          });
          const bytes = encodeNifti(values, dims, geometry, { datatype, version, littleEndian, gzip });
          const img = parseNifti(bytes, 'mem.nii');
          expect(img.version).toBe(version);
          expect(img.littleEndian).toBe(littleEndian);
          expect(img.datatype).toBe(datatype);
          expect(img.dims).toEqual(dims);
          expect(Array.from(img.raw, Number)).toEqual(values);
          expect(img.geometry.pixdim.map((p) => Math.fround(p))).toEqual(geometry.pixdim.map((p) => Math.fround(p)));
          expect(img.geometry.sformCode).toBe(2);
          expect(img.geometry.qfac).toBe(-1);
          for (let r = 0; r < 3; r++) for (let c = 0; c < 4; c++) expect(img.geometry.affine[r]![c]).toBeCloseTo(geometry.affine[r]![c]!, 5);
        },
      ),
      { numRuns: 120 },
    );
  });

  it('applies scl_slope and scl_inter, and treats slope 0 as no scaling', () => {
    const raw = [0, 1, 2, 100, 255];
    const scaled = raw.map((v) => v * 0.5 - 3);
    const bytes = encodeNifti(scaled, [5, 1, 1], identityGeometry(), { datatype: 'uint8', sclSlope: 0.5, sclInter: -3 });
    const img = parseNifti(bytes, 'scaled.nii');
    expect(Array.from(img.raw, Number)).toEqual(raw);
    expect(Array.from(niftiValues(img))).toEqual(scaled);
    const unscaled = encodeNifti(raw, [5, 1, 1], identityGeometry(), { datatype: 'uint8', sclSlope: 1, sclInter: 0 });
    // Patch scl_slope (offset 112) to 0 and scl_inter (116) to 7: the standard says ignore both.
    const view = new DataView(unscaled.buffer, unscaled.byteOffset);
    view.setFloat32(112, 0, true);
    view.setFloat32(116, 7, true);
    expect(Array.from(niftiValues(parseNifti(unscaled, 'slope0.nii')))).toEqual(raw);
  });

  it('reads 4D multi-channel files as [i, j, k, c] and drops trailing singleton dims', () => {
    const values = Array.from({ length: 2 * 3 * 4 * 2 }, (_, i) => i);
    const img = parseNifti(encodeNifti(values, [2, 3, 4, 2], identityGeometry()), 'x.nii');
    expect(img.dims).toEqual([2, 3, 4, 2]);
    const squeezed = parseNifti(encodeNifti(values.slice(0, 24), [2, 3, 4, 1], identityGeometry()), 'y.nii');
    expect(squeezed.dims).toEqual([2, 3, 4]);
    const vector = parseNifti(encodeNifti(values, [2, 3, 4, 1, 2], identityGeometry()), 'v.nii');
    expect(vector.dims).toEqual([2, 3, 4, 2]);
    expect(Array.from(vector.raw, Number)).toEqual(values);
  });

  it('writes and reads files on disk, gzip chosen by the name', () => {
    const dir = tempDir();
    const values = [1.5, -2, 3.25, 4];
    writeNifti(join(dir, 'a.nii.gz'), values, [2, 2, 1], identityGeometry());
    writeNifti(join(dir, 'a.nii'), values, [2, 2, 1], identityGeometry());
    expect(readFileSync(join(dir, 'a.nii.gz'))[0]).toBe(0x1f);
    expect(Array.from(niftiValues(readNifti(join(dir, 'a.nii.gz'))))).toEqual(values);
    expect(Array.from(niftiValues(readNifti(join(dir, 'a.nii'))))).toEqual(values);
  });
});

const PYTHON = '/usr/bin/python3';
const haveNibabel = existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import nibabel'], { encoding: 'utf8' }).status === 0;
const runPython = (script: string, ...args: string[]): unknown => {
  const py = spawnSync(PYTHON, ['-c', script, ...args], { encoding: 'utf8' });
  if (py.status !== 0) throw new Error(`python failed: ${py.stderr}`);
  return JSON.parse(py.stdout);
};
/** The voxel value at (i, j, k) in every cross-tool file: distinct, signed, not symmetric. */
const voxel = (i: number, j: number, k: number): number => 7 * i - 3 * j + 11 * k - 5;

/** nibabel writes files with known affines; prints what it wrote (its own view of each file). */
const NIBABEL_WRITE = `
import json, sys, numpy as np, nibabel as nib
out = sys.argv[1]
shape = (4, 3, 2)
i, j, k = np.indices(shape)
v = 7 * i - 3 * j + 11 * k - 5
c, s = np.cos(0.3), np.sin(0.3)
rot = np.array([[c * 0.8, -s * 1.25, 0, -10.5], [s * 0.8, c * 1.25, 0, 20.25], [0, 0, 3, 3], [0, 0, 0, 1]])
flip = np.array([[-0.7, 0, 0, 5], [0, 0.9, 0, -6], [0, 0, -2.5, 7], [0, 0, 0, 1]])
files = []
def save(name, img, sform, qform):
    affine = img.affine.copy()
    img.set_qform(affine, code=qform)
    img.set_sform(affine if sform else None, code=sform)
    nib.save(img, f'{out}/{name}')
    back = nib.load(f'{out}/{name}')
    files.append({'name': name, 'affine': back.affine[:3].tolist(), 'zooms': [float(z) for z in back.header.get_zooms()[:3]], 'shape': list(back.shape), 'dtype': str(back.get_data_dtype()), 'qform': back.get_qform()[:3].tolist(), 'sform_code': int(back.header['sform_code']), 'qform_code': int(back.header['qform_code'])})
save('u8_rot.nii.gz', nib.Nifti1Image((v + 20).astype(np.uint8), rot), 2, 1)
save('i16_flip.nii', nib.Nifti1Image(v.astype(np.int16), flip), 1, 1)
save('f32_qform_only.nii.gz', nib.Nifti1Image(v.astype(np.float32), rot), 0, 1)
big = nib.Nifti1Header(endianness='>')
big.set_data_dtype(np.float64)
save('f64_big_endian.nii', nib.Nifti1Image(v.astype(np.float64), flip, header=big), 1, 1)
save('i16_v2.nii.gz', nib.Nifti2Image(v.astype(np.int16), rot), 1, 1)
print(json.dumps(files))
`;

/** nibabel reads the files we wrote. */
const NIBABEL_READ = `
import json, sys, numpy as np, nibabel as nib
out = []
for f in sys.argv[1:]:
    img = nib.load(f)
    h = img.header
    out.append({'shape': list(img.shape), 'dtype': str(img.get_data_dtype().newbyteorder('=')), 'sform': img.get_sform()[:3].tolist(), 'qform': img.get_qform()[:3].tolist(), 'sform_code': int(h['sform_code']), 'qform_code': int(h['qform_code']), 'zooms': [float(z) for z in h.get_zooms()[:3]], 'values': np.asarray(img.dataobj).flatten(order='F').astype(float).tolist()})
print(json.dumps(out))
`;

describe('NIfTI against nibabel (another implementation)', () => {
  skipAllUnless(haveNibabel, `needs nibabel for ${PYTHON} (apt-get install python3-nibabel)`);
  const closeRows = (got: number[][], want: number[][], digits = 5): void =>
    want.forEach((row, r) => row.forEach((x, c) => expect(got[r]![c], `affine[${r}][${c}]`).toBeCloseTo(x, digits)));

  it('reads files nibabel wrote: values in i-fastest order, dims, affine (sform, or qform alone), pixdim, NIfTI-2, big-endian', () => {
    const dir = tempDir();
    type Written = { name: string; affine: number[][]; zooms: number[]; shape: number[]; dtype: string; qform: number[][]; sform_code: number; qform_code: number };
    const written = runPython(NIBABEL_WRITE, dir) as Written[];
    expect(written).toHaveLength(5);
    for (const w of written) {
      const img = readNifti(join(dir, w.name));
      expect(img.dims, w.name).toEqual(w.shape);
      expect(img.version).toBe(w.name.includes('v2') ? 2 : 1);
      expect(img.littleEndian).toBe(!w.name.includes('big_endian'));
      const values = Array.from(niftiValues(img));
      const expected: number[] = [];
      for (let k = 0; k < 2; k++) for (let j = 0; j < 3; j++) for (let i = 0; i < 4; i++) expected.push(voxel(i, j, k) + (w.name.startsWith('u8_rot') ? 20 : 0));
      expect(values, w.name).toEqual(expected);
      expect(img.geometry.sformCode).toBe(w.sform_code);
      expect(img.geometry.qformCode).toBe(w.qform_code);
      closeRows(img.geometry.affine, w.affine);
      img.geometry.pixdim.forEach((p, a) => expect(p).toBeCloseTo(w.zooms[a]!, 6));
    }
    // The rotated file's affine, written out: the qform-only file must reproduce it from the quaternion.
    const [c, s] = [Math.cos(0.3), Math.sin(0.3)];
    const rot = [[c * 0.8, -s * 1.25, 0, -10.5], [s * 0.8, c * 1.25, 0, 20.25], [0, 0, 3, 3]];
    closeRows(readNifti(join(dir, 'f32_qform_only.nii.gz')).geometry.affine, rot);
    closeRows(readNifti(join(dir, 'u8_rot.nii.gz')).geometry.affine, rot);
  });

  it('nibabel reads the files we write: values (scaled too), dims, dtype, sform and qform with their codes, pixdim', () => {
    const dir = tempDir();
    const dims = [4, 3, 2];
    const values: number[] = [];
    for (let k = 0; k < 2; k++) for (let j = 0; j < 3; j++) for (let i = 0; i < 4; i++) values.push(voxel(i, j, k));
    const files = [
      ['a.nii.gz', { datatype: 'int16' }],
      ['b.nii', { datatype: 'float32', version: 2 }],
      ['c.nii', { datatype: 'float64', littleEndian: false }],
      ['d.nii.gz', { datatype: 'uint8', sclSlope: 0.5, sclInter: -20 }],
    ] as const;
    for (const [name, options] of files) writeNifti(join(dir, name), values, dims, geometry, options);
    type Read = { shape: number[]; dtype: string; sform: number[][]; qform: number[][]; sform_code: number; qform_code: number; zooms: number[]; values: number[] };
    const read = runPython(NIBABEL_READ, ...files.map(([name]) => join(dir, name))) as Read[];
    read.forEach((r, f) => {
      const [name, options] = files[f]!;
      expect(r.shape, name).toEqual(dims);
      expect(r.dtype, name).toBe(options.datatype);
      r.values.forEach((v, i) => expect(v, `${name} voxel ${i}`).toBeCloseTo(values[i]!, 5));
      expect(r.sform_code).toBe(2);
      expect(r.qform_code).toBe(1);
      closeRows(r.sform, geometry.affine);
      // quatern (0, 0, 1) is a half turn about z; qfac -1 flips k: the qform is diag(-0.8, -1.25, -3) + offset.
      closeRows(r.qform, [[-0.8, 0, 0, -10.5], [0, -1.25, 0, 20.25], [0, 0, -3, 3]]);
      r.zooms.forEach((z, a) => expect(z).toBeCloseTo(geometry.pixdim[a]!, 6));
    });
  });
});

describe('chunked NIfTI writes (one class volume encoded at a time)', () => {
  it('a chunked file (several gzip members) reads back equal to the one-piece file, for our reader and nibabel', (ctx) => {
    const dir = tempDir();
    const dims = [5, 4, 3, 4];
    const values = Float32Array.from({ length: 5 * 4 * 3 * 4 }, (_, i) => Math.sin(i) / 2 + 0.5);
    const n = 5 * 4 * 3;
    const variants = [
      ['f32.nii.gz', { datatype: 'float32' }],
      ['u16.nii.gz', { datatype: 'uint16', sclSlope: 1 / 65535 }],
      ['f32.nii', { datatype: 'float32' }],
    ] as const;
    for (const [name, options] of variants) {
      writeNiftiChunked(join(dir, `chunked-${name}`), dims, geometry, 4, (c) => values.subarray(c * n, (c + 1) * n), options);
      writeNifti(join(dir, `whole-${name}`), values, dims, geometry, options);
      const chunked = readNifti(join(dir, `chunked-${name}`));
      const whole = readNifti(join(dir, `whole-${name}`));
      expect(chunked.dims).toEqual(dims);
      expect(Array.from(niftiValues(chunked)), name).toEqual(Array.from(niftiValues(whole)));
      if (name.endsWith('.nii')) expect(readFileSync(join(dir, `chunked-${name}`)).equals(readFileSync(join(dir, `whole-${name}`)))).toBe(true);
    }
    expect(() => writeNiftiChunked(join(dir, 'bad.nii.gz'), dims, geometry, 4, () => values, {})).toThrow(/chunk 0 has 240 values, expected 60/);
    expect(existsSync(join(dir, 'bad.nii.gz'))).toBe(false);
    if (!haveNibabel) return ctx.skip(`nibabel part needs nibabel for ${PYTHON} (apt-get install python3-nibabel)`);
    const read = runPython(NIBABEL_READ, join(dir, 'chunked-f32.nii.gz'), join(dir, 'chunked-u16.nii.gz')) as { shape: number[]; values: number[] }[];
    for (const r of read) {
      expect(r.shape).toEqual(dims);
      r.values.forEach((v, i) => expect(Math.abs(v - values[i]!)).toBeLessThan(1e-5));
    }
  });
});

describe('corrupt NIfTI files are rejected with the file name', () => {
  const good = encodeNifti(Array.from({ length: 64 }, (_, i) => i), [4, 4, 4], identityGeometry(), { datatype: 'float32' });
  const dir = tempDir();
  const cases: [string, Uint8Array, RegExp][] = [
    ['truncated.nii', good.subarray(0, good.length - 10), /truncated voxel data/],
    ['short.nii', good.subarray(0, 100), /not a NIfTI/],
    ['truncated.nii.gz', (() => { const gz = encodeNifti([1, 2, 3, 4], [2, 2, 1], identityGeometry(), { gzip: true }); return gz.subarray(0, gz.length - 12); })(), /corrupt or truncated gzip/],
    ['garbage.nii.gz', Uint8Array.from([0x1f, 0x8b, 8, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9]), /corrupt or truncated gzip/],
    ['text.nii', new TextEncoder().encode('hello world, this is not an image'.repeat(20)), /not a NIfTI/],
    ['dtype.nii', (() => { const b = good.slice(); new DataView(b.buffer).setInt16(70, 32, true); return b; })(), /unsupported NIfTI datatype code 32/],
    ['dims.nii', (() => { const b = good.slice(); new DataView(b.buffer).setInt16(42, 0, true); return b; })(), /positive integers/],
  ];
  for (const [name, bytes, message] of cases) {
    it(name, () => {
      const file = join(dir, name);
      writeFileSync(file, bytes);
      const err = (() => { try { readNifti(file); } catch (e) { return e; } })();
      expect(err).toBeInstanceOf(DatasetError);
      expect((err as Error).message).toContain(file);
      expect((err as Error).message).toMatch(message);
    });
  }
  it('missing file', () => {
    expect(() => readNifti(join(dir, 'nope.nii.gz'))).toThrow(/nope\.nii\.gz.*ENOENT/);
  });
});
