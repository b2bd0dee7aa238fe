/**
 * The shared libraries an ELF64 little-endian file asks the dynamic loader for (DT_NEEDED) and
 * its DT_RUNPATH / DT_RPATH, read from the dynamic segment. Parsing the file itself works
 * offline and without binutils, and does not run the loader (`ldd` would).
 */
import { closeSync, openSync, readSync } from 'node:fs';

export interface DynamicInfo {
  readonly needed: readonly string[];
  /** DT_RUNPATH entries, or DT_RPATH when there is no RUNPATH ($ORIGIN unexpanded). */
  readonly runpath: readonly string[];
}

const PT_LOAD = 1;
const PT_DYNAMIC = 2;
const DT = { NULL: 0, NEEDED: 1, STRTAB: 5, STRSZ: 10, RPATH: 15, RUNPATH: 29 } as const;

/** Throws an Error naming the file when it is not a 64-bit little-endian ELF with a dynamic segment. */
export function readDynamicInfo(path: string): DynamicInfo {
  const fd = openSync(path, 'r');
  try {
    const read = (offset: number, length: number): Buffer => {
      const buf = Buffer.alloc(length);
      const n = readSync(fd, buf, 0, length, offset);
      if (n !== length) throw new Error(`${path}: truncated ELF file (wanted ${length} bytes at ${offset})`);
      return buf;
    };
    const head = Buffer.alloc(64);
    if (readSync(fd, head, 0, 64, 0) < 64 || head.readUInt32BE(0) !== 0x7f454c46) throw new Error(`${path}: not an ELF file`);
    if (head[4] !== 2 || head[5] !== 1) throw new Error(`${path}: not a 64-bit little-endian ELF file`);
    const phoff = Number(head.readBigUInt64LE(32));
    const phentsize = head.readUInt16LE(54);
    const phnum = head.readUInt16LE(56);
    const segments = Array.from({ length: phnum }, (_, i) => {
      const ph = read(phoff + i * phentsize, 56);
      return { type: ph.readUInt32LE(0), offset: Number(ph.readBigUInt64LE(8)), vaddr: Number(ph.readBigUInt64LE(16)), filesz: Number(ph.readBigUInt64LE(32)) };
    });
    const dynamic = segments.find((s) => s.type === PT_DYNAMIC);
    if (!dynamic) throw new Error(`${path}: no dynamic segment (a static executable?)`);
    // The dynamic entries give addresses; a PT_LOAD segment maps them back to file offsets.
    const fileOffset = (vaddr: number): number => {
      const seg = segments.find((s) => s.type === PT_LOAD && vaddr >= s.vaddr && vaddr < s.vaddr + s.filesz);
      if (!seg) throw new Error(`${path}: address 0x${vaddr.toString(16)} lies in no loadable segment`);
      return seg.offset + (vaddr - seg.vaddr);
    };
    const dyn = read(dynamic.offset, dynamic.filesz);
    const entries: { tag: number; value: number }[] = [];
    for (let o = 0; o + 16 <= dyn.length; o += 16) {
      const tag = Number(dyn.readBigInt64LE(o));
      if (tag === DT.NULL) break;
      entries.push({ tag, value: Number(dyn.readBigUInt64LE(o + 8)) });
    }
    const strtab = entries.find((e) => e.tag === DT.STRTAB);
    const strsz = entries.find((e) => e.tag === DT.STRSZ);
    if (!strtab || !strsz) throw new Error(`${path}: dynamic segment without a string table`);
    const strings = read(fileOffset(strtab.value), strsz.value);
    const str = (at: number) => strings.toString('utf8', at, strings.indexOf(0, at));
    const of = (tag: number) => entries.filter((e) => e.tag === tag).map((e) => str(e.value));
    const runpath = of(DT.RUNPATH).length ? of(DT.RUNPATH) : of(DT.RPATH);
    return { needed: of(DT.NEEDED), runpath: runpath.flatMap((r) => r.split(':')).filter(Boolean) };
  } finally {
    closeSync(fd);
  }
}
