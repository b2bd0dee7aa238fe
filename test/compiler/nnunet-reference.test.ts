/**
 * The compiler's default networks are nnU-Net's: hnas compiles the default conv U-Net and ResEnc M
 * from its NAS configuration and a NetworkPlan, and bench/nnunet_reference.py builds PlainConvUNet /
 * ResidualEncoderUNet in PyTorch from nnU-Net's own plan entry (network class + arch_kwargs), never
 * seeing the hnas IR. Both must have the same parameters (count, names, shapes), and with one set of
 * weights, mapped by name, the same output shapes and logits on every deep-supervision head.
 * Hippocampus uses the plans nnU-Net itself wrote (../shared/reference/nnunet-plans, copied to
 * fixtures/ so CI has them); the other two
 * plans are written out here from nnU-Net's rules, with an anisotropic first stages ([1,3,3] kernels,
 * [1,2,2] strides) and a feature cap reached before the bottleneck (a strided residual block whose
 * channel count does not change has a pooling skip without projection).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_NAS_CONFIG, type NasConfig } from '../../compiler/index.js';
import type { NetworkPlan, Vec3 } from '../../compiler/ir/plan.js';
import { Rng } from '../../src/util/rng.js';
import { skipAllUnless } from '../helpers/skip.js';
import { benchScript, haveTorch, NO_TORCH, randomisedModel, relativeDifference, runOnnx, runReference } from './torch.js';

/** nnU-Net's 3d_fullres architecture entries for Hippocampus, copied from ../shared so CI has them (checked below). */
const FIXTURE = join(import.meta.dirname, 'fixtures', 'hippocampus-nnunet-architectures.json');
const PLANS_DIR = join(import.meta.dirname, '../../../shared/reference/nnunet-plans/Dataset004_Hippocampus');
const havePlans = existsSync(join(PLANS_DIR, 'nnUNetPlans.json'));
const fixture = JSON.parse(readFileSync(FIXTURE, 'utf8')) as { plans: Record<string, { patch_size: number[]; architecture: NnUNetArchitecture }> };

interface NnUNetArchitecture {
  readonly network_class_name: string;
  readonly arch_kwargs: Record<string, unknown> & { readonly kernel_sizes: Vec3[]; readonly strides: Vec3[] };
}

/** The shared facts of nnU-Net's 3d_fullres plans: conv bias, InstanceNorm eps 1e-5 affine, LeakyReLU, no dropout. */
const NNUNET_OPS = {
  conv_op: 'torch.nn.modules.conv.Conv3d',
  conv_bias: true,
  norm_op: 'torch.nn.modules.instancenorm.InstanceNorm3d',
  norm_op_kwargs: { eps: 1e-5, affine: true },
  dropout_op: null,
  dropout_op_kwargs: null,
  nonlin: 'torch.nn.LeakyReLU',
  nonlin_kwargs: { inplace: true },
};

const plain = (features: number[], kernel_sizes: Vec3[], strides: Vec3[]): NnUNetArchitecture => ({
  network_class_name: 'dynamic_network_architectures.architectures.unet.PlainConvUNet',
  arch_kwargs: { n_stages: features.length, features_per_stage: features, kernel_sizes, strides, n_conv_per_stage: features.map(() => 2), n_conv_per_stage_decoder: features.slice(1).map(() => 2), ...NNUNET_OPS },
});
const resEncM = (features: number[], kernel_sizes: Vec3[], strides: Vec3[]): NnUNetArchitecture => ({
  network_class_name: 'dynamic_network_architectures.architectures.unet.ResidualEncoderUNet',
  arch_kwargs: { n_stages: features.length, features_per_stage: features, kernel_sizes, strides, n_blocks_per_stage: [1, 3, 4, 6, 6, 6].slice(0, features.length), n_conv_per_stage_decoder: features.slice(1).map(() => 1), ...NNUNET_OPS },
});

interface Case {
  readonly name: string;
  /** What hnas compiles: its NAS configuration (the HPO space's default, or ResEnc M) ... */
  readonly config: NasConfig;
  /** ... for this plan ... */
  readonly plan: NetworkPlan;
  /** ... and what nnU-Net builds for the same plan. */
  readonly nnunet: () => NnUNetArchitecture;
}

const hippocampus = (file: string) => (): NnUNetArchitecture => fixture.plans[file]!.architecture;
const hippocampusPlan: NetworkPlan = {
  inputChannels: 1, numClasses: 3, patchSize: [40, 56, 40], batchSize: 1,
  kernelSizes: [[3, 3, 3], [3, 3, 3], [3, 3, 3], [3, 3, 3]], strides: [[1, 1, 1], [2, 2, 2], [2, 2, 2], [2, 2, 2]],
};
const residual: NasConfig = { ...DEFAULT_NAS_CONFIG, encoderType: 'residual' };

// Anisotropic (coarse first axis): 5 stages, [1,3,3] kernels and [1,2,2] strides until the axes even out.
const anisoKernels: Vec3[] = [[1, 3, 3], [1, 3, 3], [3, 3, 3], [3, 3, 3], [3, 3, 3]];
const anisoStrides: Vec3[] = [[1, 1, 1], [1, 2, 2], [1, 2, 2], [2, 2, 2], [2, 2, 2]];
const anisoPlan: NetworkPlan = { inputChannels: 2, numClasses: 4, patchSize: [8, 48, 32], batchSize: 2, kernelSizes: anisoKernels, strides: anisoStrides };
const anisoFeatures = [8, 16, 32, 64, 64]; // base 8, capped at 64
const narrowAniso: NasConfig = { ...DEFAULT_NAS_CONFIG, baseFeatures: 8, maxFeatures: 64 };

// 6 stages, base 4 capped at 32: stages 3..5 all have 32 features.
const deepKernels: Vec3[] = [[3, 3, 3], [3, 3, 3], [3, 3, 3], [3, 3, 3], [3, 3, 3], [3, 3, 3]];
const deepStrides: Vec3[] = [[1, 1, 1], [2, 2, 2], [2, 2, 2], [2, 2, 2], [2, 2, 2], [1, 2, 2]];
const deepPlan: NetworkPlan = { inputChannels: 1, numClasses: 2, patchSize: [32, 64, 64], batchSize: 1, kernelSizes: deepKernels, strides: deepStrides };
const deepFeatures = [4, 8, 16, 32, 32, 32];
const narrowDeep: NasConfig = { ...DEFAULT_NAS_CONFIG, baseFeatures: 4, maxFeatures: 32 };

const CASES: Case[] = [
  { name: 'Hippocampus [40,56,40], 4 stages: PlainConvUNet (nnUNetPlans.json)', config: DEFAULT_NAS_CONFIG, plan: hippocampusPlan, nnunet: hippocampus('nnUNetPlans.json') },
  { name: 'Hippocampus [40,56,40], 4 stages: ResEnc M (nnUNetResEncUNetMPlans.json)', config: residual, plan: hippocampusPlan, nnunet: hippocampus('nnUNetResEncUNetMPlans.json') },
  { name: 'anisotropic [1,3,3] kernels / [1,2,2] strides, 5 stages: PlainConvUNet', config: narrowAniso, plan: anisoPlan, nnunet: () => plain(anisoFeatures, anisoKernels, anisoStrides) },
  { name: 'anisotropic [1,3,3] kernels / [1,2,2] strides, 5 stages: ResEnc M', config: { ...narrowAniso, encoderType: 'residual' }, plan: anisoPlan, nnunet: () => resEncM(anisoFeatures, anisoKernels, anisoStrides) },
  { name: '6 stages, features capped before the bottleneck: PlainConvUNet', config: narrowDeep, plan: deepPlan, nnunet: () => plain(deepFeatures, deepKernels, deepStrides) },
  { name: '6 stages, features capped before the bottleneck: ResEnc M', config: { ...narrowDeep, encoderType: 'residual' }, plan: deepPlan, nnunet: () => resEncM(deepFeatures, deepKernels, deepStrides) },
];

interface Report {
  parameters: number;
  state: Record<string, number[]>;
  missing: string[];
  unexpected: string[];
  mismatched: string[];
  outputs?: number[][];
}

it("the Hippocampus fixture is nnU-Net's own plan entry", (ctx) => {
  ctx.skip(!havePlans, `needs nnU-Net's plans in ${PLANS_DIR}, absent here`);
  for (const [file, entry] of Object.entries(fixture.plans)) {
    const planned = JSON.parse(readFileSync(join(PLANS_DIR, file), 'utf8')).configurations['3d_fullres'];
    expect(entry).toEqual({ patch_size: planned.patch_size, architecture: planned.architecture });
    expect(entry.patch_size).toEqual(hippocampusPlan.patchSize);
  }
});

describe("the compiler's default networks against nnU-Net's, built from the plan alone", () => {
  skipAllUnless(haveTorch, NO_TORCH);
  for (const c of CASES) {
    it(c.name, async () => {
      const architecture = c.nnunet();
      // The plan's geometry is the same on both sides (Hippocampus: the one nnU-Net planned).
      expect(architecture.arch_kwargs.kernel_sizes).toEqual(c.plan.kernelSizes);
      expect(architecture.arch_kwargs.strides).toEqual(c.plan.strides);
      const model = randomisedModel(c.config, c.plan);
      const shape = [c.plan.batchSize, c.plan.inputChannels, ...c.plan.patchSize];
      const rng = Rng.seeded(4);
      const x = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal());
      const ref = runReference<Report>(benchScript('nnunet_reference.py'), [], (dir) => {
        const spec = { architecture, input_channels: c.plan.inputChannels, num_classes: c.plan.numClasses, deep_supervision: true, input_shape: shape };
        writeFileSync(join(dir, 'plan.json'), JSON.stringify(spec));
        writeFileSync(join(dir, 'weights.safetensors'), model.safetensors());
        writeFileSync(join(dir, 'input.bin'), new Uint8Array(x.buffer));
      });
      try {
        const { report } = ref;
        expect({ missing: report.missing, unexpected: report.unexpected, mismatched: report.mismatched }).toEqual({ missing: [], unexpected: [], mismatched: [] });
        expect(model.cost.parameters).toBe(report.parameters);
        const ours = await runOnnx(model, x, shape);
        expect(ours.dims).toEqual(report.outputs);
        expect(ours.dims).toHaveLength(c.plan.strides.length - 1);
        ours.data.forEach((o, k) => expect(relativeDifference(o, ref.output(k)), `head ${k}`).toBeLessThan(1e-4));
      } finally {
        ref.cleanup();
      }
    });
  }
});
