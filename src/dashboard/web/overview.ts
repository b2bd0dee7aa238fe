/** The study page: facts, budget, trials by state, schedule, incumbent, the report's plots and the trial list. */
import type { StudyOverview } from '../study-view.js';
import { drawChart } from './charts.js';
import { duration, el, fmt, getJson, table } from './dom.js';

export type StudyJson = StudyOverview & { readonly hasPlan: boolean; readonly datasetFound: boolean };

const stateClass = (s: string) => `state-${s.replace(/ /g, '-')}`;

function facts(s: StudyJson): HTMLElement {
  const b = s.budget;
  const inc = s.incumbent;
  const rows: [string, string][] = [
    ['approach', `${s.approach ?? '-'} (${s.algorithm}, space ${s.space.name}, ${s.space.hyperparameters} hyperparameters)`],
    ['objective', `${s.objective ?? '-'}${s.dataset ? ` on ${s.dataset}` : ''}`],
    ['budget', `rungs ${b.minEpochs}..${b.maxEpochs} epochs, eta ${b.eta}; used ${b.epochsUsed}${b.epochsPlanned !== null ? ` of ${b.epochsPlanned}` : ''} epochs; busy ${duration(b.busySeconds)}`],
    ['trials', `${s.counts.total} (${s.counts.complete} complete, ${s.counts.running} running, ${s.counts.failed} failed)`],
    ['incumbent', inc ? `trial ${inc.number} (${inc.key}): 1 - Dice ${fmt(inc.loss)}, runtime ${fmt(inc.cost, 1)} s, ${inc.epochs} epochs` : 'none yet'],
  ];
  const t = table(['', ''], rows.map(([k, v]) => [k, v]));
  t.className = 'facts';
  t.querySelector('thead')!.remove();
  const [trialsCell, incCell] = [t.rows[3]!.cells[1]!, t.rows[4]!.cells[1]!];
  trialsCell.id = 'trial-count';
  trialsCell.dataset.total = String(s.counts.total);
  trialsCell.dataset.complete = String(s.counts.complete);
  incCell.id = 'incumbent';
  if (inc) {
    incCell.dataset.trial = String(inc.number);
    incCell.replaceChildren(el('a', { href: `#/trial/${inc.number}` }, incCell.textContent ?? ''));
  }
  return t;
}

function schedule(s: StudyJson): HTMLElement {
  const rows = s.schedule.map((b) => [
    b.bracket < 0 ? 'default' : String(b.bracket),
    b.bracket < 0 ? '-' : String(b.type),
    el('span', {}, ...b.rungs.map((r) => el('span', { class: stateClass(r.state), title: `rung ${r.rung}: ${r.state}` }, ` ${r.finished}${r.running ? `+${r.running}` : ''}/${r.planned} @ ${r.epochs} ep `))),
    b.state,
  ]);
  const t = table(['bracket', 'type s', 'rungs: finished(+running)/planned @ epochs', 'state'], rows, (i) => ({ class: stateClass(s.schedule[i]!.state) }));
  t.id = 'schedule';
  return t;
}

function trialList(s: StudyJson): HTMLElement {
  const rows = [...s.trials].reverse().map((t) => [t.number, t.key, t.source, t.status, t.epochs, fmt(t.loss), fmt(t.cost, 1), t.pareto ? 'yes' : '']);
  const list = [...s.trials].reverse();
  const tab = table(['trial', 'key', 'source', 'status', 'epochs', '1 - Dice', 'runtime (s)', 'Pareto'], rows, (i) => ({ class: 'clickable', 'data-trial': String(list[i]!.number) }));
  tab.id = 'trials';
  tab.addEventListener('click', (e) => {
    const row = (e.target as HTMLElement).closest('tr[data-trial]');
    if (row) location.hash = `#/trial/${row.getAttribute('data-trial')}`;
  });
  return tab;
}

export async function overviewPage(root: HTMLElement): Promise<void> {
  const s = await getJson<StudyJson>('/api/study');
  const charts = el('div', { class: 'charts', id: 'charts' });
  root.replaceChildren(
    el('h1', {}, `Study ${s.study}`),
    facts(s),
    el('h2', {}, 'Schedule'),
    schedule(s),
    el('h2', {}, 'Plots'),
    charts,
    el('h2', {}, 'Trials'),
    trialList(s),
  );
  const open = (d: Record<string, unknown>) => {
    if (typeof d.trial === 'number') location.hash = `#/trial/${d.trial}`;
  };
  for (const [name, spec] of [['cost-over-time', s.charts.costOverTime], ['pareto-front', s.charts.paretoFront], ['distributions', s.charts.distributions], ['importance', s.charts.importance]] as const) {
    if (!spec) continue;
    const drawn = await drawChart(spec, name === 'cost-over-time' || name === 'pareto-front' ? open : undefined);
    drawn.element.id = `chart-${name}`;
    charts.append(drawn.element);
  }
  root.dataset.version = String(s.version);
}
