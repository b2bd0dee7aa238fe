/** `hnas overlay <model-dir> <dataset> -o dir`: outlines of ground truth and prediction on the best, median and worst validation cases. */
import type { Command } from 'commander';
import { writeOverlays } from '../../report/overlay.js';
import { output } from '../output.js';
import { intOption, parseFolds } from '../options.js';

export function registerOverlay(program: Command): void {
  program
    .command('overlay')
    .description('qualitative overlays: PNG panels of the best, median and worst validation cases (slice with the most foreground, ground-truth and prediction outlines per class)')
    .argument('<model-dir>', 'model folder written by `hnas train` (numbered folds hold the validation predictions)')
    .argument('<dataset>', 'the dataset folder the model was trained on (images and ground truth)')
    .option('-o, --output <dir>', 'folder for overlays.png/.svg/.json/.md and one PNG per panel', 'overlays')
    .option('--folds <F>', "only these folds' validation cases: '0', '0,1' or '0..4' (default: every validated fold)", parseFolds)
    .option('--channel <C>', 'image channel shown', intOption('--channel', 0), 0)
    .option('--size <PX>', 'pixels along the longer physical side of each slice', intOption('--size', 16, 4096), 256)
    .option('--json', 'machine-readable output')
    .action((modelDir: string, datasetDir: string, opts: { output: string; folds?: number[]; channel: number; size: number; json?: boolean }) => {
      const r = writeOverlays(modelDir, datasetDir, opts.output, { folds: opts.folds, channel: opts.channel, size: opts.size });
      output(!!opts.json, { files: r.files, folds: r.folds, panels: r.panels }, () =>
        [
          `overlays of ${r.panels.length} case(s) (fold ${r.folds.join(', ')}) written to ${opts.output}/overlays.png`,
          ...r.panels.map((p) => `  ${p.roles.join(', ')}: ${p.id} (fold ${p.fold}), mean Dice ${Number.isNaN(p.score) ? 'n/a' : p.score.toFixed(3)}, slice ${'kji'[p.slice.axis]} = ${p.slice.index}`),
        ].join('\n'),
      );
    });
}
