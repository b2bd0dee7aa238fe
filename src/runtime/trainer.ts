/**
 * The training engine: runs a training-step graph with onnxruntime-node epoch by epoch.
 * Per iteration it feeds a batch (from the caller's BatchSource), the learning rate of the
 * epoch (host-side schedule), dropout noise from the run's seeded Rng, and the current
 * parameters / statistics / optimiser state, then takes their updated values. After each
 * epoch it writes a checkpoint (atomically) and one JSON line of the log; a stopped run
 * resumes from the checkpoint and reproduces the uninterrupted run exactly. At the end it
 * writes the inference model with the trained weights.
 *
 * @example
 *   const step = compileTrainingStep(model);
 *   await train({ step, inference: model.graph, initialWeights: model.weights, batches, epochs: 10,
 *                 iterationsPerEpoch: 250, lr: 1e-2, seed: 0, outDir: 'run1' });
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import type { Graph } from '../../compiler/graph/graph.js';
import type { LoweringOptions } from '../../compiler/onnx/context.js';
import { emitOnnx } from '../../compiler/onnx/emit.js';
import { multiStepModel } from '../../compiler/train/multi-step.js';
import type { TrainingStep } from '../../compiler/train/step.js';
import type { Weights } from '../../compiler/weights/init.js';
import { encodeSafetensors } from '../../compiler/weights/safetensors.js';
import type { Batch } from '../data/patch-sampler.js';
import { ConfigError, HnasError, TrainingFailure } from '../errors.js';
import { writeFileAtomic } from '../util/fs.js';
import { Rng } from '../util/rng.js';
import { loadCheckpoint, saveCheckpoint } from './checkpoint.js';
import { EpochLog, type EpochRecord } from './log.js';
import { Progress } from './progress.js';
import { calibrateLowering, type Calibration } from './calibrate.js';
import { createSession, DEVICE_LOWERING, type Device } from './providers.js';
import { SCHEDULES, type ScheduleKind } from './schedules.js';

/** What a training step reads of a batch (src/data's, image [B, C, ...patch] and label [B, ...patch], -1 = ignore). */
export type TrainingBatch = Pick<Batch, 'image' | 'label'>;

/** Supplies batches; draw all randomness from `rng` so a resumed run sees the same batches. */
export type BatchSource = (ctx: { readonly epoch: number; readonly iteration: number; readonly rng: Rng }) => TrainingBatch | Promise<TrainingBatch>;

export interface TrainOptions {
  readonly step: TrainingStep;
  /** The inference graph, for the final model. */
  readonly inference: Graph;
  /** Parameters and batch-norm statistics to start from. */
  readonly initialWeights: Weights;
  readonly batches: BatchSource;
  readonly epochs: number;
  readonly iterationsPerEpoch: number;
  /** Initial learning rate (nnU-Net: 1e-2). */
  readonly lr: number;
  readonly schedule?: ScheduleKind;
  /** Epochs the LR schedule spans (default `epochs`): a short run of a longer schedule (Auto-nnU-Net's budgets). */
  readonly scheduleEpochs?: number;
  readonly seed: number;
  readonly outDir: string;
  readonly device?: Device;
  readonly threads?: number;
  /**
   * Optimiser steps per session.run (default 1): K > 1 runs the K-step Loop model
   * (compiler/train/multi-step.ts), which moves parameters and optimiser state between host and
   * device once per K steps. Same results, checkpoints and schedule as K = 1; a group of steps
   * never crosses an epoch, and a failed group leaves the state of the group's start.
   */
  readonly stepsPerRun?: number;
  /**
   * The step's lowering over the device's own (DEVICE_LOWERING): given options, or 'calibrate' =
   * the fastest of a few lowerings measured on this machine before the first step (on a synthetic
   * batch, so the run's random stream is untouched), cached in `calibrationCache` per CPU model,
   * onnxruntime version, threads and device (src/runtime/calibrate.ts). Lowerings differ in
   * rounding only; a resumed run reads the same cached choice.
   */
  readonly lowering?: Partial<LoweringOptions> | 'calibrate';
  /** Cache file of calibrated choices (default: none, i.e. calibrate on every run). */
  readonly calibrationCache?: string;
  /** Progress bar with ETA on stderr. */
  readonly progress?: boolean;
  /** Continue from outDir's checkpoint when there is one (default true). */
  readonly resume?: boolean;
  /**
   * Time-based training: called before each epoch with the epochs done, returns the run's total
   * epochs as now re-estimated (e.g. from the time left); it sets both where the run ends (with the
   * final model) and the LR schedule's span, capped by `epochs`, never below the epochs done.
   */
  readonly adaptiveEpochs?: (epochsDone: number) => number;
  /** Called after each epoch's checkpoint and log line; return 'stop' to end the run there. */
  readonly onEpoch?: (record: EpochRecord) => void | 'stop';
}

export interface TrainResult {
  /** Trained parameters and statistics. */
  readonly weights: Weights;
  /** Epochs run by this call. */
  readonly records: readonly EpochRecord[];
  /** Epochs completed in total (including ones before a resume). */
  readonly epochsDone: number;
  readonly files: { readonly checkpoint: string; readonly log: string; readonly model?: string; readonly weights?: string };
  /** The calibration's outcome, when `lowering: 'calibrate'`. */
  readonly calibration?: Calibration;
}

export const FILES = { checkpoint: 'checkpoint.safetensors', log: 'log.jsonl', model: 'model.onnx', weights: 'weights.safetensors' } as const;

export async function train(o: TrainOptions): Promise<TrainResult> {
  checkOptions(o);
  const sig = o.step.signature;
  const files = { checkpoint: join(o.outDir, FILES.checkpoint), log: join(o.outDir, FILES.log) };
  const stepId = createHash('sha256').update(JSON.stringify({ ...sig, options: sig.options })).digest('hex').slice(0, 16);
  const slots = [...sig.params, ...sig.buffers, ...sig.state];
  const tensors = new Map<string, Float32Array>();
  let rng = Rng.seeded(o.seed);
  let start = 0;

  // A process killed while writing a checkpoint leaves only its temp file (writeFileAtomic): drop it.
  if (existsSync(o.outDir)) for (const name of readdirSync(o.outDir)) if (name.startsWith(`${FILES.checkpoint}.tmp-`)) rmSync(join(o.outDir, name), { force: true });
  const ckpt = o.resume === false ? null : loadCheckpoint(files.checkpoint);
  if (ckpt) {
    if (ckpt.stepId !== stepId) throw new TrainingFailure('the checkpoint belongs to a different training step (architecture, loss or optimiser changed)', 'other', { file: files.checkpoint });
    for (const s of slots) {
      const t = ckpt.tensors.get(s.name);
      if (!t) throw new TrainingFailure(`checkpoint lacks tensor '${s.name}'`, 'other', { file: files.checkpoint });
      tensors.set(s.name, t.data);
    }
    start = ckpt.epoch;
    rng = Rng.fromState(ckpt.rngState);
  } else {
    for (const s of [...sig.params, ...sig.buffers]) {
      const w = o.initialWeights.get(s.name);
      if (!w) throw new Error(`initial weights lack '${s.name}'`);
      tensors.set(s.name, Float32Array.from(w));
    }
    for (const s of sig.state) tensors.set(s.name, new Float32Array(Math.max(1, s.shape.reduce((a, b) => a * b, 1))));
  }

  const log = EpochLog.open(files.log, start);
  const stepsPerRun = o.stepsPerRun ?? 1;
  const device = o.device ?? 'cpu';
  const calibration = o.lowering === 'calibrate'
    ? await calibrateLowering(o.step, stepFeeds(sig, tensors, [syntheticStep(sig)], 1e-3, false), { device, threads: o.threads ?? 0, cacheFile: o.calibrationCache })
    : undefined;
  const lowering = calibration?.lowering ?? (o.lowering === 'calibrate' ? {} : o.lowering ?? {});
  const single = o.step.onnx({ ...DEVICE_LOWERING[device], ...lowering });
  const session = await createSession(stepsPerRun > 1 ? multiStepModel(single, sig) : single, device, o.threads);
  const progress = o.progress ? new Progress((o.epochs - start) * o.iterationsPerEpoch, o.epochs) : null;
  const records: EpochRecord[] = [];
  const schedule = SCHEDULES[o.schedule ?? 'poly'];
  let epoch = start;
  let total = o.epochs;
  const planned = (done: number): number => (o.adaptiveEpochs ? Math.min(o.epochs, Math.max(done, Math.floor(o.adaptiveEpochs(done)))) : o.epochs);
  try {
    for (; epoch < (total = planned(epoch)); epoch++) {
      const t0 = performance.now();
      const lr = schedule(o.lr, epoch, o.adaptiveEpochs ? total : (o.scheduleEpochs ?? o.epochs));
      const sums: Record<string, number> = {};
      for (let it = 0; it < o.iterationsPerEpoch; it += stepsPerRun) {
        // Batch, then dropout noise, step by step: the Rng sees the same calls for every K.
        const steps: StepInput[] = [];
        for (let i = it; i < Math.min(it + stepsPerRun, o.iterationsPerEpoch); i++)
          steps.push({ batch: await o.batches({ epoch, iteration: i, rng }), noiseSeeds: sig.noise.map(() => rng.int(2 ** 31)) });
        const outs = await runSteps(session, o, tensors, steps, lr, stepsPerRun > 1, { epoch, it });
        for (const out of outs) {
          for (const [k, v] of Object.entries(out)) sums[k] = (sums[k] ?? 0) + v;
          progress?.tick(epoch + 1, out.loss!);
        }
      }
      const mean = (k: string) => sums[k]! / o.iterationsPerEpoch;
      const record: EpochRecord = {
        epoch: epoch + 1,
        lr,
        loss: mean('loss'),
        terms: Object.fromEntries(Object.keys(sig.terms).map((t) => [t, mean(`loss.${t}`)])),
        gradNorm: mean('grad_norm'),
        seconds: (performance.now() - t0) / 1000,
      };
      // The log line first, then the checkpoint: a run resumed from the checkpoint drops the log's
      // later lines (EpochLog.open), so a crash between the two re-trains and re-logs that epoch
      // once, and the log never misses an epoch (its seconds are the trial's cost).
      log.append(record);
      saveCheckpoint(files.checkpoint, {
        epoch: epoch + 1,
        rngState: rng.state(),
        stepId,
        tensors: new Map(slots.map((s) => [s.name, { shape: s.shape, data: tensors.get(s.name)! }])),
      });
      records.push(record);
      if (o.onEpoch?.(record) === 'stop') {
        epoch++;
        break;
      }
    }
  } finally {
    progress?.stop();
    await session.release();
  }

  const weights: Weights = new Map([...sig.params, ...sig.buffers].map((s) => [s.name, tensors.get(s.name)!]));
  if (epoch < total) return { weights, records, epochsDone: epoch, files, calibration };
  const model = join(o.outDir, FILES.model);
  const weightFile = join(o.outDir, FILES.weights);
  writeFileAtomic(model, emitOnnx(o.inference, { weights }));
  writeFileAtomic(weightFile, encodeSafetensors(new Map([...sig.params, ...sig.buffers].map((s) => [s.name, { shape: s.shape, data: tensors.get(s.name)! }])), { format: 'hnas' }));
  return { weights, records, epochsDone: epoch, files: { ...files, model, weights: weightFile }, calibration };
}

interface StepInput {
  readonly batch: TrainingBatch;
  readonly noiseSeeds: readonly number[];
}

/**
 * One run of `steps.length` steps (stacked = the K-step model, whose inputs carry a leading step
 * axis): feeds, run, NaN/OOM checks, state update. Returns each step's scalar outputs.
 */
async function runSteps(session: ort.InferenceSession, o: TrainOptions, tensors: Map<string, Float32Array>, steps: readonly StepInput[], lr: number, stacked: boolean, at: { epoch: number; it: number }): Promise<Record<string, number>[]> {
  const sig = o.step.signature;
  const where = (i = 0) => ({ path: `epoch ${at.epoch + 1}, iteration ${at.it + i + 1}` });
  const feeds = stepFeeds(sig, tensors, steps, lr, stacked, where);
  let out: ort.InferenceSession.ReturnType;
  try {
    out = await session.run(feeds);
  } catch (err) {
    const msg = (err as Error).message ?? String(err);
    if (/bad_alloc|failed to allocate|out of memory|\boom\b/i.test(msg)) throw new TrainingFailure(`out of memory in the training step: ${msg}`, 'oom', where(), { cause: err });
    throw new TrainingFailure(`the training step failed: ${msg}`, 'other', where(), { cause: err });
  }
  const scalar = (name: string, i: number) => (out[name]!.data as Float32Array)[i]!;
  const results = steps.map((_, i) => {
    const scalars: Record<string, number> = { loss: scalar(sig.loss, i), grad_norm: scalar(sig.gradNorm, i) };
    for (const [t, name] of Object.entries(sig.terms)) scalars[`loss.${t}`] = scalar(name, i);
    if (!Number.isFinite(scalars.loss!) || !Number.isFinite(scalars.grad_norm!))
      throw new TrainingFailure(`loss is ${scalars.loss}, gradient norm ${scalars.grad_norm}: training diverged`, 'nan', where(i));
    return scalars;
  });
  // Only now replace the state, so a failed run leaves the last good state in place.
  for (const s of [...sig.params, ...sig.buffers, ...sig.state]) tensors.set(s.name, out[s.output]!.data as Float32Array);
  return results;
}

/** The inputs of one run of `steps` steps (stacked: the K-step model, whose inputs carry a leading step axis). */
function stepFeeds(sig: TrainingStep['signature'], tensors: Map<string, Float32Array>, steps: readonly StepInput[], lr: number, stacked: boolean, where: (i?: number) => { path: string } = () => ({ path: 'calibration' })): Record<string, ort.Tensor> {
  const k = steps.length;
  const lead = stacked ? [k] : [];
  const stack = (parts: Float32Array[], shape: readonly number[], what: string) => {
    const n = shape.reduce((a, b) => a * b, 1);
    parts.forEach((p, i) => {
      if (p.length !== n) throw new HnasError(`${what} has ${p.length} values, the step graph needs [${shape.join(', ')}] = ${n}`, where(i));
    });
    if (!stacked) return new ort.Tensor('float32', parts[0]!, shape);
    const data = new Float32Array(k * n);
    parts.forEach((p, i) => data.set(p, i * n));
    return new ort.Tensor('float32', data, [k, ...shape]);
  };
  const feeds: Record<string, ort.Tensor> = {
    [sig.image.name]: stack(steps.map((s) => s.batch.image), sig.image.shape, 'image batch'),
    // The step graph takes class ids as floats; BatchLoader's labelFormat 'float32' converts in its workers already.
    [sig.labels.name]: stack(steps.map(({ batch }) => (batch.label instanceof Float32Array ? batch.label : Float32Array.from(batch.label))), sig.labels.shape, 'label batch'),
    [sig.lr]: new ort.Tensor('float32', new Float32Array(k).fill(lr), lead),
  };
  sig.noise.forEach((n, j) => {
    const size = n.shape.reduce((a, b) => a * b, 1);
    feeds[n.name] = stack(steps.map((s) => uniformNoise(size, s.noiseSeeds[j]!)), n.shape, 'dropout noise');
  });
  for (const s of [...sig.params, ...sig.buffers, ...sig.state]) feeds[s.name] = new ort.Tensor('float32', tensors.get(s.name)!, s.shape);
  return feeds;
}

/** A seeded random batch of the step's shapes, for timing runs that must not draw from the run's Rng. */
function syntheticStep(sig: TrainingStep['signature']): StepInput {
  const rng = Rng.seeded(0);
  const voxels = sig.image.shape.reduce((a, b) => a * b, 1);
  return {
    batch: { image: Float32Array.from({ length: voxels }, () => rng.normal()), label: Float32Array.from({ length: sig.labels.shape.reduce((a, b) => a * b, 1) }, () => rng.int(2)) },
    noiseSeeds: sig.noise.map(() => rng.int(2 ** 31)),
  };
}

function checkOptions(o: TrainOptions): void {
  const bad = (path: string, expected: string, got: unknown): never => {
    throw new ConfigError(`expected ${expected}, got ${JSON.stringify(got)}`, { path });
  };
  if (!(Number.isInteger(o.epochs) && o.epochs >= 1)) bad('epochs', 'a positive integer', o.epochs);
  if (!(Number.isInteger(o.iterationsPerEpoch) && o.iterationsPerEpoch >= 1)) bad('iterationsPerEpoch', 'a positive integer', o.iterationsPerEpoch);
  if (!(o.lr > 0 && Number.isFinite(o.lr))) bad('lr', 'a positive learning rate', o.lr);
  if (o.schedule !== undefined && !(o.schedule in SCHEDULES)) bad('schedule', `one of ${Object.keys(SCHEDULES).join(', ')}`, o.schedule);
  if (!Number.isInteger(o.seed)) bad('seed', 'an integer', o.seed);
  if (o.stepsPerRun !== undefined && !(Number.isInteger(o.stepsPerRun) && o.stepsPerRun >= 1)) bad('stepsPerRun', 'a positive integer', o.stepsPerRun);
}

/** Uniform [0, 1) floats from a 32-bit seed (mulberry32): fast enough for dropout masks and large batches. */
export function uniformNoise(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let a = seed >>> 0;
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  return out;
}
