/**
 * The forward pass as it runs in training: the inference graph replayed with the batch
 * size fixed, batch norm on batch statistics (its updated running statistics become extra
 * outputs) and dropout as a product with a mask drawn from a per-layer noise input
 * (uniform [0, 1), fed by the host from the run's seeded Rng, so runs are reproducible and
 * resumable). Dropout is channel-wise, as torch.nn.Dropout3d, the dropout_op Auto-nnU-Net puts
 * into nnU-Net's networks: one draw per sample and channel zeroes or keeps a whole feature map.
 */
import { replay } from '../graph/replay.js';
import type { Graph } from '../graph/graph.js';
import { BATCH_DIM } from '../graph/build-unet.js';

/** PyTorch's default batch-norm momentum. */
export const BATCH_NORM_MOMENTUM = 0.1;

export interface TrainingForward {
  readonly graph: Graph;
  /** Running-statistics parameter -> value holding its updated value. */
  readonly runningStats: ReadonlyMap<string, string>;
  /** Noise inputs of the dropout layers (uniform [0, 1), one per sample and channel: [N, C, 1, 1, 1]). */
  readonly noiseInputs: readonly string[];
}

export function trainingForward(inference: Graph, options: { batchSize: number; dropout?: boolean }): TrainingForward {
  const runningStats = new Map<string, string>();
  const noiseInputs: string[] = [];
  const graph = replay(inference, {
    inputShape: (_name, shape) => shape.map((d) => (d === BATCH_DIM ? options.batchSize : d)),
    rewrite(g, node) {
      if (node.kind === 'batch_norm') {
        g.op('batch_norm_train', node.name, node.inputs, { eps: (node.attrs as { eps: number }).eps, momentum: BATCH_NORM_MOMENTUM });
        runningStats.set(node.inputs[3]!, `${node.name}:1`);
        runningStats.set(node.inputs[4]!, `${node.name}:2`);
        return true;
      }
      if (node.kind === 'dropout') {
        const x = node.inputs[0]!;
        if (options.dropout === false) {
          g.op('unary', node.name, [x], { fn: 'identity' });
          return true;
        }
        // y = x * [u > rate] / (1 - rate), u broadcast over the spatial axes: inverted channel dropout.
        const rate = (node.attrs as { rate: number }).rate;
        const [n, c, ...spatial] = g.shape(x);
        const noise = g.input(`noise.${node.name}`, [n!, c!, ...spatial.map(() => 1)]);
        noiseInputs.push(noise);
        const keep = g.op('unary', `${node.name}.keep`, [g.op('affine', `${node.name}.shifted`, [noise], { scale: 1, shift: -rate })], { fn: 'step' });
        g.op('binary', node.name, [x, g.op('affine', `${node.name}.mask`, [keep], { scale: 1 / (1 - rate), shift: 0 })], { fn: 'mul' });
        return true;
      }
      return false;
    },
  });
  return { graph, runningStats, noiseInputs };
}
