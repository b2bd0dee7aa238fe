/**
 * Option parsers shared by the commands, so the same flag means and reads the same
 * everywhere (`--seed 3`, `--patch 40x56x40`, `--features 8,64`, `--folds 0..4`, `--device cuda`).
 * Each throws a UsageError naming the flag.
 */
import { type Command, InvalidArgumentError, Option } from 'commander';
import type { Vec3 } from '../data/plan-types.js';
import { UsageError } from '../errors.js';
import type { FoldId } from '../pipeline/model-dir.js';
import { requireDevice } from '../runtime/doctor.js';
import { normalizeStorageUrl } from '../optimize/storage-url.js';
import { PROVIDERS, type Device } from '../runtime/providers.js';

/** Plain decimal integers only: no spaces, signs on zero, hex (`0x4`), exponents or fractions. */
const DECIMAL = /^-?\d+$/;

/** Parse an integer option in min..max or throw a UsageError naming the flag. */
export function intOption(flag: string, min = -Infinity, max = Infinity) {
  return (value: string): number => {
    const n = DECIMAL.test(value) ? Number(value) + 0 : NaN; // + 0: '-0' is 0
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      const range = Number.isFinite(min) && Number.isFinite(max) ? ` in ${min}..${max}` : Number.isFinite(min) ? ` >= ${min}` : '';
      throw new UsageError(`${flag} must be an integer${range}, got '${value}'`);
    }
    return n;
  };
}

/** `40x56x40` or `40,56,40`: a patch size in plan axis order (`32`: a cube). */
export function parsePatch(text: string, flag = '--patch'): Vec3 {
  const split = text.split(/[x,]/);
  const parts = split.length === 1 ? [text, text, text] : split;
  if (parts.length !== 3 || parts.some((p) => !/^\d+$/.test(p) || Number(p) < 1)) throw new UsageError(`${flag} must be three positive integers like 40x56x40 (or one, a cube), got '${text}'`);
  return parts.map(Number) as Vec3;
}

/** `BASE,MAX`: feature widths of stage 0 and the cap. */
export function parseFeatures(text: string): { base: number; max: number } {
  const parts = text.split(',');
  const [base, max] = parts.map((p) => (/^\d+$/.test(p) ? Number(p) : NaN));
  if (parts.length !== 2 || !(base! >= 1) || !(max! >= base!)) throw new UsageError(`--features must be BASE,MAX with 1 <= BASE <= MAX, got '${text}'`);
  return { base: base!, max: max! };
}

/** Cross-validation folds are 0..FOLDS-1 (nnU-Net's five-fold split, src/data/splits.ts). */
export const FOLDS = 5;

/**
 * `--folds`: '0', '0,2,4' or '0..4' (cross-validation folds), and where `all` is allowed, 'all'
 * (nnU-Net's fold of every training case, without validation). 'all5' is the old spelling of 0..4.
 */
export function foldsParser(options: { all: true }): (text: string) => FoldId[];
export function foldsParser(options: { all: false }): (text: string) => number[];
export function foldsParser({ all }: { all: boolean }): (text: string) => FoldId[] {
  const expected = `fold numbers 0..${FOLDS - 1} ('0', '0,2', '0..4')${all ? " or 'all' (every case, no validation)" : ''}`;
  return (text: string): FoldId[] => {
    if (text === 'all') {
      if (all) return ['all'];
      throw new UsageError(`--folds 'all' trains on every case without validation, so nothing scores it: give ${expected}, got '${text}'`);
    }
    let folds: number[] = [];
    if (text === 'all5') folds = Array.from({ length: FOLDS }, (_, i) => i);
    else if (/^\d+\.\.\d+$/.test(text)) {
      const [a, b] = text.split('..').map(Number) as [number, number];
      folds = Array.from({ length: Math.max(0, b - a + 1) }, (_, i) => a + i);
    } else if (/^\d+(,\d+)*$/.test(text)) folds = text.split(',').map(Number);
    if (folds.length === 0 || folds.some((f) => f >= FOLDS)) throw new UsageError(`--folds must be ${expected}, got '${text}'`);
    if (new Set(folds).size !== folds.length) throw new UsageError(`--folds lists a fold twice: '${text}'`);
    return folds;
  };
}
/** Cross-validation folds only (every evaluation needs validation). */
export const parseFolds = foldsParser({ all: false });

/**
 * `--device`: one of the execution providers of src/runtime/providers.ts. A GPU device that
 * cannot work here fails while the flags are parsed, before any planning or preprocessing.
 */
export const deviceOption = (what = 'execution provider') =>
  new Option('--device <device>', what).choices(Object.keys(PROVIDERS)).default('cpu').argParser((value: string) => {
    if (!(value in PROVIDERS)) throw new InvalidArgumentError(`Allowed choices are ${Object.keys(PROVIDERS).join(', ')}.`);
    requireDevice(value as Device);
    return value;
  });

/** `--seed`: every random choice of a command flows from it. */
export const seedOption = (what: string) => new Option('--seed <n>', what).argParser(intOption('--seed', 0, Number.MAX_SAFE_INTEGER)).default(0);

/**
 * Keeps an old spelling of an option for one release: hidden from --help, it warns on stderr and
 * sets the current option (through that option's parser, so it is checked the same way).
 * Register it after the current option.
 */
export function oldSpelling(cmd: Command, flags: string, current: string): Command {
  const old = new Option(flags).hideHelp();
  const target = cmd.options.find((o) => o.long === current);
  if (!target) throw new Error(`oldSpelling: ${cmd.name()} has no option ${current}`);
  cmd.addOption(old);
  cmd.on(`option:${old.name()}`, (value: string | boolean) => {
    process.stderr.write(`hnas: ${old.long} is now ${current}; the old name goes in the next release\n`);
    const parsed = target.parseArg && typeof value === 'string' ? target.parseArg(value, undefined) : value;
    cmd.setOptionValueWithSource(target.attributeName(), parsed, 'cli');
  });
  return cmd;
}

/** `--storage URL`: where a study's trials live (postgresql://user@host:5432/db, sqlite:///abs/path.db or a path); checked while parsing. */
export const storageOption = (fallback = "the study folder's study.db") =>
  new Option('--storage <url>', `study storage: postgresql://user@host:5432/db, sqlite:///abs/path.db or a path (default: ${fallback})`).argParser((v) => normalizeStorageUrl(v));
