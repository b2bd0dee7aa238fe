/**
 * Qualitative overlays (the Auto-nnU-Net paper's Figure 3): for the best, median and worst
 * validation cases of a trained model folder (ranked by foreground-mean Dice of its stored
 * validation results, every validated fold pooled), the slice with the most ground-truth
 * foreground, shown twice: with the ground truth's and with the prediction's outlines, one colour
 * per class, a legend and the case's Dice per class.
 *
 * Geometry: arrays are [k, j, i] (case.ts). The slice is cut across the axis of the coarsest
 * spacing (ties: k), and shown without reorientation: of the two remaining axes the later one
 * (in array order) runs left to right and the earlier one bottom to top, as matplotlib's
 * `imshow(a[:, :, k].T, origin='lower')` shows a nibabel array; each voxel keeps its physical
 * aspect ratio on the display grid.
 *
 * Example:
 *   const r = await writeOverlays('models/hippo', '../shared/datasets/Task04_Hippocampus', 'overlays/');
 *   r.files  // overlays.png, overlays.svg, overlays.json, overlays.md, one PNG per panel
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readCase } from '../data/case.js';
import { loadDataset, type Dataset } from '../data/dataset.js';
import { nanMean } from '../data/metrics.js';
import { niftiValues, readNifti } from '../data/nifti.js';
import type { Vec3 } from '../data/plan-types.js';
import type { EvaluationSummary } from '../data/evaluate.js';
import { DatasetError, HnasError, UsageError } from '../errors.js';
import type { LoadedStudy } from '../automl/load.js';
import type { TrialRecord } from '../optimize/trial.js';
import { foldDir, MODEL_FILES, readModelDir, type FoldId, type ModelDir } from '../pipeline/model-dir.js';
import { readJsonFile } from '../util/json.js';
import { classColour, displaySize, encodePng, hex, intensityWindow, outlinedImage, resampleNearest, toGrey, type Grid, type Rgba } from './raster.js';
import { OutputFolder, svgToPng } from './render.js';

export type Role = 'best' | 'median' | 'worst';

export interface ScoredCase {
  readonly id: string;
  readonly fold: FoldId;
  /** Dice per foreground class value (NaN: the class is in neither segmentation). */
  readonly dice: Readonly<Record<number, number>>;
  /** Mean over the classes, NaN ones skipped. */
  readonly score: number;
}

/**
 * Best, median and worst case by score (ties: case id). With an even count the median is the lower
 * of the two middle cases; a case that holds several roles (fewer than 3 cases) is one panel.
 */
export function chooseCases<T extends ScoredCase>(cases: readonly T[]): { roles: Role[]; case: T }[] {
  const ranked = cases.filter((c) => !Number.isNaN(c.score)).sort((a, b) => a.score - b.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  if (ranked.length === 0) return [];
  const picks: [Role, T][] = [
    ['best', ranked.at(-1)!],
    ['median', ranked[Math.floor((ranked.length - 1) / 2)]!],
    ['worst', ranked[0]!],
  ];
  const out: { roles: Role[]; case: T }[] = [];
  for (const [role, c] of picks) {
    const same = out.find((o) => o.case === c);
    if (same) same.roles.push(role);
    else out.push({ roles: [role], case: c });
  }
  return out;
}

/** The array axis a slice is cut across: the one of the coarsest spacing, ties to the lowest axis (k). */
export function sliceAxis(spacing: Vec3): 0 | 1 | 2 {
  let axis: 0 | 1 | 2 = 0;
  for (const a of [1, 2] as const) if (spacing[a] > spacing[axis]) axis = a;
  return axis;
}

/** Per slice along `axis`, the count of voxels with a nonzero label. */
export function foregroundPerSlice(label: ArrayLike<number>, shape: Vec3, axis: 0 | 1 | 2): number[] {
  const counts = new Array<number>(shape[axis]).fill(0);
  const [, n1, n2] = shape;
  for (let i = 0; i < label.length; i++) {
    if (label[i] === 0) continue;
    const c = axis === 0 ? Math.floor(i / (n1 * n2)) : axis === 1 ? Math.floor(i / n2) % n1 : i % n2;
    counts[c]!++;
  }
  return counts;
}

/** The first index of the largest count, or -1 when every count is 0. */
export function argmaxSlice(counts: readonly number[]): number {
  let best = -1;
  for (let i = 0; i < counts.length; i++) if (counts[i]! > 0 && (best < 0 || counts[i]! > counts[best]!)) best = i;
  return best;
}

/** The two in-plane axes of a slice: [horizontal, vertical] (the later remaining axis runs left to right). */
const planeAxes = (axis: 0 | 1 | 2): [number, number] => (axis === 0 ? [2, 1] : axis === 1 ? [2, 0] : [1, 0]);

/** One slice of a [k, j, i] volume as a display-oriented grid (row 0 = the highest vertical index). */
export function extractSlice<T extends Int16Array | Float32Array>(volume: T, shape: Vec3, axis: 0 | 1 | 2, index: number): Grid<T> {
  const [h, v] = planeAxes(axis);
  const width = shape[h]!;
  const height = shape[v]!;
  const strides = [shape[1] * shape[2], shape[2], 1];
  const data = new (volume.constructor as new (n: number) => T)(width * height);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) data[y * width + x] = volume[index * strides[axis]! + x * strides[h]! + (height - 1 - y) * strides[v]!]!;
  return { width, height, data };
}

export interface Panel {
  readonly roles: readonly Role[];
  readonly case: ScoredCase;
  /** Array axis (0 = k, 1 = j, 2 = i), slice index and the axis length. */
  readonly slice: { readonly axis: 0 | 1 | 2; readonly index: number; readonly of: number };
  /** The slice with the ground truth's and with the prediction's outlines, on the display grid. */
  readonly truth: Rgba;
  readonly prediction: Rgba;
}

export interface OverlayOptions {
  /** Only these folds' validation cases (default: every validated fold). */
  readonly folds?: readonly FoldId[];
  /** Image channel shown (default 0). */
  readonly channel?: number;
  /** Pixels along the longer physical side of each slice (default 256). */
  readonly size?: number;
}

const AXIS_NAMES = ['k', 'j', 'i'] as const;

/** The validation results of the model folder's validated folds, each case with its prediction file. */
function validatedCases(model: ModelDir, folds: readonly FoldId[] | undefined): { cases: (ScoredCase & { file: string })[]; folds: FoldId[] } {
  const modelDir = model.dir;
  for (const f of folds ?? []) if (!model.folds.some((m) => m.fold === f)) throw new DatasetError(`fold ${f} has no trained model in the folder (trained: ${model.folds.map((m) => m.fold).join(', ')})`, { file: modelDir });
  const chosen = model.folds.filter((f) => !folds || folds.includes(f.fold)).map((f) => f.fold);
  const validated = chosen.filter((f) => existsSync(join(foldDir(modelDir, f), MODEL_FILES.validation)));
  if (validated.length === 0) {
    throw new DatasetError(
      `no validation predictions in the model folder (no fold_<n>/${MODEL_FILES.validation} among fold(s) ${chosen.join(', ')}): overlays show validation cases, so train a numbered fold (fold 'all' has no validation)`,
      { file: modelDir },
    );
  }
  const cases = validated.flatMap((fold) => {
    const file = join(foldDir(modelDir, fold), MODEL_FILES.validation);
    const summary = readJsonFile(file, DatasetError, 'the validation results') as EvaluationSummary;
    if (!Array.isArray(summary?.cases) || !Array.isArray(summary.classes)) throw new DatasetError('not a validation.json of `hnas train` (no cases/classes)', { file });
    return summary.cases.map((c) => {
      const dice = Object.fromEntries(summary.classes.map((k) => [k, c.perClass[k]?.dice ?? NaN]));
      return { id: c.id, fold, dice, score: nanMean(Object.values(dice)), file: join(foldDir(modelDir, fold), MODEL_FILES.validationDir, `${c.id}.nii.gz`) };
    });
  });
  return { cases, folds: validated };
}

/** The dataset must be the one the model was trained on: same labels and channels, every validation case present. */
function checkDataset(dataset: Dataset, labels: readonly { name: string; value: number }[], channels: number): void {
  const text = (ls: readonly { name: string; value: number }[]) => ls.map((l) => `${l.value}:${l.name}`).join(', ');
  if (text(dataset.labels) !== text(labels)) {
    throw new DatasetError(`the dataset's labels [${text(dataset.labels)}] are not the model's [${text(labels)}]: give the dataset the model was trained on`, { file: join(dataset.root, 'dataset.json'), path: '$.labels' });
  }
  if (dataset.channelNames.length !== channels) throw new DatasetError(`the dataset has ${dataset.channelNames.length} channel(s), the model ${channels}: give the dataset the model was trained on`, { file: join(dataset.root, 'dataset.json') });
}

/** Panels of the best, median and worst validation cases. */
export function overlayPanels(modelDir: string, datasetDir: string, o: OverlayOptions = {}): { panels: Panel[]; folds: FoldId[]; ranked: ScoredCase[]; dataset: Dataset; labels: readonly { name: string; value: number }[] } {
  const model = readModelDir(modelDir);
  const dataset = loadDataset(datasetDir);
  checkDataset(dataset, model.plan.labels, model.plan.channelNames.length);
  const channel = o.channel ?? 0;
  if (!(Number.isInteger(channel) && channel >= 0 && channel < dataset.channelNames.length)) throw new UsageError(`--channel must be 0..${dataset.channelNames.length - 1} (${dataset.channelNames.join(', ')}), got ${channel}`);
  const { cases, folds } = validatedCases(model, o.folds);
  const byId = new Map(dataset.cases.map((c) => [c.id, c]));
  for (const c of cases) {
    if (!byId.has(c.id)) throw new DatasetError(`validation case '${c.id}' (fold ${c.fold}) is not in the dataset: give the dataset the model was trained on`, { file: dataset.root });
  }
  const classes = model.plan.labels.map((l) => l.value).filter((v) => v !== 0);
  const size = o.size ?? 256;
  const panels = chooseCases(cases).map(({ roles, case: c }) => {
    const file = c.file;
    if (!existsSync(file)) throw new DatasetError(`the validation prediction of case '${c.id}' is missing (fold ${c.fold}'s validation.json lists it): validate the fold again with \`hnas train\``, { file });
    const data = readCase(dataset, byId.get(c.id)!);
    const pred = readNifti(file);
    const predShape = [pred.dims[2], pred.dims[1], pred.dims[0]];
    if (predShape.join('x') !== data.shape.join('x') || (pred.dims[3] ?? 1) !== 1) {
      throw new DatasetError(`the prediction's shape ${pred.dims.join('x')} is not its image's ${[...data.shape].reverse().join('x')}: give the dataset the model was trained on`, { file });
    }
    const predLabel = Int16Array.from(niftiValues(pred));
    const axis = sliceAxis(data.spacing);
    const n = data.shape[0] * data.shape[1] * data.shape[2];
    const index = [data.label, predLabel].map((l) => argmaxSlice(foregroundPerSlice(l, data.shape, axis))).find((i) => i >= 0) ?? Math.floor(data.shape[axis] / 2);
    const image = extractSlice(data.image.subarray(channel * n, (channel + 1) * n), data.shape, axis, index);
    const [h, v] = planeAxes(axis);
    const [w, ht] = displaySize(image.width, image.height, [data.spacing[h]!, data.spacing[v]!], size);
    const grey = resampleNearest({ width: image.width, height: image.height, data: toGrey(image.data, intensityWindow(image.data)) }, w, ht);
    const tile = (label: Int16Array) => outlinedImage(grey, resampleNearest(extractSlice(label, data.shape, axis, index), w, ht), classes);
    return { roles, case: c, slice: { axis, index, of: data.shape[axis] }, truth: tile(data.label), prediction: tile(predLabel) };
  });
  const ranked = cases.filter((c) => !Number.isNaN(c.score)).sort((a, b) => b.score - a.score).map(({ file: _file, ...c }) => c);
  return { panels, folds, ranked, dataset, labels: model.plan.labels };
}

// --- the figure (SVG with the tiles embedded as PNG, rendered by resvg at 1:1 so the pixels stay exact) ---

const PAD = 12;
const GAP = 12;
const LINE = 18;
const FONT = 'DejaVu Sans, Liberation Sans, Lato, sans-serif';
const MIN_WIDTH = 520;

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const fmt = (d: number) => (Number.isNaN(d) ? 'n/a' : d.toFixed(3));

export interface PanelLayout {
  readonly width: number;
  readonly height: number;
  /** Top-left corners of the two tiles inside the panel. */
  readonly truthAt: readonly [number, number];
  readonly predictionAt: readonly [number, number];
}

export function panelLayout(p: Panel): PanelLayout {
  const tilesTop = PAD + 3 * LINE + LINE;
  const width = Math.max(MIN_WIDTH, 2 * PAD + p.truth.width + GAP + p.prediction.width);
  const height = tilesTop + Math.max(p.truth.height, p.prediction.height) + GAP + LINE + PAD;
  return { width, height, truthAt: [PAD, tilesTop], predictionAt: [PAD + p.truth.width + GAP, tilesTop] };
}

const text = (x: number, y: number, s: string, attrs = '') => `<text x="${x}" y="${y}" font-family="${FONT}" font-size="13" ${attrs}>${esc(s)}</text>`;
const image = (x: number, y: number, img: Rgba) =>
  `<image x="${x}" y="${y}" width="${img.width}" height="${img.height}" image-rendering="optimizeSpeed" xlink:href="data:image/png;base64,${Buffer.from(encodePng(img)).toString('base64')}"/>`;

/** One panel's SVG elements, placed at (0, `top`). */
function panelSvg(p: Panel, labels: readonly { name: string; value: number }[], top: number): string {
  const L = panelLayout(p);
  const classes = labels.filter((l) => l.value !== 0);
  const dice = classes.map((l) => `${l.name} ${fmt(p.case.dice[l.value] ?? NaN)}`).join(' · ');
  const legendY = L.height - PAD - 4;
  const legend = classes.map((l, i) => {
    const x = PAD + i * 150;
    return `<rect x="${x}" y="${legendY - 11}" width="14" height="14" fill="${hex(classColour(l.value))}"/>${text(x + 20, legendY, `${l.value}: ${l.name}`)}`;
  });
  return [
    `<g transform="translate(0, ${top})">`,
    text(PAD, PAD + 13, `${p.roles.join(' = ')} · ${p.case.id} (fold ${p.case.fold})`, 'font-weight="bold"'),
    text(PAD, PAD + 13 + LINE, `Dice ${dice} · mean ${fmt(p.case.score)}`),
    text(PAD, PAD + 13 + 2 * LINE, `slice ${AXIS_NAMES[p.slice.axis]} = ${p.slice.index} of ${p.slice.of} (most ground-truth foreground)`, 'fill="#555555"'),
    text(L.truthAt[0], L.truthAt[1] - 5, 'ground truth'),
    text(L.predictionAt[0], L.predictionAt[1] - 5, 'prediction'),
    image(L.truthAt[0], L.truthAt[1], p.truth),
    image(L.predictionAt[0], L.predictionAt[1], p.prediction),
    ...legend,
    '</g>',
  ].join('\n');
}

/** Panels stacked top to bottom as one SVG; the offsets of each panel are returned for checks. */
export function overlayFigure(panels: readonly Panel[], labels: readonly { name: string; value: number }[]): { svg: string; tops: number[]; width: number; height: number } {
  const layouts = panels.map(panelLayout);
  const width = Math.max(MIN_WIDTH, ...layouts.map((l) => l.width));
  const tops: number[] = [];
  let height = 0;
  for (const l of layouts) {
    tops.push(height);
    height += l.height;
  }
  const body = panels.map((p, i) => panelSvg(p, labels, tops[i]!)).join('\n');
  return {
    svg: `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">\n<rect width="100%" height="100%" fill="white"/>\n${body}\n</svg>\n`,
    tops,
    width,
    height,
  };
}

export interface WrittenOverlays {
  readonly files: readonly string[];
  readonly panels: readonly { roles: readonly Role[]; id: string; fold: FoldId; dice: Readonly<Record<number, number>>; score: number; slice: Panel['slice']; file: string }[];
  readonly folds: readonly FoldId[];
}

/** Writes overlays.{png,svg,json,md} and one PNG per panel into `outDir` (each file atomically). */
export function writeOverlays(modelDir: string, datasetDir: string, outDir: string, o: OverlayOptions = {}): WrittenOverlays {
  const { panels, folds, ranked, dataset, labels } = overlayPanels(modelDir, datasetDir, o);
  if (panels.length === 0) throw new DatasetError('no validation case has a Dice to rank by (every class absent from both the prediction and the reference in every case)', { file: modelDir });
  const prefix = 'overlays';
  const out = new OutputFolder(outDir);
  const write = (name: string, data: string | Uint8Array) => out.write(name, data);
  const written = panels.map((p) => {
    const name = `${prefix}-${p.roles.join('-')}-${p.case.id.replace(/[^A-Za-z0-9_.-]/g, '_')}.png`;
    write(name, svgToPng(overlayFigure([p], labels).svg, 1));
    return { roles: p.roles, id: p.case.id, fold: p.case.fold, dice: p.case.dice, score: p.case.score, slice: p.slice, file: name };
  });
  const figure = overlayFigure(panels, labels);
  write(`${prefix}.svg`, figure.svg);
  write(`${prefix}.png`, svgToPng(figure.svg, 1));
  const classes = labels.filter((l) => l.value !== 0);
  write(`${prefix}.json`, `${JSON.stringify({ model: modelDir, dataset: dataset.root, folds, channel: o.channel ?? 0, labels, panels: written, ranking: ranked }, (_k, v) => (typeof v === 'number' && Number.isNaN(v) ? null : v), 2)}\n`);
  const markdown = [
    `Best, median and worst of ${ranked.length} validation cases (fold${folds.length > 1 ? 's' : ''} ${folds.join(', ')}) by foreground-mean Dice; the slice with the most ground-truth foreground, ground truth left, prediction right.`,
    '',
    `![qualitative overlays](${prefix}.png)`,
    '',
    `| role | case | fold | ${classes.map((l) => `Dice ${l.name}`).join(' | ')} | mean | slice | panel |`,
    `|---|---|---|${classes.map(() => '---|').join('')}---|---|---|`,
    ...written.map((p) => `| ${p.roles.join(', ')} | ${p.id} | ${p.fold} | ${classes.map((l) => fmt(p.dice[l.value] ?? NaN)).join(' | ')} | ${fmt(p.score)} | ${AXIS_NAMES[p.slice.axis]} = ${p.slice.index} | [${p.file}](${p.file}) |`),
    '',
  ].join('\n');
  write(`${prefix}.md`, `# Qualitative overlays: \`${modelDir}\`\n\n${markdown}`);
  return { files: out.files, panels: written, folds };
}

/**
 * For a study report: the overlays of the incumbent's trained model folder (the nnU-Net objective
 * keeps one per trial) on the study's dataset, or null with the reason when there is none to show
 * (another objective, no validation predictions, the dataset not at its recorded path).
 */
export function incumbentOverlays(study: LoadedStudy, incumbent: TrialRecord | null, outDir: string): { plot: { title: string; svg: string; png: string }; files: readonly string[] } | { plot: null; reason: string } {
  if (!incumbent?.checkpoint || !study.meta) return { plot: null, reason: 'no incumbent with a trained model folder' };
  try {
    const r = writeOverlays(join(study.folder, incumbent.checkpoint), study.meta.dataset, outDir);
    return { plot: { title: `Qualitative overlays of the incumbent (trial ${incumbent.number}): best, median and worst validation case`, svg: 'overlays.svg', png: 'overlays.png' }, files: r.files };
  } catch (err) {
    if (err instanceof HnasError) return { plot: null, reason: err.message };
    throw err;
  }
}
