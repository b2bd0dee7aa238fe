/**
 * K optimiser steps per session.run (compiler/train/multi-step.ts) give what K single steps
 * give, on the CPU provider: the Loop model's updated parameters, statistics and optimiser state
 * and its per-step losses, and through the trainer the weights, the epoch log, checkpoints and
 * continuation (a run with K = 3 resumed with K = 1 ends like a K = 1 run from the start).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { multiStepModel, transferBytes } from '../../compiler/train/multi-step.js';
import { buildTrainingStep } from '../../compiler/train/step.js';
import { initWeights } from '../../compiler/weights/init.js';
import { EpochLog } from '../../src/runtime/log.js';
import { train, type TrainOptions } from '../../src/runtime/trainer.js';
import { Rng } from '../../src/util/rng.js';
import { tinyPlan, tinyUNet, type TinyNet } from '../compiler/train/nets.js';
import { spheres } from './spheres.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'hnas-ksteps-'));
  dirs.push(d);
  return d;
};

const PATCH: [number, number, number] = [8, 8, 8];
// Batch norm (statistics carried), dropout (stacked noise), SGD momentum (state carried).
const net: TinyNet = { encoderType: 'residual', encoder: { norm: 'batch_norm', nonlin: 'leaky_relu', dropout: true }, decoder: { norm: 'instance_norm', nonlin: 'prelu', dropout: true } };
const { graph, outputs } = tinyUNet(net, tinyPlan(PATCH, [[1, 1, 1], [2, 2, 2], [2, 2, 2]], 3, 2), 4);
const step = buildTrainingStep(graph, outputs, { batchSize: 2 });
const sig = step.signature;
const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const carried = [...sig.params, ...sig.buffers, ...sig.state];

describe('K steps in one session.run', () => {
  it('the Loop model over K = 3 stacked batches equals 3 single-step runs bitwise (per-step learning rates)', async () => {
    const rng = Rng.seeded(11);
    const K = 3;
    const batches = Array.from({ length: K }, (_, i) => ({
      image: Float32Array.from({ length: size(sig.image.shape) }, () => rng.normal()),
      labels: Float32Array.from({ length: size(sig.labels.shape) }, () => rng.int(4) - 1),
      noise: sig.noise.map((n) => Float32Array.from({ length: size(n.shape) }, () => rng.float())),
      lr: 0.01 / (i + 1),
    }));
    const start: Map<string, Float32Array> = new Map(carried.map((s) => [s.name, Float32Array.from({ length: size(s.shape) }, () => (s.name.endsWith('running_var') ? 1 + rng.float() : s.name === 'opt.step' ? 0 : 0.2 * rng.normal()))]));

    const one = await ort.InferenceSession.create(step.onnx());
    let state: Map<string, Float32Array> = new Map(start);
    const singleLosses: number[] = [];
    for (const b of batches) {
      const feeds: Record<string, ort.Tensor> = {
        [sig.image.name]: new ort.Tensor('float32', b.image, sig.image.shape),
        [sig.labels.name]: new ort.Tensor('float32', b.labels, sig.labels.shape),
        [sig.lr]: new ort.Tensor('float32', Float32Array.of(b.lr), []),
      };
      sig.noise.forEach((n, i) => (feeds[n.name] = new ort.Tensor('float32', b.noise[i]!, n.shape)));
      for (const s of carried) feeds[s.name] = new ort.Tensor('float32', state.get(s.name)!, s.shape);
      const out = await one.run(feeds);
      singleLosses.push((out[sig.loss]!.data as Float32Array)[0]!);
      state = new Map(carried.map((s) => [s.name, out[s.output]!.data as Float32Array]));
    }

    const stack = (parts: Float32Array[], shape: readonly number[]) => {
      const data = new Float32Array(parts.length * size(shape));
      parts.forEach((p, i) => data.set(p, i * size(shape)));
      return new ort.Tensor('float32', data, [parts.length, ...shape]);
    };
    const multi = await ort.InferenceSession.create(multiStepModel(step.onnx(), sig));
    const feeds: Record<string, ort.Tensor> = {
      [sig.image.name]: stack(batches.map((b) => b.image), sig.image.shape),
      [sig.labels.name]: stack(batches.map((b) => b.labels), sig.labels.shape),
      [sig.lr]: new ort.Tensor('float32', Float32Array.from(batches.map((b) => b.lr)), [K]),
    };
    sig.noise.forEach((n, i) => (feeds[n.name] = stack(batches.map((b) => b.noise[i]!), n.shape)));
    for (const s of carried) feeds[s.name] = new ort.Tensor('float32', start.get(s.name)!, s.shape);
    const out = await multi.run(feeds);

    expect(Array.from(out[sig.loss]!.data as Float32Array)).toEqual(singleLosses);
    expect(out[sig.gradNorm]!.dims).toEqual([K]);
    for (const s of carried) expect(Buffer.from((out[s.output]!.data as Float32Array).buffer).equals(Buffer.from(state.get(s.name)!.buffer)), s.name).toBe(true);
    // The steps did change the state (a test that cannot pass vacuously).
    expect(state.get('opt.step')![0]).toBe(K);
  });

  it('moves the parameters and optimiser state once per run: per-step bytes fall with K', () => {
    const k1 = transferBytes(sig, 1);
    const k8 = transferBytes(sig, 8);
    const carriedBytes = 4 * carried.reduce((a, s) => a + size(s.shape), 0);
    expect(k1.statePerStep).toBe(2 * carriedBytes);
    expect(k8.statePerStep).toBe((2 * carriedBytes) / 8);
    expect(k1.inputs).toBe(4 * (size(sig.image.shape) + size(sig.labels.shape) + 1 + sig.noise.reduce((a, n) => a + size(n.shape), 0)) + carriedBytes);
    expect(k8.perStep).toBeLessThan(k1.perStep);
  });

  it('the trainer with --steps-per-run 3 (groups of 3 + 1 per epoch) matches K = 1: weights, log, and a K = 3 run continued with K = 1', async () => {
    const base = (over: Partial<TrainOptions>): TrainOptions => ({
      step, inference: graph, initialWeights: initWeights(graph, Rng.seeded(1)), batches: ({ rng }) => spheres(rng, 2, PATCH),
      epochs: 3, iterationsPerEpoch: 4, lr: 1e-2, schedule: 'poly', seed: 7, outDir: tmp(), threads: 1, ...over,
    });
    const strip = (r: { seconds: number }) => ({ ...r, seconds: 0 });
    const k1 = await train(base({}));
    const k3 = await train(base({ stepsPerRun: 3 }));
    for (const [name, w] of k1.weights) expect(Buffer.from(k3.weights.get(name)!.buffer).equals(Buffer.from(w.buffer)), name).toBe(true);
    expect(EpochLog.read(k3.files.log).map(strip)).toEqual(EpochLog.read(k1.files.log).map(strip));

    const dir = tmp();
    const first = await train(base({ outDir: dir, stepsPerRun: 3, epochs: 3, onEpoch: (r) => (r.epoch === 1 ? 'stop' : undefined) }));
    expect(first.epochsDone).toBe(1);
    const rest = await train(base({ outDir: dir, stepsPerRun: 1 }));
    for (const [name, w] of k1.weights) expect(Buffer.from(rest.weights.get(name)!.buffer).equals(Buffer.from(w.buffer)), name).toBe(true);
    await expect(train(base({ stepsPerRun: 0 }))).rejects.toThrow(/stepsPerRun.*positive integer/);
  });
});
