/**
 * The NIfTI voxel data types hnas reads and writes: one table, keyed by the
 * NIfTI datatype code, so reader and writer never disagree.
 */

export type VoxelArray =
  | Uint8Array
  | Int8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | Float32Array
  | Float64Array
  | BigInt64Array
  | BigUint64Array;

export type DatatypeName = 'uint8' | 'int8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'uint64' | 'float32' | 'float64';

export interface DatatypeInfo {
  readonly name: DatatypeName;
  readonly code: number;
  readonly bytes: number;
  /** Typed array over `count` elements of an aligned, host-endian buffer (from `byteOffset`, default 0). */
  view(buffer: ArrayBuffer, count: number, byteOffset?: number): VoxelArray;
  alloc(count: number): VoxelArray;
  /** Convert one JS number to what the array stores (BigInt for 64-bit integers). */
  encode(value: number): number | bigint;
}

function entry(
  name: DatatypeName,
  code: number,
  Ctor: {
    BYTES_PER_ELEMENT: number;
    new (buffer: ArrayBuffer, offset: number, length: number): VoxelArray;
    new (length: number): VoxelArray;
  },
  encode: (v: number) => number | bigint = (v) => v,
): DatatypeInfo {
  return {
    name,
    code,
    bytes: Ctor.BYTES_PER_ELEMENT,
    view: (buffer, count, byteOffset = 0) => new Ctor(buffer, byteOffset, count),
    alloc: (count) => new Ctor(count),
    encode,
  };
}

export const DATATYPES: readonly DatatypeInfo[] = [
  entry('uint8', 2, Uint8Array),
  entry('int16', 4, Int16Array),
  entry('int32', 8, Int32Array),
  entry('float32', 16, Float32Array),
  entry('float64', 64, Float64Array),
  entry('int8', 256, Int8Array),
  entry('uint16', 512, Uint16Array),
  entry('uint32', 768, Uint32Array),
  entry('int64', 1024, BigInt64Array, (v) => BigInt(Math.round(v))),
  entry('uint64', 1280, BigUint64Array, (v) => BigInt(Math.round(v))),
];

export const DATATYPE_BY_CODE = new Map(DATATYPES.map((d) => [d.code, d]));
export const DATATYPE_BY_NAME = new Map(DATATYPES.map((d) => [d.name, d]));

/**
 * Where a volume sits in the world, as NIfTI stores it. Kept from the input so
 * predictions are written back with exactly the input's geometry.
 */
export interface NiftiGeometry {
  /** Voxel size along NIfTI's i, j, k axes (pixdim[1..3]). */
  readonly pixdim: [number, number, number];
  readonly qformCode: number;
  readonly sformCode: number;
  /** quatern_b, quatern_c, quatern_d, qoffset_x, qoffset_y, qoffset_z. */
  readonly quatern: [number, number, number, number, number, number];
  /** pixdim[0]: the sign of the k axis for the qform. */
  readonly qfac: number;
  /** The first three rows of the voxel -> world affine (sform if set, else derived from the qform). */
  readonly affine: number[][];
  readonly xyztUnits: number;
}

/** The geometry of an axis-aligned volume with the given voxel size and the origin at 0. */
export function identityGeometry(pixdim: [number, number, number] = [1, 1, 1]): NiftiGeometry {
  return {
    pixdim,
    qformCode: 1,
    sformCode: 1,
    quatern: [0, 0, 0, 0, 0, 0],
    qfac: 1,
    affine: [
      [pixdim[0], 0, 0, 0],
      [0, pixdim[1], 0, 0],
      [0, 0, pixdim[2], 0],
    ],
    xyztUnits: 2, // millimetres
  };
}
