/**
 * The U-Net IR: an architecture with the dataset plan's facts attached, every number
 * a network builder needs written out (features, kernels, strides, blocks per stage).
 * Plain JSON, so it can be printed, stored and read by the PyTorch reference in bench/.
 */
import { PlanError } from '../../src/errors.js';
import type { NetworkPlan, Vec3 } from './plan.js';
import type { Architecture, EncoderType, NonlinKind, NormKind } from './architecture.js';

/** How the blocks of one half are built; dropout 0 means no dropout layer. */
export interface BlockStyle {
  readonly norm: NormKind;
  readonly nonlin: NonlinKind;
  readonly dropout: number;
}

export interface EncoderStageIR {
  readonly features: number;
  readonly kernel: Vec3;
  /** Stride of the stage's first conv (or first residual block). */
  readonly stride: Vec3;
  readonly blocks: number;
}

export interface DecoderStageIR {
  readonly features: number;
  readonly kernel: Vec3;
  /** Transposed-conv kernel and stride bringing the deeper stage up to this resolution. */
  readonly upStride: Vec3;
  readonly blocks: number;
  /** Encoder stage whose output is concatenated (the skip connection). */
  readonly skipStage: number;
}

export interface UNetIR {
  readonly format: 'hnas-unet-ir';
  readonly version: 1;
  readonly inputChannels: number;
  readonly numClasses: number;
  readonly patchSize: Vec3;
  readonly batchSize: number;
  readonly encoderType: EncoderType;
  readonly encoderStyle: BlockStyle;
  readonly decoderStyle: BlockStyle;
  /** Residual encoders start with one conv block at stage 0's features (nnU-Net's stem). */
  readonly stem: { readonly features: number; readonly kernel: Vec3 } | null;
  readonly encoder: readonly EncoderStageIR[];
  /** Decoder stages in execution order: the one next to the bottleneck first. */
  readonly decoder: readonly DecoderStageIR[];
  /** One 1x1x1 segmentation head per decoder stage (all of them), else only the last. */
  readonly deepSupervision: boolean;
}

export interface IROptions {
  readonly baseFeatures?: number;
  readonly maxFeatures?: number;
  /** Rate used where the architecture says `dropout` (the HNAS space's prior: 0.2). */
  readonly dropoutRate?: number;
  readonly deepSupervision?: boolean;
}

export const DEFAULT_IR_OPTIONS = { baseFeatures: 32, maxFeatures: 320, dropoutRate: 0.2, deepSupervision: true } as const;

/** Attaches the plan (truncated to the architecture's stage count) and feature widths. */
export function buildUNetIR(arch: Architecture, plan: NetworkPlan, options: IROptions = {}): UNetIR {
  const o = { ...DEFAULT_IR_OPTIONS, ...options };
  const n = arch.encoderBlocks.length;
  if (n > plan.strides.length)
    throw new PlanError(`the architecture has ${n} stages but the plan only ${plan.strides.length} (strides/kernelSizes)`, { path: '$.strides' });
  if (arch.decoderBlocks.length !== n - 1) throw new Error(`decoder must have ${n - 1} stages, has ${arch.decoderBlocks.length}`);
  if (!(o.dropoutRate >= 0 && o.dropoutRate < 1)) throw new PlanError(`dropout rate must be in [0, 1), got ${o.dropoutRate}`);
  if (!(Number.isInteger(o.baseFeatures) && o.baseFeatures > 0 && Number.isInteger(o.maxFeatures) && o.maxFeatures > 0))
    throw new PlanError(`feature widths must be positive integers, got base ${o.baseFeatures}, max ${o.maxFeatures}`);
  const features = (i: number) => Math.min(o.maxFeatures, o.baseFeatures * 2 ** i);
  const encoder = arch.encoderBlocks.map((blocks, i) => ({
    features: features(i),
    kernel: [...plan.kernelSizes[i]!] as Vec3,
    stride: [...plan.strides[i]!] as Vec3,
    blocks,
  }));
  const decoder = arch.decoderBlocks.map((blocks, j) => {
    const skipStage = n - 2 - j;
    return { features: features(skipStage), kernel: [...plan.kernelSizes[skipStage]!] as Vec3, upStride: [...plan.strides[skipStage + 1]!] as Vec3, blocks, skipStage };
  });
  const rate = (on: boolean) => (on ? o.dropoutRate : 0);
  return {
    format: 'hnas-unet-ir',
    version: 1,
    inputChannels: plan.inputChannels,
    numClasses: plan.numClasses,
    patchSize: [...plan.patchSize] as Vec3,
    batchSize: plan.batchSize,
    encoderType: arch.encoderType,
    encoderStyle: { norm: arch.encoder.norm, nonlin: arch.encoder.nonlin, dropout: rate(arch.encoder.dropout) },
    decoderStyle: { norm: arch.decoder.norm, nonlin: arch.decoder.nonlin, dropout: rate(arch.decoder.dropout) },
    stem: arch.encoderType === 'residual' ? { features: features(0), kernel: [...plan.kernelSizes[0]!] as Vec3 } : null,
    encoder,
    decoder,
    deepSupervision: o.deepSupervision,
  };
}

/** A readable multi-line description of the IR. */
export function formatIR(ir: UNetIR): string {
  const v = (x: readonly number[]) => x.join('x');
  const style = (s: BlockStyle) => `${s.norm}, ${s.nonlin}${s.dropout > 0 ? `, dropout ${s.dropout}` : ''}`;
  const lines = [
    `U-Net (${ir.encoderType} encoder), ${ir.inputChannels} channel(s) -> ${ir.numClasses} classes, patch ${v(ir.patchSize)}, batch ${ir.batchSize}`,
    `encoder: ${style(ir.encoderStyle)}${ir.stem ? `; stem conv ${v(ir.stem.kernel)} -> ${ir.stem.features}` : ''}`,
  ];
  const block = ir.encoderType === 'residual' ? 'residual block' : 'conv block';
  ir.encoder.forEach((s, i) =>
    lines.push(`  stage ${i}: ${s.blocks} ${block}${s.blocks > 1 ? 's' : ''}, ${s.features} features, kernel ${v(s.kernel)}, stride ${v(s.stride)}`),
  );
  lines.push(`decoder: ${style(ir.decoderStyle)}; ${ir.deepSupervision ? `${ir.decoder.length} deep-supervision heads` : '1 segmentation head'}`);
  ir.decoder.forEach((s, j) =>
    lines.push(`  stage ${j}: up ${v(s.upStride)}, concat encoder stage ${s.skipStage}, ${s.blocks} conv block${s.blocks > 1 ? 's' : ''}, ${s.features} features, kernel ${v(s.kernel)}`),
  );
  return lines.join('\n');
}
