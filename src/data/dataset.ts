/**
 * Dataset layouts: the Medical Segmentation Decathlon (MSD) layout and the nnU-Net v2
 * layout, read into one description. Only dataset.json and file existence are checked
 * here; voxels are read per case by case.ts.
 *
 * Example:
 *   const ds = loadDataset('../shared/datasets/Task04_Hippocampus');
 *   ds.cases[0]  // { id: 'hippocampus_001', images: ['.../imagesTr/hippocampus_001.nii.gz'], label: '...' }
 */
import { existsSync, readdirSync } from 'node:fs';
import { basename, isAbsolute, join, relative, resolve } from 'node:path';
import { z } from 'zod';
import { DatasetError, jsonPath } from '../errors.js';
import { readJsonFile } from '../util/json.js';

export interface LabelDef {
  readonly name: string;
  readonly value: number;
}

export interface DatasetCase {
  readonly id: string;
  /** One file per channel (v2), or one possibly-4D file holding every channel (MSD). */
  readonly images: readonly string[];
  readonly label: string;
}

export interface Dataset {
  readonly root: string;
  readonly name: string;
  readonly layout: 'msd' | 'nnunet-v2';
  /** Channel (modality) names in channel order, e.g. ['MRI'] or ['CT']. */
  readonly channelNames: readonly string[];
  /** Labels sorted by value; value 0 is background. */
  readonly labels: readonly LabelDef[];
  /** Cases sorted by id. */
  readonly cases: readonly DatasetCase[];
}

const indexMap = z.record(z.string().regex(/^\d+$/, 'keys must be integer indices'), z.string());

const msdSchema = z.object({
  name: z.string().optional(),
  modality: indexMap,
  labels: indexMap,
  training: z.array(z.object({ image: z.string(), label: z.string() })),
});

const v2Schema = z.object({
  name: z.string().optional(),
  channel_names: indexMap,
  labels: z.record(z.string(), z.number().int().nonnegative()),
  numTraining: z.number().int().nonnegative(),
  file_ending: z.string().min(1),
});

function parseWith<T>(schema: z.ZodType<T>, json: unknown, file: string): T {
  const result = schema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new DatasetError(`invalid dataset.json: ${issue.message}`, { file, path: jsonPath(issue.path) });
  }
  return result.data;
}

function indexedList(map: Record<string, string>, file: string, field: string): string[] {
  const indices = Object.keys(map).map(Number).sort((a, b) => a - b);
  indices.forEach((idx, pos) => {
    if (idx !== pos) throw new DatasetError(`indices must be 0..${indices.length - 1} without gaps, got ${indices.join(', ')}`, { file, path: `$.${field}` });
  });
  return indices.map((i) => map[String(i)]!);
}

/** A path dataset.json lists, resolved inside the dataset folder; one that leads out of it is refused. */
function insideRoot(root: string, entry: string, file: string, jsonPath: string): string {
  const path = resolve(root, entry);
  const rel = relative(root, path);
  if (rel.startsWith('..') || isAbsolute(rel)) {
    throw new DatasetError(`listed path '${entry}' leads outside the dataset folder ${root}: paths must be relative, inside it (e.g. ./imagesTr/case.nii.gz)`, { file, path: jsonPath });
  }
  return path;
}

function requireFile(path: string, file: string, jsonPath: string): string {
  if (!existsSync(path)) throw new DatasetError(`listed file does not exist: ${path}`, { file, path: jsonPath });
  return path;
}

function stripEnding(name: string, ending: string): string {
  return name.endsWith(ending) ? name.slice(0, -ending.length) : name;
}

function checkLabels(labels: LabelDef[], file: string): LabelDef[] {
  const sorted = [...labels].sort((a, b) => a.value - b.value);
  if (sorted[0]?.value !== 0) throw new DatasetError('labels must include value 0 (background)', { file, path: '$.labels' });
  sorted.forEach((l, i) => {
    if (i > 0 && l.value === sorted[i - 1]!.value) throw new DatasetError(`label value ${l.value} is used twice`, { file, path: '$.labels' });
    // The network's class k is label value k, so values must be 0..K-1 (nnU-Net requires the same).
    if (l.value !== i) throw new DatasetError(`label values must be consecutive 0..${sorted.length - 1}, got ${sorted.map((x) => x.value).join(', ')}`, { file, path: '$.labels' });
  });
  return sorted;
}

function readDatasetJson(file: string): unknown {
  if (!existsSync(file)) throw new DatasetError('no dataset.json in the dataset folder', { file });
  return readJsonFile(file, DatasetError, 'dataset.json');
}

/** Only the labels of `<root>/dataset.json` (either layout), without looking for the case files. */
export function datasetLabels(rootDir: string): LabelDef[] {
  const file = join(resolve(rootDir), 'dataset.json');
  const json = readDatasetJson(file);
  if (typeof json === 'object' && json !== null && 'channel_names' in json) {
    const d = parseWith(v2Schema.pick({ labels: true }), json, file);
    return checkLabels(Object.entries(d.labels).map(([name, value]) => ({ name, value })), file);
  }
  const d = parseWith(msdSchema.pick({ labels: true }), json, file);
  return checkLabels(Object.entries(d.labels).map(([value, name]) => ({ name, value: Number(value) })), file);
}

/** What dataset.json says about a dataset, in either layout, without looking at its files. */
export interface DatasetDescription {
  readonly name?: string;
  readonly layout: Dataset['layout'];
  readonly channelNames: readonly string[];
  readonly labels: readonly LabelDef[];
  readonly numTraining: number;
}

/** Read a dataset.json (either layout) for its channels, labels and case count; throws DatasetError naming the field. */
export function readDatasetDescription(file: string): DatasetDescription {
  if (!existsSync(file)) throw new DatasetError('no such file', { file });
  const json = readDatasetJson(file);
  if (typeof json === 'object' && json !== null && 'channel_names' in json) {
    const d = parseWith(v2Schema, json, file);
    const labels = checkLabels(Object.entries(d.labels).map(([name, value]) => ({ name, value })), file);
    return { layout: 'nnunet-v2', name: d.name, channelNames: indexedList(d.channel_names, file, 'channel_names'), labels, numTraining: d.numTraining };
  }
  const d = parseWith(msdSchema, json, file);
  const labels = checkLabels(Object.entries(d.labels).map(([value, name]) => ({ name, value: Number(value) })), file);
  return { layout: 'msd', name: d.name, channelNames: indexedList(d.modality, file, 'modality'), labels, numTraining: d.training.length };
}

/** Read `<root>/dataset.json` in either layout; throws DatasetError naming the file and field. */
export function loadDataset(rootDir: string): Dataset {
  const root = resolve(rootDir);
  const file = join(root, 'dataset.json');
  const json = readDatasetJson(file);
  const isV2 = typeof json === 'object' && json !== null && 'channel_names' in json;
  const dataset = isV2 ? loadV2(root, file, json) : loadMsd(root, file, json);
  if (dataset.cases.length === 0) throw new DatasetError('the dataset has no training cases', { file, path: isV2 ? '$.numTraining' : '$.training' });
  return dataset;
}

function loadMsd(root: string, file: string, json: unknown): Dataset {
  const d = parseWith(msdSchema, json, file);
  const channelNames = indexedList(d.modality, file, 'modality');
  const labels = checkLabels(
    Object.entries(d.labels).map(([value, name]) => ({ name, value: Number(value) })),
    file,
  );
  const cases = d.training.map((entry, i) => {
    const image = requireFile(insideRoot(root, entry.image, file, `$.training[${i}].image`), file, `$.training[${i}].image`);
    const label = requireFile(insideRoot(root, entry.label, file, `$.training[${i}].label`), file, `$.training[${i}].label`);
    return { id: stripEnding(stripEnding(basename(entry.image), '.gz'), '.nii'), images: [image], label };
  });
  return { root, name: d.name ?? basename(root), layout: 'msd', channelNames, labels, cases: sortUnique(cases, file) };
}

function loadV2(root: string, file: string, json: unknown): Dataset {
  const d = parseWith(v2Schema, json, file);
  const channelNames = indexedList(d.channel_names, file, 'channel_names');
  const labels = checkLabels(
    Object.entries(d.labels).map(([name, value]) => ({ name, value })),
    file,
  );
  const imagesDir = join(root, 'imagesTr');
  if (!existsSync(imagesDir)) throw new DatasetError('missing imagesTr folder', { file: imagesDir });
  const suffix = `_0000${d.file_ending}`;
  const ids = readdirSync(imagesDir)
    .filter((f) => f.endsWith(suffix) && !f.startsWith('.'))
    .map((f) => f.slice(0, -suffix.length));
  const cases = ids.map((id) => ({
    id,
    images: channelNames.map((_, c) =>
      requireFile(join(imagesDir, `${id}_${String(c).padStart(4, '0')}${d.file_ending}`), file, `$.channel_names.${c}`),
    ),
    label: requireFile(join(root, 'labelsTr', `${id}${d.file_ending}`), file, '$.labels'),
  }));
  if (cases.length !== d.numTraining) {
    throw new DatasetError(`numTraining says ${d.numTraining} cases but imagesTr holds ${cases.length} (files *${suffix})`, { file, path: '$.numTraining' });
  }
  return { root, name: d.name ?? basename(root), layout: 'nnunet-v2', channelNames, labels, cases: sortUnique(cases, file) };
}

function sortUnique(cases: DatasetCase[], file: string): DatasetCase[] {
  const sorted = [...cases].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  sorted.forEach((c, i) => {
    if (i > 0 && c.id === sorted[i - 1]!.id) throw new DatasetError(`case id '${c.id}' appears twice`, { file });
  });
  return sorted;
}
