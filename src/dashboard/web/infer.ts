/**
 * In-browser inference: a model folder's fold model (model.onnx, its first output the
 * full-resolution logits) and plan, run with onnxruntime-web (WebAssembly, served by the
 * dashboard itself) on a NIfTI image the user drops on the page, through the same
 * preprocessing, sliding window and restoration code as `hnas predict` (src/data). The page
 * says why when it cannot (no WebAssembly, no model with a plan, a file that is not a NIfTI image
 * with the plan's channels).
 */
import type { InferenceSession } from 'onnxruntime-web';
import { arrayShape, arraySpacing, type CaseImage } from '../../data/case.js';
import { niftiValues, parseNifti } from '../../data/nifti.js';
import { parsePlan } from '../../data/plan-file.js';
import type { Plan } from '../../data/plan-types.js';
import { predictCase } from '../../data/restore.js';
import { el, getJson, table } from './dom.js';
import { fetchModels, type ModelJson } from './models.js';

export interface InferenceResult {
  readonly shape: readonly number[];
  readonly counts: Readonly<Record<string, number>>;
  readonly segmentation: Int16Array;
  readonly seconds: number;
}

async function gunzipIfNeeded(bytes: Uint8Array): Promise<Uint8Array> {
  if (bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes;
  const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(new DecompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** The image of a NIfTI file as `hnas predict` reads it (array order [k, j, i], channel first). */
export async function caseImageFromBytes(name: string, bytes: Uint8Array): Promise<CaseImage> {
  const n = parseNifti(await gunzipIfNeeded(bytes), name);
  const shape = arrayShape(n);
  const channels = n.dims[3] ?? 1;
  return { id: name.replace(/\.nii(\.gz)?$/, ''), image: niftiValues(n), channels, shape, spacing: arraySpacing(n.geometry), geometry: n.geometry };
}

let ortModule: typeof import('onnxruntime-web/wasm') | undefined;
async function loadOrt() {
  if (!ortModule) {
    ortModule = await import('onnxruntime-web/wasm');
    // Its WebAssembly is an asset of the bundle (Vite follows the module's own URL of it), served by the dashboard.
    // One thread: several need cross-origin isolation (SharedArrayBuffer), which a local page does not have.
    ortModule.env.wasm.numThreads = 1;
    ortModule.env.wasm.proxy = false;
  }
  return ortModule;
}

export async function runInference(modelUrl: string, plan: Plan, image: CaseImage): Promise<InferenceResult> {
  const ort = await loadOrt();
  const bytes = new Uint8Array(await (await fetch(modelUrl)).arrayBuffer());
  const session: InferenceSession = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
  const start = performance.now();
  try {
    const input = session.inputNames[0]!;
    const output = session.outputNames[0]!;
    const predict = async (batch: Float32Array, shape: readonly number[]) => {
      const out = await session.run({ [input]: new ort.Tensor('float32', batch, [...shape]) });
      return out[output]!.data as Float32Array;
    };
    const { segmentation } = await predictCase(image, plan, predict, { mirror: false });
    const counts: Record<string, number> = {};
    for (const v of segmentation) counts[v] = (counts[v] ?? 0) + 1;
    return { shape: image.shape, counts, segmentation, seconds: (performance.now() - start) / 1000 };
  } finally {
    await session.release();
  }
}

/** Why inference cannot run here, or null. */
export function inferenceUnavailable(models: readonly ModelJson[]): string | null {
  if (typeof WebAssembly !== 'object') return 'this browser has no WebAssembly, which onnxruntime-web needs';
  if (typeof DecompressionStream !== 'function') return 'this browser cannot decompress gzip (DecompressionStream), needed to read .nii.gz files';
  if (!models.some((m) => m.plan && m.folds.some((f) => f.onnx))) return 'no model folder with a trained fold (fold_<n>/model.onnx) and its plans.json: start the dashboard with --model <dir> of `hnas train`';
  return null;
}

declare global {
  interface Window {
    /** The last in-browser result, for tests and the console. */
    hnasInference?: InferenceResult;
  }
}

export async function inferPage(root: HTMLElement, modelId: string | undefined): Promise<void> {
  const models = await fetchModels();
  const reason = inferenceUnavailable(models);
  if (reason) {
    root.replaceChildren(el('h1', {}, 'In-browser inference'), el('p', { class: 'notice', id: 'inference-unavailable' }, `In-browser inference is not possible: ${reason}.`));
    return;
  }
  const usable = models.filter((m) => m.plan && m.folds.some((f) => f.onnx));
  const choices = usable.flatMap((m) => m.folds.filter((f) => f.onnx).map((f) => ({ m, f })));
  const select = el('select', { id: 'model-select' }, ...choices.map((c, i) => el('option', { value: String(i) }, `${c.m.title}, fold ${c.f.fold}`)));
  const initial = choices.findIndex((c) => c.m.id === modelId);
  if (initial >= 0) select.value = String(initial);
  const input = el('input', { type: 'file', id: 'image-input', accept: '.nii,.nii.gz' });
  const zone = el('div', { class: 'dropzone', id: 'dropzone' }, 'Drop a NIfTI image (.nii or .nii.gz) here, or choose one: ', input);
  const status = el('div', { id: 'inference-status' });
  root.replaceChildren(
    el('h1', {}, 'In-browser inference'),
    el('p', {}, 'The image never leaves this browser: the model runs here with onnxruntime-web (WebAssembly, one thread), with the same preprocessing, sliding window and restoration as `hnas predict` (no mirroring).'),
    el('label', {}, 'model ', select), zone, status,
  );
  const run = async (file: File) => {
    const { m, f } = choices[Number(select.value)]!;
    status.replaceChildren(el('p', {}, `running ${m.title} fold ${f.fold} on ${file.name} ...`));
    try {
      const plan = parsePlan(await getJson<unknown>(m.plan!), 'plans.json');
      const image = await caseImageFromBytes(file.name, new Uint8Array(await file.arrayBuffer()));
      if (image.channels !== plan.channelNames.length) throw new Error(`the image has ${image.channels} channel(s), the model takes ${plan.channelNames.length} (${plan.channelNames.join(', ')})`);
      const result = await runInference(f.onnx!, plan, image);
      window.hnasInference = result;
      const name = (v: string) => plan.labels.find((l) => String(l.value) === v)?.name ?? v;
      const t = table(['label', 'voxels'], Object.entries(result.counts).map(([v, n]) => [`${v} (${name(v)})`, n]));
      t.id = 'inference-result';
      status.replaceChildren(el('p', {}, `segmentation of ${file.name} (${image.shape.join('x')} voxels) in ${result.seconds.toFixed(2)} s`), t);
      status.dataset.done = 'true';
    } catch (err) {
      status.replaceChildren(el('p', { class: 'error', id: 'inference-error' }, `In-browser inference is not possible for this image: ${(err as Error).message}`));
      status.dataset.done = 'error';
    }
  };
  input.addEventListener('change', () => input.files?.[0] && void run(input.files[0]));
  zone.addEventListener('dragover', (e) => {
    e.preventDefault();
    zone.classList.add('over');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('over');
    const file = e.dataTransfer?.files[0];
    if (file) void run(file);
  });
}
