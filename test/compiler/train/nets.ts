/** Tiny U-Nets for tests, built from chosen grammar terminals. */
import { buildUNetGraph } from '../../../compiler/graph/build-unet.js';
import type { Architecture, BlockChoices, EncoderType } from '../../../compiler/ir/architecture.js';
import { buildUNetIR } from '../../../compiler/ir/unet.js';
import type { NetworkPlan, Vec3 } from '../../../compiler/ir/plan.js';

export interface TinyNet { encoderType: EncoderType; encoder: BlockChoices; decoder: BlockChoices; deepSupervision?: boolean }

export function tinyPlan(patch: Vec3, strides: Vec3[], classes = 3, batchSize = 2): NetworkPlan {
  return { inputChannels: 1, numClasses: classes, patchSize: patch, batchSize, kernelSizes: strides.map(() => [3, 3, 3] as Vec3), strides };
}

export function tinyUNet(net: TinyNet, plan: NetworkPlan, features = 2) {
  const n = plan.strides.length;
  const arch: Architecture = {
    encoderType: net.encoderType,
    encoderBlocks: new Array(n).fill(1),
    decoderBlocks: new Array(n - 1).fill(1),
    encoder: net.encoder,
    decoder: net.decoder,
  };
  const ir = buildUNetIR(arch, plan, { baseFeatures: features, maxFeatures: 4 * features, deepSupervision: net.deepSupervision ?? true, dropoutRate: 0.2 });
  return { ir, ...buildUNetGraph(ir) };
}
