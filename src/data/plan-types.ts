/**
 * plans.json as `hnas plan` writes it. Its `network` extends the compiler's NetworkPlan
 * (compiler/ir/plan.ts, which owns the type and its schema) with the planner's facts.
 * Axis order everywhere: the plan's transposed order, coarsest axis first.
 */
import type { EncoderType } from '../../compiler/ir/architecture.js';
import type { NetworkPlan, Vec3 } from '../../compiler/ir/plan.js';

export type { NetworkPlan, Vec3 };

/** nnU-Net's network class names, kept in plans.json for readers who know nnU-Net's plans. */
export const NNUNET_ARCHITECTURES = { conv: 'PlainConvUNet', residual: 'ResidualEncoderUNet' } as const satisfies Record<EncoderType, string>;
export type NnUNetArchitecture = (typeof NNUNET_ARCHITECTURES)[EncoderType];
/** The encoder a plan's nnU-Net network class stands for. */
export const encoderOf = (architecture: NnUNetArchitecture): EncoderType => (architecture === NNUNET_ARCHITECTURES.residual ? 'residual' : 'conv');

/** The full network description of a plan; the compiler needs only the NetworkPlan part. */
export interface PlannedNetwork extends NetworkPlan {
  readonly architecture: NnUNetArchitecture;
  /** Feature channels per stage: min(320, 32 * 2^i). */
  readonly featuresPerStage: readonly number[];
  /** Conv encoder: convs per stage (2 each); residual: residual blocks per stage (1, 3, 4, 6, 6, ...). */
  readonly blocksPerStageEncoder: readonly number[];
  /** Convs per decoder stage (deepest first), length n_stages - 1. */
  readonly convsPerStageDecoder: readonly number[];
  readonly poolsPerAxis: Vec3;
  /** Input sizes must be multiples of this (2^pools per axis). */
  readonly mustBeDivisibleBy: Vec3;
}

export interface IntensityProperties {
  readonly mean: number;
  readonly median: number;
  readonly std: number;
  readonly min: number;
  readonly max: number;
  readonly percentile_00_5: number;
  readonly percentile_99_5: number;
}

export type NormalizationScheme = 'ct' | 'zscore';

/** plans.json as `hnas plan` writes it. Array order: the transposed order (coarsest axis first). */
export interface Plan {
  readonly format: 'hnas-plan';
  readonly version: 1;
  readonly datasetName: string;
  /** Which planner produced it: a key of PLANNERS ('default' = nnU-Net 3d_fullres, 'resenc-m', 'resenc-l', 'resenc-xl'),
   *  or nnU-Net's planner class for a plan read from an nnU-Net plans file by another planner. */
  readonly planner: string;
  /** GB of GPU memory the batch and patch were sized for (absent in plans from before it was recorded). */
  readonly gpuMemoryTargetGB?: number;
  /** Number of resolution stages = the grammar's n_max. */
  readonly nStages: number;
  readonly channelNames: readonly string[];
  readonly labels: readonly { readonly name: string; readonly value: number }[];
  readonly numTraining: number;
  /** Array axes (of the files' reversed NIfTI order) in plan order, and back. */
  readonly transposeForward: Vec3;
  readonly transposeBackward: Vec3;
  /** Target spacing every case is resampled to. */
  readonly spacing: Vec3;
  /** Median shape after cropping and resampling. */
  readonly medianShape: Vec3;
  /** Median spacing and shape after cropping, before resampling (nnU-Net's original_median_*_after_transp). */
  readonly originalMedianSpacing?: Vec3;
  readonly originalMedianShape?: Vec3;
  readonly normalization: readonly { readonly scheme: NormalizationScheme; readonly useMaskForNorm: boolean }[];
  readonly foregroundIntensityProperties: readonly IntensityProperties[];
  /** Ratio of coarsest to finest spacing above which the coarse axis is resampled separately. */
  readonly anisotropyThreshold: number;
  /** nnU-Net's conv-output-element estimate for one sample of the patch. */
  readonly vramEstimate: number;
  readonly network: PlannedNetwork;
}
