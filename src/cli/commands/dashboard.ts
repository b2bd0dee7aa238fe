/** `hnas dashboard <study>`: a read-only local web page that shows the study live (src/dashboard). */
import type { Command } from 'commander';
import { DEFAULT_HOST, DEFAULT_PORT, isLoopback, startDashboard } from '../../dashboard/server.js';
import { intOption, storageOption } from '../options.js';

interface DashboardFlags {
  name?: string;
  storage?: string;
  port: number;
  host: string;
  model?: string[];
  dataset?: string;
}

export function registerDashboard(program: Command): void {
  program
    .command('dashboard')
    .description('serve a live, read-only dashboard of a study (plots, trials, architectures, validation cases, in-browser inference) on localhost')
    .argument('<study>', 'study folder (holding study.db) or database file')
    .option('--name <name>', 'study name inside the database (needed when it holds several)')
    .addOption(storageOption())
    .option('--port <n>', 'TCP port (0: any free one)', intOption('--port', 0, 65535), DEFAULT_PORT)
    .option('--host <address>', 'address to bind; anything but loopback serves the study to the network, without authentication', DEFAULT_HOST)
    .option('--model <dir...>', 'model folders of `hnas train` to show too (case viewer, in-browser inference)')
    .option('--dataset <dir>', "the dataset of the validation cases' images and labels (default: the study's)")
    .action(async (path: string, flags: DashboardFlags, cmd: Command) => {
      const explicitHost = cmd.getOptionValueSource('host') === 'cli';
      const d = await startDashboard({ study: path, name: flags.name, storage: flags.storage, port: flags.port, host: flags.host, allowRemote: explicitHost, models: flags.model, dataset: flags.dataset });
      process.stdout.write(`hnas dashboard: ${d.url} (read-only; Ctrl-C stops it)\n`);
      if (!isLoopback(d.host)) process.stderr.write(`hnas: warning: serving on ${d.host}: anyone who can reach this address can read the study\n`);
      await new Promise<void>((ok) => {
        const stop = () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          void d.close().then(ok);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
    });
}
