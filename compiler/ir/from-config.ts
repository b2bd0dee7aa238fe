/**
 * The NAS hyperparameters of the Auto-nnU-Net search space -> Architecture + IR options.
 * Blocks per stage = max(1, round(scale * default)), with Python's round (half to even)
 * as in the reference implementation.
 */
import { ConfigError } from '../../src/errors.js';
import { ENCODER_TYPES, NONLINS, NORMS, resEncDefaultBlocks, type Architecture, type EncoderType, type NonlinKind, type NormKind } from './architecture.js';
import type { IROptions } from './unet.js';

export interface NasConfig {
  readonly encoderType: EncoderType;
  /** One of 0.5, 1, 1.5, 2. */
  readonly modelScale: number;
  readonly baseFeatures: number;
  readonly maxFeatures: number;
  readonly activation: NonlinKind;
  readonly normalization: NormKind;
  /** Dropout is applied (in encoder and decoder) only when > 0. */
  readonly dropoutRate: number;
}

export const DEFAULT_NAS_CONFIG: NasConfig = {
  encoderType: 'conv',
  modelScale: 1,
  baseFeatures: 32,
  maxFeatures: 320,
  activation: 'leaky_relu',
  normalization: 'instance_norm',
  dropoutRate: 0,
};

export function isNasConfig(x: unknown): x is NasConfig {
  return typeof x === 'object' && x !== null && 'encoderType' in x && 'modelScale' in x;
}

/** Python's round(): halves go to the even neighbour. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** The architecture and IR options a NAS configuration means for a plan with `stages` stages. */
export function architectureFromNasConfig(cfg: NasConfig, stages: number): { arch: Architecture; options: IROptions } {
  const fail = (field: string, msg: string): never => {
    throw new ConfigError(msg, { path: `$.${field}` });
  };
  if (!ENCODER_TYPES.includes(cfg.encoderType)) fail('encoderType', `expected ${ENCODER_TYPES.map((e) => `'${e}'`).join(' or ')}, got '${cfg.encoderType}'`);
  if (![0.5, 1, 1.5, 2].includes(cfg.modelScale)) fail('modelScale', `expected one of 0.5, 1, 1.5, 2, got ${cfg.modelScale}`);
  if (!Number.isInteger(cfg.baseFeatures) || cfg.baseFeatures < 1) fail('baseFeatures', `expected a positive integer, got ${cfg.baseFeatures}`);
  if (!Number.isInteger(cfg.maxFeatures) || cfg.maxFeatures < 1) fail('maxFeatures', `expected a positive integer, got ${cfg.maxFeatures}`);
  if (!NONLINS.includes(cfg.activation)) fail('activation', `expected one of ${NONLINS.join(', ')}, got '${cfg.activation}'`);
  if (!NORMS.includes(cfg.normalization)) fail('normalization', `expected one of ${NORMS.join(', ')}, got '${cfg.normalization}'`);
  if (!(cfg.dropoutRate >= 0 && cfg.dropoutRate < 1)) fail('dropoutRate', `expected a rate in [0, 1), got ${cfg.dropoutRate}`);

  const scaled = (d: number) => Math.max(1, roundHalfEven(cfg.modelScale * d));
  const residual = cfg.encoderType === 'residual';
  // nnU-Net defaults: conv U-Net 2 convs per encoder and decoder stage; ResEnc M 1,3,4,6,.. blocks and 1 decoder conv.
  const encoderBlocks = Array.from({ length: stages }, (_, i) => scaled(residual ? resEncDefaultBlocks(i) : 2));
  const decoderBlocks = Array.from({ length: stages - 1 }, () => scaled(residual ? 1 : 2));
  const choices = { norm: cfg.normalization, nonlin: cfg.activation, dropout: cfg.dropoutRate > 0 };
  return {
    arch: { encoderType: cfg.encoderType, encoderBlocks, decoderBlocks, encoder: choices, decoder: choices },
    options: { baseFeatures: cfg.baseFeatures, maxFeatures: cfg.maxFeatures, dropoutRate: cfg.dropoutRate },
  };
}
