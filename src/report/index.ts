/**
 * `hnas report`: a study's Markdown report with SVG and PNG plots, and its data.
 *
 * Example:
 *   const files = await writeReport(await loadStudy('studies/Task04_Hippocampus', 'hpo_hnas'), 'report/');
 */
import { join } from 'node:path';
import type { LoadedStudy } from '../automl/load.js';
import { studyReport, trialsCsv } from '../optimize/report.js';
import { writeFileAtomic } from '../util/fs.js';
import { costOverTimeChart, distributionsChart, paretoChart } from './charts.js';
import { type PlotFiles, reportMarkdown } from './markdown.js';
import { type ReportModel, reportModel } from './model.js';
import { renderSvg, svgToPng } from './render.js';
import { incumbentOverlays } from './overlay.js';

export { architectureFeatures, reportModel, type ReportModel } from './model.js';

export interface WrittenReport {
  readonly model: ReportModel;
  readonly files: readonly string[];
}

export async function writeReport(study: LoadedStudy, outDir: string): Promise<WrittenReport> {
  const model = reportModel(study);
  const charts = [
    { name: 'cost-over-time', title: 'Incumbent 1 - Dice over wall-clock time', spec: costOverTimeChart(model) },
    { name: 'pareto-front', title: 'Pareto front: 1 - Dice vs training runtime', spec: paretoChart(model) },
    { name: 'distributions', title: 'Hyperparameter and architecture distributions', spec: distributionsChart(model, study.settings.space) },
  ];
  const files: string[] = [];
  const write = (name: string, data: string | Uint8Array) => {
    writeFileAtomic(join(outDir, name), data);
    files.push(join(outDir, name));
  };
  const plots: PlotFiles[] = [];
  for (const c of charts) {
    const svg = await renderSvg(c.spec);
    write(`${c.name}.svg`, svg);
    write(`${c.name}.png`, svgToPng(svg));
    plots.push({ title: c.title, svg: `${c.name}.svg`, png: `${c.name}.png` });
  }
  const overlays = incumbentOverlays(study, model.incumbent, outDir);
  if (overlays.plot) {
    plots.push(overlays.plot);
    files.push(...overlays.files);
  }
  write('trials.csv', trialsCsv(studyReport(study.name, study.settings, study.trials)));
  write('report.json', `${JSON.stringify(model, null, 2)}\n`);
  write('report.md', reportMarkdown(model, plots));
  return { model, files };
}
