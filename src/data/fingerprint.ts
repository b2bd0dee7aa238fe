/**
 * The dataset fingerprint nnU-Net plans from: per-case spacing and shape after
 * cropping, and foreground intensity statistics per channel.
 *
 * Example:
 *   const fp = computeFingerprint(loadDataset(dir), { onCase: (i, n) => bar.update(i) });
 */
import { Rng } from '../util/rng.js';
import type { Vec3 } from './plan-types.js';
import type { Dataset, LabelDef } from './dataset.js';
import { readCase, type CaseData } from './case.js';
import { cropToNonzero, voxelCount } from './crop.js';
import { median, summarize, type SummaryStats } from './stats.js';

export interface Fingerprint {
  readonly datasetName: string;
  readonly channelNames: readonly string[];
  readonly labels: readonly LabelDef[];
  readonly numTraining: number;
  /** Absent in a fingerprint read from nnU-Net's dataset_fingerprint.json, which lists none. */
  readonly caseIds?: readonly string[];
  /** Array-order spacing per case. */
  readonly spacings: readonly Vec3[];
  readonly shapesAfterCrop: readonly Vec3[];
  readonly foregroundIntensityPropertiesPerChannel: readonly SummaryStats[];
  readonly medianRelativeSizeAfterCropping: number;
}

export interface FingerprintOptions {
  /** Foreground intensity samples over the whole dataset (nnU-Net: 1e8; 1e7 gives the same statistics to 3 digits). */
  foregroundSamples?: number;
  seed?: number;
  onCase?: (done: number, total: number) => void;
}

export function computeFingerprint(dataset: Dataset, options: FingerprintOptions = {}): Fingerprint {
  const { foregroundSamples = 1e7, seed = 1234, onCase } = options;
  const rng = Rng.seeded(seed);
  const perCase = Math.floor(foregroundSamples / dataset.cases.length);
  const channels = dataset.channelNames.length;
  // Typed, preallocated: 1e7 samples as a JS array of numbers would be several times larger.
  const samples = Array.from({ length: channels }, () => new Float32Array(perCase * dataset.cases.length));
  let sampled = 0;
  const spacings: Vec3[] = [];
  const shapes: Vec3[] = [];
  const relativeSizes: number[] = [];

  dataset.cases.forEach((c, idx) => {
    let data: CaseData | undefined = readCase(dataset, c);
    spacings.push(data.spacing);
    const fullShape = data.shape;
    // In place: the case was read for this alone, so it is never held twice.
    const cropped = cropToNonzero(data.image, data.channels, data.shape, data.label, { inPlace: true });
    data = undefined;
    shapes.push(cropped.shape);
    relativeSizes.push(voxelCount(cropped.shape) / voxelCount(fullShape));
    // Foreground voxels (label > 0), sampled with replacement like nnU-Net.
    const n = voxelCount(cropped.shape);
    const label = cropped.label!;
    let count = 0;
    for (let i = 0; i < n; i++) if (label[i]! > 0) count++;
    const fg = new Int32Array(count);
    for (let i = 0, k = 0; i < n; i++) if (label[i]! > 0) fg[k++] = i;
    if (fg.length > 0) {
      for (let ch = 0; ch < channels; ch++) {
        const dst = samples[ch]!;
        for (let s = 0; s < perCase; s++) dst[sampled + s] = cropped.image[ch * n + fg[rng.int(fg.length)]!]!;
      }
      sampled += perCase;
    }
    onCase?.(idx + 1, dataset.cases.length);
  });

  return {
    datasetName: dataset.name,
    channelNames: dataset.channelNames,
    labels: dataset.labels,
    numTraining: dataset.cases.length,
    caseIds: dataset.cases.map((c) => c.id),
    spacings,
    shapesAfterCrop: shapes,
    foregroundIntensityPropertiesPerChannel: samples.map((s) => summarize(s.subarray(0, sampled))),
    medianRelativeSizeAfterCropping: median(relativeSizes),
  };
}
