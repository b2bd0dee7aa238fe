import { readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CaseFile, readPreprocessedCase, writeCaseFile } from '../../src/data/case-file.js';
import { memorySource } from '../../src/data/patch-source.js';
import { extractPatch } from '../../src/data/patch-sampler.js';
import type { Vec3 } from '../../src/data/plan-types.js';
import type { PreprocessedCase } from '../../src/data/preprocess.js';
import { DatasetError } from '../../src/errors.js';
import { Rng } from '../../src/util/rng.js';
import { tempDir } from './helpers.js';

/** A case of random voxels (labels in -1..3), classes 1..3 with a few stored locations each. */
function randomCase(shape: Vec3, channels: number, labelled: boolean, seed: number): PreprocessedCase {
  const rng = Rng.seeded(seed);
  const n = shape[0] * shape[1] * shape[2];
  const image = Float32Array.from({ length: channels * n }, () => rng.normal());
  const label = labelled ? Int16Array.from({ length: n }, () => rng.int(5) - 1) : undefined;
  const classLocations: Record<number, Int32Array> = {};
  if (label) for (const k of [1, 2, 3]) classLocations[k] = Int32Array.from([...label.keys()].filter((i) => label[i] === k).slice(0, 7));
  return {
    id: `case-${seed}`,
    channels,
    shape,
    image,
    label,
    classLocations,
    properties: { originalShape: shape, originalSpacing: [1, 1, 1], box: { lo: [0, 0, 0], hi: shape }, shapeBeforeResampling: shape, geometry: undefined as never },
  };
}

/** The box read voxel by voxel from the full arrays: the reference the readers must equal. */
function bruteForceRegion(c: PreprocessedCase, start: Vec3, size: Vec3): { image: Float32Array; label: Int16Array } {
  const [sz, sy, sx] = c.shape;
  const n = size[0] * size[1] * size[2];
  const image = new Float32Array(c.channels * n);
  const label = new Int16Array(n);
  for (let z = 0; z < size[0]; z++)
    for (let y = 0; y < size[1]; y++)
      for (let x = 0; x < size[2]; x++) {
        const [vz, vy, vx] = [start[0] + z, start[1] + y, start[2] + x];
        const o = (z * size[1] + y) * size[2] + x;
        const inside = vz >= 0 && vy >= 0 && vx >= 0 && vz < sz && vy < sy && vx < sx;
        const i = (vz * sy + vy) * sx + vx;
        label[o] = inside ? (c.label ? c.label[i]! : 0) : -1;
        for (let ch = 0; ch < c.channels; ch++) image[ch * n + o] = inside ? c.image[ch * sz * sy * sx + i]! : 0;
      }
  return { image, label };
}

/** Typed arrays equal element for element (bytes compared first: deep equality of large arrays is slow). */
function expectSame(got: Float32Array | Int16Array, expected: Float32Array | Int16Array): void {
  if (Buffer.from(got.buffer, got.byteOffset, got.byteLength).equals(Buffer.from(expected.buffer, expected.byteOffset, expected.byteLength))) return;
  expect(Array.from(got)).toEqual(Array.from(expected));
}

const dim = fc.integer({ min: 1, max: 9 });
const shapeArb = fc.tuple(dim, dim, fc.integer({ min: 1, max: 40 }));

describe('case file (format 2): patch reads without reading the case', () => {
  const dir = tempDir();

  it('a box read from the file equals the same box of the full array, for any box, inside, crossing the edge or outside', () => {
    let k = 0;
    fc.assert(
      fc.property(
        shapeArb,
        fc.integer({ min: 1, max: 3 }),
        fc.boolean(),
        fc.tuple(fc.integer({ min: -12, max: 12 }), fc.integer({ min: -12, max: 12 }), fc.integer({ min: -45, max: 45 })),
        fc.tuple(fc.integer({ min: 1, max: 14 }), fc.integer({ min: 1, max: 14 }), fc.integer({ min: 1, max: 50 })),
        fc.constantFrom(0, 1 << 30), // every row its own read, or one read per plane
        (shape, channels, labelled, start, size, rowGapBytes) => {
          const c = randomCase(shape as Vec3, channels, labelled, k);
          const file = join(dir, `p${k++}.hnpp`);
          writeCaseFile(file, c);
          const f = CaseFile.open(file, { rowGapBytes });
          const expected = bruteForceRegion(c, start as Vec3, size as Vec3);
          const got = f.readRegion(start as Vec3, size as Vec3);
          expectSame(got.image, expected.image);
          expectSame(got.label, expected.label);
          const inMemory = memorySource(c).readRegion(start as Vec3, size as Vec3);
          expectSame(inMemory.image, expected.image);
          expectSame(inMemory.label, expected.label);
          // Header fields and stored locations come back without reading the voxels.
          expect([f.id, f.channels, f.shape, f.hasLabel]).toEqual([c.id, channels, shape, labelled]);
          for (const cls of f.classes) for (let i = 0; i < cls.count; i++) expect(f.classLocation(cls.value, i)).toBe(c.classLocations[cls.value]![i]);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('rotated and scaled patches read from the file equal trilinear sampling of the full array', () => {
    const c = randomCase([11, 13, 17], 2, true, 99);
    const file = join(dir, 'rot.hnpp');
    writeCaseFile(file, c);
    const f = CaseFile.open(file);
    fc.assert(
      fc.property(fc.tuple(fc.integer({ min: -8, max: 12 }), fc.integer({ min: -8, max: 12 }), fc.integer({ min: -8, max: 16 })), fc.double({ min: -0.6, max: 0.6, noNaN: true }), fc.double({ min: 0.7, max: 1.4, noNaN: true }), (start, t, s) => {
        const [cos, sin] = [Math.cos(t) * s, Math.sin(t) * s];
        const m = [
          [cos, -sin, 0],
          [sin, cos, 0],
          [0, 0, s],
        ];
        const patch: Vec3 = [5, 6, 7];
        const fromFile = extractPatch(f, patch, start as Vec3, m);
        const reference = trilinearReference(c, patch, start as Vec3, m);
        expect(fromFile.label).toEqual(reference.label);
        for (let i = 0; i < reference.image.length; i++) expect(fromFile.image[i]).toBeCloseTo(reference.image[i]!, 5);
      }),
      { numRuns: 60 },
    );
  });

  it('whole-case reads give back what was written (every section CRC-checked)', () => {
    const c = randomCase([4, 5, 6], 2, true, 7);
    const file = join(dir, 'whole.hnpp');
    writeCaseFile(file, c);
    const back = readPreprocessedCase(file);
    expect(back.image).toEqual(c.image);
    expect(back.label).toEqual(c.label);
    expect(back.classLocations).toEqual(c.classLocations);
    expect(back.properties).toEqual(JSON.parse(JSON.stringify(c.properties)));
  });

  it('truncated, corrupt, foreign and old-format files are DatasetErrors naming the file', () => {
    const c = randomCase([6, 7, 8], 1, true, 3);
    const good = join(dir, 'good.hnpp');
    writeCaseFile(good, c);
    const bytes = readFileSync(good);
    const variant = (name: string, data: Uint8Array): string => {
      const file = join(dir, name);
      writeFileSync(file, data);
      return file;
    };
    const headerByte = Buffer.from(bytes);
    headerByte[20] ^= 0x01;
    const voxelByte = Buffer.from(bytes);
    voxelByte[bytes.length - 200] ^= 0x40;
    const cases: [string, RegExp, (f: string) => unknown][] = [
      [variant('cut.hnpp', bytes.subarray(0, bytes.length - 4)), /cut\.hnpp: truncated preprocessed case: \d+ bytes, expected \d+/, (f) => CaseFile.open(f)],
      [variant('tiny.hnpp', bytes.subarray(0, 10)), /tiny\.hnpp: not an hnas preprocessed case/, (f) => CaseFile.open(f)],
      [variant('header.hnpp', headerByte), /header\.hnpp: corrupt preprocessed-case header/, (f) => CaseFile.open(f)],
      [variant('voxel.hnpp', voxelByte), /voxel\.hnpp: corrupt preprocessed case: the label does not match its CRC-32/, readPreprocessedCase],
      [variant('text.hnpp', Buffer.from('hello, world, not a case')), /text\.hnpp: not an hnas preprocessed case \(bad magic\)/, (f) => CaseFile.open(f)],
      [variant('v1.hnpp', Buffer.concat([Buffer.from('HNASPP01'), bytes.subarray(8)])), /v1\.hnpp: preprocessed-case file of cache format 1, this hnas reads format 2: rerun `hnas preprocess`/, (f) => CaseFile.open(f)],
      [join(dir, 'missing.hnpp'), /missing\.hnpp: cannot read preprocessed case \(ENOENT\)/, (f) => CaseFile.open(f)],
    ];
    for (const [file, message, read] of cases) {
      expect(() => read(file)).toThrow(DatasetError);
      expect(() => read(file)).toThrow(message);
    }
    // Cut short after opening: the patch read that reaches past the end fails, naming the file.
    const later = variant('later.hnpp', bytes);
    const f = CaseFile.open(later);
    truncateSync(later, 600);
    expect(() => f.readRegion([0, 0, 0], [6, 7, 8])).toThrow(/later\.hnpp: truncated preprocessed case: no bytes at offset/);
  });
});

/** nnU-Net-style sampling written out plainly: trilinear over the 8 neighbours (outside reads 0), nearest label (outside -1). */
function trilinearReference(c: PreprocessedCase, patch: Vec3, start: Vec3, m: number[][]): { image: Float32Array; label: Int16Array } {
  const [sz, sy, sx] = c.shape;
  const n = patch[0] * patch[1] * patch[2];
  const image = new Float32Array(c.channels * n);
  const label = new Int16Array(n).fill(-1);
  const inside = (z: number, y: number, x: number) => z >= 0 && y >= 0 && x >= 0 && z < sz && y < sy && x < sx;
  let o = 0;
  for (let z = 0; z < patch[0]; z++)
    for (let y = 0; y < patch[1]; y++)
      for (let x = 0; x < patch[2]; x++, o++) {
        const d = [z - (patch[0] - 1) / 2, y - (patch[1] - 1) / 2, x - (patch[2] - 1) / 2];
        const q = [0, 1, 2].map((r) => start[r]! + (patch[r]! - 1) / 2 + m[r]![0]! * d[0]! + m[r]![1]! * d[1]! + m[r]![2]! * d[2]!);
        const [nz, ny, nx] = q.map(Math.round) as [number, number, number];
        if (inside(nz, ny, nx)) label[o] = c.label![(nz * sy + ny) * sx + nx]!;
        const f = q.map((v) => v - Math.floor(v));
        for (let ch = 0; ch < c.channels; ch++) {
          let v = 0;
          for (let corner = 0; corner < 8; corner++) {
            const p = [0, 1, 2].map((r) => Math.floor(q[r]!) + ((corner >> (2 - r)) & 1));
            if (!inside(p[0]!, p[1]!, p[2]!)) continue;
            const w = [0, 1, 2].reduce((acc, r) => acc * (((corner >> (2 - r)) & 1) === 1 ? f[r]! : 1 - f[r]!), 1);
            v += w * c.image[ch * sz * sy * sx + (p[0]! * sy + p[1]!) * sx + p[2]!]!;
          }
          image[ch * n + o] = v;
        }
      }
  return { image, label };
}
