/**
 * `hnas report`: a study's Markdown report with SVG and PNG plots, and its data; with enough
 * completed trials also the hyperparameter importance (fANOVA, importance.ts).
 *
 * Example:
 *   const files = await writeReport(await loadStudy('studies/Task04_Hippocampus', 'hpo_hnas'), 'report/');
 */
import type { LoadedStudy } from '../automl/load.js';
import { type ImportanceResult, MIN_TRIALS, studyImportance, trialsAtBudget } from '../analysis/importance.js';
import { studyReport, trialsCsv } from '../optimize/report.js';
import { costOverTimeChart, distributionsChart, paretoChart } from './charts.js';
import { importanceCharts, importanceMarkdown } from './importance.js';
import { reportMarkdown } from './markdown.js';
import { type ReportModel, reportModel } from './model.js';
import { OutputFolder } from './render.js';
import { incumbentOverlays } from './overlay.js';

export { architectureFeatures } from '../analysis/features.js';
export { reportModel, type ReportModel } from './model.js';

export interface WrittenReport {
  readonly model: ReportModel;
  readonly importance: ImportanceResult | null;
  readonly files: readonly string[];
}

/** The importance at the highest budget, else over all budgets, when there are enough completed trials for it. */
export function reportImportance(study: LoadedStudy): ImportanceResult | string {
  for (const budget of ['max', 'all'] as const) if (trialsAtBudget(study, budget).length >= MIN_TRIALS) return studyImportance(study, { budget });
  return `Not computed: ${trialsAtBudget(study, 'all').length} completed trials, fANOVA needs at least ${MIN_TRIALS}.`;
}

export async function writeReport(study: LoadedStudy, outDir: string): Promise<WrittenReport> {
  const model = reportModel(study);
  const importance = reportImportance(study);
  const out = new OutputFolder(outDir);
  const plots = await out.charts([
    { name: 'cost-over-time', title: 'Incumbent 1 - Dice over wall-clock time', spec: costOverTimeChart(model) },
    { name: 'pareto-front', title: 'Pareto front: 1 - Dice vs training runtime', spec: paretoChart(model) },
    { name: 'distributions', title: 'Hyperparameter and architecture distributions', spec: distributionsChart(model, study.settings.space) },
    ...(typeof importance === 'string' ? [] : importanceCharts(importance)),
  ]);
  const overlays = incumbentOverlays(study, model.incumbent, outDir);
  if (overlays.plot) {
    plots.push(overlays.plot);
    out.files.push(...overlays.files);
  }
  const importanceSection = typeof importance === 'string' ? ['## Hyperparameter importance (fANOVA)', '', importance, ''] : importanceMarkdown(importance, '##');
  out.write('trials.csv', trialsCsv(studyReport(study.name, study.settings, study.trials)));
  out.write('report.json', `${JSON.stringify(model, null, 2)}\n`);
  out.write('report.md', reportMarkdown(model, plots, importanceSection));
  return { model, importance: typeof importance === 'string' ? null : importance, files: out.files };
}
