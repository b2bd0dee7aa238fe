/**
 * `hnas plan <dataset>`: fingerprint a dataset and write nnU-Net's 3d_fullres plan; or
 * `hnas plan --from-fingerprint dataset_fingerprint.json --dataset-json dataset.json` to plan from
 * nnU-Net's own fingerprint without reading images. `--format nnunet` writes nnUNetPlans.json's shape.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Option, type Command } from 'commander';
import { UsageError } from '../../errors.js';
import { loadDataset } from '../../data/dataset.js';
import { computeFingerprint, type Fingerprint } from '../../data/fingerprint.js';
import { readNnUNetFingerprint } from '../../data/nnunet-fingerprint.js';
import { toNnUNetDatasetJson, toNnUNetPlans } from '../../data/nnunet-plans.js';
import { PLANNERS, planExperiment } from '../../data/planner.js';
import { progressBar } from '../../data/progress.js';
import { writeFileAtomic } from '../../util/fs.js';
import { output } from '../output.js';

const vec = (v: readonly number[]): string => `[${v.map((x) => +x.toFixed(4)).join(', ')}]`;
const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

interface PlanOptions {
  output?: string;
  planner: string;
  format: 'hnas' | 'nnunet';
  gpuMemoryTarget?: number;
  fingerprint?: string;
  fromFingerprint?: string;
  datasetJson?: string;
  progress: boolean;
  json?: boolean;
}

function parseGB(value: string): number {
  const gb = Number(value);
  if (!Number.isFinite(gb) || gb <= 0) throw new UsageError(`--gpu-memory-target must be a positive number of GB, got '${value}'`);
  return gb;
}

function fingerprintFor(datasetDir: string | undefined, opts: PlanOptions): Fingerprint {
  if (opts.fromFingerprint) {
    if (datasetDir) throw new UsageError('give either a dataset folder or --from-fingerprint, not both');
    if (!opts.datasetJson) throw new UsageError("--from-fingerprint needs --dataset-json (nnU-Net's dataset.json of the same dataset)");
    return readNnUNetFingerprint(opts.fromFingerprint, opts.datasetJson);
  }
  if (!datasetDir) throw new UsageError('missing the dataset folder (or plan from nnU-Net\'s fingerprint with --from-fingerprint FILE --dataset-json FILE)');
  if (opts.datasetJson) throw new UsageError('--dataset-json goes with --from-fingerprint; a dataset folder has its own dataset.json');
  const dataset = loadDataset(datasetDir);
  const bar = progressBar('fingerprint', dataset.cases.length, opts.progress);
  try {
    return computeFingerprint(dataset, { onCase: (done) => bar.update(done) });
  } finally {
    bar.stop();
  }
}

export function registerPlan(program: Command): void {
  program
    .command('plan')
    .description("fingerprint a dataset (MSD or nnU-Net v2 layout), or read nnU-Net's fingerprint, and write its 3d_fullres plan (n_stages = the grammar's n_max)")
    .argument('[dataset]', 'dataset folder holding dataset.json')
    .option('-o, --output <file>', 'where to write the plan (default plans.json; nnUNetPlans.json with --format nnunet)')
    .option('--planner <name>', `planner variant: ${Object.keys(PLANNERS).join(', ')}`, 'default')
    .option('--gpu-memory-target <GB>', "GPU memory to plan for (default: the planner's own, 8 / 8 / 24 / 40 GB)", parseGB)
    .addOption(new Option('--format <format>', 'plan format: hnas (plans.json) or nnunet (nnUNetPlans.json, 3d_fullres)').choices(['hnas', 'nnunet']).default('hnas'))
    .option('--from-fingerprint <file>', "plan from nnU-Net v2's dataset_fingerprint.json instead of the images")
    .option('--dataset-json <file>', 'the dataset.json that goes with --from-fingerprint')
    .option('--fingerprint <file>', 'also write the dataset fingerprint here')
    .option('--no-progress', 'no progress bar')
    .option('--json', 'print the plan as JSON')
    .action((datasetDir: string | undefined, opts: PlanOptions) => {
      if (!PLANNERS[opts.planner]) throw new UsageError(`--planner must be one of ${Object.keys(PLANNERS).join(', ')}, got '${opts.planner}'`);
      const fingerprint = fingerprintFor(datasetDir, opts);
      if (opts.fingerprint) writeFileAtomic(opts.fingerprint, json(fingerprint));
      const plan = planExperiment(fingerprint, opts.planner, { gpuMemoryTargetGB: opts.gpuMemoryTarget });
      const nnunet = opts.format === 'nnunet';
      const file = opts.output ?? (nnunet ? 'nnUNetPlans.json' : 'plans.json');
      const written = nnunet ? toNnUNetPlans(plan) : plan;
      writeFileAtomic(file, json(written));
      // nnU-Net keeps labels and channel names in the dataset.json beside its plans; never overwrite one.
      const datasetJson = join(dirname(file), 'dataset.json');
      const wroteDatasetJson = nnunet && !existsSync(datasetJson);
      if (wroteDatasetJson) writeFileAtomic(datasetJson, json(toNnUNetDatasetJson(plan)));
      const n = plan.network;
      output(!!opts.json, written, () =>
        [
          `${plan.datasetName}: ${plan.numTraining} cases, ${plan.channelNames.length} channel(s) (${plan.channelNames.join(', ')}), ${plan.labels.length} classes`,
          `planner ${plan.planner} (${n.architecture}, ${plan.gpuMemoryTargetGB} GB); wrote ${file}${wroteDatasetJson ? ` and ${datasetJson}` : ''}`,
          `target spacing ${vec(plan.spacing)} mm, median shape ${vec(plan.medianShape)}, transpose ${vec(plan.transposeForward)}`,
          `n_stages ${plan.nStages}, patch ${vec(n.patchSize)}, batch ${n.batchSize}, features ${vec(n.featuresPerStage)}`,
          `strides ${n.strides.map(vec).join(' ')}`,
          `kernels ${n.kernelSizes.map(vec).join(' ')}`,
          `normalisation ${plan.normalization.map((x) => `${x.scheme}${x.useMaskForNorm ? ' (mask)' : ''}`).join(', ')}; conv outputs per sample ${plan.vramEstimate.toLocaleString('en-US')}`,
        ].join('\n'),
      );
    });
}
