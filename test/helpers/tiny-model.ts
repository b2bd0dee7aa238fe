/** A model folder trained for one iteration on the tiny MSD fixture (fold 'all'), for tests of what uses one. */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { prepareTraining, resolveConfiguration, trainModel } from '../../src/pipeline/index.js';

export const TINY = join(resolve(dirname(fileURLToPath(import.meta.url)), '../..'), 'fixtures', 'data', 'tiny-msd');

export async function trainTinyModel(work: string): Promise<string> {
  const prepared = prepareTraining(TINY, { cacheDir: join(work, 'cache'), overrides: { batchSize: 2 } });
  const model = join(work, 'model');
  await trainModel({ ...prepared, configuration: resolveConfiguration({}, prepared.plan.nStages), folds: ['all'], epochs: 1, iterationsPerEpoch: 1, features: { base: 4, max: 8 }, seed: 0, threads: 1, outDir: model });
  return model;
}
