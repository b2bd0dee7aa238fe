/** The dashboard's single page: a hash router over the pages, re-drawn when the server says the study changed. */
import { el } from './dom.js';
import { inferPage } from './infer.js';
import { modelsPage } from './models.js';
import { overviewPage } from './overview.js';
import { trialPage } from './trial.js';
import { viewerPage } from './viewer.js';

const page = document.getElementById('page')!;
const live = document.getElementById('live')!;

/** Pages that follow the study (the viewer and inference pages are left alone while the user works). */
const LIVE_PAGES = new Set(['', 'trial']);

let rendering = 0;
async function render(): Promise<void> {
  const token = ++rendering;
  const [name = '', ...rest] = location.hash.replace(/^#\/?/, '').split('/');
  const target = el('div');
  try {
    if (name === '') await overviewPage(target);
    else if (name === 'trial' && /^\d+$/.test(rest[0] ?? '')) await trialPage(target, Number(rest[0]));
    else if (name === 'viewer' && rest.length === 2) {
      // The viewer draws into a canvas that must be in the document.
      page.replaceChildren(target);
      await viewerPage(target, rest.join('/'));
      return;
    } else if (name === 'models') await modelsPage(target);
    else if (name === 'infer') {
      page.replaceChildren(target);
      await inferPage(target, rest.length === 2 ? rest.join('/') : undefined);
      return;
    } else target.append(el('p', { class: 'error' }, `no page '${location.hash}'`));
  } catch (err) {
    target.replaceChildren(el('p', { class: 'error' }, `could not load this page: ${(err as Error).message}`));
  }
  if (token !== rendering) return; // a newer render started meanwhile
  const y = window.scrollY;
  page.replaceChildren(target);
  window.scrollTo(0, y);
  page.dataset.rendered = String(token);
}

window.addEventListener('hashchange', () => void render());
void render();

const events = new EventSource('/api/events');
events.addEventListener('hello', () => (live.textContent = 'live'));
events.addEventListener('change', (e) => {
  live.textContent = `live (updated ${new Date().toLocaleTimeString()})`;
  live.dataset.version = JSON.parse((e as MessageEvent<string>).data).version;
  const name = location.hash.replace(/^#\/?/, '').split('/')[0] ?? '';
  if (LIVE_PAGES.has(name)) void render();
});
events.addEventListener('error', () => (live.textContent = 'reconnecting'));
