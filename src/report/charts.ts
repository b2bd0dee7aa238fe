/**
 * The report's plots as Vega-Lite specifications (data inline), rendered by render.ts:
 * the incumbent over time, the Pareto front with the default marked, and the
 * distributions of the evaluated hyperparameters and architecture features.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { SearchSpace } from '../space/types.js';
import type { TreeNode } from '../grammar/tree-types.js';
import { architectureFeatures } from '../analysis/features.js';
import type { Comparison } from '../analysis/compare.js';
import type { ImportanceResult } from '../analysis/importance.js';
import type { TrialRecord } from '../optimize/trial.js';
import type { ReportModel } from './model.js';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
const LOSS_AXIS = { title: '1 - Dice (validation, fold mean)' };
const RUNTIME_AXIS = { title: 'training runtime (s)' };

/** Incumbent 1 - Dice over the study's busy wall-clock time, every evaluation in grey behind it. */
export function costOverTimeChart(m: ReportModel): TopLevelSpec {
  const span = Math.max(0, ...m.trajectory.map((p) => p.seconds));
  const [unit, per] = span >= 3 * 3600 ? ['h', 3600] : span >= 180 ? ['min', 60] : ['s', 1];
  return {
    $schema: SCHEMA,
    title: `${m.study}: incumbent 1 - Dice over time`,
    width: 520,
    height: 320,
    data: { values: m.trajectory.map((p) => ({ ...p, time: p.seconds / per })) },
    layer: [
      { mark: { type: 'point', color: '#bbbbbb', size: 18 }, encoding: { x: { field: 'time', type: 'quantitative', title: `study wall-clock (${unit}, pauses excluded)` }, y: { field: 'loss', type: 'quantitative', ...LOSS_AXIS, scale: { zero: false } } } },
      { mark: { type: 'line', interpolate: 'step-after', color: '#1f77b4', strokeWidth: 2 }, encoding: { x: { field: 'time', type: 'quantitative' }, y: { field: 'incumbentLoss', type: 'quantitative' } } },
    ],
  };
}

/** Every completed trial's (runtime, 1 - Dice); the Pareto front joined by a step line; the default and the incumbent marked. */
export function paretoChart(m: ReportModel): TopLevelSpec {
  const front = new Set(m.paretoFront.map((t) => t.key));
  const role = (key: string) => (key === m.defaultTrial?.key ? 'default configuration' : key === m.incumbent?.key ? 'incumbent (best 1 - Dice)' : front.has(key) ? 'Pareto front' : 'other trials');
  const size = (r: string) => (r === 'other trials' ? 20 : r === 'Pareto front' ? 50 : 120);
  const points = m.completed.filter((t) => t.cost !== null).map((t) => ({ trial: t.number, key: t.key, loss: t.loss, runtime: t.cost, epochs: t.budget, role: role(t.key), size: size(role(t.key)) }));
  const frontLine = m.paretoFront.map((t) => ({ loss: t.loss, runtime: t.cost })).sort((a, b) => a.runtime! - b.runtime!);
  const roles = ['other trials', 'Pareto front', 'incumbent (best 1 - Dice)', 'default configuration'];
  return {
    $schema: SCHEMA,
    title: `${m.study}: 1 - Dice vs training runtime`,
    width: 520,
    height: 320,
    layer: [
      { data: { values: frontLine }, mark: { type: 'line', interpolate: 'step-after', color: '#d62728', opacity: 0.6 }, encoding: { x: { field: 'runtime', type: 'quantitative' }, y: { field: 'loss', type: 'quantitative' } } },
      {
        data: { values: points },
        mark: { type: 'point', filled: true },
        encoding: {
          x: { field: 'runtime', type: 'quantitative', ...RUNTIME_AXIS, scale: { type: 'log' } },
          y: { field: 'loss', type: 'quantitative', ...LOSS_AXIS, scale: { zero: false } },
          color: { field: 'role', type: 'nominal', title: null, legend: { labelLimit: 300 }, scale: { domain: roles, range: ['#bbbbbb', '#d62728', '#2ca02c', '#000000'] } },
          shape: { field: 'role', type: 'nominal', scale: { domain: roles, range: ['circle', 'circle', 'diamond', 'square'] } },
          size: { field: 'size', type: 'quantitative', scale: null, legend: null },
          tooltip: [{ field: 'trial' }, { field: 'key' }, { field: 'epochs' }],
        },
      },
    ],
  };
}

export interface ParameterRow {
  readonly trial: number;
  readonly loss: number;
  readonly epochs: number;
  /** Hyperparameter values (trees as their summary features); a hyperparameter may itself be called `loss`. */
  readonly values: Readonly<Record<string, number | string>>;
}

/** Per-trial values of every hyperparameter (trees as their summary features), one row per completed trial. */
export function parameterRows(m: ReportModel, space: SearchSpace): ParameterRow[] {
  return m.completed.map((t) => {
    const values: Record<string, number | string> = {};
    for (const p of space.params) {
      const v = t.config[p.name];
      if (v === undefined) continue;
      if (p.kind === 'tree') Object.assign(values, architectureFeatures(v as TreeNode));
      else values[p.name] = v as number | string;
    }
    return { trial: t.number, loss: t.loss!, epochs: t.budget, values };
  });
}

/** Numeric hyperparameters: value vs 1 - Dice (log axes where the space is log); categorical ones: counts. */
export function distributionsChart(m: ReportModel, space: SearchSpace): TopLevelSpec {
  const rows = parameterRows(m, space);
  const logParams = new Set(space.params.filter((p) => p.kind === 'float' && p.log).map((p) => p.name));
  const fields = [...new Set(rows.flatMap((r) => Object.keys(r.values)))];
  const panels = fields.map((field) => {
    const present = rows.filter((r) => r.values[field] !== undefined);
    const numeric = present.every((r) => typeof r.values[field] === 'number');
    const values = present.map((r) => ({ value: r.values[field], loss: r.loss, epochs: r.epochs }));
    return numeric
      ? {
          title: field, width: 200, height: 140, data: { values },
          mark: { type: 'point' as const, filled: true, size: 20 },
          encoding: {
            x: { field: 'value', type: 'quantitative' as const, title: null, scale: logParams.has(field) ? { type: 'log' as const } : { zero: false } },
            y: { field: 'loss', type: 'quantitative' as const, title: '1 - Dice', scale: { zero: false } },
            color: { field: 'epochs', type: 'ordinal' as const, title: 'epochs' },
          },
        }
      : {
          title: field, width: 200, height: 140, data: { values },
          mark: { type: 'bar' as const },
          encoding: {
            x: { field: 'value', type: 'nominal' as const, title: null, sort: 'ascending' as const },
            y: { aggregate: 'count' as const, type: 'quantitative' as const, title: 'trials' },
            color: { field: 'epochs', type: 'ordinal' as const, title: 'epochs' },
          },
        };
  });
  return { $schema: SCHEMA, title: `${m.study}: evaluated hyperparameters and architectures`, columns: 3, concat: panels } as TopLevelSpec;
}

const IMPORTANCE_AXIS = { title: 'share of the variance of predicted 1 - Dice' };

/** fANOVA: the main effects and the largest pairwise interactions, mean over the forest's trees with +-1 std. */
export function importanceChart(r: ImportanceResult, limit = 15): TopLevelSpec {
  const effects = [...r.main.map((e) => ({ ...e, kind: 'main effect' })), ...r.pairs.map((e) => ({ ...e, kind: 'interaction' }))]
    .sort((a, b) => b.fraction - a.fraction)
    .slice(0, limit)
    .map((e) => ({ effect: e.features.join(' x '), kind: e.kind, fraction: e.fraction, lo: Math.max(0, e.fraction - e.std), hi: e.fraction + e.std, std: e.std }));
  const y = { field: 'effect', type: 'nominal' as const, sort: null, title: null, axis: { labelLimit: 320 } };
  return {
    $schema: SCHEMA,
    title: `${r.study}: hyperparameter importance (fANOVA, ${r.trials.length} trials, ${r.budget === 'max' ? `${r.budgets[0]} epochs` : 'all budgets'})`,
    width: 360,
    height: { step: 18 },
    data: { values: effects },
    layer: [
      { mark: { type: 'bar' }, encoding: { y, x: { field: 'fraction', type: 'quantitative', ...IMPORTANCE_AXIS }, color: { field: 'kind', type: 'nominal', title: null, scale: { domain: ['main effect', 'interaction'], range: ['#1f77b4', '#ff7f0e'] } }, tooltip: [{ field: 'effect' }, { field: 'fraction', format: '.3f' }, { field: 'std', format: '.3f' }] } },
      { mark: { type: 'rule', color: '#333333' }, encoding: { y, x: { field: 'lo', type: 'quantitative' }, x2: { field: 'hi' } } },
    ],
  } as TopLevelSpec;
}

/** Marginal predicted 1 - Dice of the most important features: numeric ones as a curve with +-1 std over the trees, categorical ones per value. */
export function marginalsChart(r: ImportanceResult, limit = 9): TopLevelSpec {
  const order = r.main.slice(0, limit).map((e) => e.features[0]!);
  const y = (title: string | null) => ({ field: 'loss', type: 'quantitative' as const, title, scale: { zero: false } });
  const panels = order.map((name) => {
    const m = r.marginals.find((x) => x.feature === name)!;
    const share = r.main.find((e) => e.features[0] === name)!.fraction;
    const title = `${name} (${(100 * share).toFixed(1)} %)`;
    const values = m.points.map((p) => ({ value: p.value, loss: p.loss, lo: p.loss - p.std, hi: p.loss + p.std }));
    if (m.kind === 'numeric') {
      const x = { field: 'value', type: 'quantitative' as const, title: null, scale: m.log ? { type: 'log' as const, nice: false } : { zero: false, nice: false }, axis: { format: '~g', tickCount: 5 } };
      return {
        title, width: 200, height: 140, data: { values },
        layer: [
          { mark: { type: 'area' as const, opacity: 0.25, color: '#1f77b4' }, encoding: { x, y: { field: 'lo', type: 'quantitative' as const, title: 'marginal 1 - Dice' }, y2: { field: 'hi' } } },
          { mark: { type: 'line' as const, color: '#1f77b4' }, encoding: { x, y: y(null) } },
        ],
      };
    }
    const x = { field: 'value', type: 'nominal' as const, title: null, sort: null };
    return {
      title, width: 200, height: 140, data: { values },
      layer: [
        { mark: { type: 'rule' as const, color: '#333333' }, encoding: { x, y: { field: 'lo', type: 'quantitative' as const, title: 'marginal 1 - Dice' }, y2: { field: 'hi' } } },
        { mark: { type: 'point' as const, filled: true, size: 60, color: '#1f77b4' }, encoding: { x, y: y(null) } },
      ],
    };
  });
  return { $schema: SCHEMA, title: `${r.study}: marginal predicted 1 - Dice (surrogate, +-1 std over trees)`, columns: 3, concat: panels } as TopLevelSpec;
}

const timeUnit = (seconds: number): [string, number] => (seconds >= 3 * 3600 ? ['h', 3600] : seconds >= 180 ? ['min', 60] : ['s', 1]);

/** Incumbent 1 - Dice per approach over wall-clock and over epochs: median line, min..max band; nnU-Net's default as a dashed rule. */
export function comparisonCostChart(c: Comparison): TopLevelSpec {
  const span = Math.max(0, ...c.approaches.flatMap((a) => a.overTime.map((p) => p.x)));
  const [unit, per] = timeUnit(span);
  const defaults = c.studies.flatMap((s) => (s.defaultTrial ? [s.defaultTrial.loss!] : []));
  const defaultLoss = defaults.length ? [...defaults].sort((a, b) => a - b)[defaults.length >> 1]! : null;
  const labels = new Set(c.studies.filter((s) => s.defaultTrial).map((s) => s.defaultLabel));
  const defaultName = labels.size === 1 ? [...labels][0]! : 'default (median over the studies\' priors)';
  const color = { field: 'approach', type: 'nominal' as const, title: 'approach' };
  const panel = (axis: 'overTime' | 'overEpochs', title: string, scale: number) => {
    const values = c.approaches.flatMap((a) => a[axis].map((p) => ({ approach: a.approach, x: p.x / scale, median: p.median, min: p.min, max: p.max, studies: p.n })));
    const x = { field: 'x', type: 'quantitative' as const, title };
    return {
      width: 360, height: 260,
      layer: [
        { data: { values }, mark: { type: 'area' as const, interpolate: 'step-after' as const, opacity: 0.2 }, encoding: { x, y: { field: 'min', type: 'quantitative' as const }, y2: { field: 'max' }, color } },
        { data: { values }, mark: { type: 'line' as const, interpolate: 'step-after' as const, strokeWidth: 2 }, encoding: { x, y: { field: 'median', type: 'quantitative' as const, ...LOSS_AXIS, scale: { zero: false } }, color, tooltip: [{ field: 'approach' }, { field: 'x', format: '.3~f' }, { field: 'median', format: '.4f' }, { field: 'min', format: '.4f' }, { field: 'max', format: '.4f' }, { field: 'studies' }] } },
        ...(defaultLoss === null ? [] : [
          { data: { values: [{ loss: defaultLoss, label: defaultName }] }, mark: { type: 'rule' as const, strokeDash: [6, 4], color: '#000000' }, encoding: { y: { field: 'loss', type: 'quantitative' as const } } },
          { data: { values: [{ loss: defaultLoss, label: defaultName }] }, mark: { type: 'text' as const, align: 'right' as const, baseline: 'bottom' as const, x: 355, dy: -2 }, encoding: { y: { field: 'loss', type: 'quantitative' as const }, text: { field: 'label' } } },
        ]),
      ],
    };
  };
  return {
    $schema: SCHEMA,
    title: 'Incumbent 1 - Dice: median over seeds, band = min..max',
    hconcat: [panel('overTime', `study wall-clock (${unit}, pauses excluded)`, per), panel('overEpochs', 'epochs trained (all trials)', 1)],
  } as TopLevelSpec;
}

/** Every approach's trials and Pareto front (labelled trial@epochs), nnU-Net's default marked; tooltips name study, trial and budget. */
export function comparisonParetoChart(c: Comparison): TopLevelSpec {
  const several = new Set(c.approaches.filter((a) => a.studies.length > 1).map((a) => a.approach));
  const label = (approach: string, study: string, t: TrialRecord) => `${several.has(approach) ? `${study} ` : ''}#${t.number}@${t.budget}`;
  const point = (approach: string, study: string, t: TrialRecord) => ({ approach, study, trial: t.number, key: t.key, epochs: t.budget, loss: t.loss, dice: 1 - t.loss!, runtime: t.cost, label: label(approach, study, t) });
  const trials = c.studies.flatMap((s) => s.completed.filter((t) => t.cost !== null).map((t) => point(s.approach, s.study, t)));
  const fronts = c.approaches.flatMap((a) => a.front.filter((f) => f.trial.cost !== null).map((f) => point(a.approach, f.study, f.trial)));
  const defaults = c.studies.flatMap((s) => (s.defaultTrial?.cost ? [{ ...point(s.approach, s.study, s.defaultTrial), role: s.defaultLabel }] : []));
  const x = { field: 'runtime', type: 'quantitative' as const, ...RUNTIME_AXIS, scale: { type: 'log' as const } };
  const y = { field: 'loss', type: 'quantitative' as const, ...LOSS_AXIS, scale: { zero: false } };
  const color = { field: 'approach', type: 'nominal' as const, title: 'approach' };
  const tooltip = [{ field: 'study' }, { field: 'trial' }, { field: 'key' }, { field: 'epochs' }, { field: 'dice', title: 'Dice', format: '.4f' }, { field: 'runtime', title: 'runtime (s)', format: '.1f' }];
  return {
    $schema: SCHEMA,
    title: 'Pareto fronts: 1 - Dice vs training runtime (labels: trial@epochs)',
    width: 560,
    height: 360,
    layer: [
      { data: { values: trials }, mark: { type: 'point' as const, filled: true, size: 18, opacity: 0.35 }, encoding: { x, y, color, tooltip } },
      { data: { values: fronts }, mark: { type: 'line' as const, interpolate: 'step-after' as const }, encoding: { x, y, color, order: { field: 'runtime', type: 'quantitative' as const } } },
      { data: { values: fronts }, mark: { type: 'point' as const, filled: true, size: 60 }, encoding: { x, y, color, tooltip } },
      { data: { values: fronts }, mark: { type: 'text' as const, align: 'left' as const, dx: 5, dy: -6, fontSize: 9 }, encoding: { x, y, color, text: { field: 'label' } } },
      { data: { values: defaults }, mark: { type: 'point' as const, filled: true, size: 110, color: '#000000' }, encoding: { x, y, shape: { field: 'role', type: 'nominal' as const, title: null, scale: { domain: [...new Set(defaults.map((d) => d.role))], range: ['square', 'diamond', 'triangle-up'] } }, tooltip } },
    ],
  } as TopLevelSpec;
}
