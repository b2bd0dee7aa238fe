/** `hnas preprocess <dataset> --plan plans.json -o <dir>`: crop, normalise, resample and cache every case. */
import type { Command } from 'commander';
import { loadDataset } from '../../data/dataset.js';
import { readPlanFile } from '../../data/plan-file.js';
import { defaultPreprocessWorkers, preprocessInWorkers } from '../../data/preprocess-workers.js';
import { progressBar } from '../../data/progress.js';
import { intOption } from '../options.js';
import { defaultCacheDir } from '../../pipeline/prepare.js';
import { output } from '../output.js';

export function registerPreprocess(program: Command): void {
  program
    .command('preprocess')
    .description('preprocess a dataset for training (crop, normalise, resample) into a cache folder, with splits_final.json; rebuilt only when the plan changes')
    .argument('<dataset>', 'dataset folder holding dataset.json')
    .requiredOption('--plan <file>', 'plans.json from `hnas plan`, or nnU-Net\'s nnUNetPlans.json (with its dataset.json beside it)')
    .option('-o, --output <dir>', "cache folder (default: train's, .hnas-cache/<dataset>/<plan hash> or under $HNAS_CACHE_DIR)")
    .option('--threads <N>', `cases preprocessed at once, one per worker thread (default: the cores available, ${defaultPreprocessWorkers()} here; each holds about 3x one case's float32 size)`, intOption('--threads', 1, 256))
    .option('--no-progress', 'no progress bar')
    .option('--json', 'machine-readable output')
    .action(async (datasetDir: string, opts: { plan: string; output?: string; threads?: number; progress: boolean; json?: boolean }) => {
      const plan = readPlanFile(opts.plan);
      const dataset = loadDataset(datasetDir);
      const bar = progressBar('preprocess', dataset.cases.length, opts.progress);
      const started = Date.now();
      let result;
      try {
        result = await preprocessInWorkers(dataset, plan, opts.output ?? defaultCacheDir(dataset, plan), { workers: opts.threads, onCase: (done) => bar.update(done) });
      } finally {
        bar.stop();
      }
      const seconds = (Date.now() - started) / 1000;
      output(!!opts.json, { dir: result.dir, planHash: result.manifest.planHash, cases: Object.keys(result.files).length, rebuilt: result.rebuilt, seconds }, () =>
        `${Object.keys(result.files).length} cases in ${result.dir} (plan ${result.manifest.planHash}); ${result.rebuilt} rebuilt in ${seconds.toFixed(1)} s; folds in splits_final.json`,
      );
    });
}
