/**
 * In-graph optimisers against hand-computed updates and an independent float64
 * transcription of PyTorch's algorithms over several steps; global-norm clipping.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../../compiler/graph/builder.js';
import { Graph } from '../../../compiler/graph/graph.js';
import { clipByGlobalNorm, DEFAULT_OPTIMIZER, OPTIMIZERS, type OptimizerOptions } from '../../../compiler/train/optimizers.js';
import { runOrt } from '../autodiff/harness.js';
import type { T64 } from '../autodiff/reference64.js';
import { Rng } from '../../../src/util/rng.js';
import { skipAllUnless } from '../../helpers/skip.js';

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

const kinds: OptimizerOptions[] = [
  { ...DEFAULT_OPTIMIZER },
  // Large decay: the decay term is ~1000x the tolerance, so a missing or misplaced one fails.
  { ...DEFAULT_OPTIMIZER, weightDecay: 0.5 },
  { ...DEFAULT_OPTIMIZER, nesterov: false, momentum: 0.9, weightDecay: 1e-2 },
  { ...DEFAULT_OPTIMIZER, nesterov: false, momentum: 0.9, weightDecay: 0.5 },
  { ...DEFAULT_OPTIMIZER, kind: 'adam', weightDecay: 1e-2 },
  { ...DEFAULT_OPTIMIZER, kind: 'adam', weightDecay: 0.5 },
  { ...DEFAULT_OPTIMIZER, kind: 'adamw', weightDecay: 1e-1 },
  { ...DEFAULT_OPTIMIZER, kind: 'adamw', weightDecay: 2 },
];
const name = (o: OptimizerOptions): string => `${o.kind}${o.kind === 'sgd' ? (o.nesterov ? ' (Nesterov)' : ' (heavy ball)') : ''}, weight decay ${o.weightDecay}`;

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

  const vec3 = (lo: number, hi: number) => fc.array(fc.double({ min: lo, max: hi, noNaN: true }), { minLength: 3, maxLength: 3 });
  for (const o of kinds) {
    it(`${name(o)} matches PyTorch's algorithm over 5 steps (random lr, start point and gradients)`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(vec3(-2, 2), { minLength: 5, maxLength: 5 }), vec3(-3, 3), fc.double({ min: 1e-3, max: 0.3, noNaN: true }), async (grads, p0, lr) => {
          close(await runOptimizer(o, p0, grads, lr), reference(o, p0, grads, lr), 2e-5);
        }),
        { numRuns: 10, seed: 11 },
      );
    });
  }
});

const PYTHON = '/usr/bin/python3';
const haveTorch = existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;

/** torch.optim in float64: each case's parameter after every step, given the gradients. */
const TORCH_OPTIM = `
import json, sys, torch
out = []
for c in json.load(sys.stdin):
    p = torch.tensor(c['p0'], dtype=torch.float64, requires_grad=True)
    o = c['o']
    if o['kind'] == 'sgd':
        opt = torch.optim.SGD([p], lr=c['lr'], momentum=o['momentum'], nesterov=o['nesterov'], weight_decay=o['weightDecay'])
    else:
        cls = torch.optim.Adam if o['kind'] == 'adam' else torch.optim.AdamW
        opt = cls([p], lr=c['lr'], betas=tuple(o['betas']), eps=o['eps'], weight_decay=o['weightDecay'])
    history = []
    for g in c['grads']:
        p.grad = torch.tensor(g, dtype=torch.float64)
        opt.step()
        history.append(p.detach().tolist())
    out.append(history)
print(json.dumps(out))
`;

describe('optimisers against torch.optim itself', () => {
  skipAllUnless(haveTorch, `needs PyTorch for ${PYTHON} (apt-get install python3-torch)`);
  it('SGD (Nesterov, heavy ball), Adam and AdamW, small and large weight decay, random lr and start points', async () => {
    const rng = Rng.seeded(5);
    const u = (lo: number, hi: number): number => lo + (hi - lo) * rng.float();
    const cases = kinds.flatMap((o) =>
      [0, 1].map(() => ({ o, lr: u(1e-3, 0.3), p0: [u(-3, 3), u(-3, 3), u(-3, 3)], grads: Array.from({ length: 5 }, () => [u(-2, 2), u(-2, 2), u(-2, 2)]) })),
    );
    const py = spawnSync(PYTHON, ['-c', TORCH_OPTIM], { input: JSON.stringify(cases), encoding: 'utf8' });
    expect(py.status, py.stderr).toBe(0);
    const torch = JSON.parse(py.stdout) as number[][][];
    for (const [i, c] of cases.entries()) {
      // The float64 transcription equals torch.optim to rounding, and the in-graph optimiser to float32.
      close(reference(c.o, c.p0, c.grads, c.lr), torch[i]!, 1e-12);
      close(await runOptimizer(c.o, c.p0, c.grads, c.lr), torch[i]!, 2e-5);
    }
  });
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
