/** `hnas transfer <study>... --datasets <dataset>... -o dir`: each study's incumbent trained on each dataset, against each dataset's default. */
import type { Command } from 'commander';
import { OptimizationInterrupted } from '../../automl/interrupt.js';
import { loadStudy } from '../../automl/load.js';
import { runTransfer } from '../../automl/transfer.js';
import type { Vec3 } from '../../data/plan-types.js';
import { writeTransferReport } from '../../report/transfer.js';
import type { Device } from '../../runtime/providers.js';
import { UsageError } from '../../errors.js';
import { output } from '../output.js';
import { deviceOption, intOption, parseFolds, parsePatch, seedOption, storageOption } from '../options.js';

interface TransferFlags {
  datasets: string[];
  output: string;
  storage?: string;
  folds?: number[];
  patch?: Vec3;
  batch?: number;
  seed: number;
  device: Device;
  threads?: number;
  progress: boolean;
  json?: boolean;
}

const pct = (x: number | null) => (x === null ? 'n/a' : (100 * x).toFixed(2));

export function registerTransfer(program: Command): void {
  program
    .command('transfer')
    .description("train each study's incumbent on each dataset with the study's budget, next to each dataset's nnU-Net default at the same budget: Dice matrix, gain over the default, heatmaps; rerun to continue")
    .argument('<study...>', 'study folders (holding study.db) or database files; a database holding several studies: <file>#<name>')
    .requiredOption('--datasets <dataset...>', 'dataset folders (MSD or nnU-Net v2 layout) to train on')
    .option('-o, --output <dir>', 'transfer folder (cells, report)', 'transfer')
    .addOption(storageOption())
    .option('--folds <F>', "folds every cell trains: '0', '0,1' or '0..4' (default: each study's own folds)", parseFolds)
    .option('--patch <XxYxZ>', "patch size on every dataset instead of its plan's", (v) => parsePatch(v))
    .option('--batch <B>', "batch size on every dataset instead of its plan's", intOption('--batch', 1))
    .addOption(seedOption('seed of weights and batches of every cell'))
    .addOption(deviceOption())
    .option('--threads <N>', 'onnxruntime intra-op threads (default: all cores)', intOption('--threads', 1))
    .option('--no-progress', 'no progress lines')
    .option('--json', 'machine-readable output')
    .action(async (paths: string[], flags: TransferFlags) => {
      const studies = [];
      for (const p of paths) {
        const at = p.lastIndexOf('#');
        try {
          studies.push(await loadStudy(at > 0 ? p.slice(0, at) : p, at > 0 ? p.slice(at + 1) : undefined, flags.storage));
        } catch (err) {
          // loadStudy's advice names --name, which this command spells as a suffix.
          if (err instanceof UsageError && /choose one with --name/.test(err.message)) throw new UsageError(err.message.replace('choose one with --name', `name one as ${p}#<name>`));
          throw err;
        }
      }
      const controller = new AbortController();
      const onSigint = () => controller.abort(new OptimizationInterrupted());
      process.on('SIGINT', onSigint);
      try {
        const log = flags.progress && !flags.json ? (line: string) => process.stderr.write(`${line}\n`) : undefined;
        const m = await runTransfer(studies, flags.datasets, {
          outDir: flags.output, folds: flags.folds, seed: flags.seed, patchSize: flags.patch ?? null, batchSize: flags.batch ?? null,
          device: flags.device, threads: flags.threads, progress: flags.progress && !flags.json, signal: controller.signal, log,
        });
        const files = await writeTransferReport(m, flags.output);
        output(!!flags.json, { ...m, files }, () =>
          [
            `transfer of ${m.studies.length} incumbent(s) to ${m.datasets.length} dataset(s) written to ${flags.output}/transfer.md (${m.trainedNow} cell(s) trained now, ${m.reused} finished before)`,
            `Dice % | ${m.datasets.map((d) => d.label).join(' | ')}`,
            ...m.studies.map((s) => `${s.label} | ${m.datasets.map((d) => pct(m.cells.find((c) => c.study === s.label && c.dataset === d.label)?.dice ?? null)).join(' | ')}`),
            ...m.defaults.map((c) => `default (${c.budget.epochs} epochs) on ${c.dataset} | ${pct(c.dice)}`),
          ].join('\n'),
        );
      } finally {
        process.off('SIGINT', onSigint);
      }
    });
}
