/**
 * nnU-Net's 3d_fullres experiment planning, from a fingerprint to a Plan. Planner
 * variants (default plain U-Net, ResEnc M / L / XL) are entries of one table.
 *
 * Example:
 *   const plan = planExperiment(fingerprint, 'default');
 *   plan.network.patchSize  // [40, 56, 40] for Task04_Hippocampus
 */
import { resEncDefaultBlocks, type EncoderType } from '../../compiler/ir/architecture.js';
import { PlanError } from '../errors.js';
import type { Fingerprint } from './fingerprint.js';
import { NNUNET_ARCHITECTURES, type NormalizationScheme, type Plan, type PlannedNetwork, type Vec3 } from './plan-types.js';
import { percentile, percentilePerAxis, roundHalfEven } from './stats.js';
import { computeTopology } from './topology.js';
import { convFeatureMapSize, type ArchitectureShape } from './vram.js';

export interface PlannerSpec {
  /** nnU-Net's class of this planner and the plans name it writes (nnU-Net plans files). */
  readonly nnunetPlanner: string;
  readonly nnunetPlansName: string;
  readonly encoderType: EncoderType;
  readonly blocksPerStageEncoder: (nStages: number) => number[];
  readonly convsPerStageDecoder: (nStages: number) => number[];
  /** Conv-output elements that fit `referenceMemoryGB` of GPU memory at the reference batch size. */
  readonly referenceValue: number;
  readonly referenceMemoryGB: number;
  readonly referenceBatchSize: number;
  /** The GPU memory the plan targets unless the user says otherwise; the reference scales with it. */
  readonly gpuMemoryTargetGB: number;
  /** At most this fraction of the dataset's voxels in one batch. */
  readonly maxDatasetCovered: number;
}

const residualPreset = (nnunetPlanner: string, nnunetPlansName: string, referenceValue: number, memoryGB: number): PlannerSpec => ({
  nnunetPlanner,
  nnunetPlansName,
  encoderType: 'residual',
  blocksPerStageEncoder: (n) => Array.from({ length: n }, (_, stage) => resEncDefaultBlocks(stage)),
  convsPerStageDecoder: (n) => new Array(n - 1).fill(1),
  referenceValue,
  referenceMemoryGB: memoryGB,
  referenceBatchSize: 2,
  gpuMemoryTargetGB: memoryGB,
  // The ResEnc presets lift the 5 % cap: a batch may cover the whole dataset.
  maxDatasetCovered: 1,
});

export const PLANNERS: Record<string, PlannerSpec> = {
  default: {
    nnunetPlanner: 'ExperimentPlanner',
    nnunetPlansName: 'nnUNetPlans',
    encoderType: 'conv',
    blocksPerStageEncoder: (n) => new Array(n).fill(2),
    convsPerStageDecoder: (n) => new Array(n - 1).fill(2),
    referenceValue: 560e6,
    referenceMemoryGB: 8,
    referenceBatchSize: 2,
    gpuMemoryTargetGB: 8,
    maxDatasetCovered: 0.05,
  },
  'resenc-m': residualPreset('nnUNetPlannerResEncM', 'nnUNetResEncUNetMPlans', 680e6, 8),
  'resenc-l': residualPreset('nnUNetPlannerResEncL', 'nnUNetResEncUNetLPlans', 2100e6, 24),
  'resenc-xl': residualPreset('nnUNetPlannerResEncXL', 'nnUNetResEncUNetXLPlans', 3600e6, 40),
};

export function plannerSpec(name: string): PlannerSpec {
  const spec = PLANNERS[name];
  if (!spec) throw new PlanError(`unknown planner '${name}' (expected one of ${Object.keys(PLANNERS).join(', ')})`);
  return spec;
}

/** The conv-output budget of one reference batch for a GPU memory target (nnU-Net scales it linearly). */
export const memoryReference = (spec: PlannerSpec, gpuMemoryTargetGB = spec.gpuMemoryTargetGB): number =>
  spec.referenceValue * (gpuMemoryTargetGB / spec.referenceMemoryGB);

export const ANISOTROPY_THRESHOLD = 3;
const BASE_FEATURES = 32;
const MAX_FEATURES = 320;
const MIN_BATCH_SIZE = 2;
/** Volume of the initial patch (256^3), scaled to the spacing's aspect ratio. */
const INITIAL_PATCH_VOLUME = 256 ** 3;

/** Median spacing, except that a much coarser axis with few voxels gets its 10th percentile. */
export function targetSpacing(spacings: readonly Vec3[], shapes: readonly Vec3[]): Vec3 {
  const target = percentilePerAxis([...spacings] as Vec3[], 50);
  const targetSize = percentilePerAxis([...shapes] as Vec3[], 50);
  const worst = target.indexOf(Math.max(...target));
  const others = [0, 1, 2].filter((a) => a !== worst);
  const otherSpacings = others.map((a) => target[a]!);
  const otherSizes = others.map((a) => targetSize[a]!);
  const anisoSpacing = target[worst]! > ANISOTROPY_THRESHOLD * Math.max(...otherSpacings);
  const anisoVoxels = targetSize[worst]! * ANISOTROPY_THRESHOLD < Math.min(...otherSizes);
  if (anisoSpacing && anisoVoxels) {
    let t = percentile(spacings.map((s) => s[worst]!), 10);
    // Never finer than the other axes.
    if (t < Math.max(...otherSpacings)) t = Math.max(Math.max(...otherSpacings), t) + 1e-5;
    target[worst] = t;
  }
  return target;
}

/** Coarsest axis first; ties keep the first axis. */
export function transposeFor(spacing: Vec3): { forward: Vec3; backward: Vec3 } {
  const worst = spacing.indexOf(Math.max(...spacing));
  const forward = [worst, ...[0, 1, 2].filter((a) => a !== worst)] as Vec3;
  const backward = [0, 1, 2].map((a) => forward.indexOf(a)) as Vec3;
  return { forward, backward };
}

export const permute = <T>(v: readonly T[], order: readonly number[]): T[] => order.map((a) => v[a]!);

/** Shape after resampling from `spacing` to `target` (nnU-Net rounds half to even). */
export function resampledShape(shape: readonly number[], spacing: readonly number[], target: readonly number[]): Vec3 {
  return shape.map((s, a) => roundHalfEven((spacing[a]! / target[a]!) * s)) as Vec3;
}

export interface NetworkPlanInput {
  spacing: Vec3;
  medianShape: Vec3;
  inputChannels: number;
  numClasses: number;
  /** prod(median shape) x number of training cases. */
  datasetVoxels: number;
  /** GB of GPU memory to plan for; the planner's own target when absent. */
  gpuMemoryTargetGB?: number;
}

/** The network part of the plan: topology, memory-driven patch shrink, batch size. */
export function planNetwork(input: NetworkPlanInput, spec: PlannerSpec): PlannedNetwork & { vramEstimate: number } {
  const { spacing, medianShape, numClasses } = input;
  const reference = memoryReference(spec, input.gpuMemoryTargetGB);
  const refBatch = spec.referenceBatchSize;
  if (!(reference > 0)) throw new PlanError(`the GPU memory target must be a positive number of GB, got ${input.gpuMemoryTargetGB}`);
  const inv = spacing.map((s) => 1 / s);
  const scale = Math.cbrt(INITIAL_PATCH_VOLUME / (inv[0]! * inv[1]! * inv[2]!));
  const initial = inv.map((v, a) => Math.min(roundHalfEven(v * scale), medianShape[a]!)) as Vec3;

  const describe = (patch: Vec3) => {
    const topo = computeTopology(spacing, patch);
    const n = topo.strides.length;
    const arch: ArchitectureShape = {
      encoderType: spec.encoderType,
      featuresPerStage: Array.from({ length: n }, (_, i) => Math.min(MAX_FEATURES, BASE_FEATURES * 2 ** i)),
      strides: topo.strides,
      blocksPerStageEncoder: spec.blocksPerStageEncoder(n),
      convsPerStageDecoder: spec.convsPerStageDecoder(n),
      numClasses,
    };
    return { topo, arch, estimate: convFeatureMapSize(topo.patchSize, arch) };
  };

  let current = describe(initial);
  // The reference may be for another batch size; the loop plans for nnU-Net's minimum of 2.
  while ((current.estimate / refBatch) * MIN_BATCH_SIZE > reference) {
    // Shrink the axis that is largest relative to the median shape. Subtracting the
    // divisor of the shrunk patch (not the old one) avoids skipping valid sizes.
    const patch = [...current.topo.patchSize] as Vec3;
    const ratios = patch.map((p, a) => p / medianShape[a]!);
    const axis = ratios.lastIndexOf(Math.max(...ratios));
    const trial = [...patch] as Vec3;
    trial[axis] -= current.topo.mustBeDivisibleBy[axis];
    patch[axis] -= computeTopology(spacing, trial).mustBeDivisibleBy[axis];
    if (patch[axis] <= 0) throw new PlanError(`cannot fit a patch into the memory target (axis ${axis} shrank to ${patch[axis]})`);
    current = describe(patch);
  }

  const { topo, arch, estimate } = current;
  const patchVoxels = topo.patchSize[0] * topo.patchSize[1] * topo.patchSize[2];
  let batchSize = roundHalfEven((reference / estimate) * refBatch);
  const batchCovering = roundHalfEven((input.datasetVoxels * spec.maxDatasetCovered) / patchVoxels);
  batchSize = Math.max(Math.min(batchSize, batchCovering), MIN_BATCH_SIZE);

  return {
    inputChannels: input.inputChannels,
    numClasses,
    patchSize: topo.patchSize,
    batchSize,
    kernelSizes: topo.kernelSizes,
    strides: topo.strides,
    architecture: NNUNET_ARCHITECTURES[spec.encoderType],
    featuresPerStage: arch.featuresPerStage,
    blocksPerStageEncoder: arch.blocksPerStageEncoder,
    convsPerStageDecoder: arch.convsPerStageDecoder,
    poolsPerAxis: topo.poolsPerAxis,
    mustBeDivisibleBy: topo.mustBeDivisibleBy,
    vramEstimate: estimate,
  };
}

export function normalizationFor(channelName: string, medianRelativeSize: number): { scheme: NormalizationScheme; useMaskForNorm: boolean } {
  const scheme: NormalizationScheme = channelName.trim().toUpperCase() === 'CT' ? 'ct' : 'zscore';
  // Z-score inside the nonzero mask when cropping removed more than a quarter of the volume.
  return { scheme, useMaskForNorm: scheme !== 'ct' && medianRelativeSize < 0.75 };
}

export interface PlanOptions {
  /** GB of GPU memory to plan for (nnU-Net's -gpu_memory_target); the planner's own by default. */
  gpuMemoryTargetGB?: number;
}

export function planExperiment(fp: Fingerprint, plannerName = 'default', options: PlanOptions = {}): Plan {
  const spec = plannerSpec(plannerName);
  const gpuMemoryTargetGB = options.gpuMemoryTargetGB ?? spec.gpuMemoryTargetGB;
  const spacing = targetSpacing(fp.spacings, fp.shapesAfterCrop);
  const { forward, backward } = transposeFor(spacing);
  const newShapes = fp.shapesAfterCrop.map((s, i) => resampledShape(s, fp.spacings[i]!, spacing));
  const medianShape = permute(percentilePerAxis(newShapes, 50), forward) as Vec3;
  const spacingT = permute(spacing, forward) as Vec3;
  const numTraining = fp.numTraining;
  const { vramEstimate, ...network } = planNetwork(
    {
      spacing: spacingT,
      medianShape,
      inputChannels: fp.channelNames.length,
      numClasses: fp.labels.length,
      datasetVoxels: medianShape[0] * medianShape[1] * medianShape[2] * numTraining,
      gpuMemoryTargetGB,
    },
    spec,
  );
  return {
    format: 'hnas-plan',
    version: 1,
    datasetName: fp.datasetName,
    planner: plannerName,
    gpuMemoryTargetGB,
    nStages: network.strides.length,
    channelNames: fp.channelNames,
    labels: fp.labels,
    numTraining,
    transposeForward: forward,
    transposeBackward: backward,
    spacing: spacingT,
    medianShape,
    originalMedianSpacing: permute(percentilePerAxis([...fp.spacings] as Vec3[], 50), forward) as Vec3,
    originalMedianShape: permute(percentilePerAxis([...fp.shapesAfterCrop] as Vec3[], 50), forward) as Vec3,
    normalization: fp.channelNames.map((c) => normalizationFor(c, fp.medianRelativeSizeAfterCropping)),
    foregroundIntensityProperties: fp.foregroundIntensityPropertiesPerChannel,
    anisotropyThreshold: ANISOTROPY_THRESHOLD,
    vramEstimate,
    network,
  };
}

