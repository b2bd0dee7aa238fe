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

/** Segmentation (label values, original array order [k, j, i]) from logits [K, ...shape] in plan order. */
export function restoreSegmentation(logits: Float32Array, shape: Vec3, props: CaseProperties, plan: Plan): Int16Array {
  const K = plan.labels.length;
  const target = props.shapeBeforeResampling;
  const spacingT = permute(props.originalSpacing, plan.transposeForward) as Vec3;
  // Logits resample linearly (nearest along a separately handled coarse axis), as nnU-Net does with probabilities.
  const resampled = resampleVolume(logits, K, shape, target, axisOrders(spacingT, plan.spacing, 1, plan.anisotropyThreshold));
  const n = voxelCount(target);
  const seg = new Int16Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let k = 1; k < K; k++) if (resampled[k * n + i]! > resampled[best * n + i]!) best = k;
    seg[i] = plan.labels[best]!.value;
  }
  const back = transpose(seg, 1, target, plan.transposeBackward);
  return uncropArray(back, 1, props.originalShape, props.box, 0);
}

export interface PredictCaseOptions extends Partial<Pick<SlidingWindowOptions, 'mirror' | 'batchSize' | 'stepSize'>> {}

export async function predictCase(image: CaseImage, plan: Plan, predict: PredictPatch, options: PredictCaseOptions = {}): Promise<{ segmentation: Int16Array; properties: CaseProperties }> {
  const pre = preprocessCase(image, plan);
  const logits = await slidingWindow(pre.image, pre.channels, pre.shape, predict, { patchSize: plan.network.patchSize, numClasses: plan.labels.length, ...options });
  return { segmentation: restoreSegmentation(logits, pre.shape, pre.properties, plan), properties: pre.properties };
}

/** Write a segmentation with the geometry of the image it was predicted from. */
export function writeSegmentation(file: string, segmentation: Int16Array, props: CaseProperties): void {
  const [k, j, i] = props.originalShape;
  let max = 0;
  for (const v of segmentation) if (v > max) max = v;
  writeNifti(file, segmentation, [i, j, k], props.geometry, { datatype: max < 256 ? 'uint8' : 'int16' });
}
