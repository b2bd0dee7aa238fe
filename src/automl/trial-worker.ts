/**
 * One worker's loop over a shared study: ask for a job, give the objective its trial
 * folder, record the result. Runs in the `hnas optimize` process and in each extra
 * worker process. Stops when the study is done, the time limit is reached, `maxTrials`
 * jobs ran, or the signal aborts (Ctrl-C): a trial interrupted mid-run is left
 * `running` and, its process gone, is re-run from its start by the next `hnas optimize`.
 */
import { appendFileSync, mkdirSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { HnasError } from '../errors.js';
import { configText } from '../optimize/report.js';
import type { Job, Study } from '../optimize/study.js';
import { writeFileAtomic } from '../util/fs.js';
import type { TrialObjective, TrialResult } from './objective.js';
import { trialFolderName } from './layout.js';
import { busySeconds } from './progress.js';

export type StopReason = 'done' | 'time-limit' | 'max-trials' | 'interrupted';

export interface WorkOptions {
  /** The study's own folder (<dir>/<name>): trial folders and checkpoints are relative to it. */
  readonly folder: string;
  readonly signal: AbortSignal;
  readonly timeLimitS: number | null;
  readonly maxTrials?: number;
  readonly pollMs?: number;
  readonly heartbeatMs?: number;
  readonly now?: () => number;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });

const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

function prepareTrialFolder(dir: string, job: Job): void {
  rmSync(dir, { recursive: true, force: true }); // a re-claimed trial starts over
  mkdirSync(dir, { recursive: true });
  const { study, key, number, configId, source, bracket, rung, budget, previousBudget, checkpoint, seed, claim, config } = job;
  writeFileAtomic(join(dir, 'config.json'), json({ study, key, number, configId, source, bracket, rung, budget, previousBudget, continues: checkpoint, seed, attempt: claim.attempt, config, text: configText(config) }));
}

export async function work(study: Study, objective: TrialObjective, options: WorkOptions): Promise<{ evaluated: number; stopped: StopReason }> {
  const { folder, signal } = options;
  const now = options.now ?? Date.now;
  let evaluated = 0;
  for (;;) {
    if (signal.aborted) return { evaluated, stopped: 'interrupted' };
    if (options.maxTrials !== undefined && evaluated >= options.maxTrials) return { evaluated, stopped: 'max-trials' };
    if (options.timeLimitS !== null && busySeconds(await study.trials(), now()) >= options.timeLimitS) return { evaluated, stopped: 'time-limit' };
    const step = await study.ask();
    if (step.kind === 'done') return { evaluated, stopped: 'done' };
    if (step.kind === 'wait') {
      await sleep(options.pollMs ?? 500, signal);
      continue;
    }
    const job = step.job;
    const dir = join(folder, 'trials', trialFolderName(job.key));
    prepareTrialFolder(dir, job);
    const log = (line: string) => appendFileSync(join(dir, 'log.txt'), `${new Date(now()).toISOString()} ${line}\n`);
    const context = { dir, previousCheckpoint: job.checkpoint === null ? null : join(folder, job.checkpoint), signal, log };
    const timer = setInterval(() => void study.heartbeat(job).catch(() => undefined), options.heartbeatMs ?? 30_000);
    let result: TrialResult;
    try {
      log(`start: ${job.budget} epochs (continuing ${job.previousBudget}), attempt ${job.claim.attempt}`);
      result = await objective(job, context);
    } catch (err) {
      if (signal.aborted) {
        log('interrupted: the trial is re-run when the study resumes');
        return { evaluated, stopped: 'interrupted' };
      }
      if (!(err instanceof HnasError)) throw err; // a bug: the trial stays running, to be re-claimed
      log(`failed: ${err.message}`);
      writeFileAtomic(join(dir, 'scores.json'), json({ status: 'failed', loss: 1, error: `${err.name}: ${err.message}` }));
      await study.tellFailure(job, err);
      evaluated++;
      continue;
    } finally {
      clearInterval(timer);
    }
    const checkpoint = relative(folder, join(dir, result.checkpoint));
    writeFileAtomic(join(dir, 'scores.json'), json({ status: Number.isFinite(result.loss) ? 'complete' : 'failed', ...result, checkpoint }));
    log(`done: 1-Dice ${result.loss}, runtime ${result.cost} s`);
    await study.tell(job, { ...result, checkpoint });
    evaluated++;
  }
}
