/**
 * nnU-Net v2's plans file (nnUNetPlans.json, its 3d_fullres configuration) <-> hnas's Plan.
 * Written for `hnas plan --format nnunet`; read by every command that takes --plan
 * (plan-file.ts tells the two formats apart). nnU-Net keeps channel names and labels in
 * the dataset.json beside its plans, so reading needs that file too.
 */
import { z } from 'zod';
import { PlanError, jsonPath } from '../errors.js';
import { readDatasetDescription } from './dataset.js';
import { intensitySchema, perChannel } from './nnunet-fingerprint.js';
import { NNUNET_ARCHITECTURES, type NormalizationScheme, type Plan, type PlannedNetwork, type Vec3 } from './plan-types.js';
import { ANISOTROPY_THRESHOLD, PLANNERS } from './planner.js';
import { convFeatureMapSize } from './vram.js';

/** nnU-Net's normalisation class per hnas scheme. */
const NORMALIZATION_CLASSES = { zscore: 'ZScoreNormalization', ct: 'CTNormalization' } as const satisfies Record<NormalizationScheme, string>;
const NETWORK_MODULE = 'dynamic_network_architectures.architectures.unet';
const CONFIGURATION = '3d_fullres';

const resampling = (isSeg: boolean, order: number) => ({ is_seg: isSeg, order, order_z: 0, force_separate_z: null });

/** The nnUNetPlans.json nnU-Net v2 (>= 2.4) would write for this plan: 3d_fullres only. */
export function toNnUNetPlans(plan: Plan): Record<string, unknown> {
  const n = plan.network;
  const spec = PLANNERS[plan.planner];
  const plansName = spec?.nnunetPlansName ?? 'nnUNetPlans';
  const residual = n.architecture === NNUNET_ARCHITECTURES.residual;
  return {
    dataset_name: plan.datasetName,
    plans_name: plansName,
    original_median_spacing_after_transp: plan.originalMedianSpacing ?? plan.spacing,
    original_median_shape_after_transp: plan.originalMedianShape ?? plan.medianShape,
    image_reader_writer: 'SimpleITKIO',
    transpose_forward: plan.transposeForward,
    transpose_backward: plan.transposeBackward,
    configurations: {
      [CONFIGURATION]: {
        data_identifier: `${plansName}_${CONFIGURATION}`,
        preprocessor_name: 'DefaultPreprocessor',
        batch_size: n.batchSize,
        patch_size: n.patchSize,
        median_image_size_in_voxels: plan.medianShape,
        spacing: plan.spacing,
        normalization_schemes: plan.normalization.map((x) => NORMALIZATION_CLASSES[x.scheme]),
        use_mask_for_norm: plan.normalization.map((x) => x.useMaskForNorm),
        resampling_fn_data: 'resample_data_or_seg_to_shape',
        resampling_fn_seg: 'resample_data_or_seg_to_shape',
        resampling_fn_data_kwargs: resampling(false, 3),
        resampling_fn_seg_kwargs: resampling(true, 1),
        resampling_fn_probabilities: 'resample_data_or_seg_to_shape',
        resampling_fn_probabilities_kwargs: resampling(false, 1),
        architecture: {
          network_class_name: `${NETWORK_MODULE}.${n.architecture}`,
          arch_kwargs: {
            n_stages: plan.nStages,
            features_per_stage: n.featuresPerStage,
            conv_op: 'torch.nn.modules.conv.Conv3d',
            kernel_sizes: n.kernelSizes,
            strides: n.strides,
            [residual ? 'n_blocks_per_stage' : 'n_conv_per_stage']: n.blocksPerStageEncoder,
            n_conv_per_stage_decoder: n.convsPerStageDecoder,
            conv_bias: true,
            norm_op: 'torch.nn.modules.instancenorm.InstanceNorm3d',
            norm_op_kwargs: { eps: 1e-5, affine: true },
            dropout_op: null,
            dropout_op_kwargs: null,
            nonlin: 'torch.nn.LeakyReLU',
            nonlin_kwargs: { inplace: true },
          },
          _kw_requires_import: ['conv_op', 'norm_op', 'dropout_op', 'nonlin'],
        },
        batch_dice: false,
      },
    },
    experiment_planner_used: spec?.nnunetPlanner ?? plan.planner,
    label_manager: 'LabelManager',
    foreground_intensity_properties_per_channel: Object.fromEntries(plan.foregroundIntensityProperties.map((p, i) => [String(i), p])),
  };
}

/** v2 plans files hold `configurations`; these keys mark other formats, and say what they are. */
const OTHER_FORMATS: readonly [string, string][] = [
  ['plans_per_stage', "nnU-Net v1's plans (v2 has `configurations`); re-plan with nnU-Net v2 or `hnas plan`"],
  ['foreground_intensity_properties_by_modality', 'nnU-Net v2 before 2.1 (renamed foreground_intensity_properties_per_channel); re-plan with nnU-Net >= 2.4'],
];

const int = z.number().int();
const vec3 = z.tuple([int.positive(), int.positive(), int.positive()], { error: 'expected 3 positive integers' });
const axis = int.min(0).max(2);
const perStage = z.array(vec3).min(1);
const archKwargs = z.looseObject({
  n_stages: int.positive(),
  features_per_stage: z.array(int.positive()).min(1),
  kernel_sizes: perStage,
  strides: perStage,
  n_conv_per_stage_decoder: z.array(int.positive()),
});
const configuration = z.looseObject({
  batch_size: int.positive(),
  patch_size: vec3,
  median_image_size_in_voxels: z.tuple([z.number().positive(), z.number().positive(), z.number().positive()]),
  spacing: z.tuple([z.number().positive(), z.number().positive(), z.number().positive()]),
  normalization_schemes: z.array(z.enum(Object.values(NORMALIZATION_CLASSES), { error: `hnas normalises with ${Object.values(NORMALIZATION_CLASSES).join(' or ')}` })).min(1),
  use_mask_for_norm: z.array(z.boolean()),
  architecture: z.looseObject({ network_class_name: z.string(), arch_kwargs: archKwargs }),
});
const plansSchema = z.looseObject({
  dataset_name: z.string(),
  plans_name: z.string(),
  original_median_spacing_after_transp: z.tuple([z.number().positive(), z.number().positive(), z.number().positive()]),
  original_median_shape_after_transp: z.tuple([z.number().positive(), z.number().positive(), z.number().positive()]),
  transpose_forward: z.tuple([axis, axis, axis]),
  transpose_backward: z.tuple([axis, axis, axis]),
  configurations: z.looseObject({ [CONFIGURATION]: configuration }),
  experiment_planner_used: z.string(),
  foreground_intensity_properties_per_channel: z.record(z.string(), intensitySchema),
});

/** Whether a parsed JSON file looks like an nnU-Net plans file (of any version) rather than hnas's. */
export const isNnUNetPlans = (json: unknown): boolean =>
  typeof json === 'object' && json !== null && !('format' in json) && ['configurations', 'plans_name', ...OTHER_FORMATS.map(([k]) => k)].some((k) => k in json);

const CONFIG_PATH = ['configurations', CONFIGURATION];

/** Reads nnU-Net v2's plans (3d_fullres) with the channel names and labels of the dataset.json beside it. */
export function parseNnUNetPlans(json: unknown, file: string, datasetJsonFile: string): Plan {
  const fail = (message: string, path: (string | number)[]) => new PlanError(message, { file, path: jsonPath(path) });
  const object = json as Record<string, unknown>;
  for (const [key, what] of OTHER_FORMATS) if (key in object) throw fail(`this is ${what}`, [key]);
  const config = (object.configurations as Record<string, Record<string, unknown>> | undefined)?.[CONFIGURATION];
  if (config && !('architecture' in config) && 'UNet_class_name' in config) {
    throw fail('this plans file is from nnU-Net before 2.4 (UNet_class_name, no architecture); re-plan with nnU-Net >= 2.4 or `hnas plan`', [...CONFIG_PATH, 'architecture']);
  }
  const result = plansSchema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw fail(`not an nnU-Net v2 plans file hnas can use: ${issue.message}`, issue.path as (string | number)[]);
  }
  const p = result.data;
  const c = p.configurations[CONFIGURATION];
  const a = c.architecture.arch_kwargs;
  const archPath = [...CONFIG_PATH, 'architecture'];

  const className = c.architecture.network_class_name.split('.').at(-1)!;
  const encoderType = (Object.keys(NNUNET_ARCHITECTURES) as (keyof typeof NNUNET_ARCHITECTURES)[]).find((k) => NNUNET_ARCHITECTURES[k] === className);
  if (!encoderType) throw fail(`hnas builds ${Object.values(NNUNET_ARCHITECTURES).join(' and ')}, not '${className}'`, [...archPath, 'network_class_name']);
  const blocksKey = encoderType === 'residual' ? 'n_blocks_per_stage' : 'n_conv_per_stage';
  const blocks = a[blocksKey];
  const argsPath = [...archPath, 'arch_kwargs'];
  if (!Array.isArray(blocks) || !blocks.every((b) => Number.isInteger(b) && b > 0)) throw fail(`expected a list of positive integers for ${className}`, [...argsPath, blocksKey]);
  const n = a.n_stages;
  const lists: [string, readonly unknown[], number][] = [
    ['features_per_stage', a.features_per_stage, n],
    ['kernel_sizes', a.kernel_sizes, n],
    ['strides', a.strides, n],
    [blocksKey, blocks, n],
    ['n_conv_per_stage_decoder', a.n_conv_per_stage_decoder, n - 1],
  ];
  for (const [key, list, length] of lists) {
    const got = list.length;
    if (got !== length) throw fail(`expected ${length} entries (n_stages = ${n}), got ${got}`, [...argsPath, key]);
  }

  const dataset = readDatasetDescription(datasetJsonFile);
  const channels = c.normalization_schemes.length;
  if (dataset.channelNames.length !== channels) {
    throw fail(`${channels} normalization scheme(s) but ${datasetJsonFile} names ${dataset.channelNames.length} channel(s)`, [...CONFIG_PATH, 'normalization_schemes']);
  }
  if (c.use_mask_for_norm.length !== channels) throw fail(`expected ${channels} entries, one per channel`, [...CONFIG_PATH, 'use_mask_for_norm']);
  const intensities = perChannel(p.foreground_intensity_properties_per_channel, channels, (m) => fail(m, ['foreground_intensity_properties_per_channel']));

  const strides = a.strides as Vec3[];
  const mustBeDivisibleBy = [0, 1, 2].map((ax) => strides.reduce((m, s) => m * s[ax]!, 1)) as Vec3;
  const network: PlannedNetwork = {
    inputChannels: channels,
    numClasses: dataset.labels.length,
    patchSize: c.patch_size as Vec3,
    batchSize: c.batch_size,
    kernelSizes: a.kernel_sizes as Vec3[],
    strides,
    architecture: className as PlannedNetwork['architecture'],
    featuresPerStage: a.features_per_stage,
    blocksPerStageEncoder: blocks as number[],
    convsPerStageDecoder: a.n_conv_per_stage_decoder,
    poolsPerAxis: mustBeDivisibleBy.map((d) => Math.round(Math.log2(d))) as Vec3,
    mustBeDivisibleBy,
  };
  const planner = Object.entries(PLANNERS).find(([, spec]) => spec.nnunetPlanner === p.experiment_planner_used)?.[0] ?? p.experiment_planner_used;
  const scheme = (cls: string) => (Object.keys(NORMALIZATION_CLASSES) as NormalizationScheme[]).find((k) => NORMALIZATION_CLASSES[k] === cls)!;
  return {
    format: 'hnas-plan',
    version: 1,
    datasetName: p.dataset_name,
    planner,
    nStages: n,
    channelNames: dataset.channelNames,
    labels: dataset.labels,
    numTraining: dataset.numTraining,
    transposeForward: p.transpose_forward,
    transposeBackward: p.transpose_backward,
    spacing: c.spacing,
    medianShape: c.median_image_size_in_voxels,
    originalMedianSpacing: p.original_median_spacing_after_transp,
    originalMedianShape: p.original_median_shape_after_transp,
    normalization: c.normalization_schemes.map((cls, i) => ({ scheme: scheme(cls), useMaskForNorm: c.use_mask_for_norm[i]! })),
    foregroundIntensityProperties: intensities,
    anisotropyThreshold: ANISOTROPY_THRESHOLD,
    vramEstimate: convFeatureMapSize(network.patchSize, { encoderType, featuresPerStage: network.featuresPerStage, strides, blocksPerStageEncoder: network.blocksPerStageEncoder, convsPerStageDecoder: network.convsPerStageDecoder, numClasses: network.numClasses }),
    network,
  };
}

/** The nnU-Net v2 dataset.json that goes beside nnU-Net's plans (channel names, labels, case count). */
export function toNnUNetDatasetJson(plan: Plan): Record<string, unknown> {
  return {
    name: plan.datasetName,
    channel_names: Object.fromEntries(plan.channelNames.map((c, i) => [String(i), c])),
    labels: Object.fromEntries(plan.labels.map((l) => [l.name, l.value])),
    numTraining: plan.numTraining,
    file_ending: '.nii.gz',
  };
}
