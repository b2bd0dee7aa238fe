/** `hnas doctor [--json]`: what runs where (src/runtime/doctor.ts); exit 0 even when a GPU device is not ready. */
import type { Command } from 'commander';
import { diagnose, formatDoctor } from '../../runtime/doctor.js';
import { output } from '../output.js';

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('what runs where: onnxruntime version, execution providers, the CUDA libraries and GPU they need, each missing piece with its fix')
    .option('--ort-dir <dir>', "onnxruntime-node's native folder to inspect (default: the installed package's)")
    .option('--json', 'machine-readable report')
    .action((opts: { ortDir?: string; json?: boolean }) => {
      const report = diagnose({ nativeDir: opts.ortDir });
      output(!!opts.json, report, () => formatDoctor(report));
    });
}
