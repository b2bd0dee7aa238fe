/** File writes that never leave a half-written file behind. */
import { closeSync, mkdirSync, openSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Write `data` to `path` atomically: temp file in the same folder, then rename. `data` may come in
 * pieces (written one after another, never joined: large files are not held twice).
 */
export function writeFileAtomic(path: string, data: string | Uint8Array | readonly Uint8Array[]): void {
  if (typeof data !== 'string' && !(data instanceof Uint8Array)) {
    writeFileAtomicPieces(path, (write) => data.forEach(write));
    return;
  }
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw withPath(err, path);
  }
}

/**
 * Write `path` atomically from pieces handed to `write` one at a time (a case volume, one class of a
 * NIfTI), so the whole file never sits in memory as one buffer: temp file, then rename.
 */
export function writeFileAtomicPieces(path: string, produce: (write: (bytes: Uint8Array) => void) => void): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'w');
    const target = fd;
    produce((bytes) => {
      for (let off = 0; off < bytes.byteLength; ) off += writeSync(target, bytes, off, bytes.byteLength - off);
    });
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
    rmSync(tmp, { force: true });
    throw withPath(err, path);
  }
}

/** A failed write(2) (ENOSPC) carries no path: name the file the caller asked for. */
function withPath(err: unknown, path: string): unknown {
  if (err instanceof Error && (err as NodeJS.ErrnoException).path === undefined) (err as NodeJS.ErrnoException).path = path;
  return err;
}
