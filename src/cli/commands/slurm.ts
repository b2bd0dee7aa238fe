/** `hnas slurm <study> --workers N`: writes an sbatch job-array script whose tasks run `hnas worker` on the study. */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { Option } from 'commander';
import { joinStudy } from '../../automl/join.js';
import { parseSlurmTime, slurmScript } from '../../automl/slurm.js';
import { UsageError } from '../../errors.js';
import { storageBackend } from '../../optimize/storage-url.js';
import { type Device, PROVIDERS } from '../../runtime/providers.js';
import { writeFileAtomic } from '../../util/fs.js';
import { output } from '../output.js';
import { intOption, storageOption } from '../options.js';

interface SlurmFlags {
  name?: string;
  storage?: string;
  workers: number;
  gpusPerWorker: number;
  cpusPerWorker?: number;
  time: number;
  partition?: string;
  device: Device;
  threads?: number;
  output?: string;
  json?: boolean;
}

/** The URL without its password (the workers read it from PGPASSWORD or ~/.pgpass). */
function withoutPassword(url: string): string {
  const u = new URL(url);
  u.password = '';
  return u.toString();
}

export function registerSlurm(program: Command): void {
  program
    .command('slurm')
    .description('write an sbatch job-array script: each array task runs `hnas worker` on the study (one GPU each)')
    .argument('<study>', 'the study folder `hnas optimize` made, on a filesystem every node mounts')
    .option('--name <name>', 'study name inside the storage (needed when it holds several)')
    .addOption(storageOption("what study.json recorded"))
    .requiredOption('--workers <n>', 'array tasks (workers) to run at once', intOption('--workers', 1, 10_000))
    .option('--gpus-per-worker <n>', 'GPUs per worker (--gres=gpu:n; 0 for CPU workers)', intOption('--gpus-per-worker', 0, 64), 1)
    .option('--cpus-per-worker <n>', 'CPU cores per worker (--cpus-per-task)', intOption('--cpus-per-worker', 1, 1024))
    .addOption(new Option('--time <HH:MM:SS>', 'wall time per worker (SLURM --time)').argParser(parseSlurmTime).default(86_400, '24:00:00'))
    .option('--partition <p>', 'SLURM partition')
    // Not checked here: the workers run on the nodes, where `hnas worker` checks it.
    .addOption(new Option('--device <device>', 'execution provider of the workers').choices(Object.keys(PROVIDERS)).default('cuda'))
    .option('--threads <N>', 'onnxruntime intra-op threads per worker', intOption('--threads', 1))
    .option('-o, --output <file>', 'the script to write (default: <study>/hnas-<name>.sbatch)')
    .option('--json', 'machine-readable output')
    .action(async (path: string, flags: SlurmFlags) => {
      const study = await joinStudy(path, { name: flags.name, storage: flags.storage });
      if (!storageBackend(study.paths.storage).networked && flags.workers > 1)
        throw new UsageError(
          `study '${study.name}' keeps its trials in SQLite (${study.paths.db}), which workers on several machines cannot share: ` +
            'start it with --storage postgresql://user@host:5432/db (docs/optimizer.md), or use --workers 1',
        );
      const file = resolve(flags.output ?? `${study.paths.dir}/hnas-${study.name}.sbatch`);
      const script = slurmScript({
        dir: study.paths.dir, name: study.name, storage: flags.storage && withoutPassword(flags.storage), workers: flags.workers,
        gpusPerWorker: flags.gpusPerWorker, cpusPerWorker: flags.cpusPerWorker, timeS: flags.time, partition: flags.partition, device: flags.device, threads: flags.threads,
      });
      writeFileAtomic(file, script);
      output(!!flags.json, { file, workers: flags.workers }, () => `wrote ${file} (${flags.workers} workers); submit it with: sbatch ${file}`);
    });
}
