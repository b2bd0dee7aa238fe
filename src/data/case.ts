/**
 * Reading one case (image channels + label) into arrays, checking that every file
 * agrees in shape and geometry and that labels hold only the dataset's values.
 *
 * Axis order: arrays use NIfTI's axes reversed, [k, j, i] (as SimpleITK and nnU-Net
 * do), so the file's voxel order is already row-major and nothing is copied around.
 */
import { DatasetError } from '../errors.js';
import type { Vec3 } from './plan-types.js';
import type { Dataset, DatasetCase } from './dataset.js';
import { readNifti, niftiValues, type NiftiImage } from './nifti.js';
import type { NiftiGeometry } from './nifti-types.js';

export interface CaseImage {
  readonly id: string;
  /** Channel-first voxels [C, ...shape]. */
  readonly image: Float32Array;
  readonly channels: number;
  /** Array-order shape [k, j, i]. */
  readonly shape: Vec3;
  /** Array-order voxel spacing (mm). */
  readonly spacing: Vec3;
  /** Geometry of the first image file, to write predictions back. */
  readonly geometry: NiftiGeometry;
}

export interface CaseData extends CaseImage {
  readonly label: Int16Array;
}

/** Array-order shape and spacing of a NIfTI's spatial axes. */
export function arrayShape(img: NiftiImage): Vec3 {
  return [img.dims[2]!, img.dims[1]!, img.dims[0]!];
}
export function arraySpacing(geometry: NiftiGeometry): Vec3 {
  return [geometry.pixdim[2], geometry.pixdim[1], geometry.pixdim[0]];
}

const SPACING_TOLERANCE = 1e-4;
const AFFINE_TOLERANCE = 1e-3;

type NiftiHeader = Pick<NiftiImage, 'file' | 'dims' | 'geometry'>;

function sameGeometry(a: NiftiHeader, b: NiftiHeader): string | undefined {
  const da = a.dims.slice(0, 3).join('x');
  const db = b.dims.slice(0, 3).join('x');
  if (da !== db) return `shape ${db} differs from ${da} in ${a.file}`;
  for (let i = 0; i < 3; i++) {
    const pa = a.geometry.pixdim[i]!;
    const pb = b.geometry.pixdim[i]!;
    if (Math.abs(pa - pb) > SPACING_TOLERANCE * Math.max(1, Math.abs(pa))) {
      return `spacing ${b.geometry.pixdim.join('x')} differs from ${a.geometry.pixdim.join('x')} in ${a.file}`;
    }
  }
  for (let r = 0; r < 3; r++) {
    for (let c = 0; c < 4; c++) {
      if (Math.abs(a.geometry.affine[r]![c]! - b.geometry.affine[r]![c]!) > AFFINE_TOLERANCE) {
        return `affine differs from the one in ${a.file} (row ${r}, column ${c}: ${b.geometry.affine[r]![c]} vs ${a.geometry.affine[r]![c]})`;
      }
    }
  }
  return undefined;
}

/** Read the image channels of a case (MSD: one 3D/4D file; v2: one 3D file per channel). */
export function readCaseImage(id: string, files: readonly string[], expectedChannels: number): CaseImage {
  return readImageFiles(id, files, expectedChannels).image;
}

function readImageFiles(id: string, files: readonly string[], expectedChannels: number): { image: CaseImage; first: NiftiHeader } {
  const niftis = files.map((f) => readNifti(f));
  const first = niftis[0]!;
  for (const n of niftis.slice(1)) {
    const diff = sameGeometry(first, n);
    if (diff) throw new DatasetError(`channel image does not match: ${diff}`, { file: n.file });
  }
  const fileChannels = niftis.map((n) => n.dims[3] ?? 1);
  const channels = fileChannels.reduce((a, b) => a + b, 0);
  if (channels !== expectedChannels) {
    throw new DatasetError(`expected ${expectedChannels} channel(s) (dataset.json), found ${channels} (dims ${first.dims.join('x')})`, { file: first.file });
  }
  checkSpacing(first);
  const shape = arrayShape(first);
  // One file (MSD, most v2 data): its values are the image; no second copy of a CT-sized volume.
  let image: Float32Array;
  if (niftis.length === 1) {
    image = niftiValues(first);
    refuseNonFinite(image, first);
  } else {
    image = new Float32Array(channels * shape[0] * shape[1] * shape[2]);
    let offset = 0;
    for (const n of niftis) {
      const values = niftiValues(n);
      refuseNonFinite(values, n);
      image.set(values, offset);
      offset += values.length;
    }
  }
  // Only the header goes on: the stored voxels are garbage once converted.
  return { image: { id, image, channels, shape, spacing: arraySpacing(first.geometry), geometry: first.geometry }, first: { file: first.file, dims: first.dims, geometry: first.geometry } };
}

/** NIfTI voxel (i, j, k[, c]) of a flat index, for messages. */
export function voxelAt(n: NiftiImage, index: number): string {
  const [nx = 1, ny = 1, nz = 1] = n.dims;
  const c = Math.floor(index / (nx * ny * nz));
  const ijk = `${index % nx}, ${Math.floor(index / nx) % ny}, ${Math.floor(index / (nx * ny)) % nz}`;
  return `voxel (${ijk}${n.dims.length > 3 ? `, ${c}` : ''})`;
}

/**
 * Non-finite intensities are refused, as nnU-Net's dataset check does: one NaN spreads through
 * normalisation and resampling into the whole case, and no replacement value suits every modality.
 */
function refuseNonFinite(values: Float32Array, n: NiftiImage): void {
  let count = 0;
  let firstAt = -1;
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i]!)) {
      count++;
      if (firstAt < 0) firstAt = i;
    }
  }
  if (count > 0) {
    throw new DatasetError(
      `${count} of ${values.length} voxels are NaN or infinite (first: ${values[firstAt]} at ${voxelAt(n, firstAt)}); replace them with a value that suits the modality (e.g. the background intensity) and run again`,
      { file: n.file },
    );
  }
}

/** Spacing comes from pixdim[1..3]; zero or NaN there would silently plan at a made-up resolution. */
function checkSpacing(n: NiftiImage): void {
  const bad = n.geometry.pixdim.findIndex((p) => !(Number.isFinite(p) && p > 0));
  if (bad >= 0) {
    throw new DatasetError(
      `voxel spacing must be positive and finite, got pixdim [${n.geometry.pixdim.join(', ')}]; fix the header's pixdim (e.g. nibabel's header.set_zooms)`,
      { file: n.file, path: `pixdim[${bad + 1}]` },
    );
  }
}

/** Read a training case and check its label against the image and the dataset's label values. */
export function readCase(dataset: Dataset, c: DatasetCase): CaseData {
  const { image, first } = readImageFiles(c.id, c.images, dataset.channelNames.length);
  const labelNifti = readNifti(c.label);
  if ((labelNifti.dims[3] ?? 1) !== 1) throw new DatasetError(`a label must be 3D, got dims ${labelNifti.dims.join('x')}`, { file: c.label });
  const diff = sameGeometry(first, labelNifti);
  if (diff) throw new DatasetError(`label does not match its image: ${diff}`, { file: c.label });
  return { ...image, label: labelValues(labelNifti, dataset) };
}

/** Label voxels as Int16, rejecting non-integers and values dataset.json does not declare. */
export function labelValues(n: NiftiImage, dataset: Pick<Dataset, 'labels'>): Int16Array {
  const allowed = new Set(dataset.labels.map((l) => l.value));
  // Straight from the stored voxels (no float32 copy of the volume); float32 rounding as before.
  const { raw, sclSlope, sclInter } = n;
  const scaled = sclSlope !== 1 || sclInter !== 0;
  const out = new Int16Array(raw.length);
  for (let i = 0; i < raw.length; i++) {
    const v = Math.fround(scaled ? Number(raw[i]!) * sclSlope + sclInter : Number(raw[i]!));
    if (!allowed.has(v)) {
      throw new DatasetError(
        `label value ${v} at ${voxelAt(n, i)} is not among dataset.json's labels {${[...allowed].join(', ')}}`,
        { file: n.file },
      );
    }
    out[i] = v;
  }
  return out;
}
