/**
 * From network logits back to a segmentation on the original image: resample to the
 * cropped shape, argmax, undo the transpose, put back into the crop box, and write a
 * NIfTI with the input's geometry. `predictCase` chains preprocessing, sliding-window
 * inference and this.
 *
 * Example:
 *   const seg = await predictCase(readCaseImage(id, files, 1), plan, runSession, { mirror: true });
 *   writeSegmentation('out/case.nii.gz', seg, props);
 */
import type { CaseImage } from './case.js';
import { uncropArray, voxelCount } from './crop.js';
import { writeNifti } from './nifti.js';
import type { Plan, Vec3 } from './plan-types.js';
import { permute } from './planner.js';
import { preprocessCase, type CaseProperties } from './preprocess.js';
import { axisOrders, resampleVolume } from './resample.js';
import { slidingWindow, type PredictPatch, type SlidingWindowOptions } from './sliding-window.js';
import { transpose } from './transpose.js';

/** Logits [K, ...shape] in plan order resampled to the cropped shape (still plan order). */
function resampleLogits(logits: Float32Array, shape: Vec3, props: CaseProperties, plan: Plan): { resampled: Float32Array; target: Vec3 } {
  const K = plan.labels.length;
  const target = props.shapeBeforeResampling;
  const spacingT = permute(props.originalSpacing, plan.transposeForward) as Vec3;
  // Logits resample linearly (nearest along a separately handled coarse axis), as nnU-Net does with probabilities.
  return { resampled: resampleVolume(logits, K, shape, target, axisOrders(spacingT, plan.spacing, 1, plan.anisotropyThreshold)), target };
}

/** Label value of the largest of K channels at each voxel. */
function argmaxLabels(scores: Float32Array, K: number, n: number, plan: Plan): Int16Array {
  const seg = new Int16Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let k = 1; k < K; k++) if (scores[k * n + i]! > scores[best * n + i]!) best = k;
    seg[i] = plan.labels[best]!.value;
  }
  return seg;
}

/** Segmentation (label values, original array order [k, j, i]) from logits [K, ...shape] in plan order. */
export function restoreSegmentation(logits: Float32Array, shape: Vec3, props: CaseProperties, plan: Plan): Int16Array {
  const { resampled, target } = resampleLogits(logits, shape, props, plan);
  const seg = argmaxLabels(resampled, plan.labels.length, voxelCount(target), plan);
  const back = transpose(seg, 1, target, plan.transposeBackward);
  return uncropArray(back, 1, props.originalShape, props.box, 0);
}

/**
 * Softmax probabilities [K, k, j, i] on the original grid from logits [K, ...shape] in plan order, as
 * nnU-Net's --save_probabilities: logits resampled, softmax, transposed back; outside the crop box
 * the background has probability 1.
 */
export function restoreProbabilities(logits: Float32Array, shape: Vec3, props: CaseProperties, plan: Plan): Float32Array {
  const K = plan.labels.length;
  const { resampled, target } = resampleLogits(logits, shape, props, plan);
  const n = voxelCount(target);
  for (let i = 0; i < n; i++) {
    let max = -Infinity;
    for (let k = 0; k < K; k++) max = Math.max(max, resampled[k * n + i]!);
    let sum = 0;
    for (let k = 0; k < K; k++) sum += resampled[k * n + i] = Math.exp(resampled[k * n + i]! - max);
    for (let k = 0; k < K; k++) resampled[k * n + i]! /= sum;
  }
  const back = transpose(resampled, K, target, plan.transposeBackward);
  const out = uncropArray(back, K, props.originalShape, props.box, 0);
  // Background has probability 1 outside the crop box.
  const [Z, Y, X] = props.originalShape;
  const { lo, hi } = props.box;
  for (let z = 0; z < Z; z++)
    for (let y = 0; y < Y; y++)
      for (let x = 0; x < X; x++)
        if (z < lo[0] || z >= hi[0] || y < lo[1] || y >= hi[1] || x < lo[2] || x >= hi[2]) out[(z * Y + y) * X + x] = 1;
  return out;
}

/** The segmentation of (averaged) probabilities [K, ...] on the original grid. */
export function segmentationFromProbabilities(probabilities: Float32Array, plan: Plan): Int16Array {
  const K = plan.labels.length;
  return argmaxLabels(probabilities, K, probabilities.length / K, plan);
}

export interface PredictCaseOptions extends Partial<Pick<SlidingWindowOptions, 'mirror' | 'batchSize' | 'stepSize'>> {
  /** Also return the softmax probabilities on the original grid. */
  probabilities?: boolean;
}

export interface CasePrediction {
  readonly segmentation: Int16Array;
  readonly properties: CaseProperties;
  /** [K, k, j, i], when asked for. */
  readonly probabilities?: Float32Array;
}

export async function predictCase(image: CaseImage, plan: Plan, predict: PredictPatch, options: PredictCaseOptions = {}): Promise<CasePrediction> {
  const { probabilities, ...window } = options;
  const pre = preprocessCase(image, plan);
  const logits = await slidingWindow(pre.image, pre.channels, pre.shape, predict, { patchSize: plan.network.patchSize, numClasses: plan.labels.length, ...window });
  const segmentation = restoreSegmentation(logits, pre.shape, pre.properties, plan);
  if (!probabilities) return { segmentation, properties: pre.properties };
  return { segmentation, properties: pre.properties, probabilities: restoreProbabilities(logits, pre.shape, pre.properties, plan) };
}

/**
 * How probabilities are stored: float32, or uint16 scaled by scl_slope = 1/65535 (NIfTI has no
 * float16 datatype; readers apply the slope, the error is at most 7.7e-6).
 */
export const PROBABILITY_DTYPES = ['float32', 'uint16'] as const;
export type ProbabilityDtype = (typeof PROBABILITY_DTYPES)[number];

/** Write probabilities [K, k, j, i] as a 4D NIfTI [i, j, k, K] with the input's geometry. */
export function writeProbabilities(file: string, probabilities: Float32Array, props: CaseProperties, dtype: ProbabilityDtype = 'float32'): void {
  const [k, j, i] = props.originalShape;
  const K = probabilities.length / voxelCount(props.originalShape);
  writeNifti(file, probabilities, [i, j, k, K], props.geometry, dtype === 'uint16' ? { datatype: 'uint16', sclSlope: 1 / 65535 } : { datatype: 'float32' });
}

/** Write a segmentation with the geometry of the image it was predicted from. */
export function writeSegmentation(file: string, segmentation: Int16Array, props: CaseProperties): void {
  const [k, j, i] = props.originalShape;
  let max = 0;
  for (const v of segmentation) if (v > max) max = v;
  writeNifti(file, segmentation, [i, j, k], props.geometry, { datatype: max < 256 ? 'uint8' : 'int16' });
}
