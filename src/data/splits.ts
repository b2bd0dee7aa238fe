/**
 * 5-fold cross-validation splits: sorted case ids, shuffled with a fixed seed, cut
 * into k nearly equal folds; stored once as splits_final.json and reused by every run.
 */
import { existsSync } from 'node:fs';
import { z } from 'zod';
import { DatasetError } from '../errors.js';
import { writeFileAtomic } from '../util/fs.js';
import { Rng } from '../util/rng.js';
import { readJsonFile } from '../util/json.js';

export interface Split {
  readonly train: string[];
  readonly val: string[];
}

export const DEFAULT_SPLIT_SEED = 12345;
export const CROSS_VALIDATION_FOLDS = 5;

export function makeSplits(caseIds: readonly string[], folds = CROSS_VALIDATION_FOLDS, seed = DEFAULT_SPLIT_SEED): Split[] {
  if (caseIds.length < folds) throw new DatasetError(`${folds}-fold cross-validation needs at least ${folds} cases, got ${caseIds.length}`);
  const ids = [...caseIds].sort();
  const order = Rng.seeded(seed).shuffle(ids.map((_, i) => i));
  const splits: Split[] = [];
  let start = 0;
  for (let f = 0; f < folds; f++) {
    const size = Math.floor(ids.length / folds) + (f < ids.length % folds ? 1 : 0);
    const valIdx = new Set(order.slice(start, start + size));
    start += size;
    splits.push({ train: ids.filter((_, i) => !valIdx.has(i)), val: ids.filter((_, i) => valIdx.has(i)) });
  }
  return splits;
}

const splitsSchema = z.array(z.object({ train: z.array(z.string()), val: z.array(z.string()) })).min(1);

/** Read `file` if it exists (checking it covers exactly these cases), else create and write it. */
export function loadOrCreateSplits(file: string, caseIds: readonly string[], folds = CROSS_VALIDATION_FOLDS, seed = DEFAULT_SPLIT_SEED): Split[] {
  if (!existsSync(file)) {
    const splits = makeSplits(caseIds, folds, seed);
    writeFileAtomic(file, `${JSON.stringify(splits, null, 2)}\n`);
    return splits;
  }
  const parsed = readJsonFile(file, DatasetError, 'the splits');
  const result = splitsSchema.safeParse(parsed);
  if (!result.success) throw new DatasetError(`expected [{train: [...], val: [...]}, ...]: ${result.error.issues[0]!.message}`, { file, path: `$${result.error.issues[0]!.path.map((p) => `[${String(p)}]`).join('')}` });
  const known = new Set(caseIds);
  result.data.forEach((s, f) => {
    const all = [...s.train, ...s.val];
    const unknown = all.find((id) => !known.has(id));
    if (unknown !== undefined) throw new DatasetError(`case '${unknown}' is not in the dataset`, { file, path: `$[${f}]` });
    if (new Set(all).size !== known.size || all.length !== known.size) throw new DatasetError(`fold ${f} does not cover every case exactly once`, { file, path: `$[${f}]` });
  });
  return result.data;
}
