/** Synthetic 3D segmentation: bright spheres in Gaussian noise (class 1 inside, 0 outside). */
import type { Rng } from '../../src/util/rng.js';
import type { TrainingBatch } from '../../src/runtime/trainer.js';

export function spheres(rng: Rng, batch: number, size: readonly [number, number, number], noise = 0.4): TrainingBatch & { label: Float32Array } {
  const [D, H, W] = size;
  const n = D * H * W;
  const image = new Float32Array(batch * n);
  const labels = new Float32Array(batch * n);
  for (let b = 0; b < batch; b++) {
    const r = 3 + 2.5 * rng.float();
    const c = size.map((s) => r + rng.float() * (s - 2 * r));
    let i = b * n;
    for (let d = 0; d < D; d++)
      for (let h = 0; h < H; h++)
        for (let w = 0; w < W; w++, i++) {
          const inside = (d - c[0]!) ** 2 + (h - c[1]!) ** 2 + (w - c[2]!) ** 2 <= r * r;
          labels[i] = inside ? 1 : 0;
          image[i] = (inside ? 1 : 0) + noise * rng.normal();
        }
  }
  return { image, label: labels };
}

/** Dice of class 1 between the argmax of logits [B, 2, V] and labels [B, 1, V]. */
export function dice(logits: Float32Array, labels: Float32Array, batch: number): number {
  const V = labels.length / batch;
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (let b = 0; b < batch; b++)
    for (let v = 0; v < V; v++) {
      const predicted = logits[(2 * b + 1) * V + v]! > logits[2 * b * V + v]!;
      const truth = labels[b * V + v] === 1;
      if (predicted && truth) tp++;
      else if (predicted) fp++;
      else if (truth) fn++;
    }
  return (2 * tp) / (2 * tp + fp + fn);
}
