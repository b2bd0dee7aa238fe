/**
 * Segmentation losses as graph ops, one registry entry each (nnU-Net's definitions):
 * - ce: cross-entropy, mean over voxels whose label is not ignored (label -1);
 * - dice: 1 - mean soft Dice of the foreground classes (background excluded) on softmax
 *   probabilities, smooth 1e-5, per sample or over the whole batch (batch Dice);
 * - topk: mean of the largest 10 % of the voxel cross-entropies;
 * - dice_ce / dice_topk: sums with weights 1, 1.
 * Ignored voxels (label < 0) count neither in CE nor in Dice (probabilities masked).
 * (nnU-Net reports Dice as -mean Dice; 1 - mean Dice has the same gradient.)
 */
import { ConfigError } from '../../src/errors.js';
import type { GraphBuilder } from '../graph/builder.js';

export type LossTerm = 'ce' | 'dice' | 'topk';
export type LossKind = 'ce' | 'dice' | 'dice_ce' | 'topk' | 'dice_topk';

/** Which terms each loss sums (each with weight 1). */
export const LOSSES: Readonly<Record<LossKind, readonly LossTerm[]>> = {
  ce: ['ce'],
  dice: ['dice'],
  dice_ce: ['dice', 'ce'],
  topk: ['topk'],
  dice_topk: ['dice', 'topk'],
};

export interface LossOptions {
  readonly kind: LossKind;
  /** Dice statistics summed over the batch too (nnU-Net's batch Dice). */
  readonly batchDice: boolean;
  readonly smooth: number;
  /** Fraction of voxels the TopK loss averages (0.1 = 10 %). */
  readonly topkFraction: number;
}

export const DEFAULT_LOSS: LossOptions = { kind: 'dice_ce', batchDice: false, smooth: 1e-5, topkFraction: 0.1 };

/** Shared pieces of one head's loss: logits [N, C, ...], labels [N, 1, ...] (float, -1 ignored). */
class Parts {
  private cache = new Map<string, string>();
  constructor(readonly b: GraphBuilder, readonly logits: string, readonly labels: string) {}

  private once(key: string, make: () => string): string {
    if (!this.cache.has(key)) this.cache.set(key, make());
    return this.cache.get(key)!;
  }

  get rank() { return this.b.dims(this.logits).length; }
  get classes() { return this.b.dims(this.logits)[1]!; }
  get spatial() { return Array.from({ length: this.rank - 2 }, (_, i) => i + 2); }

  /** 1 where the label is not ignored. */
  valid = () => this.once('valid', () => this.b.step(this.b.affine(this.labels, 1, 0.5)));
  oneHot = () => this.once('onehot', () => {
    const ids = this.b.constant([1, this.classes, ...this.spatial.map(() => 1)], Array.from({ length: this.classes }, (_, i) => i), 'class_ids');
    return this.b.eq(this.labels, ids);
  });
  /** Per-voxel cross-entropy [N, 1, ...], 0 at ignored voxels: logsumexp(z) - z[label]. */
  voxelCE = () => this.once('voxel_ce', () => {
    const { b, logits } = this;
    const m = b.maxStop(logits, [1], true);
    const lse = b.add(b.log(b.sum(b.exp(b.sub(logits, m)), [1], true)), m);
    return b.mul(b.sub(lse, b.sum(b.mul(this.oneHot(), logits), [1], true)), this.valid());
  });
}

const TERMS: Readonly<Record<LossTerm, (p: Parts, o: LossOptions) => string>> = {
  ce(p) {
    const { b } = p;
    return b.div(b.total(p.voxelCE()), b.max(b.total(p.valid()), b.scalar(1)));
  },
  dice(p, o) {
    const { b } = p;
    if (p.classes < 2) throw new ConfigError('the Dice loss excludes the background and needs at least 2 classes');
    const probs = b.mul(b.op('softmax', 'probs', [p.logits], { axis: 1 }), p.valid());
    const axes = o.batchDice ? [0, ...p.spatial] : p.spatial;
    const tp = b.sum(b.mul(probs, p.oneHot()), axes);
    const denom = b.add(b.sum(probs, axes), b.sum(p.oneHot(), axes));
    const dc = b.div(b.affine(tp, 2, o.smooth), b.max(b.affine(denom, 1, o.smooth), b.scalar(1e-8)));
    const dims = b.dims(dc);
    const fg = b.slice(dc, dims.map((_, i) => (i === dims.length - 1 ? 1 : 0)), dims);
    return b.affine(b.mean(fg, dims.map((_, i) => i)), -1, 1);
  },
  topk(p, o) {
    const { b } = p;
    const flat = b.reshape(p.voxelCE(), [b.dims(p.voxelCE()).reduce((x, y) => x * y, 1)]);
    const n = b.dims(flat)[0]!;
    const k = Math.max(1, Math.floor(n * o.topkFraction));
    return b.affine(b.total(b.mul(flat, b.op('topk_mask', 'topk', [flat], { k }))), 1 / k);
  },
};

/** The loss terms of one output head; term name -> scalar value. */
export function headLoss(b: GraphBuilder, logits: string, labels: string, options: LossOptions): Map<LossTerm, string> {
  const parts = new Parts(b, logits, labels);
  return new Map(LOSSES[options.kind].map((t) => [t, TERMS[t](parts, options)]));
}
