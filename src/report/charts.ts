/**
 * The report's plots as Vega-Lite specifications (data inline), rendered by render.ts:
 * the incumbent over time, the Pareto front with the default marked, and the
 * distributions of the evaluated hyperparameters and architecture features.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { SearchSpace } from '../space/types.js';
import type { TreeNode } from '../grammar/tree-types.js';
import { architectureFeatures, type ReportModel } from './model.js';

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
