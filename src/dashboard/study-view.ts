/**
 * What the dashboard's overview shows, as JSON, computed from the stored trials only: the study's
 * facts, the budget used, trials by state, the schedule (every bracket run so far and the next
 * ones, each rung done / running / to come), the incumbent, the trial list and the report's
 * Vega-Lite specs (src/report/charts.ts, so the page draws exactly what `hnas report` writes, the
 * fANOVA importance included once there are enough completed trials).
 */
import type { LoadedStudy } from '../automl/load.js';
import { plannedEpochs } from '../automl/budget.js';
import { hyperbandSchedule } from '../optimize/brackets.js';
import { bracketCycle, epochsSpent } from '../optimize/schedule.js';
import type { TrialRecord } from '../optimize/trial.js';
import { costOverTimeChart, distributionsChart, importanceChart, paretoChart } from '../report/charts.js';
import { reportImportance } from '../report/index.js';
import { reportModel } from '../report/model.js';

export type RungState = 'done' | 'running' | 'to come';

export interface RungView {
  readonly rung: number;
  readonly epochs: number;
  /** Configurations the schedule evaluates at this rung in this bracket. */
  readonly planned: number;
  readonly finished: number;
  readonly running: number;
  readonly state: RungState;
}

export interface BracketView {
  /** Bracket run index (the default configuration is -1). */
  readonly bracket: number;
  /** Its Hyperband bracket type s. */
  readonly type: number;
  readonly rungs: readonly RungView[];
  readonly state: RungState;
}

export interface TrialSummary {
  readonly number: number;
  readonly key: string;
  readonly source: TrialRecord['source'];
  readonly status: TrialRecord['status'];
  readonly bracket: number;
  readonly rung: number;
  readonly epochs: number;
  readonly loss: number | null;
  readonly cost: number | null;
  readonly startedAt: number;
  readonly finishedAt: number | null;
  readonly pareto: boolean;
}

/** Brackets not yet opened that the overview lists ahead. */
const AHEAD = 2;

const stateOf = (finished: number, running: number, planned: number): RungState => (finished >= planned && running === 0 ? 'done' : finished + running > 0 ? 'running' : 'to come');

export function scheduleView(study: Pick<LoadedStudy, 'settings' | 'trials'>): BracketView[] {
  const { settings, trials } = study;
  const schedule = hyperbandSchedule(settings);
  const cycle = bracketCycle(settings, schedule);
  const count = (bracket: number, rung: number) => {
    const here = trials.filter((t) => t.bracket === bracket && t.rung === rung);
    return { finished: here.filter((t) => t.status !== 'running').length, running: here.filter((t) => t.status === 'running').length };
  };
  const views: BracketView[] = [];
  const hasDefault = trials.some((t) => t.bracket < 0);
  if (hasDefault) {
    const c = count(-1, schedule.sMax);
    const rung = { rung: schedule.sMax, epochs: schedule.budgets[schedule.sMax]!, planned: 1, ...c, state: stateOf(c.finished, c.running, 1) };
    views.push({ bracket: -1, type: schedule.sMax, rungs: [rung], state: rung.state });
  }
  const opened = Math.max(-1, ...trials.map((t) => t.bracket)) + 1;
  const budgetLeft = settings.maxEpochs === null || epochsSpent(trials) < settings.maxEpochs;
  const last = Math.min(settings.brackets, budgetLeft ? opened + AHEAD : opened);
  for (let k = 0; k < last; k++) {
    const type = cycle[k % cycle.length]!;
    const rungs = type.rungs.map((r) => {
      const c = count(k, r.rung);
      return { rung: r.rung, epochs: schedule.budgets[r.rung]!, planned: r.configs, ...c, state: stateOf(c.finished, c.running, r.configs) };
    });
    const state: RungState = rungs.every((r) => r.state === 'done') ? 'done' : rungs.every((r) => r.state === 'to come') ? 'to come' : 'running';
    views.push({ bracket: k, type: type.s, rungs, state });
  }
  return views;
}

export function studyOverview(study: LoadedStudy) {
  const model = reportModel(study);
  const pareto = new Set(model.paretoFront.map((t) => t.key));
  const trials: TrialSummary[] = [...study.trials].sort((a, b) => a.number - b.number).map((t) => ({
    number: t.number, key: t.key, source: t.source, status: t.status, bracket: t.bracket, rung: t.rung, epochs: t.budget,
    loss: t.loss, cost: t.cost, startedAt: t.startedAt, finishedAt: t.finishedAt, pareto: pareto.has(t.key),
  }));
  const s = study.settings;
  const inc = model.incumbent;
  const importance = reportImportance(study);
  return {
    study: study.name,
    approach: study.meta?.approach ?? null,
    objective: study.meta?.objective ?? null,
    dataset: study.meta?.datasetName ?? null,
    algorithm: s.algorithm,
    space: { name: s.space.name, hyperparameters: s.space.params.length },
    budget: {
      minEpochs: s.minBudget, maxEpochs: s.maxBudget, eta: s.eta, totalEpochs: s.maxEpochs,
      epochsUsed: model.epochs,
      // Known for a total-epoch budget or one Hyperband round; a time limit is not stored with the study.
      epochsPlanned: s.maxEpochs === null && s.brackets !== hyperbandSchedule(s).brackets.length ? null : plannedEpochs({ minBudget: s.minBudget, maxBudget: s.maxBudget, eta: s.eta, totalEpochs: s.maxEpochs }),
      busySeconds: model.busySeconds,
    },
    counts: { ...model.counts, total: study.trials.length },
    incumbent: inc ? { number: inc.number, key: inc.key, loss: inc.loss, cost: inc.cost, epochs: inc.budget } : null,
    /** The highest storage version seen: the page reloads when it changes. */
    version: Math.max(0, ...study.trials.map((t) => t.version)),
    schedule: scheduleView(study),
    trials,
    charts: {
      costOverTime: costOverTimeChart(model),
      paretoFront: paretoChart(model),
      distributions: model.completed.length > 0 ? distributionsChart(model, s.space) : null,
      importance: typeof importance === 'string' ? null : importanceChart(importance),
    },
  };
}

export type StudyOverview = ReturnType<typeof studyOverview>;
