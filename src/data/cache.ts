/**
 * The preprocessed-case cache: one binary file per case (a small JSON header, then
 * raw float32 image, int16 label and int32 class locations, 8-byte aligned so they
 * are read back as typed-array views without parsing), plus a manifest holding a hash
 * of the plan fields preprocessing depends on. A changed plan rebuilds the cache.
 *
 * Example:
 *   const cache = await preprocessDataset(dataset, plan, 'work/Hippocampus');
 *   const c = readPreprocessedCase(cache.files['hippocampus_001']!);
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { DatasetError } from '../errors.js';
import { writeFileAtomic } from '../util/fs.js';
import { readCase } from './case.js';
import type { Dataset } from './dataset.js';
import type { Plan } from './plan-types.js';
import { preprocessReadCase, type PreprocessedCase } from './preprocess.js';
import { CROSS_VALIDATION_FOLDS, loadOrCreateSplits, type Split } from './splits.js';

const MAGIC = 'HNASPP01';
const FORMAT_VERSION = 1;

/** Hash of everything in the plan that changes preprocessed voxels. */
export function preprocessingHash(plan: Plan): string {
  const relevant = {
    FORMAT_VERSION,
    spacing: plan.spacing,
    transposeForward: plan.transposeForward,
    normalization: plan.normalization,
    foregroundIntensityProperties: plan.foregroundIntensityProperties,
    anisotropyThreshold: plan.anisotropyThreshold,
    labels: plan.labels,
    channelNames: plan.channelNames,
  };
  return createHash('sha256').update(JSON.stringify(relevant)).digest('hex').slice(0, 16);
}

const pad8 = (n: number): number => Math.ceil(n / 8) * 8;

/** The bytes of a preprocessed-case file, in pieces that view the case's arrays (nothing copied). */
function preprocessedCaseParts(c: PreprocessedCase): Uint8Array[] {
  const classes = Object.entries(c.classLocations).map(([value, locs]) => ({ value: Number(value), count: locs.length }));
  const header = { id: c.id, channels: c.channels, shape: c.shape, hasLabel: !!c.label, classes, properties: c.properties };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerLen = pad8(json.length);
  const head = new Uint8Array(16 + headerLen);
  head.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(head.buffer).setUint32(8, headerLen, true);
  head.fill(0x20, 16, 16 + headerLen);
  head.set(json, 16);
  const bytesOf = (a: Float32Array | Int16Array | Int32Array): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const parts = [head, bytesOf(c.image)];
  if (c.label) parts.push(bytesOf(c.label), new Uint8Array(pad8(c.label.byteLength) - c.label.byteLength));
  for (const k of classes) parts.push(bytesOf(c.classLocations[k.value]!));
  return parts;
}

export function encodePreprocessedCase(c: PreprocessedCase): Uint8Array {
  const parts = preprocessedCaseParts(c);
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.byteLength;
  }
  return out;
}

/** Write a case's file (atomically) without assembling its bytes in memory first. */
export function writePreprocessedCase(file: string, c: PreprocessedCase): void {
  writeFileAtomic(file, preprocessedCaseParts(c));
}

export function decodePreprocessedCase(bytes: Uint8Array, file = '<memory>'): PreprocessedCase {
  // Typed-array views need aligned offsets; readFileSync may hand out a pooled, unaligned slice.
  const b = bytes.byteOffset % 8 === 0 ? bytes : bytes.slice();
  if (b.length < 16 || new TextDecoder().decode(b.slice(0, 8)) !== MAGIC) throw new DatasetError(`not an hnas preprocessed case (bad magic)`, { file });
  const headerLen = new DataView(b.buffer, b.byteOffset).getUint32(8, true);
  let header: { id: string; channels: number; shape: PreprocessedCase['shape']; hasLabel: boolean; classes: { value: number; count: number }[]; properties: PreprocessedCase['properties'] };
  try {
    header = JSON.parse(new TextDecoder().decode(b.slice(16, 16 + headerLen)));
  } catch (err) {
    throw new DatasetError('corrupt preprocessed-case header', { file }, { cause: err });
  }
  const n = header.shape[0] * header.shape[1] * header.shape[2];
  const locCount = header.classes.reduce((s, k) => s + k.count, 0);
  const expected = 16 + headerLen + header.channels * n * 4 + (header.hasLabel ? pad8(n * 2) : 0) + locCount * 4;
  if (b.length !== expected) throw new DatasetError(`truncated preprocessed case: ${b.length} bytes, expected ${expected}`, { file });
  let off = b.byteOffset + 16 + headerLen;
  const image = new Float32Array(b.buffer, off, header.channels * n);
  off += header.channels * n * 4;
  const label = header.hasLabel ? new Int16Array(b.buffer, off, n) : undefined;
  off += header.hasLabel ? pad8(n * 2) : 0;
  const classLocations: Record<number, Int32Array> = {};
  for (const k of header.classes) {
    classLocations[k.value] = new Int32Array(b.buffer, off, k.count);
    off += k.count * 4;
  }
  return { id: header.id, channels: header.channels, shape: header.shape, image, label, classLocations, properties: header.properties };
}

export function readPreprocessedCase(file: string): PreprocessedCase {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    throw new DatasetError(`cannot read preprocessed case (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { file }, { cause: err });
  }
  return decodePreprocessedCase(bytes, file);
}

export interface Manifest {
  readonly planHash: string;
  readonly datasetName: string;
  /** Case id -> cache file name (relative to the cache folder). */
  readonly files: Record<string, string>;
}

export interface PreprocessedDataset {
  readonly dir: string;
  readonly manifest: Manifest;
  /** Case id -> absolute cache file path. */
  readonly files: Record<string, string>;
  readonly splits: Split[];
  /** Cases (re)built by this call; 0 when the cache was current. */
  readonly rebuilt: number;
}

export interface PreprocessOptions {
  onCase?: (done: number, total: number) => void;
  seed?: number;
}

/** One case still to preprocess: dataset.cases[index] into `file`. */
export interface CaseJob {
  readonly index: number;
  readonly id: string;
  readonly file: string;
  readonly seed: number;
}

/**
 * A cache being brought up to date: which cases need (re)building for this plan, and the manifest,
 * rewritten as each one finishes, so an interrupted run resumes where it stopped.
 */
export class CacheBuild {
  readonly jobs: CaseJob[] = [];
  private readonly manifestFile: string;
  private readonly planHash: string;
  private readonly old: Manifest | undefined;
  private readonly files: Record<string, string> = {};
  private rebuilt = 0;

  constructor(
    private readonly dataset: Dataset,
    plan: Plan,
    readonly dir: string,
    seed = 1234,
  ) {
    this.manifestFile = join(dir, 'manifest.json');
    this.planHash = preprocessingHash(plan);
    this.old = existsSync(this.manifestFile) ? readManifest(this.manifestFile) : undefined;
    const current = this.old?.planHash === this.planHash ? this.old.files : {};
    dataset.cases.forEach((c, i) => {
      const name = `${c.id}.hnpp`;
      if (current[c.id] === name && existsSync(join(dir, name))) this.files[c.id] = name;
      else this.jobs.push({ index: i, id: c.id, file: join(dir, name), seed: seed + i });
    });
  }

  /** Cases already current. */
  get cached(): number {
    return this.dataset.cases.length - this.jobs.length;
  }

  /** Record a built case; the manifest (a few KB) is rewritten at once. */
  done(job: CaseJob): void {
    this.files[job.id] = basename(job.file);
    this.rebuilt++;
    this.save();
  }

  finish(): PreprocessedDataset {
    const old = this.old;
    if (this.rebuilt > 0 || !old || old.planHash !== this.planHash || Object.keys(old.files).length !== Object.keys(this.files).length) this.save();
    const files = this.listed();
    // Fewer cases than folds: no cross-validation (nnU-Net trains those with fold 'all', which needs no splits).
    const ids = this.dataset.cases.map((c) => c.id);
    const splits = ids.length >= CROSS_VALIDATION_FOLDS ? loadOrCreateSplits(join(this.dir, 'splits_final.json'), ids) : [];
    const abs = Object.fromEntries(Object.entries(files).map(([id, f]) => [id, join(this.dir, f)]));
    return { dir: this.dir, manifest: { planHash: this.planHash, datasetName: this.dataset.name, files }, files: abs, splits, rebuilt: this.rebuilt };
  }

  /** Only this dataset's cases, in its order. */
  private listed(): Record<string, string> {
    return Object.fromEntries(this.dataset.cases.filter((c) => c.id in this.files).map((c) => [c.id, this.files[c.id]!]));
  }

  private save(): void {
    writeFileAtomic(this.manifestFile, `${JSON.stringify({ planHash: this.planHash, datasetName: this.dataset.name, files: this.listed() }, null, 2)}\n`);
  }
}

/** Read, preprocess and write one case: the unit of work of a preprocessing worker. */
export function buildCaseFile(dataset: Dataset, plan: Plan, job: CaseJob): void {
  writePreprocessedCase(job.file, preprocessReadCase(() => readCase(dataset, dataset.cases[job.index]!), plan, job.seed));
}

/**
 * Preprocess every case into `dir` unless a cache for the same plan hash is already there, in this
 * thread (preprocessInWorkers in preprocess-workers.ts spreads the cases over threads).
 */
export function preprocessDataset(dataset: Dataset, plan: Plan, dir: string, options: PreprocessOptions = {}): PreprocessedDataset {
  const build = new CacheBuild(dataset, plan, dir, options.seed);
  let done = build.cached;
  if (done > 0) options.onCase?.(done, dataset.cases.length);
  for (const job of build.jobs) {
    buildCaseFile(dataset, plan, job);
    build.done(job);
    options.onCase?.(++done, dataset.cases.length);
  }
  return build.finish();
}

function readManifest(file: string): Manifest | undefined {
  try {
    const m = JSON.parse(readFileSync(file, 'utf8')) as Manifest;
    return typeof m?.planHash === 'string' && typeof m.files === 'object' && m.files !== null ? m : undefined;
  } catch {
    return undefined; // an unreadable manifest only costs a rebuild
  }
}
