/**
 * nnU-Net preprocessing of one case: crop to nonzero -> transpose to plan order ->
 * normalise -> resample to the plan's spacing. The result keeps what is needed to
 * undo it (crop box, shapes, geometry) and, for training, sampled voxel positions
 * of each foreground class for oversampling.
 */
import { Rng } from '../util/rng.js';
import type { CaseData, CaseImage } from './case.js';
import { cropToNonzero, type BBox, type Cropped } from './crop.js';
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
  return runPreprocessing(c, plan, seed, false);
}

/**
 * preprocessCase for a case read only for it (`read` is called once): its arrays are cropped,
 * normalised and released in place, so the peak is the case, its resampled copy, the labels and a
 * mask (about 2.75x the case's float32 size when the shape barely changes), not several copies.
 */
export function preprocessReadCase(read: () => CaseImage | CaseData, plan: Plan, seed = 1234): PreprocessedCase {
  return runPreprocessing(read(), plan, seed, true);
}

function runPreprocessing(input: CaseImage | CaseData | undefined, plan: Plan, seed: number, inPlace: boolean): PreprocessedCase {
  const { id, channels, shape, spacing, geometry } = input!;
  let cropped: Cropped | undefined = cropToNonzero(input!.image, channels, shape, input && 'label' in input ? input.label : undefined, { inPlace });
  input = undefined; // from here on only the locals below hold voxels, each dropped once used
  const { box, shape: croppedShape } = cropped;
  const order = plan.transposeForward;
  const shapeT = permute(croppedShape, order) as Vec3;
  const spacingT = permute(spacing, order) as Vec3;
  let image: Float32Array | undefined = transpose(cropped.image, channels, croppedShape, order);
  let mask: Uint8Array | undefined = transpose(cropped.mask, 1, croppedShape, order);
  let label: Int16Array | undefined = cropped.label ? transpose(cropped.label, 1, croppedShape, order) : undefined;
  cropped = undefined;

  const n = shapeT[0] * shapeT[1] * shapeT[2];
  for (let ch = 0; ch < channels; ch++) {
    const norm = plan.normalization[ch]!;
    // nnU-Net's mask for z-scoring is "label >= 0", i.e. the filled nonzero mask.
    normalizeChannel(image, ch, n, norm.scheme, plan.foregroundIntensityProperties[ch]!, norm.useMaskForNorm ? mask : undefined);
  }
  mask = undefined;

  const newShape = resampledShape(shapeT, spacingT, plan.spacing);
  const unchanged = newShape.every((s, a) => s === shapeT[a]);
  // Labels first: their input is gone before the image's resampled copy is made.
  const resampledLabel = label && !unchanged ? resampleLabels(label, shapeT, newShape, axisOrders(spacingT, plan.spacing, 1, plan.anisotropyThreshold)) : label;
  label = undefined;
  const classLocations = resampledLabel ? sampleClassLocations(resampledLabel, plan.labels.map((l) => l.value).filter((v) => v > 0), Rng.seeded(seed)) : {};
  const resampledImage = unchanged ? image : resampleVolume(image, channels, shapeT, newShape, axisOrders(spacingT, plan.spacing, 3, plan.anisotropyThreshold));
  image = undefined;

  return {
    id,
    channels,
    shape: newShape,
    image: resampledImage,
    label: resampledLabel,
    classLocations,
    properties: { originalShape: shape, originalSpacing: spacing, box, shapeBeforeResampling: shapeT, geometry },
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

