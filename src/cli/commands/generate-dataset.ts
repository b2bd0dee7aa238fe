/**
 * `hnas generate-dataset <out> --kind ct --cases 8 --seed 0 [--shape 512,512,400]`: a synthetic
 * MSD-format dataset of real size (dev command: benchmarks and the slow tests run on it).
 */
import { Option, type Command } from 'commander';
import { UsageError } from '../../errors.js';
import type { Vec3 } from '../../data/plan-types.js';
import { progressBar } from '../../data/progress.js';
import { generateDataset, SYNTHETIC_KINDS, type SyntheticKind } from '../../data/synthetic-dataset.js';
import { output } from '../output.js';
import { intOption } from '../options.js';

interface GenerateOptions {
  kind: SyntheticKind;
  cases: number;
  testCases: number;
  seed: number;
  shape?: Vec3;
  spacing?: Vec3;
  gzipLevel: number;
  progress: boolean;
  json?: boolean;
}

function vec3(flag: string, integer: boolean) {
  return (text: string): Vec3 => {
    const parts = text.split(/[x,]/).map((p) => (/^\d+(\.\d+)?$/.test(p) ? Number(p) : NaN));
    if (parts.length !== 3 || parts.some((p) => !(p > 0) || (integer && !Number.isInteger(p)))) {
      throw new UsageError(`${flag} must be three positive ${integer ? 'integers' : 'numbers'} x,y,z (NIfTI order), got '${text}'`);
    }
    return parts as Vec3;
  };
}

export function registerGenerateDataset(program: Command): void {
  program
    .command('generate-dataset')
    .description('write a synthetic MSD-format dataset from a seed (CT-like 512x512x300-450 anisotropic int16, or 4-channel MRI-like): for benchmarks and tests at real size')
    .argument('<out>', 'folder to write (must not hold a dataset.json)')
    .addOption(new Option('--kind <kind>', 'ct or mri').choices(Object.keys(SYNTHETIC_KINDS)).default('ct'))
    .option('--cases <n>', 'training cases', intOption('--cases', 1, 9999), 8)
    .option('--test-cases <n>', 'test cases (imagesTs)', intOption('--test-cases', 0, 9999), 1)
    .option('--seed <n>', 'seed: the same seed writes the same bytes', intOption('--seed'), 0)
    .option('--shape <x,y,z>', 'voxels per case, NIfTI order (default CT 512,512,300..450; MRI 240,240,155)', vec3('--shape', true))
    .option('--spacing <x,y,z>', 'voxel size in mm (default CT 0.7-0.8 in-plane, 1.5-5 slices; MRI 1,1,1)', vec3('--spacing', false))
    .option('--gzip-level <n>', 'gzip level of the files', intOption('--gzip-level', 0, 9), 1)
    .option('--no-progress', 'no progress bar')
    .option('--json', 'machine-readable output')
    .action(async (out: string, opts: GenerateOptions) => {
      const total = opts.cases + opts.testCases;
      const bar = progressBar('generate', total, opts.progress);
      const started = Date.now();
      let result;
      try {
        result = await generateDataset({ outDir: out, kind: opts.kind, cases: opts.cases, testCases: opts.testCases, seed: opts.seed, shape: opts.shape, spacing: opts.spacing, gzipLevel: opts.gzipLevel, onCase: (done) => bar.update(done) });
      } finally {
        bar.stop();
      }
      const seconds = (Date.now() - started) / 1000;
      const describe = (c: { id: string; shape: Vec3; spacing: Vec3 }) => ({ id: c.id, shape: c.shape, spacing: c.spacing });
      output(!!opts.json, { root: result.root, training: result.training.map(describe), test: result.test.map(describe), seconds }, () =>
        [
          `${result.training.length} training + ${result.test.length} test ${opts.kind} cases in ${result.root} (${seconds.toFixed(1)} s)`,
          ...[...result.training, ...result.test].map((c) => `  ${c.id}: ${c.shape.join('x')} at ${c.spacing.join('x')} mm`),
        ].join('\n'),
      );
    });
}
