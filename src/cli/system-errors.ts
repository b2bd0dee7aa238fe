/**
 * Ordinary faults of the machine (disk full, no permission, a file where a folder should be)
 * reach the CLI as Node system errors (`err.code`, `err.path`) or SQLite errors. They are the
 * user's to fix, not bugs: each becomes an EnvironmentError (exit 1) naming the path and what to do.
 */
import { EnvironmentError } from '../errors.js';

/** The path the user chose: writeFileAtomic's temporary name stands for its destination. */
const userPath = (p: unknown): string | undefined => (typeof p === 'string' ? p.replace(/\.tmp-\d+-\d+$/, '') : undefined);

const ADVICE: Record<string, (path: string | undefined) => string> = {
  ENOSPC: () => 'no space left on the device: free some space or write somewhere else (-o)',
  EDQUOT: () => 'the disk quota is exceeded: free some space or write somewhere else (-o)',
  EEXIST: () => 'this exists and is not a folder, where a folder is needed: move it away or choose another output path (-o)',
  ENOTDIR: () => 'a part of this path is a file, not a folder: choose another path',
  EISDIR: () => 'this is a folder, where a file is needed: give a file path',
  EACCES: () => 'permission denied: choose a folder you can write to (or read), or change its permissions',
  EPERM: () => 'operation not permitted: choose a folder you can write to, or change its permissions',
  EROFS: () => 'the file system is read-only: write somewhere else (-o)',
  ENOENT: () => 'no such file or folder',
  ENAMETOOLONG: () => 'the path is too long: choose a shorter one',
  EMFILE: () => 'too many open files: raise the limit (ulimit -n) or use fewer workers',
  SQLITE_FULL: () => 'the study database cannot grow: the disk is full; free some space',
  SQLITE_READONLY: () => 'the study database is read-only: copy the study folder somewhere writable, or change its permissions',
  SQLITE_CANTOPEN: () => 'the study database cannot be opened: check that its folder exists and is readable',
  SQLITE_IOERR: () => 'the study database could not be read or written (an I/O error): check the disk',
};

/** The EnvironmentError for a system fault, or null for anything else (a bug, reported as such). */
export function systemError(err: unknown): EnvironmentError | null {
  if (!(err instanceof Error)) return null;
  const e = err as NodeJS.ErrnoException & { dest?: string };
  const code = typeof e.code === 'string' ? (e.code.startsWith('SQLITE_IOERR') ? 'SQLITE_IOERR' : e.code) : undefined;
  const advice = code === undefined ? undefined : ADVICE[code];
  if (!advice) return null;
  const file = userPath(e.code === 'EEXIST' || e.code === 'ENOTDIR' ? (e.path ?? e.dest) : (e.dest ?? e.path)) ;
  const what = e.syscall ? ` (${code} in ${e.syscall})` : ` (${code})`;
  return new EnvironmentError(`${advice(file)}${what}`, file === undefined ? undefined : { file }, { cause: err });
}
