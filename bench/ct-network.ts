/**
 * The plan's own network at CT size, in a process of its own (part `network` of `npm run bench -- ctio`):
 * nnU-Net's default configuration compiled for a plans.json (e.g. `hnas plan` of a dataset from
 * `hnas generate-dataset`), timed on this CPU as the sliding-window predictor runs it (one patch per
 * run, weights as initializers) and, unless `predict` only, as one training step at the plan's batch.
 * Prints the per-patch time, the number of tiles of a case of the given shape (nnU-Net's step 0.5), the
 * network's share of one case's prediction with and without mirroring, and the peak RSS.
 *
 *   node --import tsx bench/ct-network.ts <plans.json> Z,Y,X [predict|both] [repeats]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { compile } from '../compiler/index.js';
import { compileTrainingStep } from '../compiler/train/index.js';
import { readPlanFile } from '../src/data/plan-file.js';
import type { Vec3 } from '../src/data/plan-types.js';
import { windowStarts } from '../src/data/sliding-window.js';
import { resolveConfiguration } from '../src/pipeline/config.js';
import { sessionOptions } from '../src/runtime/providers.js';
import { train } from '../src/runtime/trainer.js';
import { Rng } from '../src/util/rng.js';

const [planFile, shapeArg, parts = 'predict', repeatsArg = '3'] = process.argv.slice(2);
if (!planFile || !shapeArg) throw new Error('usage: node --import tsx bench/ct-network.ts <plans.json> Z,Y,X [predict|both] [repeats]');
const plan = readPlanFile(planFile);
const shape = shapeArg.split(',').map(Number) as Vec3;
const repeats = Number(repeatsArg);
const net = plan.network;
const configuration = resolveConfiguration({}, plan.nStages);
const options = sessionOptions('cpu');

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
const peakMiB = () => (process.resourceUsage().maxRSS / 1024).toFixed(0);
async function timed(run: () => Promise<unknown>): Promise<{ wall: number[]; cpu: number[] }> {
  await run(); // warm-up
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const [t, c] = [performance.now(), process.cpuUsage()];
    await run();
    const u = process.cpuUsage(c);
    wall.push((performance.now() - t) / 1000);
    cpu.push((u.user + u.system) / 1e6);
  }
  return { wall, cpu };
}

const tiles = shape.reduce((n, size, a) => n * windowStarts(Math.max(size, net.patchSize[a]!), net.patchSize[a]!).length, 1);
const patchVoxels = net.patchSize.reduce((a, b) => a * b, 1);
const channels = plan.channelNames.length;
const rng = Rng.seeded(0);
console.log(`plan ${planFile}: ${plan.nStages} stages, patch [${net.patchSize.join(', ')}], batch ${net.batchSize}; case [${shape.join(', ')}] = ${tiles} tiles; ${options.intraOpNumThreads ?? 'all'} intra-op threads`);

// Inference: batch 1, the trained model's forward pass as the predictor runs it.
const inferenceModel = compile(configuration.architecture, { ...net, batchSize: 1 }, { seed: 0, ...configuration.compileOptions });
console.log(`forward: ${(inferenceModel.cost.flopsPerSample / 1e12).toFixed(2)} TFLOP per patch, ${(inferenceModel.graph.params.size)} parameter tensors`);
const session = await ort.InferenceSession.create(inferenceModel.onnx(), options);
const input = { [session.inputNames[0]!]: new ort.Tensor('float32', Float32Array.from({ length: channels * patchVoxels }, () => rng.normal()), [1, channels, ...net.patchSize]) };
const f = await timed(() => session.run(input, [session.outputNames[0]!]));
await session.release();
const perPatch = median(f.wall);
console.log('| part | s (median) | CPU s | runs | peak RSS MiB so far |');
console.log('|---|---|---|---|---|');
console.log(`| forward, one patch | ${perPatch.toFixed(2)} | ${median(f.cpu).toFixed(2)} | ${repeats} | ${peakMiB()} |`);
console.log(`| network time of one case: ${tiles} patches | ${(tiles * perPatch).toFixed(0)} | | estimate | |`);
console.log(`| network time of one case with --mirror: ${8 * tiles} patches | ${(8 * tiles * perPatch).toFixed(0)} | | estimate | |`);

if (parts === 'both') {
  // One training step at the plan's batch through the real engine (compile, session, checkpoint), random batches.
  const trainModel = compile(configuration.architecture, net, { seed: 0, ...configuration.compileOptions });
  const t = configuration.training;
  const step = compileTrainingStep(trainModel, { loss: { kind: t.loss }, optimizer: t.optimizer });
  const image = Float32Array.from({ length: net.batchSize * channels * patchVoxels }, () => rng.normal());
  const label = Float32Array.from({ length: net.batchSize * patchVoxels }, () => rng.int(plan.labels.length));
  const dir = mkdtempSync(join(tmpdir(), 'hnas-ct-network-'));
  const seconds: number[] = [];
  try {
    await train({
      step, inference: trainModel.graph, initialWeights: trainModel.weights, batches: () => ({ image, label }),
      epochs: 1 + repeats, iterationsPerEpoch: 1, lr: t.learningRate, schedule: t.schedule, seed: 0, outDir: dir, device: 'cpu',
      onEpoch: (r) => void seconds.push(r.seconds),
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`| training step, batch ${net.batchSize} (epoch wall incl. checkpoint) | ${median(seconds.slice(1)).toFixed(2)} | | ${repeats} | ${peakMiB()} |`);
}
