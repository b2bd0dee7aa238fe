/**
 * In-graph optimisers against hand-computed updates and an independent float64
 * transcription of PyTorch's algorithms over several steps; global-norm clipping.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../../compiler/autodiff/builder.js';
import { Graph } from '../../../compiler/graph/graph.js';
import { clipByGlobalNorm, DEFAULT_OPTIMIZER, OPTIMIZERS, type OptimizerOptions } from '../../../compiler/train/optimizers.js';
import { runOrt } from '../autodiff/harness.js';
import type { T64 } from '../autodiff/reference64.js';

const t64 = (data: number[], shape = [data.length]): T64 => ({ shape, data: Float64Array.from(data) });

/** Runs `steps` updates of one parameter with the given gradients, state fed back each step. */
async function runOptimizer(o: OptimizerOptions, p0: number[], grads: number[][], lr: number): Promise<number[][]> {
  const g = new Graph();
  const n = p0.length;
  const [p, gr, lrIn, step] = [g.input('p', [n]), g.input('g', [n]), g.input('lr', []), g.input('step', [])];
  const def = OPTIMIZERS[o.kind];
  const state = Object.fromEntries(def.slots.map((s) => [s, g.input(`s.${s}`, [n])]));
  const b = new GraphBuilder(g, 'opt');
  const next = def.update({ b, param: p, grad: gr, state, lr: lrIn, t: b.affine(step, 1, 1), o });
  g.output(next.param);
  def.slots.forEach((s) => g.output(next.state[s]!));
  let param = p0;
  let slots = Object.fromEntries(def.slots.map((s) => [s, new Array(n).fill(0)]));
  const history: number[][] = [];
  for (let t = 0; t < grads.length; t++) {
    const feeds = new Map<string, T64>([['p', t64(param)], ['g', t64(grads[t]!)], ['lr', t64([lr], [])], ['step', t64([t], [])]]);
    def.slots.forEach((s) => feeds.set(`s.${s}`, t64(slots[s]!)));
    const out = await runOrt(g, feeds);
    param = Array.from(out.get(next.param)!);
    slots = Object.fromEntries(def.slots.map((s) => [s, Array.from(out.get(next.state[s]!)!)]));
    history.push(param);
  }
  return history;
}

/** PyTorch's torch.optim.SGD / Adam / AdamW, transcribed in float64 for one tensor. */
function reference(o: OptimizerOptions, p0: number[], grads: number[][], lr: number): number[][] {
  let p = [...p0];
  let buf: number[] | null = null;
  let m = p.map(() => 0);
  let v = p.map(() => 0);
  return grads.map((grad, step) => {
    const t = step + 1;
    if (o.kind === 'sgd') {
      const d = grad.map((x, i) => x + o.weightDecay * p[i]!);
      buf = buf === null ? d : buf.map((x, i) => o.momentum * x + d[i]!);
      const dir = o.nesterov ? d.map((x, i) => x + o.momentum * buf![i]!) : buf;
      p = p.map((x, i) => x - lr * dir[i]!);
    } else {
      if (o.kind === 'adamw') p = p.map((x) => x * (1 - lr * o.weightDecay));
      const d = o.kind === 'adam' ? grad.map((x, i) => x + o.weightDecay * p[i]!) : grad;
      const [b1, b2] = o.betas;
      m = m.map((x, i) => b1 * x + (1 - b1) * d[i]!);
      v = v.map((x, i) => b2 * x + (1 - b2) * d[i]! ** 2);
      p = p.map((x, i) => x - (lr / (1 - b1 ** t)) * (m[i]! / (Math.sqrt(v[i]! / (1 - b2 ** t)) + o.eps)));
    }
    return p;
  });
}

const close = (a: number[][], b: number[][], tol: number) => a.forEach((row, i) => row.forEach((x, j) => expect(Math.abs(x - b[i]![j]!)).toBeLessThan(tol * Math.max(1, Math.abs(b[i]![j]!)))));

describe('optimisers', () => {
  it('SGD with Nesterov momentum: hand-computed two steps', async () => {
    // mu 0.9, lr 0.1, g 0.5: buf 0.5, step 0.5 + 0.45 -> p 0.905; buf 0.95, step 0.5 + 0.855 -> p 0.7695.
    const got = await runOptimizer({ ...DEFAULT_OPTIMIZER, momentum: 0.9, weightDecay: 0 }, [1], [[0.5], [0.5]], 0.1);
    close(got, [[0.905], [0.7695]], 1e-6);
  });

  it('AdamW decouples weight decay: hand-computed first step', async () => {
    // p 1, lr 0.1, wd 0.5: p <- 0.95; Adam's first step is lr * sign(g) (m/(1-b1) = g, sqrt(v/(1-b2)) = |g|) -> 0.85.
    const got = await runOptimizer({ ...DEFAULT_OPTIMIZER, kind: 'adamw', weightDecay: 0.5, eps: 0 }, [1], [[2]], 0.1);
    close(got, [[0.85]], 1e-6);
  });

  const kinds: OptimizerOptions[] = [
    { ...DEFAULT_OPTIMIZER },
    { ...DEFAULT_OPTIMIZER, nesterov: false, momentum: 0.9, weightDecay: 1e-2 },
    { ...DEFAULT_OPTIMIZER, kind: 'adam', weightDecay: 1e-2 },
    { ...DEFAULT_OPTIMIZER, kind: 'adamw', weightDecay: 1e-1 },
  ];
  for (const o of kinds) {
    it(`${o.kind}${o.kind === 'sgd' ? (o.nesterov ? ' (Nesterov)' : ' (heavy ball)') : ''} matches PyTorch's algorithm over 5 steps`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(fc.array(fc.double({ min: -2, max: 2, noNaN: true }), { minLength: 3, maxLength: 3 }), { minLength: 5, maxLength: 5 }), async (grads) => {
          const p0 = [0.3, -1.2, 2];
          close(await runOptimizer(o, p0, grads, 0.05), reference(o, p0, grads, 0.05), 2e-5);
        }),
        { numRuns: 5, seed: 11 },
      );
    });
  }
});

describe('gradient clipping at global norm', () => {
  async function clip(grads: number[][], maxNorm: number) {
    const g = new Graph();
    const names = grads.map((x, i) => g.input(`g${i}`, [x.length]));
    const out = clipByGlobalNorm(new GraphBuilder(g, 'clip'), names, maxNorm);
    out.grads.forEach((x) => g.output(x));
    g.output(out.norm);
    const res = await runOrt(g, new Map(grads.map((x, i) => [`g${i}`, t64(x)])));
    return { grads: out.grads.map((x) => Array.from(res.get(x)!)), norm: res.get(out.norm)![0]! };
  }

  it('scales by 12 / norm when the norm exceeds 12 and leaves smaller gradients alone', async () => {
    // norm = sqrt(144 + 256 + 0 + 176) = 24 -> factor 0.5
    const big = await clip([[12, 16], [0, Math.sqrt(176)]], 12);
    expect(big.norm).toBeCloseTo(24, 4);
    close(big.grads, [[6, 8], [0, Math.sqrt(176) / 2]], 1e-5);
    const small = await clip([[3, 4], [0, 1]], 12);
    close(small.grads, [[3, 4], [0, 1]], 1e-6);
  });
});
