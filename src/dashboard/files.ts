/**
 * The folders the dashboard may read from, and the one way a request path becomes a file:
 * each URL segment is decoded once and must be a plain name (no '', '.', '..', slash, backslash,
 * NUL or drive colon), the joined path is resolved through symlinks and must still lie inside the
 * root's own real path, and it must be a regular file. Anything else is "not found", so a probe
 * learns nothing about what exists outside.
 */
import { realpathSync, statSync } from 'node:fs';
import { join, sep } from 'node:path';

export interface ServedRoot {
  /** URL name: /files/<name>/... */
  readonly name: string;
  readonly dir: string;
  /** File names it serves (lower case suffixes). */
  readonly suffixes: readonly string[];
}

/** NIfTI, JSON and ONNX: what the pages read (never the database, logs of other tools or checkpoints). */
export const SERVED_SUFFIXES = ['.nii.gz', '.nii', '.json', '.jsonl', '.onnx'] as const;

/** A decoded URL segment that names one entry of a folder, or undefined. */
export function plainSegment(raw: string): string | undefined {
  let s: string;
  try {
    s = decodeURIComponent(raw);
  } catch {
    return undefined;
  }
  if (s === '' || s === '.' || s === '..' || /[/\\\0:]/.test(s)) return undefined;
  return s;
}

const realOrUndefined = (p: string): string | undefined => {
  try {
    return realpathSync(p);
  } catch {
    return undefined;
  }
};

/** The regular file `segments` (raw URL segments) name inside `root`, or undefined. */
export function fileInside(root: string, rawSegments: readonly string[], suffixes: readonly string[] = SERVED_SUFFIXES): string | undefined {
  if (rawSegments.length === 0) return undefined;
  const names: string[] = [];
  for (const raw of rawSegments) {
    const s = plainSegment(raw);
    if (s === undefined) return undefined;
    names.push(s);
  }
  const last = names.at(-1)!.toLowerCase();
  if (!suffixes.some((x) => last.endsWith(x))) return undefined;
  const realRoot = realOrUndefined(root);
  const real = realOrUndefined(join(root, ...names));
  if (realRoot === undefined || real === undefined) return undefined;
  if (!real.startsWith(realRoot.endsWith(sep) ? realRoot : realRoot + sep)) return undefined;
  try {
    return statSync(real).isFile() ? real : undefined;
  } catch {
    return undefined;
  }
}

/** A path below `root` as URL segments (for links the API hands out), or undefined when it is outside. */
export function relativeSegments(root: string, file: string): string[] | undefined {
  const realRoot = realOrUndefined(root);
  const real = realOrUndefined(file);
  if (!realRoot || !real || !real.startsWith(realRoot + sep)) return undefined;
  return real.slice(realRoot.length + 1).split(sep);
}

export const fileUrl = (rootName: string, segments: readonly string[]): string => `/files/${encodeURIComponent(rootName)}/${segments.map(encodeURIComponent).join('/')}`;
