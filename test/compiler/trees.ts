/** Hand-built U-Net derivation trees (the grammar's vocabulary) and small plans for the compiler tests. */
import type { NetworkPlan, Vec3 } from '../../compiler/ir/plan.js';
import type { TreeNode } from '../../compiler/ir/tree-types.js';

export interface TreeSpec {
  encoder?: 'conv_encoder' | 'res_encoder';
  encoderBlocks: number[];
  decoderBlocks?: number[];
  enorm?: string;
  enonlin?: string;
  edropout?: string;
  dnorm?: string;
  dnonlin?: string;
  ddropout?: string;
}

const node = (symbol: string, children: (TreeNode | string)[]): TreeNode => ({ symbol, children });

export function unetTree(s: TreeSpec): TreeNode {
  const n = s.encoderBlocks.length;
  const enc = s.encoder ?? 'conv_encoder';
  const stageSym = enc === 'conv_encoder' ? 'C' : 'R';
  const block = enc === 'conv_encoder' ? 'conv_block' : 'res_block';
  const decBlocks = s.decoderBlocks ?? Array.from({ length: n - 1 }, () => 2);
  const eKids: (TreeNode | string)[] = [enc, node('ENORM', [s.enorm ?? 'instance_norm']), node('ENONLIN', [s.enonlin ?? 'leaky_relu']), node('EDROPOUT', [s.edropout ?? 'no_dropout'])];
  s.encoderBlocks.forEach((b, i) => {
    if (i > 0) eKids.push('down');
    eKids.push(node(`${stageSym}${i + 1}`, Array.from({ length: b }, () => block)));
  });
  const dKids: (TreeNode | string)[] = ['conv_decoder', node('DNORM', [s.dnorm ?? 'instance_norm']), node('DNONLIN', [s.dnonlin ?? 'leaky_relu']), node('DDROPOUT', [s.ddropout ?? 'no_dropout'])];
  decBlocks.forEach((b, i) => dKids.push('up', node(`B${i + 1}`, Array.from({ length: b }, () => 'conv_block'))));
  return node('S', ['unet', node(`E${n}`, eKids), node(`D${n}`, dKids)]);
}

/** nnU-Net's default conv U-Net tree for n stages (2 conv blocks per encoder and decoder stage). */
export const defaultTree = (n: number): TreeNode => unetTree({ encoderBlocks: Array.from({ length: n }, () => 2) });

export function isoPlan(stages: number, patch: Vec3, channels = 1, classes = 3, batch = 2): NetworkPlan {
  return {
    inputChannels: channels,
    numClasses: classes,
    patchSize: patch,
    batchSize: batch,
    kernelSizes: Array.from({ length: stages }, () => [3, 3, 3] as Vec3),
    strides: Array.from({ length: stages }, (_, i) => (i === 0 ? [1, 1, 1] : [2, 2, 2]) as Vec3),
  };
}
