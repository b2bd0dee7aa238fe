/** File writes that never leave a half-written file behind. */
import { closeSync, mkdirSync, openSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Write `data` to `path` atomically: temp file in the same folder, then rename. `data` may come in
 * pieces (written one after another, never joined: large files are not held twice).
 */
export function writeFileAtomic(path: string, data: string | Uint8Array | readonly Uint8Array[]): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
  try {
    if (typeof data === 'string' || data instanceof Uint8Array) writeFileSync(tmp, data);
    else writeParts(tmp, data);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    // A failed write(2) (ENOSPC) carries no path: name the file the caller asked for.
    if (err instanceof Error && (err as NodeJS.ErrnoException).path === undefined) (err as NodeJS.ErrnoException).path = path;
    throw err;
  }
}

function writeParts(file: string, parts: readonly Uint8Array[]): void {
  const fd = openSync(file, 'w');
  try {
    for (const part of parts) {
      for (let off = 0; off < part.byteLength; ) off += writeSync(fd, part, off, part.byteLength - off);
    }
  } finally {
    closeSync(fd);
  }
}
