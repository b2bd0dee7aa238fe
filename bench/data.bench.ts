/**
 * `npm run bench -- data`: can the worker-thread loader feed training on
 * Task04_Hippocampus? Measures batches/s of sampling + augmentation (nnU-Net's
 * default factor 1) in the main thread and with 1 and 2 workers, and the stall of a
 * simulated training loop whose main thread is blocked for one step per batch.
 * Reference: the fastest training step this machine kind can do for the planned
 * network, i.e. its forward+backward FLOPs at PyTorch's 129 GFLOP/s (2 threads;
 * ../shared/reference/onnxruntime-node.md). Ratio > 1 = batches arrive faster than
 * steps consume them.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { preprocessDataset } from '../src/data/cache.js';
import { readPreprocessedCase } from '../src/data/case-file.js';
import { loadDataset } from '../src/data/dataset.js';
import { computeFingerprint } from '../src/data/fingerprint.js';
import { BatchLoader } from '../src/data/loader.js';
import { batchRng } from '../src/data/loader-protocol.js';
import type { PlannedNetwork } from '../src/data/plan-types.js';
import type { Vec3 } from '../src/data/plan-types.js';
import { planExperiment } from '../src/data/planner.js';
import { resampleVolume, type InterpolationOrder } from '../src/data/resample.js';
import { Rng } from '../src/util/rng.js';
import { sampleBatch, type PatchSamplerConfig } from '../src/data/patch-sampler.js';

const DATASET = resolve(fileURLToPath(new URL('../../shared/datasets/Task04_Hippocampus', import.meta.url)));
const PYTORCH_TRAIN_GFLOPS = 129;
const BATCHES = 40;
/** Simulated training steps per worker setting (each blocks for one reference step). */
const STEPS = 4;

/** Forward FLOPs (2 x MACs) of the plain U-Net of a plan for one batch. */
function forwardFlops(net: PlannedNetwork): number {
  const f = net.featuresPerStage;
  const k3 = (k: readonly number[]) => k[0]! * k[1]! * k[2]!;
  let size = [...net.patchSize];
  const sizes: number[][] = [];
  let macs = 0;
  let cin = net.inputChannels;
  net.strides.forEach((s, i) => {
    size = size.map((x, a) => x / s[a]!);
    const vox = size[0]! * size[1]! * size[2]!;
    sizes.push(size);
    macs += (cin * f[i]! + f[i]! * f[i]!) * k3(net.kernelSizes[i]!) * vox;
    cin = f[i]!;
  });
  for (let i = net.strides.length - 2; i >= 0; i--) {
    const vox = sizes[i]![0]! * sizes[i]![1]! * sizes[i]![2]!;
    macs += f[i + 1]! * f[i]! * vox; // transposed conv, kernel = stride
    macs += (2 * f[i]! * f[i]! + f[i]! * f[i]!) * k3(net.kernelSizes[i]!) * vox; // two convs after the concat
    macs += f[i]! * net.numClasses * vox; // seg head
  }
  return 2 * macs * net.batchSize;
}

/** Our separable resampling vs scipy.ndimage.map_coordinates (same coordinates, mirror boundary). */
function resamplingVsScipy(): void {
  const dir = mkdtempSync(join(tmpdir(), 'hnas-resample-'));
  const shape: Vec3 = [40, 56, 40];
  const target: Vec3 = [57, 73, 31];
  const rng = Rng.seeded(5);
  const data = Float32Array.from({ length: shape[0] * shape[1] * shape[2] }, () => rng.normal());
  writeFileSync(join(dir, 'in.raw'), data);
  console.log('\n| resampling [40,56,40] -> [57,73,31] | ours (s) | scipy map_coordinates (s) | speed ratio | max abs difference |');
  console.log('|---|---|---|---|---|');
  for (const order of [1, 3] as InterpolationOrder[]) {
    let ref: number;
    try {
      ref = Number(execFileSync('python3', [fileURLToPath(new URL('./data_reference.py', import.meta.url)), join(dir, 'in.raw'), ...shape.map(String), join(dir, 'out.raw'), ...target.map(String), String(order)], { encoding: 'utf8' }).trim());
    } catch {
      console.log('| (python3 with numpy + scipy not available: reference skipped) | | | | |');
      return;
    }
    const expected = new Float32Array(readFileSync(join(dir, 'out.raw')).buffer.slice(0));
    const t = performance.now();
    const ours = resampleVolume(data, 1, shape, target, [order, order, order]);
    const seconds = (performance.now() - t) / 1000;
    let maxDiff = 0;
    for (let i = 0; i < ours.length; i++) maxDiff = Math.max(maxDiff, Math.abs(ours[i]! - expected[i]!));
    console.log(`| order ${order} | ${seconds.toFixed(3)} | ${ref.toFixed(3)} | ${(ref / seconds).toFixed(2)} | ${maxDiff.toExponential(2)} |`);
  }
}

export async function run(): Promise<void> {
  resamplingVsScipy();
  if (!existsSync(DATASET)) {
    console.log(`skipped: ${DATASET} not found`);
    return;
  }
  const dataset = loadDataset(DATASET);
  const plan = planExperiment(computeFingerprint(dataset));
  const cache = preprocessDataset(dataset, plan, mkdtempSync(join(tmpdir(), 'hnas-bench-')));
  const train = cache.splits[0]!.train.map((id) => cache.files[id]!);
  const sampler: PatchSamplerConfig = { patchSize: plan.network.patchSize, batchSize: plan.network.batchSize, oversampleForeground: 0.33, augmentationFactor: 1 };
  const stepSeconds = (3 * forwardFlops(plan.network)) / (PYTORCH_TRAIN_GFLOPS * 1e9);
  console.log(`plan: patch [${plan.network.patchSize.join(', ')}], batch ${plan.network.batchSize}; ${BATCHES} batches, augmentation factor 1`);
  console.log(`reference training step: ${(3 * forwardFlops(plan.network) / 1e9).toFixed(1)} GFLOP at ${PYTORCH_TRAIN_GFLOPS} GFLOP/s = ${(stepSeconds * 1000).toFixed(0)} ms (${(1 / stepSeconds).toFixed(2)} steps/s)`);

  const rows: [string, number, number][] = [];
  const cases = train.map((f) => readPreprocessedCase(f));
  let t = performance.now();
  for (let k = 0; k < BATCHES; k++) sampleBatch(cases, sampler, batchRng(0, k));
  const mainRate = BATCHES / ((performance.now() - t) / 1000);
  rows.push(['main thread (no overlap)', mainRate, NaN]);

  for (const workers of [1, 2]) {
    const loader = BatchLoader.start({ files: train, sampler, seed: 0, workers, prefetch: 3 });
    await loader.next(); // start-up excluded
    t = performance.now();
    for (let k = 0; k < BATCHES; k++) await loader.next();
    const rate = BATCHES / ((performance.now() - t) / 1000);
    // Simulated training: block the main thread for one reference step per batch, time the waits for data.
    let waited = 0;
    const t0 = performance.now();
    for (let k = 0; k < STEPS; k++) {
      const w = performance.now();
      await loader.next();
      waited += performance.now() - w;
      const until = performance.now() + stepSeconds * 1000;
      while (performance.now() < until) {
        /* session.run blocks like this */
      }
    }
    const total = performance.now() - t0;
    await loader.close();
    rows.push([`${workers} worker(s)`, rate, waited / total]);
  }

  console.log('\n| loader | batches/s | reference steps/s | ratio | data stall during simulated training |');
  console.log('|---|---|---|---|---|');
  for (const [name, rate, stall] of rows) {
    console.log(`| ${name} | ${rate.toFixed(2)} | ${(1 / stepSeconds).toFixed(2)} | ${(rate * stepSeconds).toFixed(2)} | ${Number.isNaN(stall) ? '-' : `${(100 * stall).toFixed(1)} %`} |`);
  }
}
