import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DatasetError } from '../../src/errors.js';
import { encodeNifti, niftiValues, parseNifti, readNifti, writeNifti } from '../../src/data/nifti.js';
import { DATATYPES, identityGeometry, type NiftiGeometry } from '../../src/data/nifti-types.js';
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
