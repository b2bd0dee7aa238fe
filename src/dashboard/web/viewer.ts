/**
 * The case viewer: a validation case's image with the ground truth and the prediction as label
 * overlays (niivue, WebGL2), axial / coronal / sagittal / all three, and an opacity per overlay.
 */
import type { Niivue } from '@niivue/niivue';
import { drawChart } from './charts.js';
import { el } from './dom.js';
import { fetchModels, type ModelJson } from './models.js';
import { curveSpec, diceTables } from './trial.js';

/** Label colours: the reference in reds, the prediction in blues (label 1, 2, 3, ... cycle). */
const GT_COLOURS = [[255, 60, 60], [255, 170, 0], [220, 0, 160]];
const PRED_COLOURS = [[40, 200, 255], [60, 90, 255], [0, 255, 160]];

function labelLut(colours: number[][], labels: readonly number[]) {
  const max = Math.max(1, ...labels);
  const I = Array.from({ length: max + 1 }, (_, i) => i);
  const pick = (i: number, c: number) => (i === 0 ? 0 : colours[(i - 1) % colours.length]![c]!);
  return { R: I.map((i) => pick(i, 0)), G: I.map((i) => pick(i, 1)), B: I.map((i) => pick(i, 2)), A: I.map((i) => (i === 0 ? 0 : 255)), I };
}

export async function viewerPage(root: HTMLElement, modelId: string): Promise<void> {
  const model = (await fetchModels()).find((m) => m.id === modelId);
  if (!model) {
    root.replaceChildren(el('p', { class: 'error' }, `no model folder '${modelId}'`));
    return;
  }
  if (model.cases.length === 0) {
    root.replaceChildren(el('h1', {}, model.title), el('p', { class: 'notice' }, 'this model folder has no validation predictions (fold_<n>/validation/)'));
    return;
  }
  if (!document.createElement('canvas').getContext('webgl2')) {
    root.replaceChildren(el('p', { class: 'error' }, 'this browser has no WebGL2, which the case viewer (niivue) needs'));
    return;
  }
  const select = el('select', { id: 'case-select' }, ...model.cases.map((c, i) => el('option', { value: String(i) }, `${c.id} (fold ${c.fold})`)));
  const canvas = el('canvas', { id: 'viewer-canvas', width: '640', height: '480' });
  const status = el('p', { id: 'viewer-status' }, 'loading');
  const opacity = (id: string, label: string) => el('label', {}, label, ' ', el('input', { type: 'range', id, min: '0', max: '1', step: '0.05', value: '0.5' }));
  const views = el('div', {}, ...(['axial', 'coronal', 'sagittal', 'all'] as const).map((v) => el('button', { 'data-view': v, type: 'button' }, v)));
  root.replaceChildren(
    el('h1', {}, `Cases of ${model.title}`),
    el('div', { class: 'viewer' }, el('div', { class: 'canvas-box' }, canvas), el('div', { class: 'controls' },
      el('label', {}, 'case ', select), views,
      el('p', {}, el('span', { class: 'swatch swatch-gt' }), 'ground truth ', el('span', { class: 'swatch swatch-pred' }), 'prediction'),
      opacity('opacity-gt', 'ground truth opacity'), opacity('opacity-pred', 'prediction opacity'), status)),
    ...diceTables(model.view),
  );
  const curve = curveSpec(model.view);
  if (curve) root.append(el('h2', {}, 'Training'), (await drawChart(curve)).element);
  const { Niivue: NiivueClass } = await import('@niivue/niivue');
  // A thin yellow crosshair: no colour of the overlays.
  const nv: Niivue = new NiivueClass({ backColor: [0, 0, 0, 1], crosshairColor: [1, 1, 0, 0.5], crosshairWidth: 0.3, dragAndDropEnabled: false, isColorbar: false, show3Dcrosshair: false, loadingText: '' });
  await nv.attachToCanvas(canvas);
  const labels = model.labels.map((l) => l.value);
  const gtSlider = root.querySelector<HTMLInputElement>('#opacity-gt')!;
  const predSlider = root.querySelector<HTMLInputElement>('#opacity-pred')!;
  let overlays: { gt: number | null; pred: number | null } = { gt: null, pred: null };
  const load = async (c: ModelJson['cases'][number]) => {
    status.textContent = `loading ${c.id}`;
    const list: { url: string; colormap?: string; opacity?: number }[] = [];
    if (c.image) list.push({ url: c.image, colormap: 'gray' });
    overlays = { gt: null, pred: null };
    if (c.label) overlays.gt = list.push({ url: c.label, opacity: Number(gtSlider.value) }) - 1;
    if (c.prediction) overlays.pred = list.push({ url: c.prediction, opacity: Number(predSlider.value) }) - 1;
    await nv.loadVolumes(list);
    if (overlays.gt !== null) nv.volumes[overlays.gt]!.setColormapLabel(labelLut(GT_COLOURS, labels));
    if (overlays.pred !== null) nv.volumes[overlays.pred]!.setColormapLabel(labelLut(PRED_COLOURS, labels));
    nv.updateGLVolume();
    const missing = [!c.image && 'image', !c.label && 'ground truth'].filter(Boolean);
    status.textContent = `${c.id}: ${missing.length ? `the dataset has no ${missing.join(' or ')} for this case (give --dataset)` : 'image, ground truth and prediction'}`;
    status.dataset.loaded = c.id;
  };
  select.addEventListener('change', () => void load(model.cases[Number(select.value)]!));
  views.addEventListener('click', (e) => {
    const v = (e.target as HTMLElement).getAttribute('data-view');
    const types = { axial: nv.sliceTypeAxial, coronal: nv.sliceTypeCoronal, sagittal: nv.sliceTypeSagittal, all: nv.sliceTypeMultiplanar } as const;
    if (v && v in types) nv.setSliceType(types[v as keyof typeof types]);
  });
  const bind = (slider: HTMLInputElement, which: 'gt' | 'pred') =>
    slider.addEventListener('input', () => {
      const i = overlays[which];
      if (i !== null) nv.setOpacity(i, Number(slider.value));
    });
  bind(gtSlider, 'gt');
  bind(predSlider, 'pred');
  await load(model.cases[0]!);
}
