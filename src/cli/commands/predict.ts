/**
 * `hnas predict <model-dir> <images-dir> -o <out-dir>`: sliding-window segmentation of every
 * image with a model folder of `hnas train` (several folds: an ensemble, logits averaged).
 */
import type { Command } from 'commander';
import { predictFolder } from '../../pipeline/index.js';
import type { Device } from '../../runtime/providers.js';
import { output } from '../output.js';
import { deviceOption, foldsParser, intOption } from '../options.js';

export function registerPredict(program: Command): void {
  program
    .command('predict')
    .description('segment every image of a folder with a trained model folder (fold ensemble), written with each input\'s geometry')
    .argument('<model-dir>', 'model folder written by `hnas train`')
    .argument('<images-dir>', 'folder of images: CASE.nii.gz (MSD, channels in the 4th axis) or CASE_0000.nii.gz per channel (nnU-Net v2)')
    .requiredOption('-o, --output <dir>', 'folder for the segmentations (<case>.nii.gz)')
    .option('--mirror', 'mirroring test-time augmentation (8 flips averaged)')
    .option('--folds <list>', "only these trained folds, e.g. 0,1 or 'all' (default: every trained fold)", foldsParser({ all: true }))
    .addOption(deviceOption())
    .option('--threads <N>', 'onnxruntime intra-op threads (default: all cores)', intOption('--threads', 1))
    .option('--overwrite', 'replace existing files in the output folder that an earlier `hnas predict` did not write')
    .option('--no-progress', 'no progress bar')
    .option('--json', 'machine-readable summary')
    .action(async (modelDir: string, imagesDir: string, opts: { output: string; mirror?: boolean; folds?: (number | 'all')[]; device: Device; threads?: number; progress: boolean; overwrite?: boolean; json?: boolean }) => {
      const started = performance.now();
      const r = await predictFolder(modelDir, imagesDir, opts.output, { mirror: opts.mirror, folds: opts.folds, device: opts.device, threads: opts.threads, progress: opts.progress, overwrite: opts.overwrite });
      const seconds = (performance.now() - started) / 1000;
      output(!!opts.json, { output: opts.output, folds: r.folds, cases: r.cases, seconds }, () => `${r.cases.length} segmentation(s) in ${opts.output} from fold(s) ${r.folds.join(', ')} in ${seconds.toFixed(1)} s`);
    });
}
