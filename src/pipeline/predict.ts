/**
 * `hnas predict`: segment every image of a folder with a trained model folder. Images are
 * MSD style (one 3D/4D file per case, channels in the 4th axis) or nnU-Net v2 style
 * (`CASE_0000.nii.gz`, one file per channel). Several trained folds form an ensemble
 * (logits averaged); other model folders (`ensemble`) join by averaging probabilities on the
 * input's grid, as nnU-Net ensembles configurations. Each segmentation is written as `<case>.nii.gz`
 * with its input's geometry; `saveProbabilities` adds `<case>_probabilities.nii.gz` (4D, the softmax
 * per class, as nnU-Net's --save_probabilities); `msd` writes the Decathlon's submission layout.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { basename, isAbsolute, join, relative, resolve } from 'node:path';
import { readCaseImage } from '../data/case.js';
import { progressBar } from '../data/progress.js';
import { predictCase, segmentationFromProbabilities, writeProbabilities, writeSegmentation, type ProbabilityDtype } from '../data/restore.js';
import { DatasetError, UsageError } from '../errors.js';
import { writeFileAtomic } from '../util/fs.js';
import type { Device } from '../runtime/providers.js';
import { loadPredictors, type Predictors } from './inference.js';
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
  /** Also write each case's softmax probabilities (4D NIfTI) in this storage type. */
  readonly saveProbabilities?: ProbabilityDtype;
  /** More model folders in the ensemble (every trained fold of each); they must predict the same labels. */
  readonly ensemble?: readonly string[];
  /**
   * The Medical Segmentation Decathlon's submission layout: `<outDir>/<task>/<case>.nii.gz`, one
   * label file per test case named as its image, nothing else in the folder. The task is e.g. Task04_Hippocampus.
   */
  readonly msd?: string;
  /** Replace existing files in the output folder that an earlier `hnas predict` did not write. */
  readonly overwrite?: boolean;
}

/** The list of segmentations `hnas predict` wrote into a folder: the files it may replace without --overwrite. */
export const PREDICT_MANIFEST = '.hnas-predict.json';

export interface PredictFolderResult {
  readonly cases: readonly { readonly id: string; readonly file: string; readonly probabilities?: string; readonly seconds: number }[];
  readonly folds: readonly FoldId[];
  /** Where the segmentations went (`outDir`, or `<outDir>/<task>` with `msd`). */
  readonly outDir: string;
}

/** The Decathlon's task folder names: Task01_BrainTumour ... Task10_Colon. */
export const MSD_TASK = /^Task\d{2}_[A-Za-z]+$/;

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

/** The model folders of an ensemble, checked to predict one label set (their probabilities are averaged). */
function ensembleModels(modelDirs: readonly string[], folds: readonly FoldId[] | undefined) {
  const models = modelDirs.map((dir, i) => {
    const model = readModelDir(dir);
    // --folds selects the first folder's folds; the others bring every trained fold.
    const wanted = i === 0 && folds ? folds : undefined;
    for (const f of wanted ?? []) if (!model.folds.some((m) => m.fold === f)) throw new DatasetError(`fold ${f} has no trained model in the folder`, { file: dir });
    return { dir, plan: model.plan, folds: wanted ? model.folds.filter((f) => wanted.includes(f.fold)) : model.folds };
  });
  const first = models[0]!;
  const labels = (m: (typeof models)[number]) => m.plan.labels.map((l) => `${l.value}:${l.name}`).join(', ');
  for (const m of models.slice(1)) {
    if (labels(m) !== labels(first)) {
      throw new DatasetError(
        `cannot ensemble with ${first.dir}: its labels are [${labels(first)}], these are [${labels(m)}]; probabilities are averaged per class, so every model must predict the same label set`,
        { file: join(m.dir, 'plans.json'), path: '$.labels' },
      );
    }
    if (m.plan.channelNames.join() !== first.plan.channelNames.join()) {
      throw new DatasetError(`cannot ensemble with ${first.dir}: its channels are [${first.plan.channelNames}], these are [${m.plan.channelNames}]`, { file: join(m.dir, 'plans.json'), path: '$.channelNames' });
    }
  }
  return models;
}

export async function predictFolder(modelDir: string, imagesDir: string, outDir: string, o: PredictFolderOptions = {}): Promise<PredictFolderResult> {
  if (o.msd !== undefined) {
    if (!MSD_TASK.test(o.msd)) throw new UsageError(`--msd takes the Decathlon's task folder name, e.g. Task04_Hippocampus, got '${o.msd}'`);
    if (o.saveProbabilities) throw new UsageError('an MSD submission holds label files only: drop --save-probabilities or --msd');
  }
  const models = ensembleModels([modelDir, ...(o.ensemble ?? [])], o.folds);
  const plan = models[0]!.plan;
  const groups = groupImages(imagesDir, plan.channelNames.length);
  const target = o.msd ? join(outDir, o.msd) : outDir;
  const targets = checkOutputFolder(outDir, target, groups, o.overwrite ?? false, !!o.saveProbabilities);
  const loaded: { plan: typeof plan; predictors: Predictors }[] = [];
  const cases = [];
  const bar = o.progress ? progressBar('predict', groups.size) : null;
  try {
    for (const m of models) loaded.push({ plan: m.plan, predictors: await loadPredictors(m.folds.map((f) => f.model), o.device, o.threads, m.plan.network) });
    mkdirSync(target, { recursive: true });
    const written = new Set(readManifest(outDir));
    // One folder's folds average logits; several folders average probabilities on the input's grid.
    const viaProbabilities = loaded.length > 1 || !!o.saveProbabilities;
    for (const [id, files] of groups) {
      const t0 = performance.now();
      const image = readCaseImage(id, files, plan.channelNames.length);
      let result = await predictCase(image, plan, loaded[0]!.predictors.predict, { mirror: o.mirror ?? false, probabilities: viaProbabilities });
      if (loaded.length > 1) {
        const sum = result.probabilities!;
        for (const m of loaded.slice(1)) {
          const other = await predictCase(image, m.plan, m.predictors.predict, { mirror: o.mirror ?? false, probabilities: true });
          for (let i = 0; i < sum.length; i++) sum[i]! += other.probabilities![i]!;
        }
        for (let i = 0; i < sum.length; i++) sum[i]! /= loaded.length;
        result = { ...result, segmentation: segmentationFromProbabilities(sum, plan), probabilities: sum };
      }
      const { file, probabilities } = targets.get(id)!;
      for (const f of [file, probabilities]) if (f) written.add(relative(outDir, f));
      writeFileAtomic(join(outDir, PREDICT_MANIFEST), JSON.stringify({ files: [...written].sort() }, null, 2) + '\n');
      writeSegmentation(file, result.segmentation, result.properties);
      if (probabilities) writeProbabilities(probabilities, result.probabilities!, result.properties, o.saveProbabilities);
      cases.push({ id, file, ...(probabilities ? { probabilities } : {}), seconds: (performance.now() - t0) / 1000 });
      bar?.update(cases.length);
    }
  } finally {
    bar?.stop();
    await Promise.all(loaded.map((l) => l.predictors.release()));
  }
  return { cases, folds: models[0]!.folds.map((f) => f.fold), outDir: target };
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
 * The output files of each case (in `target`, `outDir` or its MSD task folder). The output folder may
 * not be, or hold, an input image (not even with --overwrite), and an existing file there is replaced
 * only when an earlier predict wrote it (its manifest in `outDir`) or with --overwrite.
 */
function checkOutputFolder(outDir: string, target: string, groups: Map<string, string[]>, overwrite: boolean, withProbabilities: boolean): Map<string, { file: string; probabilities?: string }> {
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
  const targets = new Map<string, { file: string; probabilities?: string }>();
  for (const id of groups.keys()) {
    const files = { file: join(target, `${id}.nii.gz`), ...(withProbabilities ? { probabilities: join(target, `${id}_probabilities.nii.gz`) } : {}) };
    for (const file of Object.values(files)) {
      if (existsSync(file) && !overwrite && !ours.has(relative(outDir, file))) {
        throw new UsageError(`${file} exists and was not written by hnas predict: pass --overwrite to replace it, or choose another output folder`, { file: outDir });
      }
    }
    targets.set(id, files);
  }
  return targets;
}
