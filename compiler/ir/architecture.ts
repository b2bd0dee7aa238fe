/**
 * The architecture a U-Net derivation tree (or a NAS configuration) describes, before
 * any dataset facts are attached: stage count, encoder type, blocks per stage and the
 * norm / nonlinearity / dropout choices of encoder and decoder.
 */

/** The encoder kinds, in the one vocabulary hnas uses for them (plans.json adds nnU-Net's class names). */
export const ENCODER_TYPES = ['conv', 'residual'] as const;
export type EncoderType = (typeof ENCODER_TYPES)[number];
export const NORMS = ['instance_norm', 'batch_norm'] as const;
export type NormKind = (typeof NORMS)[number];
export const NONLINS = ['leaky_relu', 'relu', 'elu', 'gelu', 'prelu'] as const;
export type NonlinKind = (typeof NONLINS)[number];

/** How every block of one half (encoder or decoder) is built. */
export interface BlockChoices {
  readonly norm: NormKind;
  readonly nonlin: NonlinKind;
  readonly dropout: boolean;
}

export interface Architecture {
  readonly encoderType: EncoderType;
  /** Encoder blocks per stage, stage 0 (full resolution) first; length = number of stages. */
  readonly encoderBlocks: readonly number[];
  /** Decoder blocks per stage, the stage next to the bottleneck first; length = stages - 1. */
  readonly decoderBlocks: readonly number[];
  readonly encoder: BlockChoices;
  readonly decoder: BlockChoices;
}

/** ResEnc M residual blocks per stage: 1, 3, 4, 6, 6, 6, ... (the one definition: the planner and the grammar read it too). */
export function resEncDefaultBlocks(stage: number): number {
  return [1, 3, 4][stage] ?? 6;
}

export const stageCount = (a: Architecture): number => a.encoderBlocks.length;
