/**
 * Losses against an independent float64 implementation written from nnU-Net's definitions,
 * their gradients against finite differences, the ignore label, and deep-supervision weights.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../../compiler/graph/builder.js';
import { Graph } from '../../../compiler/graph/graph.js';
import { deepSupervisionWeights, supervisedLoss } from '../../../compiler/train/deep-supervision.js';
import { DEFAULT_LOSS, headLoss, LOSSES, type LossKind, type LossOptions } from '../../../compiler/train/losses.js';
import { Rng } from '../../../src/util/rng.js';
import { checkGradients, randomT64, runOrt } from '../autodiff/harness.js';
import type { T64 } from '../autodiff/reference64.js';

const SHAPE = [2, 3, 4, 3, 2];
const V = 24; // voxels per sample

/** nnU-Net's constants (../shared/reference/nnunet.md, "Training"), written out, not read from the code. */
const SMOOTH = 1e-5;
const TOPK_FRACTION = 0.1;

/** nnU-Net's losses by their definitions: logits [N, C, V], labels [N, V] (-1 ignored). */
function referenceLoss(z: Float64Array, labels: Float64Array, o: Pick<LossOptions, 'batchDice'>): Record<string, number> {
  const [N, C] = [SHAPE[0]!, SHAPE[1]!];
  const ce: number[] = [];
  const probs: number[][][] = [];
  for (let n = 0; n < N; n++) {
    probs.push([]);
    for (let v = 0; v < V; v++) {
      const zs = Array.from({ length: C }, (_, c) => z[(n * C + c) * V + v]!);
      const m = Math.max(...zs);
      const s = zs.reduce((a, x) => a + Math.exp(x - m), 0);
      const l = labels[n * V + v]!;
      ce.push(l < 0 ? 0 : Math.log(s) + m - zs[l]!);
      probs[n]!.push(zs.map((x) => (l < 0 ? 0 : Math.exp(x - m) / s)));
    }
  }
  const valid = Array.from(labels).filter((l) => l >= 0).length;
  const out: Record<string, number> = { ce: ce.reduce((a, b) => a + b, 0) / Math.max(valid, 1) };
  const dice = (samples: number[]) => {
    const dcs: number[] = [];
    for (let c = 1; c < C; c++) {
      let tp = 0, sp = 0, sg = 0;
      for (const n of samples)
        for (let v = 0; v < V; v++) {
          const p = probs[n]![v]![c]!;
          const y = labels[n * V + v] === c ? 1 : 0;
          tp += p * y; sp += p; sg += y;
        }
      dcs.push((2 * tp + SMOOTH) / Math.max(sp + sg + SMOOTH, 1e-8));
    }
    return dcs;
  };
  const all = o.batchDice ? dice([0, 1]) : [...dice([0]), ...dice([1])];
  out.dice = 1 - all.reduce((a, b) => a + b, 0) / all.length;
  const k = Math.max(1, Math.floor(N * V * TOPK_FRACTION));
  out.topk = [...ce].sort((a, b) => b - a).slice(0, k).reduce((a, b) => a + b, 0) / k;
  return out;
}

function lossGraph(o: LossOptions) {
  const g = new Graph();
  const z = g.input('logits', SHAPE);
  const y = g.input('labels', [SHAPE[0]!, 1, ...SHAPE.slice(2)]);
  const terms = headLoss(new GraphBuilder(g, 'loss'), z, y, o);
  const total = [...terms.values()].reduce((a, t) => g.op('binary', `sum_${t}`, [a, t], { fn: 'add' }));
  terms.forEach((t) => g.output(t));
  g.output(total);
  return { g, terms, total };
}

const randomLabels = (rng: Rng, ignore: boolean): T64 => ({ shape: [SHAPE[0]!, 1, ...SHAPE.slice(2)], data: Float64Array.from({ length: 2 * V }, () => rng.int(ignore ? 4 : 3) - (ignore ? 1 : 0)) });

describe('losses', () => {
  for (const kind of Object.keys(LOSSES) as LossKind[])
    for (const batchDice of [false, true]) {
      if (batchDice && !LOSSES[kind].includes('dice')) continue;
      it(`${kind}${batchDice ? ' (batch Dice)' : ''}: values match the reference, gradients match finite differences`, async () => {
        const o = { ...DEFAULT_LOSS, kind, batchDice };
        const { g, terms, total } = lossGraph(o);
        const rng = Rng.seeded(kind.length + (batchDice ? 100 : 0));
        const feeds = new Map([['logits', randomT64(rng, SHAPE, 'any')], ['labels', randomLabels(rng, true)]]);
        const got = await runOrt(g, feeds);
        const ref = referenceLoss(feeds.get('logits')!.data, feeds.get('labels')!.data, o);
        for (const [term, value] of terms) expect(got.get(value)![0]!, term).toBeCloseTo(ref[term]!, 5);
        for (const r of await checkGradients(g, total, ['logits'], feeds, { samples: 30 })) expect(r.error).toBeLessThan(1e-3);
      });
    }

  it('the smooth term is 1e-5: an absent class predicted with total probability ~1e-5 scores Dice ~1/2', async () => {
    // Class 2 appears in no label; its logit -14 gives p ~ 4.2e-7 per voxel, 24 voxels per sample,
    // so sum(p) ~ 1e-5 and that class's Dice (0 + smooth) / (sum(p) + 0 + smooth) ~ 0.5: a
    // different smooth (1e-4: 0.9, 1e-6: 0.09) moves the loss by far more than the tolerance.
    const o = { ...DEFAULT_LOSS, kind: 'dice' as const };
    const { g, terms } = lossGraph(o);
    const rng = Rng.seeded(21);
    const z: T64 = { shape: SHAPE, data: Float64Array.from({ length: 2 * 3 * V }, (_, i) => (Math.floor(i / V) % 3 === 2 ? -14 : rng.normal())) };
    const labels: T64 = { shape: [SHAPE[0]!, 1, ...SHAPE.slice(2)], data: Float64Array.from({ length: 2 * V }, () => rng.int(2)) };
    const got = (await runOrt(g, new Map([['logits', z], ['labels', labels]]))).get(terms.get('dice')!)![0]!;
    const ref = referenceLoss(z.data, labels.data, o).dice!;
    expect(got).toBeCloseTo(ref, 4);
  });

  it('ignored voxels (label -1) do not change any loss, whatever their logits', async () => {
    const o = { ...DEFAULT_LOSS, kind: 'dice_ce' as const };
    const { g, total } = lossGraph(o);
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 1000 }), async (seed) => {
        const rng = Rng.seeded(seed);
        const labels = randomLabels(rng, true);
        const z = randomT64(rng, SHAPE, 'any');
        const z2 = { shape: z.shape, data: z.data.map((x, i) => (labels.data[Math.floor(i / (3 * V)) * V + (i % V)]! < 0 ? x + 5 * rng.float() : x)) };
        const a = (await runOrt(g, new Map([['logits', z], ['labels', labels]]))).get(total)![0]!;
        const b = (await runOrt(g, new Map([['logits', z2], ['labels', labels]]))).get(total)![0]!;
        expect(Math.abs(a - b)).toBeLessThan(1e-6);
      }),
      { numRuns: 50, seed: 3 },
    );
  });
});

describe('deep supervision', () => {
  it('weights are 1/2^i, the lowest resolution 0, normalised', () => {
    expect(deepSupervisionWeights(4)).toEqual([1, 0.5, 0.25, 0].map((w) => w / 1.75));
    expect(deepSupervisionWeights(1)).toEqual([1]);
    fc.assert(fc.property(fc.integer({ min: 2, max: 8 }), (n) => {
      const w = deepSupervisionWeights(n);
      expect(w.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
      expect(w.at(-1)).toBe(0);
      for (let i = 1; i < n - 1; i++) expect(w[i - 1]! / w[i]!).toBeCloseTo(2, 12);
    }));
  });

  it('targets are downsampled by nearest neighbour (every f-th voxel) and losses weighted', async () => {
    const g = new Graph();
    const h0 = g.input('h0', [1, 2, 4, 4, 2]);
    const h1 = g.input('h1', [1, 2, 2, 2, 1]);
    const h2 = g.input('h2', [1, 2, 1, 1, 1]);
    const y = g.input('labels', [1, 1, 4, 4, 2]);
    const o = { ...DEFAULT_LOSS, kind: 'ce' as const };
    const all = supervisedLoss(new GraphBuilder(g, 'ds'), [h0, h1, h2], y, o).total;
    // The same CE computed per head with a target the test downsamples itself.
    const single = (head: string, target: string) => headLoss(new GraphBuilder(g, `one_${head}`), head, target, o).get('ce')!;
    const y1 = g.input('labels1', [1, 1, 2, 2, 1]);
    const [c0, c1] = [single(h0, y), single(h1, y1)];
    [all, c0, c1].forEach((v) => g.output(v));
    const rng = Rng.seeded(5);
    const labels = Float64Array.from({ length: 32 }, () => rng.int(2));
    const down = Float64Array.from({ length: 4 }, (_, i) => labels[(Math.floor(i / 2) * 2 * 4 + (i % 2) * 2) * 2]!);
    const feeds = new Map<string, T64>([
      ['h0', randomT64(rng, [1, 2, 4, 4, 2], 'any')], ['h1', randomT64(rng, [1, 2, 2, 2, 1], 'any')], ['h2', randomT64(rng, [1, 2, 1, 1, 1], 'any')],
      ['labels', { shape: [1, 1, 4, 4, 2], data: labels }], ['labels1', { shape: [1, 1, 2, 2, 1], data: down }],
    ]);
    const out = await runOrt(g, feeds);
    expect(out.get(all)![0]!).toBeCloseTo((2 / 3) * out.get(c0)![0]! + (1 / 3) * out.get(c1)![0]!, 5);
  });
});
