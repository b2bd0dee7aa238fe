/**
 * `hnas auto <dataset> --time 1h`: plan, time this machine, search (Regularized PriorBand over
 * hpo_hnas) for part of the budget, train the incumbent for the rest, decide test-time mirroring
 * by measurement, and write a model folder, an export, a report and a summary. Rerun to resume.
 */
import { basename, join } from 'node:path';
import type { Command } from 'commander';
import { runAuto } from '../../automl/auto.js';
import { overrunMargin } from '../../automl/auto-settings.js';
import { parseDuration } from '../../automl/budget.js';
import { OptimizationInterrupted } from '../../automl/interrupt.js';
import { loadStudy } from '../../automl/load.js';
import { progressView } from '../../automl/progress.js';
import type { Device } from '../../runtime/providers.js';
import { PRIOR_NAMES, type PriorName, priorNamed } from '../../space/priors.js';
import { output } from '../output.js';
import { deviceOption, intOption, parseFolds, seedOption } from '../options.js';

interface AutoFlags {
  time: number;
  output?: string;
  folds?: number[];
  prior?: string;
  device: Device;
  seed: number;
  threads?: number;
  progress: boolean;
  json?: boolean;
}

/** Run as the `hnas` process itself (not embedded, e.g. in a test runner): its start-up counts against the budget. */
const ownProcess = (): boolean => /(^|[\\/])hnas(\.mjs)?$/.test(process.argv[1] ?? '');

export function registerAuto(program: Command): void {
  program
    .command('auto')
    .description('the best model a time budget buys: plan, time this machine, search, train the incumbent for the rest, validate, export; rerun to resume')
    .argument('<dataset>', 'dataset folder holding dataset.json (MSD or nnU-Net v2 layout)')
    .requiredOption('--time <T>', 'the whole budget (3600, 90m, 1h), validation and export included', (v) => parseDuration('--time', v))
    .option('-o, --output <dir>', 'output folder (default: auto/<dataset folder name>)')
    .option('--folds <folds>', "folds of the final training (default: decided from the budget; the search uses the first)", parseFolds)
    .option('--prior <name>', `the search's prior: ${PRIOR_NAMES.join(', ')} (default: decided from the final training's steps)`)
    .addOption(deviceOption())
    .addOption(seedOption('seed of the search and the training'))
    .option('--threads <N>', 'onnxruntime intra-op threads (default: all cores)', intOption('--threads', 1))
    .option('--no-progress', 'no progress view')
    .option('--json', 'print the result as JSON')
    .action(async (dataset: string, flags: AutoFlags) => {
      if (flags.prior !== undefined) priorNamed(flags.prior);
      const outDir = flags.output ?? join('auto', basename(dataset));
      const controller = new AbortController();
      let interrupts = 0;
      const onSignal = (received: 'SIGINT' | 'SIGTERM') => {
        if (++interrupts > 1) process.exit(received === 'SIGTERM' ? 143 : 130);
        process.stderr.write(`\nhnas: stopping after saving (${received === 'SIGINT' ? 'Ctrl-C' : 'SIGTERM'} again to quit at once)\n`);
        controller.abort(new OptimizationInterrupted(received));
      };
      const onSigint = () => onSignal('SIGINT');
      const onSigterm = () => onSignal('SIGTERM');
      process.on('SIGINT', onSigint);
      process.on('SIGTERM', onSigterm);
      const quiet = !flags.progress || !!flags.json;
      try {
        const r = await runAuto({
          startedAt: ownProcess() ? performance.timeOrigin : undefined, datasetDir: dataset, outDir, budgetSeconds: flags.time, device: flags.device, seed: flags.seed, folds: flags.folds ?? null, prior: (flags.prior as PriorName | undefined) ?? null, threads: flags.threads,
          progress: !quiet, signal: controller.signal, view: quiet ? undefined : progressView(),
          log: (line) => void (flags.json ? undefined : process.stderr.write(`${line}\n`)),
          searchReport: async (studyDir, name, to) => {
            const { writeReport } = await import('../../report/index.js');
            await writeReport(await loadStudy(studyDir, name), to);
          },
        });
        const s = r.state;
        output(!!flags.json, { ...r.files, spentSeconds: s.spentSeconds, marginSeconds: overrunMargin(s.request.budgetSeconds), settings: s.settings, search: s.search, final: s.final, tta: s.tta, phases: s.phases }, () =>
          [
            `hnas auto: done in ${(s.spentSeconds / 60).toFixed(1)} min of ${(s.request.budgetSeconds / 60).toFixed(1)}`,
            `model: ${r.files.model}  (hnas predict ${r.files.model} <images> -o <out>${s.tta!.mirror ? ' --mirror' : ''})`,
            `export: ${r.files.export}/model.onnx; report: ${r.files.report}; summary: ${r.files.summary}`,
          ].join('\n'),
        );
      } finally {
        process.off('SIGINT', onSigint);
        process.off('SIGTERM', onSigterm);
      }
    });
}
