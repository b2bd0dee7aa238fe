/**
 * `hnas export`: one trained fold of a model folder as a self-describing ONNX model for use
 * outside hnas: one output (softmax class probabilities at full resolution; deep-supervision
 * heads dropped) and metadata_props with everything preprocessing and inference need, plus a
 * README with a standalone inference recipe.
 *
 * Example:
 *   exportModel('models/hippo', 'export/', { fold: 0 });  // export/model.onnx, export/README.md
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { probabilityModel } from '../../compiler/onnx/probability-model.js';
import type { Plan } from '../data/plan-types.js';
import { DatasetError } from '../errors.js';
import { writeFileAtomic } from '../util/fs.js';
import { readModelDir, type FoldId } from './model-dir.js';
import { exportReadme } from './export-readme.js';

export const EXPORT_FORMAT = 'hnas-export/1';
/** Sliding-window settings hnas predicts with (src/data/sliding-window.ts defaults). */
export const SLIDING_WINDOW = { step: 0.5, gaussianSigmaScale: 1 / 8 } as const;

export interface ExportOptions {
  /** Which trained fold (default: 'all' when trained, else the lowest). */
  readonly fold?: FoldId;
}

export interface ExportResult {
  readonly model: string;
  readonly readme: string;
  readonly fold: FoldId;
  readonly metadata: Record<string, string>;
}

/** metadata_props: each value a JSON text (ONNX metadata are strings). */
export function exportMetadata(plan: Plan, fold: FoldId): Record<string, string> {
  const j = JSON.stringify;
  return {
    format: EXPORT_FORMAT,
    dataset: plan.datasetName,
    planner: plan.planner,
    fold: String(fold),
    labels: j(plan.labels),
    channel_names: j(plan.channelNames),
    target_spacing: j(plan.spacing),
    transpose_forward: j(plan.transposeForward),
    transpose_backward: j(plan.transposeBackward),
    normalization: j(
      plan.normalization.map((n, c) => {
        const fg = plan.foregroundIntensityProperties[c]!;
        return { scheme: n.scheme, use_mask_for_norm: n.useMaskForNorm, mean: fg.mean, std: fg.std, percentile_00_5: fg.percentile_00_5, percentile_99_5: fg.percentile_99_5 };
      }),
    ),
    patch_size: j(plan.network.patchSize),
    sliding_window_step: j(SLIDING_WINDOW.step),
    gaussian_sigma_scale: j(SLIDING_WINDOW.gaussianSigmaScale),
    anisotropy_threshold: j(plan.anisotropyThreshold),
    input: 'float32 [N, C, X, Y, Z]: a patch of the normalised image in plan axis order (NIfTI axes reversed, then transpose_forward), at target_spacing',
    output: 'float32 [N, K, X, Y, Z]: softmax probabilities; channel k is labels[k]',
  };
}

export function exportModel(modelDir: string, outDir: string, options: ExportOptions = {}): ExportResult {
  const model = readModelDir(modelDir);
  const chosen = options.fold !== undefined ? model.folds.find((f) => f.fold === options.fold) : (model.folds.find((f) => f.fold === 'all') ?? model.folds[0]!);
  if (!chosen) throw new DatasetError(`fold ${options.fold} has no trained model in the folder (trained: ${model.folds.map((f) => f.fold).join(', ')})`, { file: modelDir });
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(chosen.model);
  } catch (err) {
    throw new DatasetError(`cannot read the model (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { file: chosen.model }, { cause: err });
  }
  const metadata = exportMetadata(model.plan, chosen.fold);
  let exported: Uint8Array;
  try {
    exported = probabilityModel(bytes, { metadata });
  } catch (err) {
    throw new DatasetError(`not an ONNX model hnas can export: ${(err as Error).message}`, { file: chosen.model }, { cause: err });
  }
  mkdirSync(outDir, { recursive: true });
  const files = { model: join(outDir, 'model.onnx'), readme: join(outDir, 'README.md') };
  writeFileAtomic(files.model, exported);
  writeFileAtomic(files.readme, exportReadme(model.plan, chosen.fold, metadata));
  return { ...files, fold: chosen.fold, metadata };
}
