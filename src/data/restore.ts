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
import { voxelCount } from './crop.js';
import { writeNifti, writeNiftiChunked } from './nifti.js';
import type { Plan, Vec3 } from './plan-types.js';
import { permute } from './planner.js';
import { preprocessCase, type CaseProperties } from './preprocess.js';
import { axisOrders, resampleVolume } from './resample.js';
import { slidingWindow, type PredictPatch, type SlidingWindowOptions } from './sliding-window.js';

/**
 * One class's logits resampled to the cropped shape (still plan order): a view when no axis
 * changes. Resampling one class at a time keeps one resampled channel alive, not K.
 */
function resampledClass(logits: Float32Array, k: number, shape: Vec3, props: CaseProperties, plan: Plan): Float32Array {
  const n = voxelCount(shape);
  const channel = logits.subarray(k * n, (k + 1) * n);
  const target = props.shapeBeforeResampling;
  if (shape.every((s, a) => s === target[a])) return channel;
  const spacingT = permute(props.originalSpacing, plan.transposeForward) as Vec3;
  // Logits resample linearly (nearest along a separately handled coarse axis), as nnU-Net does with probabilities.
  return resampleVolume(channel, 1, shape, target, axisOrders(spacingT, plan.spacing, 1, plan.anisotropyThreshold));
}

/**
 * Visit every voxel of the crop box on the original grid with the index of the same voxel in a
 * plan-order cropped volume: transpose back and uncrop in one pass, no intermediate volume.
 */
function forEachBoxVoxel(props: CaseProperties, plan: Plan, fn: (original: number, planOrder: number) => void): void {
  const target = props.shapeBeforeResampling;
  const order = plan.transposeBackward;
  const inStrides = [target[1] * target[2], target[2], 1];
  const [s0, s1, s2] = order.map((a) => inStrides[a]!) as [number, number, number];
  const { lo, hi } = props.box;
  const [, ny, nx] = props.originalShape;
  for (let a = 0; a < hi[0] - lo[0]; a++)
    for (let b = 0; b < hi[1] - lo[1]; b++) {
      const row = ((a + lo[0]) * ny + (b + lo[1])) * nx + lo[2];
      for (let d = 0; d < hi[2] - lo[2]; d++) fn(row + d, a * s0 + b * s1 + d * s2);
    }
}

/** Segmentation (label values, original array order [k, j, i]) from logits [K, ...shape] in plan order. */
export function restoreSegmentation(logits: Float32Array, shape: Vec3, props: CaseProperties, plan: Plan): Int16Array {
  const K = plan.labels.length;
  // Running argmax over classes resampled one at a time (ties keep the lower class, as argmax does).
  const best = Float32Array.from(resampledClass(logits, 0, shape, props, plan));
  const index = K <= 256 ? new Uint8Array(best.length) : new Uint16Array(best.length);
  for (let k = 1; k < K; k++) {
    const scores = resampledClass(logits, k, shape, props, plan);
    for (let i = 0; i < best.length; i++)
      if (scores[i]! > best[i]!) {
        best[i] = scores[i]!;
        index[i] = k;
      }
  }
  const seg = new Int16Array(voxelCount(props.originalShape));
  const values = plan.labels.map((l) => l.value);
  forEachBoxVoxel(props, plan, (o, i) => (seg[o] = values[index[i]!]!));
  return seg;
}

/**
 * Segmentation and softmax probabilities [K, k, j, i] on the original grid from logits [K, ...shape]
 * in plan order, as nnU-Net's --save_probabilities: each class's logits resampled and written straight
 * into the one output volume, argmax taken there, then softmax in place; outside the crop box the
 * background has probability 1. Beside the logits, memory holds this output and one resampled class.
 */
export function restoreProbabilities(logits: Float32Array, shape: Vec3, props: CaseProperties, plan: Plan): { segmentation: Int16Array; probabilities: Float32Array } {
  const K = plan.labels.length;
  const n = voxelCount(props.originalShape);
  const out = new Float32Array(K * n);
  for (let k = 0; k < K; k++) {
    const scores = resampledClass(logits, k, shape, props, plan);
    const channel = out.subarray(k * n, (k + 1) * n);
    forEachBoxVoxel(props, plan, (o, i) => (channel[o] = scores[i]!));
  }
  const segmentation = new Int16Array(n);
  const values = plan.labels.map((l) => l.value);
  const inBox = new Uint8Array(n);
  forEachBoxVoxel(props, plan, (o) => {
    inBox[o] = 1;
    let best = 0;
    let max = out[o]!;
    for (let k = 1; k < K; k++) {
      if (out[k * n + o]! > max) {
        max = out[k * n + o]!;
        best = k;
      }
    }
    segmentation[o] = values[best]!;
    let sum = 0;
    for (let k = 0; k < K; k++) sum += out[k * n + o] = Math.exp(out[k * n + o]! - max);
    for (let k = 0; k < K; k++) out[k * n + o]! /= sum;
  });
  // Background has probability 1 outside the crop box.
  for (let o = 0; o < n; o++) if (!inBox[o]) out[o] = 1;
  return { segmentation, probabilities: out };
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

/** Preprocess and run the sliding window; the preprocessed image is dropped when this returns. */
async function networkLogits(image: CaseImage, plan: Plan, predict: PredictPatch, window: PredictCaseOptions): Promise<{ logits: Float32Array; shape: Vec3; properties: CaseProperties }> {
  const pre = preprocessCase(image, plan);
  const logits = await slidingWindow(pre.image, pre.channels, pre.shape, predict, { patchSize: plan.network.patchSize, numClasses: plan.labels.length, ...window });
  return { logits, shape: pre.shape, properties: pre.properties };
}

export async function predictCase(image: CaseImage, plan: Plan, predict: PredictPatch, options: PredictCaseOptions = {}): Promise<CasePrediction> {
  const { probabilities, ...window } = options;
  const { logits, shape, properties } = await networkLogits(image, plan, predict, window);
  if (!probabilities) return { segmentation: restoreSegmentation(logits, shape, properties, plan), properties };
  return { ...restoreProbabilities(logits, shape, properties, plan), properties };
}

/**
 * How probabilities are stored: float32, or uint16 scaled by scl_slope = 1/65535 (NIfTI has no
 * float16 datatype; readers apply the slope, the error is at most 7.7e-6).
 */
export const PROBABILITY_DTYPES = ['float32', 'uint16'] as const;
export type ProbabilityDtype = (typeof PROBABILITY_DTYPES)[number];

/** Write probabilities [K, k, j, i] as a 4D NIfTI [i, j, k, K] with the input's geometry, one class volume encoded at a time. */
export function writeProbabilities(file: string, probabilities: Float32Array, props: CaseProperties, dtype: ProbabilityDtype = 'float32'): void {
  const [k, j, i] = props.originalShape;
  const n = voxelCount(props.originalShape);
  const K = probabilities.length / n;
  const storage = dtype === 'uint16' ? ({ datatype: 'uint16', sclSlope: 1 / 65535 } as const) : ({ datatype: 'float32' } as const);
  writeNiftiChunked(file, [i, j, k, K], props.geometry, K, (c) => probabilities.subarray(c * n, (c + 1) * n), storage);
}

/** Write a segmentation with the geometry of the image it was predicted from. */
export function writeSegmentation(file: string, segmentation: Int16Array, props: CaseProperties): void {
  const [k, j, i] = props.originalShape;
  let max = 0;
  for (const v of segmentation) if (v > max) max = v;
  writeNifti(file, segmentation, [i, j, k], props.geometry, { datatype: max < 256 ? 'uint8' : 'int16' });
}
