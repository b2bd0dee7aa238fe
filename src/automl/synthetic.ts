/**
 * A synthetic trial objective over the Auto-nnU-Net spaces (hpo, nas, hnas), for tests
 * and dry runs: deterministic 1 - Dice from the hyperparameters (a smooth bowl around a
 * known optimum, a fidelity term that shrinks with epochs, hash noise) and a runtime that
 * grows with the model's size, so the Pareto front is a real trade-off. It writes a
 * checkpoint every run and checks the one it continues, like a trainer must.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isNode, type TreeNode } from '../grammar/tree-types.js';
import type { Configuration } from '../space/types.js';
import type { Job } from '../optimize/study.js';
import { type ObjectiveSetup, type TrialContext, type TrialResult, TrialInterrupted } from './objective.js';

const CATEGORY_PENALTY: Record<string, Record<string, number>> = {
  optimizer: { sgd: 0, adam: 0.012, adamw: 0.008 },
  loss: { dice_ce: 0, dice: 0.01, ce: 0.025, topk: 0.015 },
  lr_scheduler: { poly: 0, cosine: 0.004, none: 0.03 },
  encoder: { conv: 0, residual: 0.003 },
  activation: { leaky_relu: 0, relu: 0.002, elu: 0.006, gelu: 0.003, prelu: 0.004 },
  normalization: { instance_norm: 0, batch_norm: 0.01 },
};

function terminals(tree: TreeNode, out: string[] = []): string[] {
  for (const c of tree.children) if (isNode(c)) terminals(c, out);
    else out.push(c);
  return out;
}

/** Relative size of the network (1 = nnU-Net's default; for trees, the default with 4 stages): drives runtime and a little of the accuracy. */
export function syntheticModelSize(c: Configuration): number {
  if (c.architecture !== undefined) {
    const t = terminals(c.architecture as TreeNode);
    const blocks = t.filter((s) => s.endsWith('_block')).length;
    const stages = t.filter((s) => s === 'down').length + 1;
    return (blocks / 14) * (stages / 4);
  }
  const scale = (c.model_scale as number | undefined) ?? 1;
  const width = ((c.base_features as number | undefined) ?? 32) / 32;
  return scale * width * (c.encoder === 'residual' ? 1.6 : 1);
}

const sq = (x: number): number => x * x;

/** 1 - Dice at full fidelity, noise-free. */
export function syntheticTrueLoss(c: Configuration): number {
  let loss = 0.1;
  loss += 0.02 * sq(Math.log10(c.learning_rate as number) - Math.log10(3e-3));
  loss += 0.004 * sq(Math.log10(c.weight_decay as number) - Math.log10(1e-4));
  loss += 0.05 * sq((c.foreground_oversampling as number) - 0.4);
  loss += 0.01 * sq((c.augmentation_factor as number) - 1.2);
  if (c.momentum !== undefined) loss += 0.3 * sq(Math.log10(1 - (c.momentum as number)) + 2);
  if (c.dropout_rate !== undefined) loss += 0.1 * sq((c.dropout_rate as number) - 0.1);
  for (const [name, table] of Object.entries(CATEGORY_PENALTY)) if (typeof c[name] === 'string') loss += table[c[name] as string] ?? 0;
  // Smaller networks are a little less accurate: the accuracy/runtime trade-off.
  return loss + 0.015 / Math.sqrt(syntheticModelSize(c));
}

function hashNoise(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 0;
  return h / 2 ** 31 - 1;
}

interface SyntheticCheckpoint {
  readonly epochs: number;
  readonly seconds: number;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

/** The synthetic objective; `setup.options.delayMs` sleeps per epoch (so a Ctrl-C can land mid-trial). */
export function syntheticTrialObjective(setup: ObjectiveSetup) {
  const delayMs = setup.options.delayMs ?? 0;
  const folds = setup.training.folds;
  return async (job: Job, trial: TrialContext): Promise<TrialResult> => {
    let start: SyntheticCheckpoint = { epochs: 0, seconds: 0 };
    if (job.previousBudget > 0) {
      if (!trial.previousCheckpoint || !existsSync(trial.previousCheckpoint)) throw new Error(`synthetic objective: missing checkpoint ${trial.previousCheckpoint}`);
      start = JSON.parse(readFileSync(trial.previousCheckpoint, 'utf8')) as SyntheticCheckpoint;
      if (start.epochs !== job.previousBudget) throw new Error(`synthetic objective: checkpoint has ${start.epochs} epochs, job continues ${job.previousBudget}`);
    }
    const secondsPerEpoch = 30 * syntheticModelSize(job.config) * folds.length;
    trial.log(`continuing from epoch ${start.epochs} to ${job.budget}`);
    for (let epoch = start.epochs; epoch < job.budget; epoch++) {
      if (delayMs > 0) await sleep(delayMs, trial.signal);
      if (trial.signal.aborted) throw new TrialInterrupted();
    }
    const fidelity = Math.min(1, Math.log1p(job.budget) / Math.log1p(1000));
    const scores = folds.map((fold) => {
      const noise = 0.004 * hashNoise(`${fold}/${JSON.stringify(job.config)}/${job.budget}`);
      const loss = Math.min(1, syntheticTrueLoss(job.config) + 0.25 * (1 - fidelity) + noise);
      return { fold, dice: 1 - loss, seconds: secondsPerEpoch * job.budget / folds.length };
    });
    const cost = secondsPerEpoch * job.budget;
    const checkpoint: SyntheticCheckpoint = { epochs: job.budget, seconds: cost };
    writeFileSync(join(trial.dir, 'checkpoint.json'), JSON.stringify(checkpoint));
    trial.log(`trained ${job.budget - start.epochs} epochs`);
    const meanDice = scores.reduce((s, f) => s + f.dice, 0) / scores.length;
    return { loss: 1 - meanDice, cost, checkpoint: 'checkpoint.json', folds: scores };
  };
}
