/**
 * `hnas predict <model-dir> <images-dir> -o <out-dir>`: sliding-window segmentation of every
 * image with a model folder of `hnas train` (several folds: an ensemble, logits averaged).
 */
import { type Command, Option } from 'commander';
import { PROBABILITY_DTYPES, type ProbabilityDtype } from '../../data/restore.js';
import { predictFolder } from '../../pipeline/index.js';
import type { Device } from '../../runtime/providers.js';
import { output } from '../output.js';
import { deviceOption, foldsParser, intOption } from '../options.js';

interface PredictFlags {
  output: string;
  mirror?: boolean;
  folds?: (number | 'all')[];
  device: Device;
  threads?: number;
  progress: boolean;
  overwrite?: boolean;
  saveProbabilities?: ProbabilityDtype;
  ensemble?: string[];
  msd?: string;
  json?: boolean;
}

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
    .addOption(
      new Option('--save-probabilities [dtype]', 'also write <case>_probabilities.nii.gz: the softmax per class, 4D, in the input\'s geometry (float32, or uint16 scaled by 1/65535: NIfTI has no float16)')
        .choices(PROBABILITY_DTYPES)
        .preset('float32'),
    )
    .option('--ensemble <model-dirs...>', 'more model folders to ensemble with (probabilities averaged; same labels)')
    .option('--msd <task>', "the Decathlon's submission layout: <output>/<task>/<case>.nii.gz, e.g. --msd Task04_Hippocampus")
    .option('--overwrite', 'replace existing files in the output folder that an earlier `hnas predict` did not write')
    .option('--no-progress', 'no progress bar')
    .option('--json', 'machine-readable summary')
    .action(async (modelDir: string, imagesDir: string, opts: PredictFlags) => {
      const started = performance.now();
      const r = await predictFolder(modelDir, imagesDir, opts.output, {
        mirror: opts.mirror, folds: opts.folds, device: opts.device, threads: opts.threads, progress: opts.progress, overwrite: opts.overwrite,
        saveProbabilities: opts.saveProbabilities, ensemble: opts.ensemble, msd: opts.msd,
      });
      const seconds = (performance.now() - started) / 1000;
      const extra = `${opts.saveProbabilities ? ' with probabilities' : ''}${opts.ensemble ? ` (ensemble of ${opts.ensemble.length + 1} model folders)` : ''}`;
      output(!!opts.json, { output: r.outDir, folds: r.folds, cases: r.cases, seconds }, () => `${r.cases.length} segmentation(s)${extra} in ${r.outDir} from fold(s) ${r.folds.join(', ')} in ${seconds.toFixed(1)} s`);
    });
}
