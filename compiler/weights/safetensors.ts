/**
 * The safetensors format (float32 only): an 8-byte little-endian header length, a JSON
 * header {name: {dtype: "F32", shape, data_offsets: [begin, end]}, "__metadata__": {...}}
 * padded with spaces to a multiple of 8, then the raw little-endian tensor bytes.
 * Readable by the `safetensors` Python/Rust libraries and by bench/unet_reference.py.
 */
import { endianness } from 'node:os';
import { HnasError } from '../../src/errors.js';

const LITTLE_ENDIAN = endianness() === 'LE';

/** A weight file that cannot be read or does not fit the architecture. */
export class WeightFileError extends HnasError {}

export interface NamedTensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

export function encodeSafetensors(tensors: ReadonlyMap<string, NamedTensor>, metadata: Record<string, string> = {}): Uint8Array {
  // A null prototype, so a tensor named '__proto__' is a key like any other.
  const header = Object.assign(Object.create(null) as Record<string, unknown>, { __metadata__: metadata });
  let offset = 0;
  for (const [name, t] of tensors) {
    if (name === '__metadata__') throw new Error(`tensor name '${name}' is reserved by the safetensors format`);
    if (t.data.length !== t.shape.reduce((a, b) => a * b, 1)) throw new Error(`tensor '${name}': ${t.data.length} values for shape [${t.shape.join(', ')}]`);
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + 4 * t.data.length] };
    offset += 4 * t.data.length;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
  const headerBytes = Buffer.from(json, 'utf8');
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const t of tensors.values()) {
    if (LITTLE_ENDIAN) out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at);
    else for (let i = 0; i < t.data.length; i++) view.setFloat32(at + 4 * i, t.data[i]!, true);
    at += t.data.byteLength;
  }
  return out;
}

export function decodeSafetensors(bytes: Uint8Array, file?: string): { tensors: Map<string, NamedTensor>; metadata: Record<string, string> } {
  const fail = (msg: string, path?: string): never => {
    throw new WeightFileError(msg, { file, path });
  };
  if (bytes.length < 8) fail(`too short for a safetensors file (${bytes.length} bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = Number(view.getBigUint64(0, true));
  if (headerLen > bytes.length - 8) fail(`header length ${headerLen} exceeds the file size ${bytes.length}`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset + 8, headerLen).toString('utf8')) as Record<string, unknown>;
  } catch (err) {
    return fail(`header is not valid JSON: ${(err as Error).message}`);
  }
  const dataStart = 8 + headerLen;
  const dataLen = bytes.length - dataStart;
  const tensors = new Map<string, NamedTensor>();
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = (entry ?? {}) as Record<string, string>;
      continue;
    }
    const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (e.dtype !== 'F32') fail(`dtype ${JSON.stringify(e.dtype)} is not supported (expected "F32")`, name);
    if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isInteger(d) && d >= 0)) fail('shape must be a list of non-negative integers', name);
    const shape = e.shape as number[];
    const [begin, end] = Array.isArray(e.data_offsets) ? (e.data_offsets as number[]) : [];
    const size = 4 * shape.reduce((a, b) => a * b, 1);
    if (!Number.isInteger(begin) || !Number.isInteger(end) || begin! < 0 || end! > dataLen || end! - begin! !== size)
      fail(`data_offsets ${JSON.stringify(e.data_offsets)} do not describe ${size} bytes inside the ${dataLen}-byte data section`, name);
    const at = bytes.byteOffset + dataStart + begin!;
    const data = LITTLE_ENDIAN ? new Float32Array(bytes.buffer.slice(at, at + size)) : new Float32Array(size / 4);
    if (!LITTLE_ENDIAN) for (let i = 0; i < data.length; i++) data[i] = view.getFloat32(dataStart + begin! + 4 * i, true);
    tensors.set(name, { shape, data });
  }
  return { tensors, metadata };
}
