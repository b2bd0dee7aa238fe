/**
 * The preprocessed-case file `<id>.hnpp` (format 2): a fixed prefix, a JSON header that lists
 * where every section lies, then the raw sections, uncompressed and 8-byte aligned:
 *
 *   0   'HNASPP02'            magic with the format number
 *   8   u32 header bytes H    (little-endian)
 *   12  u32 CRC-32 of the header
 *   16  JSON header, space-padded to a multiple of 8
 *   ... image  float32 [C, Z, Y, X], label int16 [Z, Y, X] (when labelled), class locations int32
 *
 * Raw C-order sections let a training patch be read without reading the case: one positioned
 * read per (channel, z) plane of the box (`CaseFile.readRegion`), the page cache doing what
 * nnU-Net's memory-mapped blosc2 files do. Each section carries a CRC-32 that whole-case reads
 * check; patch reads check the header and the file length. Format-1 files (hnas before the
 * CT-scale cache) are refused with the command that rebuilds them.
 *
 * Example:
 *   writeCaseFile('cache/case_001.hnpp', pre);
 *   const f = CaseFile.open('cache/case_001.hnpp');
 *   const { image, label } = f.readRegion([-10, 200, 180], [128, 128, 128]);
 */
import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { DatasetError } from '../errors.js';
import { writeFileAtomicPieces } from '../util/fs.js';
import { assembleRegion, presentClasses, type PatchSource, type PlaneSpan, type Region } from './patch-source.js';
import type { Vec3 } from './plan-types.js';
import type { PreprocessedCase } from './preprocess.js';

export const CASE_FILE_FORMAT = 2;
const MAGIC_PREFIX = 'HNASPP';
const MAGIC = `${MAGIC_PREFIX}${String(CASE_FILE_FORMAT).padStart(2, '0')}`;
const PREFIX_BYTES = 16;
/** Gaps between the rows of a box smaller than this are read along (one read per plane), larger ones skipped (one read per row). */
export const ROW_GAP_BYTES = 64 * 1024;

interface Section {
  readonly offset: number;
  readonly bytes: number;
  readonly crc32: number;
}

interface Header {
  readonly format: number;
  readonly id: string;
  readonly channels: number;
  readonly shape: Vec3;
  readonly properties: PreprocessedCase['properties'];
  readonly image: Section;
  readonly label: Section | null;
  readonly classes: readonly (Section & { readonly value: number; readonly count: number })[];
  readonly fileBytes: number;
}

const pad8 = (n: number): number => Math.ceil(n / 8) * 8;
const bytesOf = (a: Float32Array | Int16Array | Int32Array): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** The file as pieces: prefix + header, then each section (with its padding) in file order. */
function layout(c: PreprocessedCase): Uint8Array[] {
  const sections: { data: Uint8Array; crc: number }[] = [];
  const add = (a: Float32Array | Int16Array | Int32Array) => sections.push({ data: bytesOf(a), crc: crc32(bytesOf(a)) });
  add(c.image);
  if (c.label) add(c.label);
  const classes = presentClasses(c.classLocations);
  for (const k of classes) add(c.classLocations[k.value]!);
  // The header's length depends on the offsets it lists: size it with placeholder offsets of full width.
  const header = (start: number): Header => {
    let off = start;
    const next = (i: number): Section => {
      const s = { offset: off, bytes: sections[i]!.data.byteLength, crc32: sections[i]!.crc };
      off += pad8(s.bytes);
      return s;
    };
    const image = next(0);
    const label = c.label ? next(1) : null;
    const cls = classes.map((k, i) => ({ value: k.value, count: k.count, ...next(i + (c.label ? 2 : 1)) }));
    return { format: CASE_FILE_FORMAT, id: c.id, channels: c.channels, shape: c.shape, properties: c.properties, image, label, classes: cls, fileBytes: off };
  };
  const encoder = new TextEncoder();
  const draft = encoder.encode(JSON.stringify(header(Number.MAX_SAFE_INTEGER)));
  const headerBytes = pad8(draft.length);
  const json = encoder.encode(JSON.stringify(header(PREFIX_BYTES + headerBytes)));
  const head = new Uint8Array(PREFIX_BYTES + headerBytes).fill(0x20);
  head.set(encoder.encode(MAGIC), 0);
  head.set(json, PREFIX_BYTES);
  const view = new DataView(head.buffer);
  view.setUint32(8, headerBytes, true);
  view.setUint32(12, crc32(head.subarray(PREFIX_BYTES)), true);
  const pieces: Uint8Array[] = [head];
  for (const s of sections) {
    pieces.push(s.data);
    if (s.data.byteLength % 8) pieces.push(new Uint8Array(8 - (s.data.byteLength % 8)));
  }
  return pieces;
}

export function encodePreprocessedCase(c: PreprocessedCase): Uint8Array {
  const pieces = layout(c);
  const out = new Uint8Array(pieces.reduce((s, p) => s + p.byteLength, 0));
  let off = 0;
  for (const p of pieces) {
    out.set(p, off);
    off += p.byteLength;
  }
  return out;
}

/** Write a case file atomically (temp file, then rename), piece by piece: no second copy of the case in memory. */
export function writeCaseFile(file: string, c: PreprocessedCase): void {
  writeFileAtomicPieces(file, (write) => layout(c).forEach(write));
}

function parseHeader(prefix: Uint8Array, readHeader: (bytes: number) => Uint8Array, fileBytes: number, file: string): Header {
  const magic = new TextDecoder().decode(prefix.subarray(0, 8));
  if (prefix.length < PREFIX_BYTES || !magic.startsWith(MAGIC_PREFIX)) throw new DatasetError('not an hnas preprocessed case (bad magic)', { file });
  if (magic !== MAGIC) {
    throw new DatasetError(
      `preprocessed-case file of cache format ${Number(magic.slice(MAGIC_PREFIX.length)) || magic.slice(MAGIC_PREFIX.length)}, this hnas reads format ${CASE_FILE_FORMAT}: ` +
        'rerun `hnas preprocess` for this dataset (or delete the cache folder; `hnas train` rebuilds it)',
      { file },
    );
  }
  const view = new DataView(prefix.buffer, prefix.byteOffset, PREFIX_BYTES);
  const headerBytes = view.getUint32(8, true);
  if (PREFIX_BYTES + headerBytes > fileBytes) throw new DatasetError(`truncated preprocessed case: ${fileBytes} bytes, the header alone needs ${PREFIX_BYTES + headerBytes}`, { file });
  const raw = readHeader(headerBytes);
  if (crc32(raw) !== view.getUint32(12, true)) throw new DatasetError('corrupt preprocessed-case header (CRC mismatch): rerun `hnas preprocess`', { file });
  let header: Header;
  try {
    header = JSON.parse(new TextDecoder().decode(raw)) as Header;
  } catch (err) {
    throw new DatasetError('corrupt preprocessed-case header', { file }, { cause: err });
  }
  if (header.fileBytes !== fileBytes) throw new DatasetError(`truncated preprocessed case: ${fileBytes} bytes, expected ${header.fileBytes}: rerun \`hnas preprocess\``, { file });
  return header;
}

/** Whole case from the bytes of a case file (every section's CRC checked). */
export function decodePreprocessedCase(bytes: Uint8Array, file = '<memory>'): PreprocessedCase {
  // Typed-array views need aligned offsets; readFileSync may hand out a pooled, unaligned slice.
  const b = bytes.byteOffset % 8 === 0 ? bytes : bytes.slice();
  const header = parseHeader(b.subarray(0, PREFIX_BYTES), (n) => b.subarray(PREFIX_BYTES, PREFIX_BYTES + n), b.length, file);
  const section = (s: Section, what: string): Uint8Array => {
    const data = b.subarray(s.offset, s.offset + s.bytes);
    if (crc32(data) !== s.crc32) throw new DatasetError(`corrupt preprocessed case: the ${what} does not match its CRC-32; rerun \`hnas preprocess\``, { file });
    return data;
  };
  const view = <T>(s: Section, what: string, Ctor: new (buffer: ArrayBufferLike, offset: number, length: number) => T, size: number): T => {
    const data = section(s, what);
    return new Ctor(data.buffer, data.byteOffset, s.bytes / size);
  };
  const classLocations: Record<number, Int32Array> = {};
  for (const k of header.classes) classLocations[k.value] = view(k, `class ${k.value} locations`, Int32Array, 4);
  return {
    id: header.id,
    channels: header.channels,
    shape: header.shape,
    image: view(header.image, 'image', Float32Array, 4),
    label: header.label ? view(header.label, 'label', Int16Array, 2) : undefined,
    classLocations,
    properties: header.properties,
  };
}

const systemError = (what: string, err: unknown, file: string): DatasetError =>
  new DatasetError(`cannot read ${what} (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { file }, { cause: err });

export function readPreprocessedCase(file: string): PreprocessedCase {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    throw systemError('preprocessed case', err, file);
  }
  return decodePreprocessedCase(bytes, file);
}

/** Read exactly `length` bytes at `position`, or fail naming the file (a file cut short after it was opened). */
function readFully(fd: number, into: Uint8Array, length: number, position: number, file: string): void {
  let done = 0;
  while (done < length) {
    const got = readSync(fd, into, done, length - done, position + done);
    if (got === 0) throw new DatasetError(`truncated preprocessed case: no bytes at offset ${position + done}: rerun \`hnas preprocess\``, { file });
    done += got;
  }
}

/**
 * A case file opened for patch reads: the header and class counts in memory, voxels read on
 * demand. Each read opens and closes the file, so thousands of cases cost no open descriptors.
 */
export class CaseFile implements PatchSource {
  readonly id: string;
  readonly channels: number;
  readonly shape: Vec3;
  readonly properties: PreprocessedCase['properties'];
  readonly classes: readonly { value: number; count: number }[];
  readonly hasLabel: boolean;
  private scratch = new ArrayBuffer(0);

  private constructor(
    readonly file: string,
    private readonly header: Header,
    private readonly rowGapBytes: number,
  ) {
    this.id = header.id;
    this.channels = header.channels;
    this.shape = header.shape;
    this.properties = header.properties;
    this.classes = header.classes.map((k) => ({ value: k.value, count: k.count }));
    this.hasLabel = header.label !== null;
  }

  /**
   * Reads and checks the header only; a missing, foreign, old-format or truncated file is a DatasetError naming it.
   * `rowGapBytes` overrides ROW_GAP_BYTES (tests use it to take both read paths).
   */
  static open(file: string, options: { rowGapBytes?: number } = {}): CaseFile {
    return CaseFile.withFd(file, (fd) => {
      const size = fstatSync(fd).size;
      const prefix = new Uint8Array(Math.min(PREFIX_BYTES, size));
      readFully(fd, prefix, prefix.length, 0, file);
      const header = parseHeader(
        prefix,
        (n) => {
          const raw = new Uint8Array(n);
          readFully(fd, raw, n, PREFIX_BYTES, file);
          return raw;
        },
        size,
        file,
      );
      return new CaseFile(file, header, options.rowGapBytes ?? ROW_GAP_BYTES);
    });
  }

  private static withFd<T>(file: string, fn: (fd: number) => T): T {
    let fd: number;
    try {
      fd = openSync(file, 'r');
    } catch (err) {
      throw systemError('preprocessed case', err, file);
    }
    try {
      return fn(fd);
    } catch (err) {
      if (err instanceof DatasetError) throw err;
      throw systemError('preprocessed case', err, file);
    } finally {
      closeSync(fd);
    }
  }

  classLocation(value: number, index: number): number {
    const k = this.header.classes.find((c) => c.value === value);
    if (!k || !(index >= 0 && index < k.count)) throw new RangeError(`class ${value} has no stored location ${index}`);
    const out = new Int32Array(1);
    CaseFile.withFd(this.file, (fd) => readFully(fd, bytesOf(out), 4, k.offset + index * 4, this.file));
    return out[0]!;
  }

  readRegion(start: Vec3, size: Vec3): Region {
    return CaseFile.withFd(this.file, (fd) => {
      const image = this.spanReader(fd, this.header.image.offset, Float32Array);
      const label = this.header.label ? this.spanReader(fd, this.header.label.offset, Int16Array) : undefined;
      return assembleRegion(this.shape, this.channels, start, size, image, label);
    });
  }

  private spanReader<T extends Float32Array | Int16Array>(fd: number, sectionOffset: number, Ctor: { new (buffer: ArrayBuffer, offset: number, length: number): T; BYTES_PER_ELEMENT: number }): PlaneSpan<T> {
    const [sz, sy, sx] = this.shape;
    const bpe = Ctor.BYTES_PER_ELEMENT;
    return (ch, z, y0, y1, x0, x1) => {
      const first = ch * sz * sy * sx + (z * sy + y0) * sx + x0;
      const elements = (y1 - y0 - 1) * sx + (x1 - x0);
      if (this.scratch.byteLength < elements * bpe) this.scratch = new ArrayBuffer(elements * bpe);
      const into = new Uint8Array(this.scratch, 0, elements * bpe);
      const position = sectionOffset + first * bpe;
      if ((sx - (x1 - x0)) * bpe < this.rowGapBytes) readFully(fd, into, elements * bpe, position, this.file);
      else for (let y = 0; y < y1 - y0; y++) readFully(fd, into.subarray(y * sx * bpe), (x1 - x0) * bpe, position + y * sx * bpe, this.file);
      return new Ctor(this.scratch, 0, elements);
    };
  }
}
