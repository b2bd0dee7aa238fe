/** `hnas export <model-dir> -o <dir>`: one trained fold as a self-describing ONNX model (probabilities) + README. */
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { exportModel } from '../../pipeline/export.js';
import type { FoldId } from '../../pipeline/model-dir.js';
import { output } from '../output.js';

function parseFold(text: string): FoldId {
  const t = text.trim();
  if (t === 'all') return 'all';
  if (!/^\d+$/.test(t)) throw new UsageError(`--folds takes one fold here (a number or 'all'): an export is one network, got '${text}'`);
  return Number(t);
}

export function registerExport(program: Command): void {
  program
    .command('export')
    .description('export a trained fold as model.onnx (one output: class probabilities at full resolution) with its preprocessing in metadata_props, and a README with a standalone inference recipe')
    .argument('<model-dir>', 'model folder written by `hnas train`')
    .requiredOption('-o, --output <dir>', 'folder for model.onnx and README.md')
    .option('--folds <F>', "which trained fold, one (default: 'all' when trained, else the lowest)", parseFold)
    .option('--json', 'print what was written, and the metadata, as JSON')
    .action((modelDir: string, opts: { output: string; folds?: FoldId; json?: boolean }) => {
      const r = exportModel(modelDir, opts.output, { fold: opts.folds });
      output(!!opts.json, r, () => `exported fold ${r.fold}: ${r.model} (output 'probabilities'), ${r.readme}`);
    });
}
