/**
 * Dropout in training form (compiler/train/forward.ts) with a fixed noise input: its value is
 * x * [u > p] / (1 - p) with one u per sample and channel (torch.nn.Dropout3d, see
 * docs/training.md), checked against loops written from that definition in float64; its gradient,
 * between a conv and a weighted-sum loss, against float64 central differences and, at the dropout's
 * input, against the definition's derivative weights * [u > p] / (1 - p).
 */
import { describe, expect, it } from 'vitest';
import { gradients } from '../../../compiler/autodiff/engine.js';
import { prune, replay } from '../../../compiler/graph/replay.js';
import { Graph } from '../../../compiler/graph/graph.js';
import { BATCH_DIM } from '../../../compiler/graph/build-unet.js';
import { trainingForward } from '../../../compiler/train/forward.js';
import { Rng } from '../../../src/util/rng.js';
import { checkGradients, randomT64, runOrt, size } from './harness.js';
import type { T64 } from './reference64.js';

const RATE = 0.25;
const X: number[] = [2, 3, 2, 3, 4];
/** Fixed noise, one per (sample, channel): channels (0, 0), (0, 2) and (1, 1) dropped, the rest kept. */
const NOISE = [0.1, 0.9, 0.24, 0.26, 0.05, 0.6];
const noise: T64 = { shape: [2, 3, 1, 1, 1], data: Float64Array.from(NOISE) };

/** input -> [conv] -> dropout(RATE), in training form with the batch fixed at 2. */
function training(withConv: boolean) {
  const g = new Graph();
  let h = g.input('input', [BATCH_DIM, ...X.slice(1)]);
  if (withConv) {
    const w = g.param('w', [3, 3, 3, 1, 3], { kind: 'he', fanIn: 27, slope: 0.01 });
    h = g.op('conv', 'conv', [h, w, g.param('b', [3], { kind: 'fill', value: 0 })], { stride: [1, 1, 1], pads: [1, 0, 1] });
  }
  g.output(g.op('dropout', 'drop', [h], { rate: RATE }));
  return trainingForward(g, { batchSize: 2 });
}

describe('dropout, training form', () => {
  it('keeps or zeroes whole channels: x * [u > p] / (1 - p) with one u per sample and channel', async () => {
    const { graph, noiseInputs } = training(false);
    expect(noiseInputs).toHaveLength(1);
    expect(graph.shape(noiseInputs[0]!)).toEqual([2, 3, 1, 1, 1]);
    const x = randomT64(Rng.seeded(1), X, 'any');
    const got = (await runOrt(graph, new Map([['input', x], [noiseInputs[0]!, noise]]))).get(graph.outputs[0]!)!;
    const spatial = size(X.slice(2));
    const want = new Float64Array(x.data.length);
    for (let n = 0; n < 2; n++)
      for (let c = 0; c < 3; c++)
        for (let i = 0; i < spatial; i++) {
          const k = (n * 3 + c) * spatial + i;
          want[k] = NOISE[n * 3 + c]! > RATE ? x.data[k]! / (1 - RATE) : 0;
        }
    let err = 0;
    for (let k = 0; k < want.length; k++) err = Math.max(err, Math.abs(got[k]! - want[k]!));
    expect(err).toBeLessThan(1e-6);
    // Both kinds of channel occur, so neither a no-op nor an all-zero mask passes.
    expect(want.some((v, k) => v === 0 && x.data[k] !== 0)).toBe(true);
    expect(want.some((v) => v !== 0)).toBe(true);
  });

  it('gradients through conv -> dropout -> weighted sum match float64 central differences', async () => {
    const { graph, noiseInputs } = training(true);
    const weights = graph.input('weights', [2, 3, 2, 3, 4]);
    const loss = graph.op('reduce', 'loss', [graph.op('binary', 'weighted', [graph.outputs[0]!, weights], { fn: 'mul' })], { fn: 'sum', axes: [0, 1, 2, 3, 4], keepdims: false });
    const rng = Rng.seeded(2);
    const feeds = new Map<string, T64>([
      ['input', randomT64(rng, X, 'any')],
      ['w', randomT64(rng, [3, 3, 3, 1, 3], 'any')],
      ['b', randomT64(rng, [3], 'any')],
      ['weights', randomT64(rng, [2, 3, 2, 3, 4], 'any')],
      [noiseInputs[0]!, noise],
    ]);
    const checks = await checkGradients(graph, loss, ['input', 'w', 'b'], feeds);
    for (const r of checks) expect(r.error, r.name).toBeLessThan(1e-3);

    // And by the definition: d loss / d (dropout input) = weights * [u > p] / (1 - p).
    const g = replay(graph);
    g.outputs.splice(0);
    const dConv = gradients(g, loss, ['conv']).get('conv')!;
    g.output(dConv);
    const got = (await runOrt(prune(g), feeds)).get(dConv)!;
    const spatial = size(X.slice(2));
    const w = feeds.get('weights')!.data;
    let err = 0;
    for (let k = 0; k < w.length; k++) err = Math.max(err, Math.abs(got[k]! - (NOISE[Math.floor(k / spatial)]! > RATE ? w[k]! / (1 - RATE) : 0)));
    expect(err).toBeLessThan(1e-6);
  });
});
