/**
 * nnU-Net preprocessing of one case: crop to nonzero -> transpose to plan order ->
 * normalise -> resample to the plan's spacing. The result keeps what is needed to
 * undo it (crop box, shapes, geometry) and, for training, sampled voxel positions
 * of each foreground class for oversampling.
 */
import { Rng } from '../util/rng.js';
import type { CaseData, CaseImage } from './case.js';
import { cropToNonzero, type BBox } from './crop.js';
import type { NiftiGeometry } from './nifti-types.js';
import { normalizeChannel } from './normalize.js';
import type { Plan, Vec3 } from './plan-types.js';
import { permute, resampledShape } from './planner.js';
import { axisOrders, resampleLabels, resampleVolume } from './resample.js';
import { transpose } from './transpose.js';

/** What it takes to map a prediction back onto the original image. */
export interface CaseProperties {
  /** Array-order ([k, j, i]) shape of the original image. */
  readonly originalShape: Vec3;
  readonly originalSpacing: Vec3;
  /** Crop box in array order of the original image. */
  readonly box: BBox;
  /** Plan-order shape after cropping, before resampling. */
  readonly shapeBeforeResampling: Vec3;
  readonly geometry: NiftiGeometry;
}

export interface PreprocessedCase {
  readonly id: string;
  readonly channels: number;
  /** Plan-order shape. */
  readonly shape: Vec3;
  /** [C, ...shape] normalised intensities. */
  readonly image: Float32Array;
  /** Labels with -1 outside the nonzero mask; absent for inference inputs. */
  readonly label?: Int16Array;
  /** Per foreground class value: up to MAX_LOCATIONS flat voxel indices of that class. */
  readonly classLocations: Record<number, Int32Array>;
  readonly properties: CaseProperties;
}

export const MAX_LOCATIONS = 10000;

export function preprocessCase(c: CaseImage | CaseData, plan: Plan, seed = 1234): PreprocessedCase {
  const label = 'label' in c ? c.label : undefined;
  const cropped = cropToNonzero(c.image, c.channels, c.shape, label);
  const order = plan.transposeForward;
  const shapeT = permute(cropped.shape, order) as Vec3;
  const spacingT = permute(c.spacing, order) as Vec3;
  const image = transpose(cropped.image, c.channels, cropped.shape, order);
  const maskT = transpose(cropped.mask, 1, cropped.shape, order);
  const labelT = cropped.label ? transpose(cropped.label, 1, cropped.shape, order) : undefined;

  const n = shapeT[0] * shapeT[1] * shapeT[2];
  for (let ch = 0; ch < c.channels; ch++) {
    const norm = plan.normalization[ch]!;
    // nnU-Net's mask for z-scoring is "label >= 0", i.e. the filled nonzero mask.
    normalizeChannel(image, ch, n, norm.scheme, plan.foregroundIntensityProperties[ch]!, norm.useMaskForNorm ? maskT : undefined);
  }

  const newShape = resampledShape(shapeT, spacingT, plan.spacing);
  const resampledImage = resampleVolume(image, c.channels, shapeT, newShape, axisOrders(spacingT, plan.spacing, 3, plan.anisotropyThreshold));
  const resampledLabel = labelT ? resampleLabels(labelT, shapeT, newShape, axisOrders(spacingT, plan.spacing, 1, plan.anisotropyThreshold)) : undefined;

  return {
    id: c.id,
    channels: c.channels,
    shape: newShape,
    image: resampledImage,
    label: resampledLabel,
    classLocations: resampledLabel ? sampleClassLocations(resampledLabel, plan.labels.map((l) => l.value).filter((v) => v > 0), Rng.seeded(seed)) : {},
    properties: { originalShape: c.shape, originalSpacing: c.spacing, box: cropped.box, shapeBeforeResampling: shapeT, geometry: c.geometry },
  };
}

/** Up to MAX_LOCATIONS positions per class, drawn without replacement (seeded). */
export function sampleClassLocations(label: Int16Array, classes: readonly number[], rng: Rng): Record<number, Int32Array> {
  const out: Record<number, Int32Array> = {};
  for (const c of classes) {
    const all: number[] = [];
    for (let i = 0; i < label.length; i++) if (label[i] === c) all.push(i);
    if (all.length > MAX_LOCATIONS) rng.shuffle(all);
    out[c] = Int32Array.from(all.slice(0, MAX_LOCATIONS)).sort();
  }
  return out;
}

