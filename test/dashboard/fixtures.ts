/**
 * What the dashboard tests look at: a study of the synthetic objective (the tiny plan, budgets
 * 1/3/9 epochs), stopped part way so that a test can let it go on, and a model folder trained
 * for one iteration on fold 0 of the tiny MSD fixture (so it has validation predictions).
 */
import { join } from 'node:path';
import { optimize } from '../../src/automl/driver.js';
import { prepareTraining, resolveConfiguration, trainModel } from '../../src/pipeline/index.js';
import { writeTinyPlan } from '../automl/fixtures/dataset.js';
import { tinyRequest } from '../automl/fixtures/request.js';
import { TINY } from '../helpers/tiny-model.js';

export async function syntheticStudy(dir: string, maxTrials: number): Promise<{ study: string; more: (n: number) => Promise<unknown> }> {
  const study = join(dir, 'study');
  const request = tinyRequest(study, 'hpo_hnas', writeTinyPlan(join(dir, 'plans.json')));
  await optimize(request, { maxTrials });
  return { study, more: (n) => optimize(request, { maxTrials: n }) };
}

export async function trainValidatedModel(work: string): Promise<string> {
  const prepared = prepareTraining(TINY, { cacheDir: join(work, 'cache'), overrides: { batchSize: 2 } });
  const model = join(work, 'model');
  await trainModel({ ...prepared, configuration: resolveConfiguration({}, prepared.plan.nStages), folds: [0], epochs: 1, iterationsPerEpoch: 1, features: { base: 4, max: 8 }, seed: 0, threads: 1, outDir: model });
  return model;
}
