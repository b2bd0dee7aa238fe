/**
 * nnU-Net interop: planning from nnU-Net's own fingerprint reproduces nnU-Net's published plans
 * of Task04 Hippocampus (default, ResEnc M, ResEnc L); its plans files read as hnas plans; bad
 * files name the file and JSON path.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DatasetError, HnasError, PlanError } from '../../src/errors.js';
import type { Fingerprint } from '../../src/data/fingerprint.js';
import { readNnUNetFingerprint } from '../../src/data/nnunet-fingerprint.js';
import { toNnUNetDatasetJson, toNnUNetPlans } from '../../src/data/nnunet-plans.js';
import { readPlanFile } from '../../src/data/plan-file.js';
import type { Vec3 } from '../../src/data/plan-types.js';
import { PLANNERS, memoryReference, planExperiment } from '../../src/data/planner.js';
import { roundHalfEven } from '../../src/data/stats.js';
import { runCli } from '../helpers/cli.js';
import { defaultTree } from '../compiler/trees.js';

const REF = join(import.meta.dirname, '..', '..', '..', 'shared', 'reference', 'nnunet-plans', 'Dataset004_Hippocampus');
const present = existsSync(join(REF, 'dataset_fingerprint.json'));
if (!present) console.warn(`skipping nnU-Net reference plans: ${REF} is absent (../shared/reference/nnunet-plans)`);

const PRESETS = [
  { planner: 'default', file: 'nnUNetPlans.json', batch: 9 },
  { planner: 'resenc-m', file: 'nnUNetResEncUNetMPlans.json', batch: 58 },
  { planner: 'resenc-l', file: 'nnUNetResEncUNetLPlans.json', batch: 178 },
] as const;

const readJson = (f: string) => JSON.parse(readFileSync(f, 'utf8'));
const tmp = () => mkdtempSync(join(tmpdir(), 'hnas-nnunet-'));
const thrown = (f: () => unknown): HnasError => {
  try {
    f();
  } catch (err) {
    if (err instanceof HnasError) return err;
    throw err;
  }
  throw new Error('expected an HnasError');
};
/** Everything but the plans' name (the authors overwrote it in the ResEnc files, see the reference README). */
const comparable = (plans: Record<string, any>) => {
  const { plans_name: _name, configurations, ...rest } = plans;
  const { data_identifier: _id, ...fullres } = configurations['3d_fullres'];
  return { ...rest, fullres };
};

describe.skipIf(!present)("nnU-Net's own fingerprint of Task04 Hippocampus", () => {
  const fingerprint = () => readNnUNetFingerprint(join(REF, 'dataset_fingerprint.json'), join(REF, 'dataset.json'));

  it.each(PRESETS)('$planner: equals nnU-Net\'s published $file (3d_fullres)', ({ planner, file, batch }) => {
    const plan = planExperiment(fingerprint(), planner);
    expect(plan.network.patchSize).toEqual([40, 56, 40]);
    expect(plan.spacing).toEqual([1, 1, 1]);
    expect(plan.nStages).toBe(4);
    expect(plan.network.batchSize).toBe(batch);
    const ours = JSON.parse(JSON.stringify(toNnUNetPlans(plan)));
    expect(comparable(ours)).toEqual(comparable(readJson(join(REF, file))));
  });

  it.each(PRESETS)("reads nnU-Net's $file as the plan hnas makes with $planner", ({ planner, file }) => {
    const ours = planExperiment(fingerprint(), planner);
    const theirs = readPlanFile(join(REF, file));
    const { gpuMemoryTargetGB: _gb, ...rest } = ours;
    expect(theirs).toEqual(rest);
  });

  it('--gpu-memory-target scales the memory reference as nnU-Net does; the default target is the preset\'s', () => {
    const fp = fingerprint();
    const l = planExperiment(fp, 'resenc-l');
    expect(planExperiment(fp, 'resenc-l', { gpuMemoryTargetGB: 24 })).toEqual(l);
    const l16 = planExperiment(fp, 'resenc-l', { gpuMemoryTargetGB: 16 });
    expect(l16.network.batchSize).toBe(roundHalfEven((1400e6 / l.vramEstimate) * 2)); // 118
    // At 48 GB the batch would be 355 patches, but a ResEnc batch covers at most the whole dataset (260 x 36x50x35).
    expect(planExperiment(fp, 'resenc-l', { gpuMemoryTargetGB: 48 }).network.batchSize).toBe(roundHalfEven((260 * 36 * 50 * 35) / (40 * 56 * 40)));
    // The plain planner keeps its 5 % cap whatever the memory.
    expect(planExperiment(fp, 'default', { gpuMemoryTargetGB: 80 }).network.batchSize).toBe(9);
  });

  it('hnas plan --from-fingerprint --format nnunet writes the plans file (and a dataset.json beside it) that --plan reads', async () => {
    const dir = tmp();
    const out = join(dir, 'nnUNetResEncUNetLPlans.json');
    const args = ['plan', '--from-fingerprint', join(REF, 'dataset_fingerprint.json'), '--dataset-json', join(REF, 'dataset.json')];
    const r = await runCli(...args, '--planner', 'resenc-l', '--format', 'nnunet', '-o', out);
    expect(r.code, r.err).toBe(0);
    expect(comparable(readJson(out))).toEqual(comparable(readJson(join(REF, 'nnUNetResEncUNetLPlans.json'))));
    expect(readJson(join(dir, 'dataset.json')).labels).toEqual({ background: 0, Anterior: 1, Posterior: 2 });
    const grammar = await runCli('grammar', '--plan', out);
    expect(grammar.code, grammar.err).toBe(0);
    expect(grammar.out).toMatch(/n_max=4/);
    const tree = join(dir, 'tree.json');
    writeFileSync(tree, JSON.stringify({ format: 'hnas-tree', version: 1, grammar: { name: 'unet', nMax: 4, sMax: 2 }, tree: defaultTree(4) }));
    const compiled = await runCli('compile', tree, '--plan', out, '--json');
    expect(compiled.code, compiled.err).toBe(0);
    expect(JSON.parse(compiled.out).ir).toMatchObject({ patchSize: [40, 56, 40], batchSize: 178, encoderType: "conv" });
    expect(await runCli(...args.slice(0, 3), '-o', join(dir, 'p.json')).then((x) => x.code)).toBe(2); // no --dataset-json
  });
});

const intensities = { mean: 1, median: 1, std: 2, min: -3, max: 5, percentile_00_5: -2, percentile_99_5: 4 };
const datasetJson = { name: 'Tiny', channel_names: { '0': 'MRI' }, labels: { background: 0, a: 1 }, numTraining: 2, file_ending: '.nii.gz' };
const v2Fingerprint = {
  foreground_intensity_properties_per_channel: { '0': intensities },
  median_relative_size_after_cropping: 1,
  shapes_after_crop: [[30, 40, 30], [32, 40, 28]],
  spacings: [[1, 1, 1], [1, 1, 1]],
};

function writeFiles(files: Record<string, unknown>): string {
  const dir = tmp();
  for (const [name, value] of Object.entries(files)) writeFileSync(join(dir, name), JSON.stringify(value));
  return dir;
}

describe('nnU-Net plans round trip (synthetic fingerprints)', () => {
  it('what toNnUNetPlans writes, readPlanFile reads back as the same plan', () => {
    const vec = (lo: number, hi: number) => fc.tuple(fc.integer({ min: lo, max: hi }), fc.integer({ min: lo, max: hi }), fc.integer({ min: lo, max: hi }));
    fc.assert(
      fc.property(
        fc.constantFrom(...Object.keys(PLANNERS)),
        fc.array(fc.tuple(vec(20, 300), fc.constantFrom<Vec3>([1, 1, 1], [0.7, 0.7, 3], [5, 0.8, 0.8], [1.5, 1, 1])), { minLength: 2, maxLength: 5 }),
        fc.constantFrom(['MRI'], ['CT'], ['T1', 'T2']),
        (planner, cases, channels) => {
          const fp: Fingerprint = {
            datasetName: 'Dataset999_Synthetic',
            channelNames: channels,
            labels: [{ name: 'background', value: 0 }, { name: 'x', value: 1 }],
            numTraining: cases.length,
            spacings: cases.map(([, s]) => s),
            shapesAfterCrop: cases.map(([shape]) => shape as Vec3),
            foregroundIntensityPropertiesPerChannel: channels.map(() => intensities),
            medianRelativeSizeAfterCropping: 0.6,
          };
          const { gpuMemoryTargetGB: _gb, ...plan } = planExperiment(fp, planner);
          const dir = writeFiles({ 'nnUNetPlans.json': toNnUNetPlans(plan), 'dataset.json': toNnUNetDatasetJson(plan) });
          expect(readPlanFile(join(dir, 'nnUNetPlans.json'))).toEqual(plan);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('the ResEnc presets share ResEnc M\'s network and scale only the memory reference (nnU-Net\'s L: 2.1e9 at 24 GB, XL: 3.6e9 at 40 GB)', () => {
    expect(memoryReference(PLANNERS['resenc-l']!)).toBe(2100e6);
    expect(memoryReference(PLANNERS['resenc-xl']!)).toBe(3600e6);
    expect(memoryReference(PLANNERS['resenc-m']!, 24)).toBe(2040e6);
    for (const name of ['resenc-l', 'resenc-xl']) expect(PLANNERS[name]!.blocksPerStageEncoder(6)).toEqual(PLANNERS['resenc-m']!.blocksPerStageEncoder(6));
  });
});

describe('bad nnU-Net files name the file and JSON path', () => {
  const fpError = (fp: unknown, ds: unknown = datasetJson) => {
    const dir = writeFiles({ 'dataset_fingerprint.json': fp, 'dataset.json': ds });
    return thrown(() => readNnUNetFingerprint(join(dir, 'dataset_fingerprint.json'), join(dir, 'dataset.json')));
  };
  it('fingerprints: missing fields, other versions, mismatched dataset.json', () => {
    const { spacings: _s, ...noSpacings } = v2Fingerprint;
    let e = fpError(noSpacings);
    expect(e).toBeInstanceOf(DatasetError);
    expect(e.message).toMatch(/dataset_fingerprint\.json at \$\.spacings: not nnU-Net v2's dataset_fingerprint\.json/);
    e = fpError({ ...v2Fingerprint, shapes_after_crop: [[30, 40], [30, 40, 30]] });
    expect(e.location?.path).toBe('$.shapes_after_crop[0]');
    e = fpError({ all_spacings: [[1, 1, 1]], all_sizes: [[3, 3, 3]], modalities: { 0: 'MRI' } });
    expect(e.message).toMatch(/at \$\.all_spacings: this is nnU-Net v1's dataset_properties/);
    e = fpError(v2Fingerprint, { ...datasetJson, numTraining: 5 });
    expect(e.message).toMatch(/dataset\.json at \$\.numTraining: the fingerprint holds 2 cases/);
    e = fpError(v2Fingerprint, { ...datasetJson, channel_names: { '0': 'T1', '1': 'T2' } });
    expect(e.message).toMatch(/at \$\.foreground_intensity_properties_per_channel: expected channels 0\.\.1/);
    e = fpError(v2Fingerprint, { ...datasetJson, labels: { background: 0, a: [1, 2] } });
    expect(e.message).toMatch(/dataset\.json at \$\.labels\.a/);
  });

  const plansFrom = (mutate: (p: any) => void): HnasError => {
    const fp: Fingerprint = {
      datasetName: 'Tiny', channelNames: ['MRI'], labels: [{ name: 'background', value: 0 }, { name: 'a', value: 1 }], numTraining: 2,
      spacings: [[1, 1, 1], [1, 1, 1]], shapesAfterCrop: [[30, 40, 30], [32, 40, 28]], foregroundIntensityPropertiesPerChannel: [intensities], medianRelativeSizeAfterCropping: 1,
    };
    const plans = JSON.parse(JSON.stringify(toNnUNetPlans(planExperiment(fp, 'resenc-m'))));
    mutate(plans);
    const dir = writeFiles({ 'nnUNetPlans.json': plans, 'dataset.json': datasetJson });
    return thrown(() => readPlanFile(join(dir, 'nnUNetPlans.json')));
  };
  const at = (path: string) => new RegExp(`nnUNetPlans\\.json at ${path.replace(/[.[\]$]/g, '\\$&')}: `);

  it('plans: missing fields, nnU-Net before 2.4 and v1, unknown networks and normalisations, inconsistent lists', () => {
    const c = (p: any) => p.configurations['3d_fullres'];
    const cases: [(p: any) => void, string, RegExp?][] = [
      [(p) => delete c(p).patch_size, '$.configurations.3d_fullres.patch_size'],
      [(p) => delete p.configurations['3d_fullres'], '$.configurations.3d_fullres'],
      [(p) => { const { architecture: _a, ...rest } = c(p); p.configurations['3d_fullres'] = { ...rest, UNet_class_name: 'PlainConvUNet' }; }, '$.configurations.3d_fullres.architecture', /before 2\.4/],
      [(p) => { p.plans_per_stage = {}; }, '$.plans_per_stage', /v1/],
      [(p) => { c(p).architecture.network_class_name = 'x.y.PrimusM'; }, '$.configurations.3d_fullres.architecture.network_class_name', /not 'PrimusM'/],
      [(p) => { c(p).normalization_schemes = ['RescaleTo01Normalization']; }, '$.configurations.3d_fullres.normalization_schemes[0]'],
      [(p) => { c(p).architecture.arch_kwargs.n_blocks_per_stage.pop(); }, '$.configurations.3d_fullres.architecture.arch_kwargs.n_blocks_per_stage', /expected 4 entries/],
      [(p) => { c(p).patch_size = [41, 56, 40]; }, '$.configurations.3d_fullres.architecture.arch_kwargs.strides[1][0]', /not divisible/],
      [(p) => { p.foreground_intensity_properties_per_channel = { '1': intensities }; }, '$.foreground_intensity_properties_per_channel'],
    ];
    for (const [mutate, path, message] of cases) {
      const e = plansFrom(mutate);
      expect(e).toBeInstanceOf(PlanError);
      expect(e.message).toMatch(at(path));
      if (message) expect(e.message).toMatch(message);
    }
  });

  it('a plans file without its dataset.json says where it looked', () => {
    const dir = tmp();
    mkdirSync(join(dir, 'p'));
    const plan = planExperiment({ ...JSON.parse(JSON.stringify(v2Fingerprint)), datasetName: 'x', channelNames: ['MRI'], labels: [{ name: 'background', value: 0 }, { name: 'a', value: 1 }], numTraining: 2, spacings: v2Fingerprint.spacings as Vec3[], shapesAfterCrop: v2Fingerprint.shapes_after_crop as Vec3[], foregroundIntensityPropertiesPerChannel: [intensities], medianRelativeSizeAfterCropping: 1 });
    writeFileSync(join(dir, 'p', 'nnUNetPlans.json'), JSON.stringify(toNnUNetPlans(plan)));
    const e = thrown(() => readPlanFile(join(dir, 'p', 'nnUNetPlans.json')));
    expect(e).toBeInstanceOf(DatasetError);
    expect(e.message).toMatch(/p\/dataset\.json: no such file/);
    writeFileSync(join(dir, 'p', 'dataset.json'), JSON.stringify(datasetJson));
    expect(readPlanFile(join(dir, 'p', 'nnUNetPlans.json')).network).toEqual(plan.network);
  });
});
