/**
 * Synthetic datasets at the size of real ones, made here from a seed (nothing downloaded), in the
 * Medical Segmentation Decathlon layout: dataset.json, imagesTr/, labelsTr/, imagesTs/ (.nii.gz), plus
 * labelsTs/ with the test cases' references (for `hnas evaluate`; MSD keeps those private).
 *
 * - 'ct': CT-like cases, by default 512 x 512 x 300-450 voxels at 0.7-0.8 x 0.7-0.8 x 1.5-5 mm
 *   (anisotropic), int16 Hounsfield-like values: air around a body outline with a fat rim, spine and
 *   lungs, and three classes: a large organ, a pair of smaller, brighter organs, and small
 *   hypodense lesions inside the large organ.
 * - 'mri': 4-channel MRI-like cases (FLAIR, T1w, T1gd, T2w) of 240 x 240 x 155 at 1 mm, int16, a
 *   skull-stripped brain in zero background with a tumour: edema, a non-enhancing core, and an
 *   enhancing rim (BraTS's three classes).
 *
 * Shapes and sizes are fractions of the field of view, so a down-scaled dataset (tests use
 * 128 x 128 x 96) has the same character. Every case is written slice by slice through a gzip
 * stream (memory: a few slices, not a volume), each file atomically; dataset.json comes last, so
 * an interrupted run leaves no loadable half-dataset.
 *
 * Example:
 *   await generateDataset({ outDir: 'data/SynCT', kind: 'ct', cases: 8, seed: 0 });
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { Rng } from '../util/rng.js';
import { writeFileAtomic } from '../util/fs.js';
import { NiftiStreamWriter } from './nifti.js';
import { identityGeometry } from './nifti-types.js';
import type { Vec3 } from './plan-types.js';

export type SyntheticKind = 'ct' | 'mri';

export interface GenerateDatasetOptions {
  readonly outDir: string;
  readonly kind: SyntheticKind;
  /** Training cases (imagesTr + labelsTr). */
  readonly cases: number;
  readonly seed: number;
  /** Test cases (imagesTs, no labels); default 1. */
  readonly testCases?: number;
  /** NIfTI-order [x, y, z] voxels of every case; default CT 512 x 512 x (300..450 per case), MRI 240 x 240 x 155. */
  readonly shape?: Vec3;
  /** NIfTI-order voxel size in mm of every case; default CT 0.7-0.8 in-plane and 1.5-5 mm slices per case, MRI 1 mm. */
  readonly spacing?: Vec3;
  /** gzip level 0-9 of the written files (default 1: the fastest; readers do not care). */
  readonly gzipLevel?: number;
  readonly onCase?: (done: number, total: number) => void;
}

export interface GeneratedCase {
  readonly id: string;
  readonly image: string;
  /** labelsTr/<id>.nii.gz, or for a test case labelsTs/<id>.nii.gz. */
  readonly label: string;
  /** NIfTI-order voxels and spacing. */
  readonly shape: Vec3;
  readonly spacing: Vec3;
}

export interface GeneratedDataset {
  readonly root: string;
  readonly training: readonly GeneratedCase[];
  readonly test: readonly GeneratedCase[];
}

interface KindSpec {
  readonly name: string;
  readonly prefix: string;
  readonly description: string;
  readonly channels: readonly string[];
  readonly labels: readonly string[];
  readonly shape: (rng: Rng) => Vec3;
  readonly spacing: (rng: Rng) => Vec3;
  readonly model: (rng: Rng) => CaseModel;
}

const uniform = (rng: Rng, lo: number, hi: number): number => lo + (hi - lo) * rng.float();

export const SYNTHETIC_KINDS: Record<SyntheticKind, KindSpec> = {
  ct: {
    name: 'SyntheticCT',
    prefix: 'synct',
    description: 'CT-like synthetic cases (hnas generate-dataset): body outline, spine, lungs, two organs and lesions',
    channels: ['CT'],
    labels: ['background', 'organ', 'kidneys', 'lesion'],
    shape: (rng) => [512, 512, 300 + rng.int(151)],
    spacing: (rng) => {
      const inPlane = Math.round(uniform(rng, 0.7, 0.8) * 1e4) / 1e4;
      return [inPlane, inPlane, Math.round(uniform(rng, 1.5, 5) * 1e3) / 1e3];
    },
    model: ctModel,
  },
  mri: {
    name: 'SyntheticMRI',
    prefix: 'synmri',
    description: '4-channel MRI-like synthetic cases (hnas generate-dataset): skull-stripped brain with a three-class tumour',
    channels: ['FLAIR', 'T1w', 'T1gd', 'T2w'],
    labels: ['background', 'edema', 'non-enhancing tumor', 'enhancing tumour'],
    shape: () => [240, 240, 155],
    spacing: () => [1, 1, 1],
    model: mriModel,
  },
};

/**
 * A case as geometry in normalised coordinates (each axis -1..1 over the field of view): blobs
 * painted in order (later wins), each a wobbly ellipsoid with a label and per-channel intensity.
 */
interface Blob {
  readonly centre: Vec3;
  readonly radii: Vec3;
  /** Phases and depth of the sinusoidal wobble of the surface. */
  readonly phase: Vec3;
  readonly wobble: number;
  readonly label: number;
  /** Mean intensity per channel. */
  readonly intensity: readonly number[];
  /** Inside this fraction of the normalised radius the blob paints `core` instead. */
  readonly core?: { fraction: number; label: number; intensity: readonly number[] };
}

interface CaseModel {
  /** Value outside the body, per channel (exact; no noise when `quietBackground`). */
  readonly background: readonly number[];
  readonly quietBackground: boolean;
  /** Body / brain: an ellipse in-plane whose radii vary slowly along z; `zRange` limits it along z. */
  readonly body: { centre: [number, number]; radii: [number, number]; zRange: [number, number]; swell: number; phase: number; intensity: readonly number[] };
  /** Tissue rim just inside the body outline (CT: subcutaneous fat), as a fraction of the radius. */
  readonly rim?: { fraction: number; intensity: readonly number[] };
  readonly blobs: readonly Blob[];
  /** Standard deviation of the voxel noise per channel. */
  readonly noise: readonly number[];
  /** Multiplicative low-frequency bias field depth (MRI). */
  readonly bias: number;
  readonly clamp: [number, number];
  readonly noiseSeed: number;
}

function blob(rng: Rng, centre: Vec3, radii: Vec3, label: number, intensity: readonly number[], extra: Partial<Blob> = {}): Blob {
  const jitter = (v: number, f: number): number => v * (1 + f * (2 * rng.float() - 1));
  return {
    centre,
    radii: radii.map((r) => jitter(r, 0.15)) as Vec3,
    phase: [uniform(rng, 0, 2 * Math.PI), uniform(rng, 0, 2 * Math.PI), uniform(rng, 0, 2 * Math.PI)],
    wobble: uniform(rng, 0.05, 0.2),
    label,
    intensity,
    ...extra,
  };
}

function ctModel(rng: Rng): CaseModel {
  const bx = uniform(rng, -0.04, 0.04);
  const by = uniform(rng, -0.06, 0.02);
  const rx = uniform(rng, 0.78, 0.9);
  const ry = uniform(rng, 0.55, 0.68);
  const at = (fx: number, fy: number, z: number): Vec3 => [bx + fx * rx, by + fy * ry, z];
  const organZ = uniform(rng, -0.2, 0.2);
  const organ = blob(rng, at(-0.35, -0.05, organZ), [0.4 * rx, 0.45 * ry, 0.3], 1, [60 + uniform(rng, -10, 10)]);
  const kidneyZ = organZ + uniform(rng, 0.1, 0.2);
  const kidneyHU = [150 + uniform(rng, -20, 20)];
  const blobs: Blob[] = [
    // Unlabelled anatomy first: lungs above the organs, the spine behind them.
    blob(rng, at(-0.45, -0.1, organZ - 0.45), [0.35 * rx, 0.5 * ry, 0.3], 0, [-820]),
    blob(rng, at(0.45, -0.1, organZ - 0.45), [0.35 * rx, 0.5 * ry, 0.3], 0, [-820]),
    blob(rng, at(0, 0.62, 0), [0.11 * rx, 0.14 * ry, 2], 0, [450], { wobble: 0.05 }),
    organ,
    blob(rng, at(-0.42, 0.42, kidneyZ), [0.14 * rx, 0.18 * ry, 0.1], 2, kidneyHU),
    blob(rng, at(0.42, 0.42, kidneyZ), [0.14 * rx, 0.18 * ry, 0.1], 2, kidneyHU),
  ];
  const lesions = 1 + rng.int(3);
  for (let i = 0; i < lesions; i++) {
    const c = organ.centre.map((v, a) => v + 0.45 * organ.radii[a]! * (2 * rng.float() - 1)) as Vec3;
    const r = uniform(rng, 0.05, 0.1);
    blobs.push(blob(rng, c, [r * rx, r * ry, r], 3, [organ.intensity[0]! - uniform(rng, 35, 55)]));
  }
  return {
    background: [-1000],
    quietBackground: false,
    body: { centre: [bx, by], radii: [rx, ry], zRange: [-2, 2], swell: uniform(rng, 0.03, 0.08), phase: uniform(rng, 0, 2 * Math.PI), intensity: [35] },
    rim: { fraction: uniform(rng, 0.86, 0.92), intensity: [-95] },
    blobs,
    noise: [uniform(rng, 10, 20)],
    bias: 0,
    clamp: [-1024, 3071],
    noiseSeed: rng.int(2 ** 31),
  };
}

function mriModel(rng: Rng): CaseModel {
  const rx = uniform(rng, 0.68, 0.78);
  const ry = uniform(rng, 0.8, 0.9);
  // Tumour somewhere in a hemisphere: edema around a core whose outer shell enhances.
  const side = rng.float() < 0.5 ? -1 : 1;
  const c: Vec3 = [side * uniform(rng, 0.2, 0.35), uniform(rng, -0.3, 0.3), uniform(rng, -0.2, 0.3)];
  const edemaR = uniform(rng, 0.16, 0.24);
  const coreR = edemaR * uniform(rng, 0.45, 0.65);
  return {
    background: [0, 0, 0, 0],
    quietBackground: true,
    body: { centre: [0, 0], radii: [rx, ry], zRange: [-0.85, 0.8], swell: 0.04, phase: uniform(rng, 0, 2 * Math.PI), intensity: [300, 520, 500, 380] },
    rim: { fraction: 0.9, intensity: [260, 430, 420, 900] }, // cortex / CSF-like rim
    blobs: [
      blob(rng, [-0.1 * side, 0.05, 0.1], [0.12, 0.2, 0.15], 0, [320, 300, 310, 1100]), // a ventricle (CSF)
      blob(rng, c, [edemaR, edemaR, edemaR * 1.1], 1, [620, 430, 450, 700]),
      blob(rng, c, [coreR, coreR, coreR], 3, [520, 450, 950, 620], { core: { fraction: uniform(rng, 0.45, 0.7), label: 2, intensity: [380, 320, 330, 820] } }),
    ],
    noise: [18, 20, 22, 20],
    bias: uniform(rng, 0.05, 0.15),
    clamp: [0, 32767],
    noiseSeed: rng.int(2 ** 31),
  };
}

/** A 32-bit hash of (seed, a, b): the start of each slice's noise stream, independent of the others. */
function hash3(seed: number, a: number, b: number): number {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(a + 0x632be5ab, 0xc2b2ae35) ^ Math.imul(b + 0x27d4eb2f, 0x165667b1);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  h = Math.imul(h, 0x297a2d39);
  h ^= h >>> 15;
  return h | 1;
}

/** The label and the painting blob (or -1 for body tissue, -2 outside) of every voxel of slice z. */
function paintSlice(model: CaseModel, shape: Vec3, z: number, label: Uint8Array, owner: Int8Array, core: Uint8Array): void {
  const [nx, ny, nz] = shape;
  const w = ((z + 0.5) / nz) * 2 - 1;
  const { body, rim, blobs } = model;
  const swell = 1 + body.swell * Math.sin(Math.PI * w * 1.5 + body.phase);
  const brx = body.radii[0] * swell;
  const bry = body.radii[1] * swell;
  // Along z the body is a cylinder (CT) or an ellipsoid cap (brain, zRange inside the volume).
  const zIn = w >= body.zRange[0] && w <= body.zRange[1];
  const zMid = (body.zRange[0] + body.zRange[1]) / 2;
  const zHalf = (body.zRange[1] - body.zRange[0]) / 2;
  const zScale = model.quietBackground ? Math.sqrt(Math.max(0, 1 - ((w - zMid) / zHalf) ** 2)) : 1;
  label.fill(0);
  owner.fill(-2);
  core.fill(0);
  if (!zIn || zScale <= 0) return;
  for (let y = 0; y < ny; y++) {
    const v = (((y + 0.5) / ny) * 2 - 1 - body.centre[1]) / (bry * zScale);
    for (let x = 0; x < nx; x++) {
      const u = (((x + 0.5) / nx) * 2 - 1 - body.centre[0]) / (brx * zScale);
      const r2 = u * u + v * v;
      if (r2 <= 1) owner[y * nx + x] = rim && r2 > rim.fraction * rim.fraction ? -3 : -1;
    }
  }
  blobs.forEach((b, index) => {
    const dz = (w - b.centre[2]) / b.radii[2];
    const reach = 1 + b.wobble;
    if (Math.abs(dz) > reach) return;
    // In-plane bounding box of the wobbly ellipsoid at this z.
    const span = (axis: 0 | 1, n: number): [number, number] => {
      const lo = Math.floor(((b.centre[axis] - b.radii[axis] * reach + 1) / 2) * n - 0.5);
      const hi = Math.ceil(((b.centre[axis] + b.radii[axis] * reach + 1) / 2) * n - 0.5);
      return [Math.max(0, lo), Math.min(n - 1, hi)];
    };
    const [x0, x1] = span(0, nx);
    const [y0, y1] = span(1, ny);
    for (let y = y0; y <= y1; y++) {
      const dy = (((y + 0.5) / ny) * 2 - 1 - b.centre[1]) / b.radii[1];
      for (let x = x0; x <= x1; x++) {
        const i = y * nx + x;
        if (owner[i] === -2) continue; // blobs live inside the body
        const dx = (((x + 0.5) / nx) * 2 - 1 - b.centre[0]) / b.radii[0];
        const d2 = dx * dx + dy * dy + dz * dz;
        const limit = 1 + b.wobble * Math.sin(3 * dx + b.phase[0]) * Math.sin(3 * dy + b.phase[1]) * Math.sin(2 * dz + b.phase[2]);
        if (d2 > limit * limit) continue;
        owner[i] = index;
        const inCore = b.core !== undefined && d2 <= (b.core.fraction * limit) ** 2;
        core[i] = inCore ? 1 : 0;
        label[i] = inCore ? b.core!.label : b.label;
      }
    }
  });
}

/** Int16 intensities of channel `c` of slice z, from the painted slice. */
function intensitySlice(model: CaseModel, shape: Vec3, z: number, c: number, owner: Int8Array, core: Uint8Array, out: Int16Array): void {
  const [nx, ny] = shape;
  let state = hash3(model.noiseSeed, z, c);
  const next = (): number => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4294967296;
  };
  const sd = model.noise[c]! * Math.SQRT2 * Math.sqrt(3); // sum of two uniforms: variance 1/6
  const w = ((z + 0.5) / shape[2]) * 2 - 1;
  const [lo, hi] = model.clamp;
  for (let y = 0; y < ny; y++) {
    const v = ((y + 0.5) / ny) * 2 - 1;
    for (let x = 0; x < nx; x++) {
      const i = y * nx + x;
      const o = owner[i]!;
      const noise = (next() + next() - 1) * sd;
      let value: number;
      if (o === -2) {
        value = model.background[c]! + (model.quietBackground ? 0 : noise);
      } else {
        const b = o >= 0 ? model.blobs[o]! : undefined;
        const mean = b ? (core[i] ? b.core!.intensity[c]! : b.intensity[c]!) : o === -3 ? model.rim!.intensity[c]! : model.body.intensity[c]!;
        const u = ((x + 0.5) / nx) * 2 - 1;
        const bias = 1 + model.bias * Math.sin(1.3 * u + 0.7 * c) * Math.cos(1.1 * v - 0.5 * w);
        value = mean * bias + noise;
        if (model.quietBackground && value < 1) value = 1; // inside the brain is never background
      }
      out[i] = Math.min(hi, Math.max(lo, Math.round(value)));
    }
  }
}

function checkOptions(o: GenerateDatasetOptions): void {
  const positiveInt = (v: number, name: string, max: number): void => {
    if (!(Number.isInteger(v) && v >= 1 && v <= max)) throw new UsageError(`${name} must be an integer from 1 to ${max}, got ${v}`);
  };
  if (!(o.kind in SYNTHETIC_KINDS)) throw new UsageError(`kind must be one of ${Object.keys(SYNTHETIC_KINDS).join(', ')}, got '${o.kind}'`);
  positiveInt(o.cases, 'cases', 9999);
  if (o.testCases !== undefined && !(Number.isInteger(o.testCases) && o.testCases >= 0 && o.testCases <= 9999)) throw new UsageError(`test cases must be an integer from 0 to 9999, got ${o.testCases}`);
  if (!Number.isInteger(o.seed)) throw new UsageError(`seed must be an integer, got ${o.seed}`);
  if (o.shape) {
    if (o.shape.length !== 3) throw new UsageError(`shape must be three sizes x,y,z, got [${o.shape.join(', ')}]`);
    o.shape.forEach((s, a) => positiveInt(s, `shape axis ${a}`, 4096));
    if (o.shape.some((s) => s < 8)) throw new UsageError(`shape must be at least 8 voxels along every axis, got [${o.shape.join(', ')}]`);
  }
  if (o.spacing && !(o.spacing.length === 3 && o.spacing.every((s) => Number.isFinite(s) && s > 0))) throw new UsageError(`spacing must be three positive sizes in mm, got [${o.spacing.join(', ')}]`);
  if (o.gzipLevel !== undefined && !(Number.isInteger(o.gzipLevel) && o.gzipLevel >= 0 && o.gzipLevel <= 9)) throw new UsageError(`gzip level must be 0..9, got ${o.gzipLevel}`);
}

/** Write one case's image (and label) slice by slice. */
async function writeCase(spec: KindSpec, model: CaseModel, shape: Vec3, spacing: Vec3, image: string, label: string, gzipLevel: number): Promise<void> {
  const [nx, ny, nz] = shape;
  const channels = spec.channels.length;
  const geometry = identityGeometry(spacing);
  const imageWriter = new NiftiStreamWriter(image, channels > 1 ? [nx, ny, nz, channels] : [nx, ny, nz], geometry, { datatype: 'int16', gzipLevel });
  const labelWriter = new NiftiStreamWriter(label, [nx, ny, nz], geometry, { datatype: 'uint8', gzipLevel });
  const labels = new Uint8Array(nx * ny);
  const owner = new Int8Array(nx * ny);
  const core = new Uint8Array(nx * ny);
  const values = new Int16Array(nx * ny);
  try {
    // NIfTI keeps channels slowest: every slice of channel 0, then of channel 1, ...
    for (let c = 0; c < channels; c++) {
      for (let z = 0; z < nz; z++) {
        paintSlice(model, shape, z, labels, owner, core);
        if (c === 0) await labelWriter.write(labels);
        intensitySlice(model, shape, z, c, owner, core, values);
        await imageWriter.write(new Uint8Array(values.buffer));
      }
    }
    await labelWriter.close();
    await imageWriter.close();
  } catch (err) {
    labelWriter.abort();
    imageWriter.abort();
    throw err;
  }
}

/** Write a synthetic MSD-format dataset into `outDir` (which must not hold a dataset.json yet). */
export async function generateDataset(options: GenerateDatasetOptions): Promise<GeneratedDataset> {
  checkOptions(options);
  const spec = SYNTHETIC_KINDS[options.kind];
  const root = resolve(options.outDir);
  const datasetJson = join(root, 'dataset.json');
  if (existsSync(datasetJson)) throw new UsageError(`${datasetJson} already exists: generate into a new folder (or delete that dataset first)`);
  const testCases = options.testCases ?? 1;
  const total = options.cases + testCases;
  const gzipLevel = options.gzipLevel ?? 1;
  const rng = Rng.seeded(options.seed);
  const training: GeneratedCase[] = [];
  const test: GeneratedCase[] = [];
  for (let k = 0; k < total; k++) {
    // One generator per case, forked in order: case k is the same whatever the case count.
    const caseRng = rng.fork();
    const shape = options.shape ? ([...options.shape] as Vec3) : spec.shape(caseRng);
    const spacing = options.spacing ? ([...options.spacing] as Vec3) : spec.spacing(caseRng);
    const model = spec.model(caseRng);
    const isTest = k >= options.cases;
    const id = `${spec.prefix}_${String(k + 1).padStart(3, '0')}`;
    const image = join(root, isTest ? 'imagesTs' : 'imagesTr', `${id}.nii.gz`);
    // Test cases get their reference too, in labelsTs/ (not part of MSD's layout; for `hnas evaluate`).
    const label = join(root, isTest ? 'labelsTs' : 'labelsTr', `${id}.nii.gz`);
    await writeCase(spec, model, shape, spacing, image, label, gzipLevel);
    (isTest ? test : training).push({ id, image, label, shape, spacing });
    options.onCase?.(k + 1, total);
  }
  const indexed = (names: readonly string[]): Record<string, string> => Object.fromEntries(names.map((n, i) => [String(i), n]));
  const description = {
    name: spec.name,
    description: `${spec.description}; seed ${options.seed}`,
    reference: 'generated by hnas (no real patient data)',
    licence: 'CC0',
    release: '1.0',
    tensorImageSize: spec.channels.length > 1 ? '4D' : '3D',
    modality: indexed(spec.channels),
    labels: indexed(spec.labels),
    numTraining: training.length,
    numTest: test.length,
    training: training.map((c) => ({ image: `./imagesTr/${c.id}.nii.gz`, label: `./labelsTr/${c.id}.nii.gz` })),
    test: test.map((c) => `./imagesTs/${c.id}.nii.gz`),
  };
  writeFileAtomic(datasetJson, `${JSON.stringify(description, null, 2)}\n`);
  return { root, training, test };
}
