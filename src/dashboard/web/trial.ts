/** A trial's page: record, configuration, architecture diagram and cost, training curves, validation Dice, log. */
import type { TopLevelSpec } from 'vega-lite';
import type { ModelView } from '../model-view.js';
import type { TrialView } from '../trial-view.js';
import { architectureDiagram } from './architecture.js';
import { drawChart } from './charts.js';
import { el, fmt, getJson, si, table } from './dom.js';

export function curveSpec(model: ModelView | null): TopLevelSpec | null {
  const values = (model?.folds ?? []).flatMap((f) => f.curve.map((r) => ({ fold: f.fold, epoch: r.epoch, loss: r.loss })));
  if (values.length === 0) return null;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'training loss per epoch (log.jsonl)', width: 420, height: 220, data: { values },
    mark: { type: 'line', point: true },
    encoding: { x: { field: 'epoch', type: 'quantitative' }, y: { field: 'loss', type: 'quantitative', scale: { zero: false } }, color: { field: 'fold', type: 'nominal' } },
  };
}

export function diceTables(model: ModelView | null): HTMLElement[] {
  if (!model) return [];
  const name = (c: string) => model.labels.find((l) => String(l.value) === c)?.name ?? c;
  return model.folds.filter((f) => f.dice.length > 0).flatMap((f) => {
    const classes = Object.keys(f.meanPerClass ?? f.dice[0]!.perClass);
    const rows = f.dice.map((c) => [c.id, ...classes.map((k) => fmt(c.perClass[k], 4))]);
    if (f.meanPerClass) rows.push(['mean', ...classes.map((k) => fmt(f.meanPerClass![k], 4))]);
    const t = table(['case', ...classes.map((k) => `Dice ${name(k)}`)], rows);
    t.className = 'dice';
    return [el('h2', {}, `Validation Dice, fold ${f.fold}`), t];
  });
}

export async function trialPage(root: HTMLElement, number: number): Promise<void> {
  const v = await getJson<TrialView>(`/api/trials/${number}`);
  const t = v.trial;
  const facts = table(['', ''], [
    ['key', t.key], ['status', t.status], ['source', t.source], ['bracket / rung', `${t.bracket} / ${t.rung}`], ['epochs', `${t.budget} (continues ${t.previousBudget}${t.previousKey ? ` from ${t.previousKey}` : ''})`],
    ['1 - Dice', fmt(t.loss)], ['runtime', `${fmt(t.cost, 1)} s`], ['worker', `${t.worker} (attempt ${t.attempt})`], ...(t.error ? [['error', t.error]] : []),
  ]);
  facts.querySelector('thead')!.remove();
  facts.className = 'facts';
  const config = table(['hyperparameter', 'value'], Object.entries(v.config).map(([k, x]) => [k, String(x)]));
  config.id = 'config';
  const parts: (HTMLElement | SVGElement)[] = [el('h1', { id: 'trial-title' }, `Trial ${t.number}`), facts, el('h2', {}, 'Configuration (3 significant digits)'), config];
  if (v.tree) parts.push(el('h2', {}, `${v.tree.name} (derivation tree)`), el('pre', { id: 'tree' }, v.tree.text));
  parts.push(el('h2', {}, 'Architecture'));
  if (v.network && 'ir' in v.network) {
    const n = v.network;
    parts.push(
      architectureDiagram(n.ir),
      table(['parameters', 'FLOPs per forward pass (1 sample)', `activation memory (batch ${n.batchSize})`], [[si(n.parameters), `${si(n.flopsPerSample, 'FLOP')}`, `${(n.activationBytes / 2 ** 20).toFixed(1)} MiB`]]),
    );
  } else parts.push(el('p', { class: 'notice' }, v.network ? `the configuration does not compile: ${v.network.error}` : 'no plan in the study folder (plans.json): the network cannot be compiled'));
  const curve = curveSpec(v.model);
  const curveHolder = el('div', { class: 'charts' });
  if (v.model) {
    parts.push(el('h2', {}, 'Training'), curveHolder, ...diceTables(v.model));
    if (v.model.folds.some((f) => f.dice.length > 0)) parts.push(el('p', {}, el('a', { href: `#/viewer/trial/${t.number}`, id: 'open-viewer' }, 'view the validation cases')));
  } else parts.push(el('p', { class: 'notice' }, 'this trial has no trained model folder (curves, Dice and cases appear for trials of the nnU-Net objective)'));
  if (v.log.length) parts.push(el('h2', {}, 'log.txt (last lines)'), el('pre', {}, v.log.join('\n')));
  root.replaceChildren(...parts);
  if (curve) curveHolder.append((await drawChart(curve)).element);
}
