/** `hnas plan <dataset>`: fingerprint a dataset and write nnU-Net's 3d_fullres plan. */
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { loadDataset } from '../../data/dataset.js';
import { computeFingerprint } from '../../data/fingerprint.js';
import { PLANNERS, planExperiment } from '../../data/planner.js';
import { progressBar } from '../../data/progress.js';
import { writeFileAtomic } from '../../util/fs.js';
import { output } from '../output.js';

const vec = (v: readonly number[]): string => `[${v.map((x) => +x.toFixed(4)).join(', ')}]`;

export function registerPlan(program: Command): void {
  program
    .command('plan')
    .description('fingerprint a dataset (MSD or nnU-Net v2 layout) and write its 3d_fullres plan (n_stages = the grammar\'s n_max)')
    .argument('<dataset>', 'dataset folder holding dataset.json')
    .option('-o, --output <file>', 'where to write the plan', 'plans.json')
    .option('--planner <name>', `planner variant: ${Object.keys(PLANNERS).join(', ')}`, 'default')
    .option('--fingerprint <file>', 'also write the dataset fingerprint here')
    .option('--no-progress', 'no progress bar')
    .option('--json', 'print the plan as JSON')
    .action((datasetDir: string, opts: { output: string; planner: string; fingerprint?: string; progress: boolean; json?: boolean }) => {
      if (!PLANNERS[opts.planner]) throw new UsageError(`--planner must be one of ${Object.keys(PLANNERS).join(', ')}, got '${opts.planner}'`);
      const dataset = loadDataset(datasetDir);
      const bar = progressBar('fingerprint', dataset.cases.length, opts.progress);
      let fingerprint;
      try {
        fingerprint = computeFingerprint(dataset, { onCase: (done) => bar.update(done) });
      } finally {
        bar.stop();
      }
      if (opts.fingerprint) writeFileAtomic(opts.fingerprint, `${JSON.stringify(fingerprint, null, 2)}\n`);
      const plan = planExperiment(fingerprint, opts.planner);
      writeFileAtomic(opts.output, `${JSON.stringify(plan, null, 2)}\n`);
      const n = plan.network;
      output(!!opts.json, plan, () =>
        [
          `${plan.datasetName}: ${plan.numTraining} cases, ${plan.channelNames.length} channel(s) (${plan.channelNames.join(', ')}), ${plan.labels.length} classes`,
          `planner ${plan.planner} (${n.architecture}); wrote ${opts.output}`,
          `target spacing ${vec(plan.spacing)} mm, median shape ${vec(plan.medianShape)}, transpose ${vec(plan.transposeForward)}`,
          `n_stages ${plan.nStages}, patch ${vec(n.patchSize)}, batch ${n.batchSize}, features ${vec(n.featuresPerStage)}`,
          `strides ${n.strides.map(vec).join(' ')}`,
          `kernels ${n.kernelSizes.map(vec).join(' ')}`,
          `normalisation ${plan.normalization.map((x) => `${x.scheme}${x.useMaskForNorm ? ' (mask)' : ''}`).join(', ')}; conv outputs per sample ${plan.vramEstimate.toLocaleString("en-US")}`,
        ].join('\n'),
      );
    });
}
