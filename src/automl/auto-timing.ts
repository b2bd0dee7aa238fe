/**
 * `hnas auto`'s measurement of this machine at the start: the default network (nnU-Net's
 * configuration at REFERENCE_TIER widths, batch TIMING_BATCH, the plan's patch) trains a few
 * steps on random batches through the real engine (compile, session, steps, checkpoints), and
 * the model it wrote validates one real validation case with and without mirroring. Also the
 * FLOPs of the default network at every width tier (from the compiler's cost model), by which
 * the step time of the other widths is estimated.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compile } from '../../compiler/index.js';
import { compileTrainingStep } from '../../compiler/train/index.js';
import { readCase } from '../data/case.js';
import { predictCase } from '../data/restore.js';
import { resolveConfiguration } from '../pipeline/config.js';
import { loadPredictors } from '../pipeline/inference.js';
import { type Prepared, withOverrides } from '../pipeline/prepare.js';
import type { Device } from '../runtime/providers.js';
import { train } from '../runtime/trainer.js';
import { Rng } from '../util/rng.js';
import { type MachineSpeed, REFERENCE_TIER, TIMING_BATCH, WIDTH_TIERS } from './auto-settings.js';

export interface Measurement {
  readonly speed: MachineSpeed;
  readonly flopsRatios: number[];
  /** Wall seconds the measurement took. */
  readonly seconds: number;
}

const TIMED_STEPS = 3;

export async function measureSpeed(prepared: Prepared, o: { device: Device; threads?: number; signal?: AbortSignal }): Promise<Measurement> {
  const t0 = performance.now();
  const plan = withOverrides(prepared.plan, { batchSize: Math.min(TIMING_BATCH, prepared.plan.network.batchSize) });
  const configuration = resolveConfiguration({}, plan.nStages);
  const net = plan.network;
  const modelAt = (tier: { base: number; max: number }) =>
    compile(configuration.architecture, net, { seed: 0, ...configuration.compileOptions, baseFeatures: tier.base, maxFeatures: tier.max });
  const refFlops = modelAt(REFERENCE_TIER).cost.flopsPerSample;
  const flopsRatios = WIDTH_TIERS.map((t) => modelAt(t).cost.flopsPerSample / refFlops);

  const dir = mkdtempSync(join(tmpdir(), 'hnas-auto-timing-'));
  try {
    const start = performance.now();
    const model = modelAt(REFERENCE_TIER);
    const t = configuration.training;
    const step = compileTrainingStep(model, { loss: { kind: t.loss }, optimizer: t.optimizer });
    const rng = Rng.seeded(0);
    const voxels = net.patchSize[0] * net.patchSize[1] * net.patchSize[2];
    const channels = plan.channelNames.length;
    const classes = plan.labels.length;
    const image = Float32Array.from({ length: net.batchSize * channels * voxels }, () => rng.normal());
    const label = Float32Array.from({ length: net.batchSize * voxels }, () => rng.int(classes));
    const epochSeconds: number[] = [];
    const run = await train({
      step, inference: model.graph, initialWeights: model.weights, batches: () => {
        if (o.signal?.aborted) throw o.signal.reason;
        return { image, label };
      },
      epochs: 1 + TIMED_STEPS, iterationsPerEpoch: 1, lr: t.learningRate, schedule: t.schedule, seed: 0, outDir: dir, device: o.device, threads: o.threads,
      onEpoch: (r) => void epochSeconds.push(r.seconds),
    });
    const total = (performance.now() - start) / 1000;
    // The first step warms the session up; the others are the pace of a run.
    const timed = epochSeconds.slice(1).sort((a, b) => a - b);
    const stepSeconds = timed[Math.floor(timed.length / 2)]!;
    const setupSeconds = Math.max(0, total - stepSeconds * epochSeconds.length);

    const [fold] = prepared.cache.splits;
    const id = fold?.val[0] ?? fold?.train[0] ?? prepared.dataset.cases[0]!.id;
    const data = readCase(prepared.dataset, prepared.dataset.cases.find((c) => c.id === id)!);
    const predictors = await loadPredictors([run.files.model!], o.device, o.threads, net);
    const timeCase = async (mirror: boolean) => {
      const s = performance.now();
      await predictCase(data, plan, predictors.predict, { mirror });
      return (performance.now() - s) / 1000;
    };
    let caseSeconds: number;
    let caseMirrorSeconds: number;
    try {
      caseSeconds = await timeCase(false);
      caseMirrorSeconds = await timeCase(true);
    } finally {
      await predictors.release();
    }
    return { speed: { stepSeconds, setupSeconds, caseSeconds, caseMirrorSeconds }, flopsRatios, seconds: (performance.now() - t0) / 1000 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
