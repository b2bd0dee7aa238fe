/**
 * Option parsers shared by several commands, so the same flag means and reads the same
 * everywhere (`--patch 40x56x40`, `--features 8,64`, `--folds 0..4`, `--device cuda`).
 * Each throws a UsageError naming the flag.
 */
import { Option } from 'commander';
import type { Vec3 } from '../data/plan-types.js';
import { UsageError } from '../errors.js';
import { normalizeStorageUrl } from '../optimize/storage-url.js';
import { PROVIDERS } from '../runtime/providers.js';

/** `40x56x40` or `40,56,40`: a patch size in plan axis order. */
export function parsePatch(text: string, flag = '--patch'): Vec3 {
  const parts = text.split(/[x,]/).map(Number);
  if (parts.length !== 3 || parts.some((p) => !Number.isInteger(p) || p < 1)) throw new UsageError(`${flag} must be three positive integers like 40x56x40, got '${text}'`);
  return parts as Vec3;
}

/** `BASE,MAX`: feature widths of stage 0 and the cap. */
export function parseFeatures(text: string): { base: number; max: number } {
  const [base, max, ...rest] = text.split(',').map(Number);
  if (rest.length || !Number.isInteger(base) || !Number.isInteger(max) || base! < 1 || max! < base!) throw new UsageError(`--features must be BASE,MAX with 1 <= BASE <= MAX, got '${text}'`);
  return { base: base!, max: max! };
}

/** '0', '0,2,4', '0..4' or 'all5': cross-validation folds per evaluation. */
export function parseFolds(text: string): number[] {
  const t = text.trim();
  let folds: number[];
  if (t === 'all5') folds = [0, 1, 2, 3, 4];
  else if (/^\d+\.\.\d+$/.test(t)) {
    const [a, b] = t.split('..').map(Number) as [number, number];
    folds = Array.from({ length: Math.max(0, b - a + 1) }, (_, i) => a + i);
  } else if (/^\d+(,\d+)*$/.test(t)) folds = t.split(',').map(Number);
  else folds = [];
  if (folds.length === 0 || folds.some((f) => f > 4) || new Set(folds).size !== folds.length)
    throw new UsageError(`--folds must be fold numbers 0..4 ('0', '0,2', '0..4') or 'all5', got '${text}'`);
  return folds;
}

/** `--device`: one of the execution providers of src/runtime/providers.ts. */
export const deviceOption = (what = 'execution provider') =>
  new Option('--device <device>', what).choices(Object.keys(PROVIDERS)).default('cpu');

/** `--storage URL`: where a study's trials live (sqlite:///path, a .db path, postgresql://user@host:5432/db); checked at parse time. */
export const storageOption = (fallback = "the study folder's study.db") =>
  new Option('--storage <url>', `study storage: postgresql://user@host:5432/db, sqlite:///abs/path.db or a path (default: ${fallback})`).argParser((v) => normalizeStorageUrl(v));
