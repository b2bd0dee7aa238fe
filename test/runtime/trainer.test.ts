/**
 * The training engine end to end on CPU: a small U-Net learns spheres in noise to
 * Dice > 0.9 within a bounded number of steps; a run killed mid-way and resumed from its
 * checkpoint ends with exactly the parameters of the uninterrupted run; NaN losses and
 * missing execution providers fail with a typed TrainingFailure and leave the files intact; where
 * the CUDA provider is installed, the same run trains on the GPU.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import type { OptimizerOptions } from '../../compiler/train/optimizers.js';
import { buildTrainingStep } from '../../compiler/train/step.js';
import { initWeights } from '../../compiler/weights/init.js';
import { TrainingFailure } from '../../src/errors.js';
import { EpochLog } from '../../src/runtime/log.js';
import { train, type TrainOptions } from '../../src/runtime/trainer.js';
import { PROVIDERS, providerInstalled } from '../../src/runtime/providers.js';
import { Rng } from '../../src/util/rng.js';
import { tinyPlan, tinyUNet } from '../compiler/train/nets.js';
import { dice, spheres } from './spheres.js';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'hnas-train-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const cuda = providerInstalled(PROVIDERS.cuda);
const PATCH: [number, number, number] = [16, 16, 16];
const BATCH = 2;

function setup(over: Partial<TrainOptions> = {}, net: Parameters<typeof tinyUNet>[0] = { encoderType: 'conv', encoder: { norm: 'instance_norm', nonlin: 'leaky_relu', dropout: false }, decoder: { norm: 'instance_norm', nonlin: 'leaky_relu', dropout: false } }, optimizer: Partial<OptimizerOptions> = { kind: 'adam', weightDecay: 0 }): TrainOptions {
  const { graph, outputs } = tinyUNet(net, tinyPlan(PATCH, [[1, 1, 1], [2, 2, 2], [2, 2, 2]], 2, BATCH), 4);
  const step = buildTrainingStep(graph, outputs, { batchSize: BATCH, optimizer });
  return {
    step,
    inference: graph,
    initialWeights: initWeights(graph, Rng.seeded(1)),
    batches: ({ rng }) => spheres(rng, BATCH, PATCH),
    epochs: 16,
    iterationsPerEpoch: 10,
    lr: 1e-2,
    schedule: 'poly',
    seed: 42,
    outDir: tmp(),
    threads: 1,
    ...over,
  };
}

async function evaluate(modelPath: string): Promise<number> {
  const session = await ort.InferenceSession.create(readFileSync(modelPath));
  const { image, label } = spheres(Rng.seeded(999), 4, PATCH);
  const out = await session.run({ input: new ort.Tensor('float32', image, [4, 1, ...PATCH]) });
  await session.release();
  return dice(out[session.outputNames[0]!]!.data as Float32Array, label, 4);
}

describe('training engine', () => {
  it('learns spheres in noise to Dice > 0.9 within 160 steps', async () => {
    const o = setup();
    const t0 = performance.now();
    const result = await train(o);
    const d = await evaluate(result.files.model!);
    console.log(`spheres: ${o.epochs * o.iterationsPerEpoch} steps, ${((performance.now() - t0) / 1000).toFixed(1)} s, Dice ${d.toFixed(3)}, loss ${result.records.map((r) => r.loss.toFixed(3)).join(' ')}`);
    expect(d).toBeGreaterThan(0.9);
    const log = EpochLog.read(result.files.log);
    expect(log.map((r) => r.epoch)).toEqual([...Array(16).keys()].map((e) => e + 1));
    expect(log[0]!.lr).toBeCloseTo(1e-2, 10);
    expect(log[4]!.lr).toBeCloseTo(1e-2 * (1 - 4 / 16) ** 0.9, 10);
    expect(log.at(-1)!.loss).toBeLessThan(log[0]!.loss);
  });

  it('a run killed mid-epoch and resumed from its checkpoint reproduces the uninterrupted run exactly (batch norm, dropout, SGD momentum)', async () => {
    const net = { encoderType: 'residual' as const, encoder: { norm: 'batch_norm' as const, nonlin: 'prelu' as const, dropout: true }, decoder: { norm: 'batch_norm' as const, nonlin: 'gelu' as const, dropout: true } };
    const sgd = { kind: 'sgd' as const };
    const base = { epochs: 4, iterationsPerEpoch: 3 };
    const whole = await train(setup(base, net, sgd));
    const o = setup(base, net, sgd);
    expect(o.step.signature.noise.length).toBeGreaterThan(0);
    expect(o.step.signature.buffers.length).toBeGreaterThan(0);
    const killed = train({ ...o, batches: (ctx) => {
      if (ctx.epoch === 2 && ctx.iteration === 1) throw new Error('killed');
      return o.batches(ctx);
    } });
    await expect(killed).rejects.toThrow('killed');
    expect(EpochLog.read(join(o.outDir, 'log.jsonl')).map((r) => r.epoch)).toEqual([1, 2]);
    const resumed = await train(o);
    expect(resumed.records.map((r) => r.epoch)).toEqual([3, 4]);
    for (const [name, w] of whole.weights) expect(Buffer.from(resumed.weights.get(name)!.buffer).equals(Buffer.from(w.buffer)), name).toBe(true);
    const strip = (r: { seconds: number }) => ({ ...r, seconds: 0 });
    expect(EpochLog.read(join(o.outDir, 'log.jsonl')).map(strip)).toEqual(EpochLog.read(whole.files.log).map(strip));
    // Running statistics moved away from their initial values (batch norm in training form).
    expect(Array.from(whole.weights.get(o.step.signature.buffers[0]!.name)!).some((v) => v !== 0 && v !== 1)).toBe(true);
  });

  it('time-based training: the total epochs re-estimated before each epoch end the run (with its model) and set the schedule span', async () => {
    // The estimate drops from 10 to 3 epochs after the second: epochs 1-2 follow a 10-epoch cosine, epoch 3 a 3-epoch one.
    const seen: number[] = [];
    const o = setup({ epochs: 100, iterationsPerEpoch: 2, schedule: 'cosine', adaptiveEpochs: (done) => (seen.push(done), done < 2 ? 10 : 3) });
    const result = await train(o);
    expect(seen).toEqual([0, 1, 2, 3]);
    expect(result.epochsDone).toBe(3);
    expect(result.files.model).toBeDefined();
    const log = EpochLog.read(result.files.log);
    const cosine = (e: number, n: number) => 0.5 * 1e-2 * (1 + Math.cos((Math.PI * e) / n));
    expect(log.map((r) => r.lr)).toEqual([cosine(0, 10), cosine(1, 10), cosine(2, 3)].map((x) => expect.closeTo(x, 12)));
    // Resumed with less time than already spent: no more epochs, the model is written from the checkpoint.
    const again = await train({ ...o, adaptiveEpochs: () => 0 });
    expect(again.records).toHaveLength(0);
    expect(again.epochsDone).toBe(3);
    // The cap holds.
    const capped = await train(setup({ epochs: 2, iterationsPerEpoch: 1, adaptiveEpochs: () => 50 }));
    expect(capped.epochsDone).toBe(2);
  });

  it('a NaN loss stops the run with TrainingFailure("nan"), keeping the last checkpoint and log', async () => {
    const o = setup({ epochs: 3, iterationsPerEpoch: 2 });
    const run = train({ ...o, batches: async (ctx) => {
      const b = await o.batches(ctx);
      if (ctx.epoch === 1) b.image.fill(Number.NaN);
      return b;
    } });
    await expect(run).rejects.toSatisfy((e: unknown) => e instanceof TrainingFailure && e.reason === 'nan' && /epoch 2, iteration 1\b/.test(e.message));
    expect(EpochLog.read(join(o.outDir, 'log.jsonl')).map((r) => r.epoch)).toEqual([1]);
    const resumed = await train({ ...o, epochs: 1 });
    expect(resumed.epochsDone).toBe(1);
  });

  it('takes src/data batches with int16 labels as their float copies (same weights, bit for bit)', async () => {
    const base = { epochs: 1, iterationsPerEpoch: 2 };
    const floats = await train(setup(base));
    const o = setup(base);
    const ints = await train({ ...o, batches: async (ctx) => {
      const b = await o.batches(ctx);
      return { image: b.image, label: Int16Array.from(b.label) };
    } });
    for (const [name, w] of floats.weights) expect(Buffer.from(ints.weights.get(name)!.buffer).equals(Buffer.from(w.buffer)), name).toBe(true);
  });

  it('a missing CUDA provider fails with TrainingFailure("provider") naming how to install it', async (ctx) => {
    ctx.skip(cuda, 'the CUDA provider is installed here, so it cannot be missing');
    const run = train(setup({ device: 'cuda', epochs: 1, iterationsPerEpoch: 1 }));
    await expect(run).rejects.toSatisfy((e: unknown) => e instanceof TrainingFailure && e.reason === 'provider' && /hnas setup cuda/.test(e.message));
  });

  it('trains on CUDA: the first epoch matches the CPU run, and the spheres are learnt to Dice > 0.9', async (ctx) => {
    ctx.skip(!cuda, `needs onnxruntime-node's CUDA provider (${PROVIDERS.cuda.installHint})`);
    const onCpu = await train(setup({ epochs: 1 }));
    const result = await train(setup({ device: 'cuda' }));
    expect(result.records).toHaveLength(16);
    expect(result.records.every((r) => Number.isFinite(r.loss))).toBe(true);
    // Same seed, batches and weights: only the kernels differ (cuDNN, TF32), so the losses agree closely.
    expect(Math.abs(result.records[0]!.loss - onCpu.records[0]!.loss)).toBeLessThan(0.05 * onCpu.records[0]!.loss);
    expect(result.records.at(-1)!.loss).toBeLessThan(result.records[0]!.loss);
    expect(await evaluate(result.files.model!)).toBeGreaterThan(0.9);
  });

  it('rejects bad options with a ConfigError naming the field, before writing anything', async () => {
    const o = setup();
    await expect(train({ ...o, epochs: 0 })).rejects.toThrow(/epochs.*positive integer/);
    await expect(train({ ...o, lr: -1 })).rejects.toThrow(/lr/);
    await expect(train({ ...o, schedule: 'step' as never })).rejects.toThrow(/schedule.*poly, cosine, constant/);
    expect(() => readFileSync(join(o.outDir, 'log.jsonl'))).toThrow();
  });
});
