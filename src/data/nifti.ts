/**
 * NIfTI-1 and NIfTI-2 reading and writing (.nii and .nii.gz, either byte order).
 * Headers go through nifti-reader-js; the voxels are ours, because that library
 * neither byte-swaps big-endian data nor applies scl_slope/scl_inter.
 *
 * Example:
 *   const img = readNifti('case.nii.gz');       // img.dims = [x, y, z, (channels)]
 *   const values = niftiValues(img);             // Float32Array, scaling applied
 *   writeNifti('out.nii.gz', values, img.dims, img.geometry);
 */
import { createWriteStream, type WriteStream, lstatSync, mkdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { constants as zlibConstants, createGzip, gunzipSync, gzipSync } from 'node:zlib';
import { NIFTI1, NIFTI2, isNIFTI1, isNIFTI2 } from 'nifti-reader-js';
import { DatasetError } from '../errors.js';
import { writeFileAtomic, writeFileAtomicPieces } from '../util/fs.js';
import {
  DATATYPE_BY_CODE,
  DATATYPE_BY_NAME,
  type DatatypeName,
  type NiftiGeometry,
  type VoxelArray,
} from './nifti-types.js';

export interface NiftiImage {
  readonly file: string;
  readonly version: 1 | 2;
  readonly littleEndian: boolean;
  readonly datatype: DatatypeName;
  /** Sizes along NIfTI's axes: i, j, k, then the 4th dimension (channels/time) when present. */
  readonly dims: number[];
  /** Voxels in their stored type, host byte order, i fastest. */
  readonly raw: VoxelArray;
  readonly sclSlope: number;
  readonly sclInter: number;
  readonly geometry: NiftiGeometry;
}

const IS_HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** The most voxel data one image may promise (2 GiB): more is a damaged header, not a scan. */
export const MAX_VOXEL_BYTES = 2 ** 31;
/** vox_offset is at most 16 MiB (header extensions), so no image file is larger than this. */
const MAX_VOX_OFFSET = 2 ** 24;
const MAX_FILE_BYTES = MAX_VOXEL_BYTES + MAX_VOX_OFFSET;

/**
 * Read a NIfTI file; every problem becomes a DatasetError naming the file. Only regular files
 * are read (after following symlinks: no devices, FIFOs or folders), and never more bytes than
 * the header promises.
 */
export function readNifti(file: string): NiftiImage {
  let bytes: Uint8Array;
  try {
    const stat = statSync(file);
    if (!stat.isFile()) {
      const kind = stat.isDirectory() ? 'a folder' : stat.isFIFO() ? 'a FIFO' : stat.isCharacterDevice() || stat.isBlockDevice() ? 'a device' : stat.isSocket() ? 'a socket' : 'not a file';
      throw new DatasetError(`not a regular file (${kind}${lstatSync(file).isSymbolicLink() ? ', via a symlink' : ''}): an image must be a .nii or .nii.gz file`, { file });
    }
    if (stat.size > MAX_FILE_BYTES) throw new DatasetError(`the file is ${stat.size} bytes, more than any image may hold (${MAX_VOXEL_BYTES} bytes of voxels)`, { file });
    bytes = readFileSync(file);
  } catch (err) {
    if (err instanceof DatasetError) throw err;
    throw new DatasetError(`cannot read the file (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { file }, { cause: err });
  }
  return parseNifti(bytes, file);
}

/** The first bytes of a gzip stream (enough for a header), inflating only a small prefix of the input. */
function gunzipPrefix(input: Uint8Array, want: number, file: string): Uint8Array {
  for (let take = 256; ; take *= 2) {
    let out: Uint8Array = new Uint8Array(0);
    try {
      out = gunzipSync(input.subarray(0, take), { finishFlush: zlibConstants.Z_SYNC_FLUSH });
    } catch (err) {
      if (take >= input.length) throw new DatasetError(`corrupt or truncated gzip data (${(err as Error).message})`, { file }, { cause: err });
    }
    if (out.length >= want) return out;
    if (take >= input.length) {
      // The whole stream is shorter than a header: a complete tiny stream, or a truncated one (say so).
      try {
        return gunzipSync(input, { maxOutputLength: want });
      } catch (err) {
        throw new DatasetError(`corrupt or truncated gzip data (${(err as Error).message})`, { file }, { cause: err });
      }
    }
  }
}

interface HeaderInfo {
  header: NIFTI1 | NIFTI2;
  version: 1 | 2;
  dtype: NonNullable<ReturnType<typeof DATATYPE_BY_CODE.get>>;
  dims: number[];
  count: number;
  offset: number;
  nbytes: number;
}

function readHeader(bytes: Uint8Array, file: string, totalHint: number): HeaderInfo {
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + Math.min(bytes.byteLength, 540)) as ArrayBuffer;
  let header: NIFTI1 | NIFTI2;
  let version: 1 | 2;
  if (buffer.byteLength >= 348 && isNIFTI1(buffer)) {
    header = new NIFTI1();
    version = 1;
  } else if (buffer.byteLength >= 540 && isNIFTI2(buffer)) {
    header = new NIFTI2();
    version = 2;
  } else {
    throw new DatasetError(`not a NIfTI-1 or NIfTI-2 file (no valid header magic; ${totalHint} bytes)`, { file });
  }
  try {
    header.readHeader(buffer);
  } catch (err) {
    throw new DatasetError(`unreadable NIfTI header (${(err as Error).message})`, { file }, { cause: err });
  }

  const dtype = DATATYPE_BY_CODE.get(header.datatypeCode);
  if (!dtype) {
    throw new DatasetError(
      `unsupported NIfTI datatype code ${header.datatypeCode} (expected one of ${[...DATATYPE_BY_CODE.values()].map((d) => `${d.code} ${d.name}`).join(', ')})`,
      { file, path: 'datatype' },
    );
  }
  const ndim = header.dims[0]!;
  if (!(ndim >= 1 && ndim <= 7)) throw new DatasetError(`dim[0] must be 1..7, got ${ndim}`, { file, path: 'dim[0]' });
  const dims = header.dims.slice(1, 1 + ndim).map(Number);
  if (dims.some((d) => !(Number.isInteger(d) && d >= 1))) {
    throw new DatasetError(`dimensions must be positive integers, got [${dims.join(', ')}]`, { file, path: 'dim' });
  }
  while (dims.length > 3 && dims[dims.length - 1] === 1) dims.pop(); // trailing singleton dims carry nothing
  // Vector-valued NIfTIs keep channels in dim 5 with a singleton time axis: same layout as [i, j, k, c].
  if (dims.length === 5 && dims[3] === 1) dims.splice(3, 1);
  while (dims.length < 3) dims.push(1);
  if (dims.length > 4) throw new DatasetError(`only 3D and 4D volumes are supported, got dims [${dims.join(', ')}]`, { file, path: 'dim' });

  const count = dims.reduce((a, b) => a * b, 1);
  const offset = Number(header.vox_offset);
  const nbytes = count * dtype.bytes;
  if (!(Number.isInteger(offset) && offset >= 0 && offset <= MAX_VOX_OFFSET)) throw new DatasetError(`vox_offset must be a whole number of bytes up to ${MAX_VOX_OFFSET}, got ${offset}`, { file, path: 'vox_offset' });
  if (nbytes > MAX_VOXEL_BYTES) {
    throw new DatasetError(`the header promises ${nbytes} bytes of voxels (dims [${dims.join(', ')}], ${dtype.name}), more than the ${MAX_VOXEL_BYTES} an image may hold`, { file, path: 'dim' });
  }
  return { header, version, dtype, dims, count, offset, nbytes };
}

/** Parse NIfTI bytes (gzipped or not); `file` only names the source in errors. */
export function parseNifti(input: Uint8Array, file: string): NiftiImage {
  const gzip = isGzip(input);
  const head = gzip ? gunzipPrefix(input, 540, file) : input;
  const { header, version, dtype, dims, count, offset, nbytes } = readHeader(head, file, head.byteLength);
  const expected = offset + nbytes;
  let bytes = input;
  if (gzip) {
    try {
      // One output chunk a little larger than promised: zlib then neither joins chunks (a second
      // copy of the volume) nor starts a fresh chunk when the output fills one exactly.
      bytes = gunzipSync(input, { maxOutputLength: Math.max(expected, 1), chunkSize: Math.max(expected + 64, 16384) });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
        throw new DatasetError(`the gzip stream inflates to more than the ${expected} bytes the header promises (vox_offset ${offset} + ${nbytes} bytes of ${dtype.name})`, { file }, { cause: err });
      }
      throw new DatasetError(`corrupt or truncated gzip data (${(err as Error).message})`, { file }, { cause: err });
    }
  }
  if (bytes.byteLength < expected) {
    throw new DatasetError(
      `truncated voxel data: header promises ${nbytes} bytes of ${dtype.name} at offset ${offset}, file holds ${bytes.byteLength} bytes`,
      { file },
    );
  }
  if (bytes.byteLength > expected) {
    throw new DatasetError(`the file holds ${bytes.byteLength - expected} bytes more than the header promises (vox_offset ${offset} + ${nbytes} bytes of ${dtype.name}): a damaged header or a concatenated file`, { file });
  }
  // A view, not a copy (a CT case is hundreds of MB), unless the voxels sit unaligned or a byte swap
  // would change bytes the caller handed in.
  const swap = header.littleEndian !== IS_HOST_LITTLE_ENDIAN;
  const start = bytes.byteOffset + offset;
  const ownBytes = gzip || !swap;
  const voxelBytes = ownBytes && start % dtype.bytes === 0 ? new Uint8Array(bytes.buffer, start, nbytes) : bytes.slice(offset, expected);
  if (swap) swapBytes(voxelBytes, dtype.bytes);
  const raw = dtype.view(voxelBytes.buffer as ArrayBuffer, count, voxelBytes.byteOffset);

  // scl_slope = 0 means "no scaling" by the standard.
  const scaling = Number.isFinite(header.scl_slope) && header.scl_slope !== 0;
  const slope = scaling ? header.scl_slope : 1;
  const inter = scaling && Number.isFinite(header.scl_inter) ? header.scl_inter : 0;
  return {
    file,
    version,
    littleEndian: header.littleEndian,
    datatype: dtype.name,
    dims,
    raw,
    sclSlope: slope,
    sclInter: inter,
    geometry: {
      // Kept as stored (zero or NaN included): readers that need a spacing refuse those (case.ts).
      pixdim: [Math.abs(header.pixDims[1]!), Math.abs(header.pixDims[2]!), Math.abs(header.pixDims[3]!)],
      qformCode: header.qform_code,
      sformCode: header.sform_code,
      quatern: [header.quatern_b, header.quatern_c, header.quatern_d, header.qoffset_x, header.qoffset_y, header.qoffset_z],
      qfac: header.pixDims[0] === -1 ? -1 : 1,
      affine: header.affine.slice(0, 3).map((row) => row.slice(0, 4)),
      xyztUnits: header.xyzt_units,
    },
  };
}

function swapBytes(bytes: Uint8Array, width: number): void {
  if (width === 1) return;
  for (let i = 0; i < bytes.length; i += width) {
    for (let a = i, b = i + width - 1; a < b; a++, b--) {
      const t = bytes[a]!;
      bytes[a] = bytes[b]!;
      bytes[b] = t;
    }
  }
}

/** The voxel values as float32 with scl_slope/scl_inter applied. */
export function niftiValues(img: NiftiImage): Float32Array {
  const out = new Float32Array(img.raw.length);
  const { sclSlope: slope, sclInter: inter, raw } = img;
  const scaled = slope !== 1 || inter !== 0;
  for (let i = 0; i < raw.length; i++) {
    const v = Number(raw[i]!);
    out[i] = scaled ? v * slope + inter : v;
  }
  return out;
}

export interface WriteNiftiOptions {
  version?: 1 | 2;
  littleEndian?: boolean;
  datatype?: DatatypeName;
  sclSlope?: number;
  sclInter?: number;
  /** Default: gzip when the name ends in .gz. */
  gzip?: boolean;
}

/**
 * Write `values` (i fastest) as a single-file NIfTI. Values are stored as
 * (value - sclInter) / sclSlope in `datatype`, rounded for integer types.
 */
export function writeNifti(
  file: string,
  values: ArrayLike<number>,
  dims: readonly number[],
  geometry: NiftiGeometry,
  options: WriteNiftiOptions = {},
): void {
  writeFileAtomic(file, encodeNifti(values, dims, geometry, { gzip: file.endsWith('.gz'), ...options }));
}

export function encodeNifti(
  values: ArrayLike<number>,
  dims: readonly number[],
  geometry: NiftiGeometry,
  options: WriteNiftiOptions = {},
): Uint8Array {
  const count = dims.reduce((a, b) => a * b, 1);
  if (count !== values.length) throw new Error(`writeNifti: ${values.length} values for dims [${dims.join(', ')}]`);
  const headerBytes = encodeNiftiHeader(dims, geometry, options);
  const voxelBytes = encodeVoxels(values, options);
  const out = new Uint8Array(headerBytes.length + voxelBytes.length);
  out.set(headerBytes, 0);
  out.set(voxelBytes, headerBytes.length);
  return options.gzip ? gzipSync(out) : out;
}

/**
 * Write a NIfTI whose voxels come in `chunks` equal parts along the last dimension (one class of a
 * 4D probability volume at a time, say), so only one part is ever encoded in memory. With `.gz`
 * each part is its own gzip member: RFC 1952 allows several, and gunzip, Python's gzip (nibabel)
 * and zlib's gzread read them as one stream. Atomic like writeNifti (temp file, then rename).
 */
export function writeNiftiChunked(
  file: string,
  dims: readonly number[],
  geometry: NiftiGeometry,
  chunks: number,
  chunk: (index: number) => ArrayLike<number>,
  options: WriteNiftiOptions = {},
): void {
  const headerBytes = encodeNiftiHeader(dims, geometry, options);
  const count = dims.reduce((a, b) => a * b, 1);
  if (count % chunks !== 0) throw new Error(`writeNiftiChunked: ${count} voxels do not split into ${chunks} chunks`);
  const gzip = file.endsWith('.gz');
  writeFileAtomicPieces(file, (write) => {
    for (let c = 0; c < chunks; c++) {
      const values = chunk(c);
      if (values.length !== count / chunks) throw new Error(`writeNiftiChunked: chunk ${c} has ${values.length} values, expected ${count / chunks}`);
      let bytes = encodeVoxels(values, options);
      if (c === 0) {
        // The header joins the first member.
        const joined = new Uint8Array(headerBytes.length + bytes.length);
        joined.set(headerBytes, 0);
        joined.set(bytes, headerBytes.length);
        bytes = joined;
      }
      write(gzip ? gzipSync(bytes) : bytes);
    }
  });
}

/** Voxel values in the file's datatype, scaling undone and byte order as asked. */
function encodeVoxels(values: ArrayLike<number>, options: WriteNiftiOptions): Uint8Array {
  const { littleEndian = true, datatype = 'float32', sclSlope = 1, sclInter = 0 } = options;
  const dtype = DATATYPE_BY_NAME.get(datatype)!;
  const stored = dtype.alloc(values.length);
  const isInteger = !dtype.name.startsWith('float');
  for (let i = 0; i < values.length; i++) {
    const v = (values[i]! - sclInter) / sclSlope;
    (stored as unknown as (number | bigint)[])[i] = dtype.encode(isInteger ? Math.round(v) : v);
  }
  const voxelBytes = new Uint8Array(stored.buffer, stored.byteOffset, stored.byteLength);
  if (littleEndian !== IS_HOST_LITTLE_ENDIAN) swapBytes(voxelBytes, dtype.bytes);
  return voxelBytes;
}

/** The header and (empty) extension bytes of a single-file NIfTI: everything before the voxels. */
export function encodeNiftiHeader(dims: readonly number[], geometry: NiftiGeometry, options: WriteNiftiOptions = {}): Uint8Array {
  const { version = 1, littleEndian = true, datatype = 'float32', sclSlope = 1, sclInter = 0 } = options;
  const dtype = DATATYPE_BY_NAME.get(datatype)!;
  if (dims.length < 1 || dims.length > 7) throw new Error(`writeNifti: 1..7 dims, got ${dims.length}`);
  const header = version === 1 ? new NIFTI1() : new NIFTI2();
  header.littleEndian = littleEndian;
  header.dims = [dims.length, ...dims, ...new Array(7 - dims.length).fill(1)];
  header.datatypeCode = dtype.code;
  header.numBitsPerVoxel = dtype.bytes * 8;
  header.pixDims = [geometry.qfac, ...geometry.pixdim, 1, 1, 1, 1];
  header.scl_slope = sclSlope;
  header.scl_inter = sclInter;
  header.xyzt_units = geometry.xyztUnits;
  header.qform_code = geometry.qformCode;
  header.sform_code = geometry.sformCode;
  [header.quatern_b, header.quatern_c, header.quatern_d, header.qoffset_x, header.qoffset_y, header.qoffset_z] = geometry.quatern;
  header.affine = [...geometry.affine.map((r) => [...r]), [0, 0, 0, 1]];
  const headerSize = version === 1 ? 348 : 540;
  const voxOffset = headerSize + 4; // 4 extension bytes, all zero
  header.vox_offset = voxOffset;
  header.magic = '';
  const headerBytes = new Uint8Array(header.toArrayBuffer(false));
  if (version === 1) headerBytes.set([0x6e, 0x2b, 0x31, 0x00], 344);
  else headerBytes.set([0x6e, 0x2b, 0x32, 0x00, 0x0d, 0x0a, 0x1a, 0x0a], 4);
  const out = new Uint8Array(voxOffset);
  out.set(headerBytes.subarray(0, Math.min(voxOffset, headerBytes.length)), 0);
  return out;
}

/**
 * A NIfTI written in pieces: `write` takes voxel bytes in the stored datatype (host byte order, i
 * fastest, in file order), gzipped as a stream when the name ends in .gz, so memory stays at one slab
 * however large the image. Atomic: the bytes go to a temp file in the same folder, renamed by
 * `close` once every promised byte has arrived; `abort` (or any failure) removes it.
 *
 * Example:
 *   const w = new NiftiStreamWriter('ct.nii.gz', [512, 512, 400], geometry, { datatype: 'int16' });
 *   for (const slice of slices) await w.write(new Uint8Array(slice.buffer));
 *   await w.close();
 */
export class NiftiStreamWriter {
  private readonly tmp: string;
  private readonly sink: Writable;
  private readonly file: WriteStream;
  private readonly expected: number;
  private written = 0;
  private failure: Error | undefined;

  constructor(
    readonly path: string,
    readonly dims: readonly number[],
    geometry: NiftiGeometry,
    options: Omit<WriteNiftiOptions, 'littleEndian'> & { gzipLevel?: number } = {},
  ) {
    const dtype = DATATYPE_BY_NAME.get(options.datatype ?? 'float32')!;
    this.expected = dims.reduce((a, b) => a * b, 1) * dtype.bytes;
    const header = encodeNiftiHeader(dims, geometry, { ...options, littleEndian: IS_HOST_LITTLE_ENDIAN });
    mkdirSync(dirname(path), { recursive: true });
    this.tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
    this.file = createWriteStream(this.tmp);
    const gzip = options.gzip ?? path.endsWith('.gz');
    this.sink = gzip ? createGzip({ level: options.gzipLevel ?? zlibConstants.Z_DEFAULT_COMPRESSION }) : this.file;
    if (gzip) this.sink.pipe(this.file);
    const fail = (err: Error): void => {
      this.failure ??= err;
    };
    this.sink.on('error', fail);
    this.file.on('error', fail);
    this.sink.write(header);
  }

  async write(slab: Uint8Array): Promise<void> {
    if (this.failure) throw this.failed();
    this.written += slab.byteLength;
    if (this.written > this.expected) throw this.abortWith(new Error(`NiftiStreamWriter: more voxel bytes than dims [${this.dims.join(', ')}] hold (${this.expected})`));
    // The slab may be reused by the caller: hand the stream its own copy.
    if (!this.sink.write(Buffer.from(slab))) await this.drained();
    if (this.failure) throw this.failed();
  }

  async close(): Promise<void> {
    if (this.written !== this.expected) throw this.abortWith(new Error(`NiftiStreamWriter: ${this.written} voxel bytes written, dims [${this.dims.join(', ')}] need ${this.expected}`));
    this.sink.end();
    try {
      await finished(this.file);
    } catch (err) {
      this.failure ??= err as Error;
    }
    if (this.failure) throw this.failed();
    renameSync(this.tmp, this.path);
  }

  /** Stop and remove the temp file; the target is never touched. */
  abort(): void {
    this.sink.destroy();
    this.file.destroy();
    rmSync(this.tmp, { force: true });
  }

  /** Resolves on 'drain', or on an error of either stream (then `failure` is set). */
  private drained(): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        this.sink.off('drain', done).off('error', done);
        this.file.off('error', done);
        resolve();
      };
      this.sink.on('drain', done).on('error', done);
      this.file.on('error', done);
    });
  }

  private abortWith(err: Error): Error {
    this.abort();
    return err;
  }

  private failed(): Error {
    this.abort();
    const err = this.failure!;
    // A failed write(2) (ENOSPC) carries no path: name the file the caller asked for.
    if ((err as NodeJS.ErrnoException).code && (err as NodeJS.ErrnoException).path === undefined) (err as NodeJS.ErrnoException).path = this.path;
    return err;
  }
}
