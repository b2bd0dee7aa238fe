/**
 * Dice of a model's fold 0 on its validation cases in each orientation: the input flipped along some axes,
 * predicted, flipped back (no test-time mirroring), and with the 8-view mirroring average. A model trained
 * with symmetric mirroring scores about the same in every orientation; one that scores much better flipped
 * was trained mostly on flipped patches (docs/automl.md, "Mirroring").
 *
 *   node --import tsx bench/orientation.ts <model folder> <dataset> [cases, default 12]
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadDataset } from '../src/data/dataset.js';
import type { Vec3 } from '../src/data/plan-types.js';
import { readPlanFile } from '../src/data/plan-file.js';
import { flipVolume, type PredictPatch } from '../src/data/sliding-window.js';
import { loadPredictors } from '../src/pipeline/inference.js';
import { validateCases } from '../src/pipeline/validate.js';

const [model, datasetDir, casesArg = '12'] = process.argv.slice(2);
if (!model || !datasetDir) throw new Error('usage: node --import tsx bench/orientation.ts <model folder> <dataset> [cases]');
const plan = readPlanFile(join(model, 'plans.json'));
const dataset = loadDataset(datasetDir);
const validation = JSON.parse(readFileSync(join(model, 'fold_0', 'validation.json'), 'utf8')) as { cases: { id: string }[] };
const ids = validation.cases.map((c) => c.id).slice(0, Number(casesArg));
const predictors = await loadPredictors([join(model, 'fold_0', 'model.onnx')], 'cpu', undefined, plan.network);
const K = plan.labels.length;
console.log(`| orientation (${ids.length} validation cases of fold 0) | foreground Dice % |\n|---|---|`);
try {
  for (const axes of [[], [0], [1], [2], [0, 1], [0, 2], [1, 2], [0, 1, 2]]) {
    const flipped: PredictPatch = async (batch, shape) => {
      const patch: Vec3 = [shape[2], shape[3], shape[4]];
      return flipVolume(await predictors.predict(flipVolume(batch, shape[1], patch, axes), shape), K, patch, axes);
    };
    const v = await validateCases(dataset, ids, plan, flipped, { outDir: null, mirror: false });
    console.log(`| flipped along [${axes.join(', ')}] | ${(100 * v.foregroundMean).toFixed(2)} |`);
  }
  const v = await validateCases(dataset, ids, plan, predictors.predict, { outDir: null, mirror: true });
  console.log(`| 8-view mirroring average | ${(100 * v.foregroundMean).toFixed(2)} |`);
} finally {
  await predictors.release();
}
