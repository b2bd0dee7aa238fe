/**
 * Whole small networks from every grammar terminal (conv and residual encoders, instance
 * and batch norm, every activation incl. PReLU, dropout off): the gradients of the
 * training loss (Dice + CE, deep supervision) w.r.t. every parameter agree with float64
 * finite differences of the float64 reference interpreter.
 */
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../../compiler/graph/builder.js';
import { supervisedLoss } from '../../../compiler/train/deep-supervision.js';
import { DEFAULT_LOSS } from '../../../compiler/train/losses.js';
import { trainingForward } from '../../../compiler/train/forward.js';
import { initWeights } from '../../../compiler/weights/init.js';
import { Rng } from '../../../src/util/rng.js';
import { checkGradients, randomT64 } from '../autodiff/harness.js';
import type { T64 } from '../autodiff/reference64.js';
import { tinyPlan, tinyUNet, type TinyNet } from './nets.js';

const nets: Record<string, TinyNet> = {
  'conv encoder, instance norm, leaky ReLU / ReLU': {
    encoderType: 'conv', encoder: { norm: 'instance_norm', nonlin: 'leaky_relu', dropout: false }, decoder: { norm: 'instance_norm', nonlin: 'relu', dropout: false },
  },
  'residual encoder, batch norm, PReLU / ELU': {
    encoderType: 'residual', encoder: { norm: 'batch_norm', nonlin: 'prelu', dropout: false }, decoder: { norm: 'batch_norm', nonlin: 'elu', dropout: false },
  },
  'conv encoder, batch norm, GELU / instance norm, PReLU, dropout (off)': {
    encoderType: 'conv', encoder: { norm: 'batch_norm', nonlin: 'gelu', dropout: true }, decoder: { norm: 'instance_norm', nonlin: 'prelu', dropout: true },
  },
};

describe('whole-network gradients vs float64 finite differences', () => {
  for (const [label, net] of Object.entries(nets)) {
    it(label, async () => {
      const plan = tinyPlan([8, 8, 4], [[1, 1, 1], [2, 2, 2], [2, 2, 1]]);
      const { graph, outputs } = tinyUNet(net, plan);
      const { graph: g } = trainingForward(graph, { batchSize: 2, dropout: false });
      const labels = g.input('target', [2, 1, 8, 8, 4]);
      const loss = supervisedLoss(new GraphBuilder(g, 'loss'), outputs, labels, DEFAULT_LOSS).total;
      const rng = Rng.seeded(3);
      const feeds = new Map<string, T64>();
      for (const [name, w] of initWeights(g, rng)) feeds.set(name, { shape: [...g.params.get(name)!.shape], data: Float64Array.from(w) });
      // Non-trivial norm parameters (the residual blocks' last norm starts at zero scale).
      for (const p of g.params.values()) if (p.init.kind === 'fill') feeds.set(p.name, randomT64(rng, [...p.shape], p.name.endsWith('running_var') ? 'positive' : 'away'));
      feeds.set('input', randomT64(rng, [2, 1, 8, 8, 4], 'any'));
      feeds.set('target', { shape: [2, 1, 8, 8, 4], data: Float64Array.from({ length: 512 }, () => rng.int(4) - 1) });
      const wrt = [...g.params.values()].filter((p) => p.trainable).map((p) => p.name);
      // A small step, so that no ReLU-type kink lies between x - h v and x + h v.
      const results = await checkGradients(g, loss, wrt, feeds, { directional: true, h: 1e-7 });

      for (const r of results) expect(r.error, r.name).toBeLessThan(1e-4);
    });
  }
});
