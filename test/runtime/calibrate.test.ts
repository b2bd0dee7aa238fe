/**
 * Lowering calibration: the choice among timed candidates (a pure function, checked on fake
 * timings), the cache keyed by CPU model, onnxruntime version, threads and device (a different
 * key is a miss, a damaged file a miss), and one real calibration of a tiny step plus a training
 * run that uses it.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { buildTrainingStep } from '../../compiler/train/step.js';
import { initWeights } from '../../compiler/weights/init.js';
import {
  calibrateLowering, calibrationKey, chooseCandidate, readCalibration, writeCalibration,
  type CalibrationEntry, type CalibrationKey, type Candidate, type Timing,
} from '../../src/runtime/calibrate.js';
import { train } from '../../src/runtime/trainer.js';
import { Rng } from '../../src/util/rng.js';
import { tinyPlan, tinyUNet } from '../compiler/train/nets.js';
import { spheres } from './spheres.js';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'hnas-calibrate-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const timing = (...wall: number[]): Timing => ({ wall, cpu: wall });

describe('chooseCandidate', () => {
  it('keeps the default unless another candidate is faster by more than the margin', () => {
    expect(chooseCandidate([timing(1, 1, 1), timing(0.99, 0.98, 0.99)], 0.03)).toBe(0);
    expect(chooseCandidate([timing(1, 1, 1), timing(0.9, 0.95, 5)], 0.03)).toBe(1); // median 0.95: one slow outlier does not count
    expect(chooseCandidate([timing(1), timing(0.9), timing(0.8)], 0.03)).toBe(2);
    expect(chooseCandidate([timing(1), timing(1.2)], 0)).toBe(0);
    expect(chooseCandidate([timing(1), timing()], 0)).toBe(0); // no timings never wins
    expect(() => chooseCandidate([])).toThrow(RangeError);
  });

  it('picks the lowest median when it beats the default by the margin, else the default (property)', () => {
    const times = fc.array(fc.double({ min: 0.1, max: 10, noNaN: true }), { minLength: 1, maxLength: 5 });
    fc.assert(
      fc.property(fc.array(times, { minLength: 1, maxLength: 6 }), fc.double({ min: 0, max: 0.5, noNaN: true }), (walls, margin) => {
        const medians = walls.map((w) => [...w].sort((a, b) => a - b)[Math.floor((w.length - 1) / 2)]!);
        const i = chooseCandidate(walls.map((w) => timing(...w)), margin);
        const lowest = Math.min(...medians);
        if (i === 0) expect(lowest >= medians[0]! * (1 - margin)).toBe(true);
        else {
          expect(medians[i]).toBe(lowest);
          expect(medians[i]! < medians[0]! * (1 - margin)).toBe(true);
        }
      }),
    );
  });
});

describe('calibration cache', () => {
  const key: CalibrationKey = { cpu: 'Test CPU @ 1GHz x 2', onnxruntime: '1.29.0', threads: 2, device: 'cpu' };
  const entry = (k: CalibrationKey, choice: string): CalibrationEntry => ({ key: k, choice, lowering: { convTranspose: 'native' }, medians: { default: 1, [choice]: 0.9 }, measuredOn: '2026-12-01T00:00:00Z' });

  it('returns the entry of exactly this key; another CPU, onnxruntime version, thread count or device is a miss', () => {
    const file = join(tmp(), 'sub', 'cal.json');
    expect(readCalibration(file, key)).toBeUndefined();
    writeCalibration(file, entry(key, 'a'));
    expect(readCalibration(file, key)?.choice).toBe('a');
    for (const other of [{ ...key, cpu: 'Other CPU x 2' }, { ...key, onnxruntime: '1.30.0' }, { ...key, threads: 1 }, { ...key, device: 'cuda' as const }])
      expect(readCalibration(file, other)).toBeUndefined();
  });

  it('replaces the entry of the same key and keeps the others', () => {
    const file = join(tmp(), 'cal.json');
    const other = { ...key, onnxruntime: '1.30.0' };
    writeCalibration(file, entry(key, 'a'));
    writeCalibration(file, entry(other, 'b'));
    writeCalibration(file, entry(key, 'c'));
    expect(readCalibration(file, key)?.choice).toBe('c');
    expect(readCalibration(file, other)?.choice).toBe('b');
    expect((JSON.parse(readFileSync(file, 'utf8')) as { entries: unknown[] }).entries).toHaveLength(2);
  });

  it('treats a damaged cache file as empty and rewrites it', () => {
    const file = join(tmp(), 'cal.json');
    writeFileSync(file, '{ not json');
    expect(readCalibration(file, key)).toBeUndefined();
    writeCalibration(file, entry(key, 'a'));
    expect(readCalibration(file, key)?.choice).toBe('a');
  });

  it('keys this machine by its CPU model and onnxruntime-node version', () => {
    const k = calibrationKey('cpu', 2);
    expect(k.onnxruntime).toBe(ort.env.versions.node);
    expect(k.cpu.length).toBeGreaterThan(0);
    expect(k).toMatchObject({ threads: 2, device: 'cpu' });
  });
});

describe('calibrateLowering on a tiny step', () => {
  const PATCH: [number, number, number] = [16, 16, 16];
  const net = { encoderType: 'conv', encoder: { norm: 'instance_norm', nonlin: 'leaky_relu', dropout: false }, decoder: { norm: 'instance_norm', nonlin: 'leaky_relu', dropout: false } } as const;
  const setup = () => {
    const { graph, outputs } = tinyUNet(net, tinyPlan(PATCH, [[1, 1, 1], [2, 2, 2]], 2, 2), 4);
    return { graph, step: buildTrainingStep(graph, outputs, { batchSize: 2, optimizer: { kind: 'adam', weightDecay: 0 } }) };
  };
  const candidates: Candidate[] = [{ name: 'default', lowering: {} }, { name: 'native ConvTranspose upsampling', lowering: { convTranspose: 'native' } }];

  it('measures once, caches the choice, then reads it; a training run with lowering "calibrate" uses the cache', async () => {
    const { graph, step } = setup();
    const weights = initWeights(graph, Rng.seeded(1));
    const sig = step.signature;
    const { image, label } = spheres(Rng.seeded(2), 2, PATCH);
    const feeds: Record<string, ort.Tensor> = {
      [sig.image.name]: new ort.Tensor('float32', image, sig.image.shape),
      [sig.labels.name]: new ort.Tensor('float32', label, sig.labels.shape),
      [sig.lr]: new ort.Tensor('float32', Float32Array.of(1e-3), []),
    };
    for (const p of [...sig.params, ...sig.buffers]) feeds[p.name] = new ort.Tensor('float32', weights.get(p.name)!, p.shape);
    for (const p of sig.state) feeds[p.name] = new ort.Tensor('float32', new Float32Array(Math.max(1, p.shape.reduce((a, b) => a * b, 1))), p.shape);
    const cacheFile = join(tmp(), 'cal.json');
    const first = await calibrateLowering(step, feeds, { device: 'cpu', threads: 1, cacheFile, candidates, repeats: 1 });
    expect(first.fromCache).toBe(false);
    expect(candidates.map((c) => c.name)).toContain(first.choice);
    expect(Object.keys(first.medians).sort()).toEqual(candidates.map((c) => c.name).sort());
    const again = await calibrateLowering(step, feeds, { device: 'cpu', threads: 1, cacheFile, candidates, repeats: 1 });
    expect(again).toMatchObject({ fromCache: true, choice: first.choice, lowering: first.lowering });

    const run = await train({ step, inference: graph, initialWeights: weights, batches: ({ rng }) => spheres(rng, 2, PATCH), epochs: 1, iterationsPerEpoch: 2, lr: 1e-2, seed: 3, outDir: tmp(), threads: 1, lowering: 'calibrate', calibrationCache: cacheFile });
    expect(run.calibration).toMatchObject({ fromCache: true, choice: first.choice });
    expect(Number.isFinite(run.records[0]!.loss)).toBe(true);
  }, 120_000);
});
