import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Vec3 } from '../../src/data/plan-types.js';
import { PLANNERS, planExperiment, planNetwork, resampledShape, targetSpacing, transposeFor } from '../../src/data/planner.js';
import { computeTopology } from '../../src/data/topology.js';
import { convFeatureMapSize } from '../../src/data/vram.js';
import type { Fingerprint } from '../../src/data/fingerprint.js';
import { roundHalfEven } from '../../src/data/stats.js';
import { parsePlan } from '../../src/data/plan-file.js';
import { validatePlan } from '../../compiler/ir/plan.js';
import { PlanError } from '../../src/errors.js';
import { skipAllUnless } from '../helpers/skip.js';

const net = (spacing: Vec3, medianShape: Vec3, inputChannels: number, numClasses: number, cases: number, planner = 'default') =>
  planNetwork({ spacing, medianShape, inputChannels, numClasses, datasetVoxels: medianShape[0] * medianShape[1] * medianShape[2] * cases }, PLANNERS[planner]!);

describe('memory estimate', () => {
  it('counts conv outputs of the Hippocampus network by hand', () => {
    // Encoder: 2 convs per stage at 40x56x40 / 2^s with 32..256 features.
    const enc = 2 * (32 * 89600 + 64 * 11200 + 128 * 1400 + 256 * 175);
    // Decoder per stage: 2 convs + transposed conv + 3-class head at the skip resolution.
    const dec = (2 * 128 + 128 + 3) * 1400 + (2 * 64 + 64 + 3) * 11200 + (2 * 32 + 32 + 3) * 89600;
    const strides: Vec3[] = [[1, 1, 1], [2, 2, 2], [2, 2, 2], [2, 2, 2]];
    const arch = { encoderType: 'conv' as const, featuresPerStage: [32, 64, 128, 256], strides, blocksPerStageEncoder: [2, 2, 2, 2], convsPerStageDecoder: [2, 2, 2], numClasses: 3 };
    expect(convFeatureMapSize([40, 56, 40], arch)).toBe(enc + dec);
  });
  it('residual encoder: stem + 2 convs per block + a projection where the shape changes', () => {
    const strides: Vec3[] = [[1, 1, 1], [2, 2, 2]];
    const arch = { encoderType: 'residual' as const, featuresPerStage: [32, 64], strides, blocksPerStageEncoder: [1, 3], convsPerStageDecoder: [1], numClasses: 2 };
    const full = 8 * 8 * 8;
    const half = 4 * 4 * 4;
    const expected = 32 * full /* stem */ + 2 * 32 * full /* stage 0, no projection */ + (3 * 2 + 1) * 64 * half + (32 + 32 + 2) * full;
    expect(convFeatureMapSize([8, 8, 8], arch)).toBe(expected);
  });
});

describe('topology rules', () => {
  it('isotropic Hippocampus-sized patch: 3 pools on every axis, padded to multiples of 8', () => {
    const t = computeTopology([1, 1, 1], [36, 50, 35]);
    expect(t.patchSize).toEqual([40, 56, 40]);
    expect(t.strides).toEqual([[1, 1, 1], [2, 2, 2], [2, 2, 2], [2, 2, 2]]);
    expect(t.kernelSizes).toEqual([[3, 3, 3], [3, 3, 3], [3, 3, 3], [3, 3, 3]]);
  });
  it('anisotropic spacing: in-plane pooling and 1x3x3 kernels until the spacings are within 2x', () => {
    const t = computeTopology([3.6, 0.625, 0.625], [20, 320, 256]);
    expect(t.strides.slice(0, 4)).toEqual([[1, 1, 1], [1, 2, 2], [1, 2, 2], [2, 2, 2]]);
    expect(t.kernelSizes.slice(0, 3)).toEqual([[1, 3, 3], [1, 3, 3], [3, 3, 3]]);
    expect(t.poolsPerAxis[0]).toBeLessThan(t.poolsPerAxis[1]);
  });
  it('a lone poolable axis needs 3x the minimum edge', () => {
    // Only axis 2 is >= 8; at 11 it is < 12, so no pooling at all.
    expect(computeTopology([1, 1, 1], [4, 4, 11]).strides).toEqual([[1, 1, 1]]);
    expect(computeTopology([1, 1, 1], [4, 4, 12]).strides).toEqual([[1, 1, 1], [1, 1, 2]]);
  });
  it('laws: divisibility, stride bookkeeping, smallest feature map >= 4, kernel-1 only on coarse axes', () => {
    const vec = (lo: number, hi: number) => fc.tuple(fc.double({ min: lo, max: hi, noNaN: true }), fc.double({ min: lo, max: hi, noNaN: true }), fc.double({ min: lo, max: hi, noNaN: true }));
    fc.assert(
      fc.property(vec(0.3, 6), fc.tuple(fc.integer({ min: 4, max: 300 }), fc.integer({ min: 4, max: 300 }), fc.integer({ min: 4, max: 300 })), (spacing, patch) => {
        const t = computeTopology(spacing as Vec3, patch as Vec3);
        expect(t.strides[0]).toEqual([1, 1, 1]);
        expect(t.kernelSizes).toHaveLength(t.strides.length);
        expect(t.kernelSizes.at(-1)).toEqual([3, 3, 3]);
        for (let a = 0; a < 3; a++) {
          expect(t.strides.filter((s) => s[a] === 2)).toHaveLength(t.poolsPerAxis[a]);
          expect(t.patchSize[a]! % t.mustBeDivisibleBy[a]!).toBe(0);
          expect(t.patchSize[a]).toBeGreaterThanOrEqual(patch[a]!);
          expect(t.patchSize[a]! - patch[a]!).toBeLessThan(t.mustBeDivisibleBy[a]!);
          expect(t.patchSize[a]! / t.mustBeDivisibleBy[a]!).toBeGreaterThanOrEqual(t.poolsPerAxis[a]! > 0 ? 4 : 1);
          if (t.kernelSizes[0]![a] === 1) expect(spacing[a]! / Math.min(...spacing)).toBeGreaterThanOrEqual(2);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('network plans (synthetic fingerprints)', () => {
  it('Hippocampus: nnU-Net plan with the full MSD training set (260 cases)', () => {
    const p = net([1, 1, 1], [36, 50, 35], 1, 3, 260);
    expect(p.patchSize).toEqual([40, 56, 40]);
    expect(p.batchSize).toBe(9);
    expect(p.strides).toEqual([[1, 1, 1], [2, 2, 2], [2, 2, 2], [2, 2, 2]]);
    expect(p.featuresPerStage).toEqual([32, 64, 128, 256]);
  });
  it('the 5 % dataset cap sets the batch of small datasets; it never goes below 2', () => {
    expect(net([1, 1, 1], [36, 50, 35], 1, 3, 208).batchSize).toBe(7); // round(208*63000*0.05/89600)
    expect(net([1, 1, 1], [36, 50, 35], 1, 3, 10).batchSize).toBe(2);
    // ResEnc M caps at the whole dataset (100 %), not 5 %.
    const r = net([1, 1, 1], [36, 50, 35], 1, 3, 1000, 'resenc-m');
    expect(r.batchSize).toBe(roundHalfEven((680e6 / r.vramEstimate) * 2));
    expect(net([1, 1, 1], [36, 50, 35], 1, 3, 10, 'resenc-m').batchSize).toBe(7); // round(10*63000/89600)
  });
  it("ResEnc M's residual blocks per stage are nnU-Net's 1, 3, 4, 6, 6, 6", () => {
    expect(PLANNERS['resenc-m']!.blocksPerStageEncoder(6)).toEqual([1, 3, 4, 6, 6, 6]);
    expect(PLANNERS['resenc-m']!.encoderType).toBe('residual');
    expect(PLANNERS.default!.encoderType).toBe('conv');
  });
  it('large isotropic volumes (4 channels): the patch shrinks to fit, the batch hits its floor of 2, features cap at 320', () => {
    // Our planner's output for a BraTS-sized fingerprint, checked against the rules (no published plan here).
    const p = net([1, 1, 1], [138, 169, 138], 4, 4, 484);
    expect(p.strides).toHaveLength(6);
    expect(p.featuresPerStage).toEqual([32, 64, 128, 256, 320, 320]);
    expect(p.patchSize.every((s) => s % 32 === 0 && s < 138)).toBe(true);
    expect(p.batchSize).toBe(2);
    expect(p.vramEstimate).toBeLessThanOrEqual(560e6);
  });
  it('anisotropic in-plane-fine spacing (1.37 x 1.25 x 1.25 mm): the last stage pools only in-plane', () => {
    const p = net([1.37, 1.25, 1.25], [115, 320, 232], 1, 2, 20);
    expect(p.strides.at(-1)).toEqual([1, 2, 2]);
    expect(p.batchSize).toBe(2);
    expect(p.vramEstimate).toBeLessThanOrEqual(560e6);
  });

  /** The shrink sequence written from nnU-Net's rule: start at a 256^3-volume patch with the spacing's aspect, capped at the median shape; reduce the axis with the largest patch / median ratio (the last on ties) by its divisor at the reduced size. */
  function shrinkSequence(spacing: Vec3, median: Vec3, planner: string, numClasses: number, steps: number): { patch: Vec3; estimate: number }[] {
    const spec = PLANNERS[planner]!;
    const estimate = (patch: Vec3): { estimate: number; divisor: Vec3; patch: Vec3 } => {
      const t = computeTopology(spacing, patch);
      const n = t.strides.length;
      const arch = { encoderType: spec.encoderType, featuresPerStage: Array.from({ length: n }, (_, i) => Math.min(320, 32 * 2 ** i)), strides: t.strides, blocksPerStageEncoder: spec.blocksPerStageEncoder(n), convsPerStageDecoder: spec.convsPerStageDecoder(n), numClasses };
      return { estimate: convFeatureMapSize(t.patchSize, arch), divisor: t.mustBeDivisibleBy, patch: t.patchSize };
    };
    const inverse = spacing.map((s) => 1 / s);
    const scale = Math.cbrt(256 ** 3 / (inverse[0]! * inverse[1]! * inverse[2]!));
    let current = estimate(inverse.map((v, a) => Math.min(roundHalfEven(v * scale), median[a]!)) as Vec3);
    const out = [{ patch: current.patch, estimate: current.estimate }];
    for (let i = 0; i < steps && current.patch.every((p) => p > 0); i++) {
      const ratios = current.patch.map((p, a) => p / median[a]!);
      const axis = ratios.lastIndexOf(Math.max(...ratios));
      const trial = [...current.patch] as Vec3;
      trial[axis] -= current.divisor[axis];
      const next = [...current.patch] as Vec3;
      next[axis] -= computeTopology(spacing, trial).mustBeDivisibleBy[axis];
      if (next[axis] <= 0) break;
      current = estimate(next);
      out.push({ patch: current.patch, estimate: current.estimate });
    }
    return out;
  }

  it('memory-driven shrink stops as soon as the estimate fits: one shrink step less exceeds the target (anisotropic spacings too)', () => {
    const spacings = fc.oneof(
      fc.constantFrom<Vec3>([1, 1, 1], [3, 1, 1], [5, 0.8, 0.8], [1.37, 1.25, 1.25], [2, 0.5, 0.5], [0.7, 0.7, 4]),
      fc.tuple(fc.double({ min: 0.4, max: 6, noNaN: true }), fc.double({ min: 0.4, max: 3, noNaN: true }), fc.double({ min: 0.4, max: 3, noNaN: true })),
    );
    const check = (spacing: Vec3, median: Vec3, planner: string): void => {
      const p = net(spacing, median, 1, 3, 100, planner);
      const reference = PLANNERS[planner]!.referenceValue;
      const seq = shrinkSequence(spacing, median, planner, 3, 400);
      const k = seq.findIndex((s) => s.patch.every((v, ax) => v === p.patchSize[ax]));
      expect(k, `plan patch ${p.patchSize} is on the shrink path`).toBeGreaterThanOrEqual(0);
      expect(seq[k]!.estimate).toBe(p.vramEstimate);
      expect(p.vramEstimate).toBeLessThanOrEqual(reference);
      if (k > 0) expect(seq[k - 1]!.estimate).toBeGreaterThan(reference);
      expect(p.batchSize).toBeGreaterThanOrEqual(2);
      for (let ax = 0; ax < 3; ax++) expect(p.patchSize[ax]! % p.mustBeDivisibleBy[ax]!).toBe(0);
    };
    // Ties in patch / median (equal medians, isotropic spacing): the last axis shrinks first.
    check([1, 1, 1], [200, 200, 200], 'default');
    check([1, 1, 1], [256, 256, 256], 'resenc-m');
    fc.assert(
      fc.property(spacings, fc.integer({ min: 40, max: 400 }), fc.integer({ min: 40, max: 400 }), fc.integer({ min: 20, max: 400 }), fc.constantFrom('default', 'resenc-m'), (spacing, a, b, c, planner) =>
        check(spacing as Vec3, [a, b, c], planner),
      ),
      { numRuns: 60 },
    );
  });
});

const PUBLISHED = join(import.meta.dirname, '..', '..', '..', 'shared', 'reference', 'nnunet-plans', 'Dataset004_Hippocampus');

describe("nnU-Net's published plans (MSD Task04 Hippocampus, nnU-Net 2.5.1)", () => {
  skipAllUnless(existsSync(PUBLISHED), `needs ${PUBLISHED} (../shared/reference)`);
  const read = (name: string) => JSON.parse(readFileSync(join(PUBLISHED, name), 'utf8'));
  /** nnU-Net's own dataset_fingerprint.json of the 260 cases as our Fingerprint. */
  const fingerprint = (): Fingerprint => {
    const f = read('dataset_fingerprint.json');
    const d = read('dataset.json');
    const ints = f.foreground_intensity_properties_per_channel['0'];
    return {
      datasetName: d.name,
      channelNames: [d.channel_names['0']],
      labels: Object.entries(d.labels as Record<string, number>).map(([name, value]) => ({ name, value })),
      numTraining: d.numTraining,
      spacings: f.spacings,
      shapesAfterCrop: f.shapes_after_crop,
      foregroundIntensityPropertiesPerChannel: [{ mean: ints.mean, median: ints.median, std: ints.std, min: ints.min, max: ints.max, percentile_00_5: ints.percentile_00_5, percentile_99_5: ints.percentile_99_5 }],
      medianRelativeSizeAfterCropping: f.median_relative_size_after_cropping,
    };
  };
  // A hand conversion of the fingerprint, independent of src/data/nnunet-fingerprint.ts (test/data/nnunet.test.ts).
  for (const [planner, file] of [['default', 'nnUNetPlans.json'], ['resenc-m', 'nnUNetResEncUNetMPlans.json'], ['resenc-l', 'nnUNetResEncUNetLPlans.json']] as const) {
    it(`${planner} reproduces ${file} (3d_fullres)`, () => {
      const ref = read(file).configurations['3d_fullres'];
      const arch = ref.architecture.arch_kwargs;
      const plan = planExperiment(fingerprint(), planner);
      expect(plan.spacing).toEqual(ref.spacing);
      expect(plan.medianShape).toEqual(ref.median_image_size_in_voxels);
      expect(plan.network.patchSize).toEqual(ref.patch_size);
      expect(plan.network.batchSize).toBe(ref.batch_size);
      expect(plan.nStages).toBe(arch.n_stages);
      expect(plan.network.featuresPerStage).toEqual(arch.features_per_stage);
      expect(plan.network.kernelSizes).toEqual(arch.kernel_sizes);
      expect(plan.network.strides).toEqual(arch.strides);
      expect(plan.network.blocksPerStageEncoder).toEqual(arch.n_blocks_per_stage ?? arch.n_conv_per_stage);
      expect(plan.network.convsPerStageDecoder).toEqual(arch.n_conv_per_stage_decoder);
      expect(plan.network.architecture).toBe(ref.architecture.network_class_name.split('.').at(-1));
      expect(plan.normalization.map((n) => n.useMaskForNorm)).toEqual(ref.use_mask_for_norm);
    });
  }
});

describe('target spacing and transpose', () => {
  it('median spacing for ordinary data', () => {
    expect(targetSpacing([[1, 1, 1], [1.5, 0.5, 0.5], [2, 1, 1]], [[10, 10, 10], [10, 10, 10], [10, 10, 10]])).toEqual([1.5, 1, 1]);
  });
  it('anisotropic axis with few voxels takes its 10th percentile spacing', () => {
    const spacings: Vec3[] = [[5, 0.7, 0.7], [4, 0.7, 0.7], [3, 0.7, 0.7], [6, 0.7, 0.7], [5, 0.7, 0.7]];
    const shapes: Vec3[] = spacings.map(() => [20, 256, 256]);
    // percentile 10 of [3,4,5,5,6] = 3 + 0.4 * (4 - 3)
    expect(targetSpacing(spacings, shapes)[0]).toBeCloseTo(3.4, 10);
    // With many voxels on the coarse axis the median stays.
    expect(targetSpacing(spacings, spacings.map(() => [200, 256, 256]))[0]).toBe(5);
  });
  it('coarsest axis first, backward inverts forward', () => {
    expect(transposeFor([0.7, 0.7, 5])).toEqual({ forward: [2, 0, 1], backward: [1, 2, 0] });
    expect(transposeFor([1, 1, 1]).forward).toEqual([0, 1, 2]);
  });
  it('resampled shapes round half to even like Python', () => {
    expect(resampledShape([5, 7, 9], [1, 1, 1], [2, 2, 2])).toEqual([2, 4, 4]);
  });
});

describe('planExperiment', () => {
  const fp: Fingerprint = {
    datasetName: 'Aniso',
    channelNames: ['CT'],
    labels: [{ name: 'background', value: 0 }, { name: 'tumour', value: 1 }],
    numTraining: 3,
    caseIds: ['a', 'b', 'c'],
    spacings: [[0.8, 0.8, 5], [0.8, 0.8, 5], [0.8, 0.8, 5]],
    shapesAfterCrop: [[256, 256, 30], [256, 256, 30], [256, 256, 30]],
    foregroundIntensityPropertiesPerChannel: [{ mean: 0, median: 0, std: 1, min: -1, max: 1, percentile_00_5: -1, percentile_99_5: 1 }],
    medianRelativeSizeAfterCropping: 0.5,
  };
  it('transposes the coarse axis first and carries nStages = network stages; CT never uses the mask', () => {
    const plan = planExperiment(fp);
    expect(plan.transposeForward).toEqual([2, 0, 1]);
    expect(plan.spacing).toEqual([5, 0.8, 0.8]);
    expect(plan.medianShape).toEqual([30, 256, 256]);
    expect(plan.nStages).toBe(plan.network.strides.length);
    expect(plan.network.kernelSizes[0]).toEqual([1, 3, 3]);
    expect(plan.normalization).toEqual([{ scheme: 'ct', useMaskForNorm: false }]);
    expect(planExperiment({ ...fp, channelNames: ['T2'] }).normalization).toEqual([{ scheme: 'zscore', useMaskForNorm: true }]);
  });
  it('rejects unknown planners', () => {
    expect(() => planExperiment(fp, 'resenc-xxl')).toThrow(/unknown planner 'resenc-xxl'/);
  });
});

describe('plans.json reading', () => {
  const fp: Fingerprint = {
    datasetName: 'Iso',
    channelNames: ['MRI'],
    labels: [{ name: 'background', value: 0 }, { name: 'fg', value: 1 }],
    numTraining: 2,
    caseIds: ['a', 'b'],
    spacings: [[1, 1, 1], [1, 1, 1]],
    shapesAfterCrop: [[30, 30, 30], [30, 30, 30]],
    foregroundIntensityPropertiesPerChannel: [{ mean: 0, median: 0, std: 1, min: -1, max: 1, percentile_00_5: -1, percentile_99_5: 1 }],
    medianRelativeSizeAfterCropping: 1,
  };
  it('accepts what planExperiment writes (through JSON) and names the field of what it rejects', () => {
    const plan = JSON.parse(JSON.stringify(planExperiment(fp)));
    expect(parsePlan(plan, 'p.json').network.patchSize).toEqual(plan.network.patchSize);
    const noPatch = { ...plan, network: { ...plan.network, patchSize: [0, 8, 8] } };
    expect(() => parsePlan(noPatch, 'p.json')).toThrow(PlanError);
    expect(() => parsePlan(noPatch, 'p.json')).toThrow(/p\.json at \$\.network\.patchSize\[0\]/);
    expect(() => parsePlan({ ...plan, nStages: 9 }, 'p.json')).toThrow(/nStages \(9\) differs/);
    expect(() => parsePlan({ network: plan.network }, 'p.json')).toThrow(/\$\.format/);
  });

  it("checks the network with the compiler's schema: the same verdict and message, one level down", () => {
    const plan = JSON.parse(JSON.stringify(planExperiment(fp)));
    const failure = (f: () => unknown): PlanError | undefined => {
      try {
        f();
      } catch (err) {
        if (err instanceof PlanError) return err;
        throw err;
      }
      return undefined;
    };
    const axis = fc.integer({ min: -1, max: 9 });
    const vecs = fc.array(fc.tuple(axis, axis, axis), { maxLength: 4 });
    const field = fc.constantFrom('inputChannels', 'numClasses', 'patchSize', 'batchSize', 'kernelSizes', 'strides');
    fc.assert(
      fc.property(field, fc.oneof(fc.jsonValue(), fc.tuple(axis, axis, axis), vecs), (name, value) => {
        const network = { ...plan.network, [name]: value };
        const direct = failure(() => validatePlan(network, 'p.json'));
        const embedded = failure(() => parsePlan({ ...plan, network }, 'p.json'));
        if (!direct) {
          expect(embedded?.message ?? 'ok').toMatch(/^ok$|nStages \(\d+\) differs/);
        } else {
          expect(embedded?.location?.path).toBe(direct.location!.path!.replace(/^\$/, '$.network'));
          expect(embedded!.message.endsWith(direct.message.slice(direct.message.indexOf(': ')))).toBe(true);
        }
      }),
      { numRuns: 200, seed: 5 },
    );
  });
});
