/**
 * Training-efficiency levers at equal wall time (issue 18): the same configuration (the short-schedule
 * prior's default) trained for the same seconds at different feature widths and batch sizes, time-based
 * as `hnas auto`'s final training does (the epochs and the LR schedule's span re-estimated every epoch
 * from the pace), then validated on fold 0. Which of more steps of a narrow network, fewer of a wider
 * one, or fewer of a larger batch buys the most Dice in a fixed CPU time.
 *
 *   node --import tsx bench/levers.ts <dataset> <plans.json> [seconds per variant, default 360] [out folder]
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Pace } from '../src/automl/auto.js';
import { epochsThatFit } from '../src/automl/auto-settings.js';
import { readPlanFile } from '../src/data/plan-file.js';
import { prepareTraining, resolveConfiguration, trainModel } from '../src/pipeline/index.js';
import { defaultConfig } from '../src/space/config.js';
import { withPrior } from '../src/space/priors.js';
import { hpoSpace } from '../src/space/spaces.js';

const [datasetDir, planFile, secondsArg = '360', out = '/tmp/hnas-levers'] = process.argv.slice(2);
if (!datasetDir || !planFile) throw new Error('usage: node --import tsx bench/levers.ts <dataset> <plans.json> [seconds] [out]');
const seconds = Number(secondsArg);
const VARIANTS = [
  { name: '8..64, batch 2', features: { base: 8, max: 64 }, batch: 2 },
  { name: '16..128, batch 2', features: { base: 16, max: 128 }, batch: 2 },
  { name: '8..64, batch 4', features: { base: 8, max: 64 }, batch: 4 },
];
const ITERATIONS = 10;

const plan = readPlanFile(planFile);
const prepared = prepareTraining(datasetDir, { plan });
const configuration = resolveConfiguration(defaultConfig(withPrior(hpoSpace(), 'short-schedule')), prepared.plan.nStages);
console.log(`${seconds} s of training per variant, fold 0 (${prepared.cache.splits[0]!.train.length} training / ${prepared.cache.splits[0]!.val.length} validation cases), the short-schedule default, seed 0`);
console.log('| variant | steps | s / step | training s | validation Dice % |\n|---|---|---|---|---|');
for (const v of VARIANTS) {
  const started = Date.now();
  const end = started + seconds * 1000;
  const pace = new Pace(ITERATIONS); // about 1 s per step before the first epoch
  const outDir = join(out, v.name.replace(/[^0-9a-z]+/gi, '-'));
  rmSync(outDir, { recursive: true, force: true }); // a fresh run, not a continuation
  const r = await trainModel({
    ...prepared, plan: { ...prepared.plan, network: { ...prepared.plan.network, batchSize: v.batch } }, configuration, folds: [0],
    epochs: 1_000_000, iterationsPerEpoch: ITERATIONS, features: v.features, seed: 0, outDir,
    adaptiveEpochs: (done) => {
      pace.tick();
      return Math.max(1, epochsThatFit(done, (end - Date.now()) / 1000, pace.secondsPerEpoch()));
    },
  });
  const fold = JSON.parse(readFileSync(join(outDir, 'fold_0', 'fold.json'), 'utf8')) as { epochs: number; seconds: number };
  const steps = fold.epochs * ITERATIONS;
  console.log(`| ${v.name} | ${steps} | ${(fold.seconds / steps).toFixed(2)} | ${fold.seconds.toFixed(0)} | ${(100 * r.dice).toFixed(2)} |`);
}
