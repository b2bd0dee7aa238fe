/**
 * Small stand-ins for the CUDA provider package, so the setup tests run offline and fast: a
 * minimal ELF64 shared object whose dynamic segment names the given DT_NEEDED libraries, a
 * core library carrying onnxruntime's symbol version string, and a tarball laid out like the
 * npm package (package/Plugins/Linux/x64/...).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** An ELF64 LE shared object: header, PT_LOAD over the whole file, PT_DYNAMIC, string table. */
export function fakeElf(needed: readonly string[], extraStrings: readonly string[] = []): Buffer {
  const strings = ['', ...needed, ...extraStrings];
  const offsets: number[] = [];
  let at = 0;
  for (const s of strings) (offsets.push(at), (at += Buffer.byteLength(s) + 1));
  const strtab = Buffer.concat(strings.map((s) => Buffer.from(`${s}\0`, 'latin1')));
  const strOff = 64 + 2 * 56;
  const dynOff = strOff + strtab.length + ((8 - (strtab.length % 8)) % 8);
  const entries: [number, number][] = [...needed.map((_, i) => [1, offsets[i + 1]!] as [number, number]), [5, strOff], [10, strtab.length], [0, 0]];
  const total = dynOff + entries.length * 16;
  const b = Buffer.alloc(total);
  b.writeUInt32BE(0x7f454c46, 0);
  b[4] = 2; // 64-bit
  b[5] = 1; // little-endian
  b[6] = 1;
  b.writeUInt16LE(3, 16); // ET_DYN
  b.writeUInt16LE(62, 18); // x86-64
  b.writeUInt32LE(1, 20);
  b.writeBigUInt64LE(64n, 32); // e_phoff
  b.writeUInt16LE(64, 52);
  b.writeUInt16LE(56, 54);
  b.writeUInt16LE(2, 56);
  const ph = (i: number, type: number, offset: number, size: number) => {
    const o = 64 + i * 56;
    b.writeUInt32LE(type, o);
    b.writeBigUInt64LE(BigInt(offset), o + 8);
    b.writeBigUInt64LE(BigInt(offset), o + 16);
    b.writeBigUInt64LE(BigInt(offset), o + 24);
    b.writeBigUInt64LE(BigInt(size), o + 32);
    b.writeBigUInt64LE(BigInt(size), o + 40);
  };
  ph(0, 1, 0, total);
  ph(1, 2, dynOff, entries.length * 16);
  strtab.copy(b, strOff);
  entries.forEach(([tag, value], i) => {
    b.writeBigInt64LE(BigInt(tag), dynOff + 16 * i);
    b.writeBigUInt64LE(BigInt(value), dynOff + 16 * i + 8);
  });
  return b;
}

export const CUDA_NEEDED = ['libcublasLt.so.13', 'libcublas.so.13', 'libcurand.so.10', 'libcudart.so.13', 'libcuda.so.1', 'libc.so.6'];

/** A folder standing in for onnxruntime-node's native folder, its core at onnxruntime `version`. */
export function fakeNativeDir(version = '1.29.0'): string {
  const dir = mkdtempSync(join(tmpdir(), 'hnas-ort-'));
  writeFileSync(join(dir, 'libonnxruntime.so.1'), Buffer.concat([fakeElf(['libc.so.6']), Buffer.from(`\0VERS_${version}\0`)]));
  return dir;
}

/** A .tgz laid out like the npm package, holding a fake provider of onnxruntime `version`. */
export function fakeProviderTarball(version = '1.29.0'): string {
  const root = mkdtempSync(join(tmpdir(), 'hnas-pkg-'));
  const x64 = join(root, 'package', 'Plugins', 'Linux', 'x64');
  mkdirSync(x64, { recursive: true });
  writeFileSync(join(x64, 'libonnxruntime_providers_cuda.so'), fakeElf(CUDA_NEEDED, [version]));
  writeFileSync(join(x64, 'libonnxruntime_providers_shared.so'), fakeElf(['libc.so.6']));
  writeFileSync(join(x64, 'libonnxruntime_providers_cuda.so.meta'), 'unity metadata');
  writeFileSync(join(root, 'package', 'package.json'), '{}');
  const tgz = join(root, 'provider.tgz');
  execFileSync('tar', ['-czf', tgz, '-C', root, 'package']);
  return tgz;
}
