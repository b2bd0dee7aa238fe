/**
 * `hnas predict`: segment every image of a folder with a trained model folder. Images are
 * MSD style (one 3D/4D file per case, channels in the 4th axis) or nnU-Net v2 style
 * (`CASE_0000.nii.gz`, one file per channel). Several trained folds form an ensemble
 * (logits averaged). Each segmentation is written as `<case>.nii.gz` with its input's geometry.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { basename, isAbsolute, join, relative, resolve } from 'node:path';
import { readCaseImage } from '../data/case.js';
import { progressBar } from '../data/progress.js';
import { predictCase, writeSegmentation } from '../data/restore.js';
import { DatasetError, UsageError } from '../errors.js';
import { writeFileAtomic } from '../util/fs.js';
import type { Device } from '../runtime/providers.js';
import { loadPredictors } from './inference.js';
import { readModelDir, type FoldId } from './model-dir.js';

const NIFTI = /\.nii(\.gz)?$/;
const CHANNEL = /^(.+)_(\d{4})\.nii(\.gz)?$/;

export interface PredictFolderOptions {
  readonly mirror?: boolean;
  readonly device?: Device;
  readonly threads?: number;
  /** Only these folds of the model folder (default: every trained fold). */
  readonly folds?: readonly FoldId[];
  readonly progress?: boolean;
  /** Replace existing files in the output folder that an earlier `hnas predict` did not write. */
  readonly overwrite?: boolean;
}

/** The list of segmentations `hnas predict` wrote into a folder: the files it may replace without --overwrite. */
export const PREDICT_MANIFEST = '.hnas-predict.json';

export interface PredictFolderResult {
  readonly cases: readonly { readonly id: string; readonly file: string; readonly seconds: number }[];
  readonly folds: readonly FoldId[];
}

/**
 * Case id -> its channel files, in channel order. nnU-Net v2 naming (`CASE_0000.nii.gz` ...) is
 * recognised when every file follows it and every case has channels 0000..C-1; otherwise each
 * file is one case (MSD), so an MSD name such as `case_0001.nii.gz` is not mistaken for a channel.
 */
export function groupImages(dir: string, channels: number): Map<string, string[]> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new DatasetError('image folder does not exist', { file: dir });
  const names = readdirSync(dir).filter((f) => NIFTI.test(f) && !f.startsWith('.')).sort();
  if (names.length === 0) throw new DatasetError('no .nii/.nii.gz images in the folder', { file: dir });
  const v2 = new Map<string, string[]>();
  const matches = names.map((n) => CHANNEL.exec(n));
  for (const [i, m] of matches.entries()) if (m) v2.set(m[1]!, [...(v2.get(m[1]!) ?? []), join(dir, names[i]!)]);
  const isV2 =
    matches.every((m) => m !== null) &&
    [...v2.values()].every((files) => files.length === channels && files.every((f, c) => CHANNEL.exec(basename(f))![2] === String(c).padStart(4, '0')));
  if (isV2) return v2;
  return new Map(names.map((n) => [n.replace(NIFTI, ''), [join(dir, n)]]));
}

export async function predictFolder(modelDir: string, imagesDir: string, outDir: string, o: PredictFolderOptions = {}): Promise<PredictFolderResult> {
  const model = readModelDir(modelDir);
  const folds = o.folds ? model.folds.filter((f) => o.folds!.includes(f.fold)) : model.folds;
  for (const f of o.folds ?? []) if (!model.folds.some((m) => m.fold === f)) throw new DatasetError(`fold ${f} has no trained model in the folder`, { file: modelDir });
  const groups = groupImages(imagesDir, model.plan.channelNames.length);
  const targets = checkOutputFolder(outDir, groups, o.overwrite ?? false);
  const predictors = await loadPredictors(folds.map((f) => f.model), o.device, o.threads, model.plan.network);
  mkdirSync(outDir, { recursive: true });
  const written = new Set(readManifest(outDir));
  const bar = o.progress ? progressBar('predict', groups.size) : null;
  const cases = [];
  try {
    for (const [id, files] of groups) {
      const t0 = performance.now();
      const image = readCaseImage(id, files, model.plan.channelNames.length);
      const { segmentation, properties } = await predictCase(image, model.plan, predictors.predict, { mirror: o.mirror ?? false });
      const file = targets.get(id)!;
      written.add(basename(file));
      writeFileAtomic(join(outDir, PREDICT_MANIFEST), JSON.stringify({ files: [...written].sort() }, null, 2) + '\n');
      writeSegmentation(file, segmentation, properties);
      cases.push({ id, file, seconds: (performance.now() - t0) / 1000 });
      bar?.update(cases.length);
    }
  } finally {
    bar?.stop();
    await predictors.release();
  }
  return { cases, folds: folds.map((f) => f.fold) };
}

function realpathOrSelf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

function readManifest(outDir: string): string[] {
  const file = join(outDir, PREDICT_MANIFEST);
  if (!existsSync(file)) return [];
  try {
    const json = JSON.parse(readFileSync(file, 'utf8')) as { files?: unknown };
    return Array.isArray(json.files) ? json.files.filter((f): f is string => typeof f === 'string') : [];
  } catch {
    return []; // unreadable: nothing counts as ours
  }
}

/**
 * The output file of each case. The output folder may not be, or hold, an input image (not even with
 * --overwrite), and an existing file there is replaced only when an earlier predict wrote it or with --overwrite.
 */
function checkOutputFolder(outDir: string, groups: Map<string, string[]>, overwrite: boolean): Map<string, string> {
  const out = realpathOrSelf(outDir);
  for (const files of groups.values()) {
    for (const f of files) {
      const rel = relative(out, realpathOrSelf(f));
      if (!rel.startsWith('..') && !isAbsolute(rel)) {
        throw new UsageError(`the output folder holds the input image ${f}: choose an output folder outside the images`, { file: outDir });
      }
    }
  }
  const ours = new Set(readManifest(outDir));
  const targets = new Map<string, string>();
  for (const id of groups.keys()) {
    const file = join(outDir, `${id}.nii.gz`);
    if (existsSync(file) && !overwrite && !ours.has(basename(file))) {
      throw new UsageError(`${file} exists and was not written by hnas predict: pass --overwrite to replace it, or choose another output folder`, { file: outDir });
    }
    targets.set(id, file);
  }
  return targets;
}
