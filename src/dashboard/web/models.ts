/** The model folders the server knows (--model and the trials' trained models), as the viewer and inference pages list them. */
import type { ModelView } from '../model-view.js';
import { el, getJson, table } from './dom.js';

export interface ModelJson {
  readonly id: string;
  readonly title: string;
  readonly labels: readonly { readonly name: string; readonly value: number }[];
  /** Curves, fold summaries and validation Dice. */
  readonly view: ModelView;
  readonly plan: string | null;
  readonly folds: readonly { readonly fold: string; readonly onnx: string | null }[];
  readonly cases: readonly { readonly id: string; readonly fold: string; readonly prediction: string | null; readonly image: string | null; readonly label: string | null }[];
}

export const fetchModels = () => getJson<ModelJson[]>('/api/models');

export async function modelsPage(root: HTMLElement): Promise<void> {
  const models = await fetchModels();
  if (models.length === 0) {
    root.replaceChildren(el('h1', {}, 'Models'), el('p', { class: 'notice' }, 'no trained model folder: give --model <dir> (a folder of `hnas train`), or run a study with the nnU-Net objective'));
    return;
  }
  const rows = models.map((m) => [
    m.title, m.folds.map((f) => f.fold).join(', ') || '-', String(m.cases.length),
    m.cases.length ? el('a', { href: `#/viewer/${m.id}` }, 'view cases') : '-',
    m.folds.length && m.plan ? el('a', { href: `#/infer/${m.id}` }, 'run on an image') : '-',
  ]);
  root.replaceChildren(el('h1', {}, 'Models'), table(['model folder', 'trained folds', 'validation cases', '', ''], rows));
}
