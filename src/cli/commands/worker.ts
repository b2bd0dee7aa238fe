/**
 * `hnas worker <study>`: joins an existing study (started by `hnas optimize`) from any machine
 * and evaluates trials until the schedule is done or --time-limit passes. Any number of workers
 * on any machines may share one study through a PostgreSQL storage; a worker that dies leaves
 * its trial running, and another worker re-claims it once its heartbeat is older than
 * --stale-after (at once on the same machine, whose process table shows it gone).
 */
import type { Command } from 'commander';
import { Option } from 'commander';
import { parseDuration } from '../../automl/budget.js';
import { runWorker } from '../../automl/driver.js';
import { OptimizationInterrupted } from '../../automl/interrupt.js';
import { joinStudy } from '../../automl/join.js';
import type { Device } from '../../runtime/providers.js';
import { output } from '../output.js';
import { deviceOption, intOption, storageOption } from '../options.js';

interface WorkerFlags {
  name?: string;
  storage?: string;
  device: Device;
  threads?: number;
  timeLimit?: number;
  maxTrials?: number;
  heartbeat: number;
  staleAfter: number;
  delayMs?: number;
  json?: boolean;
}

export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description('join an existing study from any machine and evaluate trials until the schedule is done or --time-limit passes')
    .argument('<study>', 'the study folder `hnas optimize` made (on a filesystem every worker sees)')
    .option('--name <name>', 'study name inside the storage (needed when it holds several)')
    .addOption(storageOption('what study.json recorded, else the folder\'s study.db'))
    .addOption(deviceOption())
    .option('--threads <N>', 'onnxruntime intra-op threads (default: all cores)', intOption('--threads', 1))
    .addOption(new Option('--time-limit <T>', 'start no trial after this worker has run T (3600, 90m, 1.5h): a batch job\'s wall time').argParser((v) => parseDuration('--time-limit', v)))
    .option('--max-trials <n>', 'stop after this many evaluations', intOption('--max-trials', 1))
    .addOption(new Option('--heartbeat <T>', 'heartbeat interval while a trial runs').argParser((v) => parseDuration('--heartbeat', v)).default(30, '30s'))
    .addOption(new Option('--stale-after <T>', "re-claim another machine's running trial once its heartbeat is this old").argParser((v) => parseDuration('--stale-after', v)).default(600, '10m'))
    .addOption(new Option('--delay-ms <n>', 'synthetic objective: sleep per epoch').argParser(intOption('--delay-ms', 0)).hideHelp())
    .option('--json', 'print the summary as JSON')
    .action(async (path: string, flags: WorkerFlags) => {
      const started = Date.now();
      const prepared = await joinStudy(path, { name: flags.name, storage: flags.storage });
      const controller = new AbortController();
      // SIGINT (Ctrl-C) and SIGTERM (a batch system's time limit): stop after saving; the trial under way is re-run.
      const stop = () => controller.abort();
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
      try {
        const { evaluated, stopped } = await runWorker(
          prepared,
          {
            storage: prepared.paths.storage, name: prepared.name, device: flags.device, timeLimitS: null,
            objectiveOptions: { ...(flags.threads === undefined ? {} : { threads: flags.threads }), ...(flags.delayMs === undefined ? {} : { delayMs: flags.delayMs }) },
            deadline: flags.timeLimit === undefined ? undefined : started + flags.timeLimit * 1000,
            heartbeatMs: flags.heartbeat * 1000, staleAfterMs: flags.staleAfter * 1000,
          },
          { signal: controller.signal, maxTrials: flags.maxTrials },
        );
        const summary = { study: prepared.name, dir: prepared.paths.dir, storage: prepared.paths.db, evaluated, stopped };
        output(!!flags.json, summary, () => `worker on study '${prepared.name}' (${prepared.paths.db}): ${evaluated} evaluations, stopped: ${stopped}`);
        if (stopped === 'interrupted') throw new OptimizationInterrupted();
      } finally {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
      }
    });
}
