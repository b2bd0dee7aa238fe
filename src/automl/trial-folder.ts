/**
 * Trial folders for `hnas optimize`: wraps an objective so each trial runs in its own folder
 * (<study folder>/trials/<key>/ with config.json, log.txt, scores.json and the objective's files),
 * continues its predecessor's checkpoint by absolute path, and records checkpoints relative to the
 * study folder (so the folder can move). The worker loop itself is Study.optimize.
 * A re-claimed trial (attempt > 0: its worker was killed, lost, or stopped by Ctrl-C) keeps its
 * folder, so the objective continues from the newest checkpoint its previous attempt left there
 * (the nnU-Net objective: the fold's epoch checkpoint); only a first attempt starts empty.
 */
import { appendFileSync, mkdirSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { HnasError } from '../errors.js';
import type { Job, Objective, ObjectiveResult } from '../optimize/objective.js';
import { configText } from '../optimize/report.js';
import { writeFileAtomic } from '../util/fs.js';
import { trialFolderName } from './layout.js';

const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

function prepareTrialFolder(dir: string, job: Job): void {
  if (job.claim.attempt === 0) rmSync(dir, { recursive: true, force: true }); // nothing of another study's run
  else rmSync(join(dir, 'scores.json'), { force: true }); // a re-claim continues the folder; it has no result yet
  mkdirSync(dir, { recursive: true });
  const { study, key, number, configId, source, bracket, rung, budget, previousBudget, checkpoint, seed, claim, config } = job;
  writeFileAtomic(join(dir, 'config.json'), json({ study, key, number, configId, source, bracket, rung, budget, previousBudget, continues: checkpoint, seed, attempt: claim.attempt, config, text: configText(config) }));
}

/** `objective`, run in the trial folders of the study folder `folder`. */
export function inTrialFolders(folder: string, objective: Objective): Objective {
  return async (job, { signal }) => {
    const dir = join(folder, 'trials', trialFolderName(job.key));
    prepareTrialFolder(dir, job);
    const log = (line: string) => appendFileSync(join(dir, 'log.txt'), `${new Date().toISOString()} ${line}\n`);
    const previousCheckpoint = job.checkpoint === null ? null : join(folder, job.checkpoint);
    let result: ObjectiveResult;
    try {
      log(`start: ${job.budget} epochs (continuing ${job.previousBudget}), attempt ${job.claim.attempt}${job.claim.attempt > 0 ? ', re-claimed: continuing from the newest checkpoint in this folder' : ''}`);
      result = await objective(job, { dir, previousCheckpoint, signal, log });
    } catch (err) {
      if (signal.aborted) {
        const why = signal.reason instanceof Error && signal.reason.name !== 'AbortError' ? signal.reason.message : 'interrupted';
        log(`stopped (${why}): the trial's next holder continues it from its newest checkpoint`);
      }
      else if (err instanceof HnasError) {
        log(`failed: ${err.message}`);
        writeFileAtomic(join(dir, 'scores.json'), json({ status: 'failed', loss: 1, error: `${err.name}: ${err.message}` }));
      }
      throw err;
    }
    const checkpoint = result.checkpoint === undefined ? undefined : relative(folder, join(dir, result.checkpoint));
    writeFileAtomic(join(dir, 'scores.json'), json({ status: Number.isFinite(result.loss) ? 'complete' : 'failed', ...result, checkpoint }));
    log(`done: 1-Dice ${result.loss}, runtime ${result.cost} s`);
    return { ...result, checkpoint };
  };
}
