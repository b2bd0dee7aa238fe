/**
 * The synthetic objective: a deterministic stand-in for training that honours the whole
 * objective contract (objective.ts): it continues only the checkpoint it was promised, writes
 * one, reports per-fold scores, sleeps per epoch on request and stops when trial.signal
 * aborts. It serves `hnas optimize --objective synthetic` (tests and dry runs of a budget)
 * and the optimiser's tests and benchmarks. What it reports comes from a loss surface:
 *  - autonnunetSurface (the default), over the Auto-nnU-Net spaces (hpo, hpo_nas, hpo_hnas): a
 *    smooth bowl around a plausible optimum, a fidelity term that shrinks with epochs, hash
 *    noise, and a runtime that grows with the model's size, so the Pareto front is a real
 *    trade-off;
 *  - benchmarkSurface, over syntheticSpace() with a known optimum (0) and a good or a
 *    misleading prior, for validating and benchmarking the optimisers.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isNode, type TreeNode } from '../grammar/tree-types.js';
import type { Configuration, SearchSpace } from '../space/types.js';
import { hashNoise } from '../util/hash.js';
import { sleep } from '../util/sleep.js';
import { type Objective, TrialInterrupted } from './objective.js';

/** What the synthetic objective reports for a configuration. */
export interface LossSurface {
  /** Loss of `config` trained `budget` epochs, validated on `fold`. */
  loss(config: Configuration, budget: number, fold: number): number;
  /** Training seconds per epoch and fold. */
  secondsPerEpoch(config: Configuration): number;
}

export interface SyntheticOptions {
  readonly surface?: LossSurface;
  /** Folds "trained" per evaluation (default [0]); the loss is the fold mean, the cost their sum. */
  readonly folds?: readonly number[];
  /** Sleep per epoch in ms, so a Ctrl-C can land mid-trial (default 0). */
  readonly delayMs?: number;
}

/** What a synthetic checkpoint holds, in checkpoint.json under a trial folder. */
interface SyntheticCheckpoint {
  readonly epochs: number;
  readonly seconds: number;
}

const CHECKPOINT_FILE = 'checkpoint.json';

/** Without a folder the checkpoint is a reference that names its epochs: `synthetic:<key>:<epochs>`. */
const bareCheckpoint = (key: string, epochs: number): string => `synthetic:${key}:${epochs}`;
const bareEpochs = (checkpoint: string): number => Number(checkpoint.slice(checkpoint.lastIndexOf(':') + 1));

export function syntheticObjective(options: SyntheticOptions = {}): Objective {
  const { surface = autonnunetSurface, folds = [0], delayMs = 0 } = options;
  return async (job, trial) => {
    let startEpoch = 0;
    if (job.previousBudget > 0) {
      const from = trial.previousCheckpoint;
      if (from === null || (trial.dir !== null && !existsSync(from))) throw new Error(`synthetic objective: missing checkpoint ${from}`);
      startEpoch = trial.dir === null ? bareEpochs(from) : (JSON.parse(readFileSync(from, 'utf8')) as SyntheticCheckpoint).epochs;
      if (startEpoch !== job.previousBudget) throw new Error(`synthetic objective: checkpoint has ${startEpoch} epochs, job continues ${job.previousBudget}`);
    }
    trial.log(`continuing from epoch ${startEpoch} to ${job.budget}`);
    for (let epoch = startEpoch; epoch < job.budget; epoch++) {
      if (delayMs > 0) await sleep(delayMs, trial.signal);
      if (trial.signal.aborted) throw new TrialInterrupted();
    }
    const cost = surface.secondsPerEpoch(job.config) * folds.length * job.budget;
    const losses = folds.map((fold) => surface.loss(job.config, job.budget, fold));
    const scores = folds.map((fold, i) => ({ fold, dice: 1 - losses[i]!, seconds: cost / folds.length }));
    if (trial.dir !== null) writeFileSync(join(trial.dir, CHECKPOINT_FILE), JSON.stringify({ epochs: job.budget, seconds: cost } satisfies SyntheticCheckpoint));
    trial.log(`trained ${job.budget - startEpoch} epochs`);
    const loss = losses.reduce((s, l) => s + l, 0) / losses.length;
    return { loss, cost, checkpoint: trial.dir === null ? bareCheckpoint(job.key, job.budget) : CHECKPOINT_FILE, folds: scores };
  };
}

// --- the Auto-nnU-Net spaces ---------------------------------------------------------------

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
function autonnunetTrueLoss(c: Configuration): number {
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

/** 1 - Dice over the Auto-nnU-Net spaces; fidelity log(1 + epochs) / log(1001); 30 s per epoch for the default model. */
export const autonnunetSurface: LossSurface = {
  loss(config, budget, fold) {
    const fidelity = Math.min(1, Math.log1p(budget) / Math.log1p(1000));
    const noise = 0.004 * hashNoise(`${fold}/${JSON.stringify(config)}/${budget}`);
    return Math.min(1, autonnunetTrueLoss(config) + 0.25 * (1 - fidelity) + noise);
  },
  secondsPerEpoch: (config) => 30 * syntheticModelSize(config),
};

// --- the benchmark space with a known optimum ------------------------------------------------

const OPT = { x1: 0.7, x2: 0.25, x3: 0.4, x4: 0.6, lr: 1e-3, cat: 'b', units: 40 } as const;

/**
 * The benchmark space (four floats, a log-float, a categorical, an int) with its prior centred on
 * `prior`: 'good' (near the optimum: the default's regret is about 0.09) or 'misleading' (far from
 * it: regret about 1).
 */
export function syntheticSpace(prior: 'good' | 'misleading'): SearchSpace {
  const good = prior === 'good';
  return {
    name: `synthetic-${prior}`,
    params: [
      { name: 'x1', kind: 'float', lower: 0, upper: 1, default: good ? 0.5 : 0.05 },
      { name: 'x2', kind: 'float', lower: 0, upper: 1, default: good ? 0.45 : 0.95 },
      { name: 'x3', kind: 'float', lower: 0, upper: 1, default: good ? 0.25 : 0.95 },
      { name: 'x4', kind: 'float', lower: 0, upper: 1, default: good ? 0.75 : 0.02 },
      { name: 'lr', kind: 'float', lower: 1e-5, upper: 1e-1, log: true, default: good ? 8e-3 : 8e-2 },
      { name: 'cat', kind: 'categorical', values: ['a', 'b', 'c'], default: good ? 'b' : 'c' },
      { name: 'units', kind: 'int', lower: 1, upper: 64, default: good ? 28 : 2 },
    ],
  };
}

const logUnit = (v: number): number => (Math.log(v) - Math.log(1e-5)) / (Math.log(1e-1) - Math.log(1e-5));

/**
 * True loss on the benchmark space (noise- and bias-free), 0 at the optimum:
 *   g(x) = 0.6 * mean_i (u_i - o_i)^2 / 0.25 + 0.15 * [c != best] + 0.1 * (u_int - o_int)^2
 * in the unit space; below full fidelity the optimum of x1 and x2 drifts (fidelity bias, so low
 * rungs rank some configurations wrongly).
 */
export function syntheticTrueLoss(c: Configuration, fidelity = 1): number {
  const drift = 0.25 * (1 - fidelity);
  const d = [
    (c.x1 as number) - (OPT.x1 - drift),
    (c.x2 as number) - (OPT.x2 + drift),
    (c.x3 as number) - OPT.x3,
    (c.x4 as number) - OPT.x4,
    logUnit(c.lr as number) - logUnit(OPT.lr),
  ];
  const numeric = d.reduce((s, x) => s + x * x, 0) / d.length / 0.25;
  const units = ((c.units as number) - OPT.units) / 63;
  return 0.6 * numeric + 0.15 * (c.cat === OPT.cat ? 0 : 1) + 0.1 * units * units;
}

/**
 * The benchmark surface over syntheticSpace(), at fidelity log(budget / min) / log(max / min): the
 * drifting true loss plus a budget-dependent offset and noise that grows at low budgets (the fold is
 * not used: benchmarks run one). Cost: (0.5 + x3) per epoch (bigger x3: slower).
 */
export function benchmarkSurface(minBudget: number, maxBudget: number, noiseSeed = 0): LossSurface {
  return {
    loss(config, budget) {
      const fidelity = Math.log(budget / minBudget) / Math.log(maxBudget / minBudget);
      const noise = (0.01 + 0.05 * (1 - fidelity)) * hashNoise(`${noiseSeed}/${JSON.stringify(config)}/${budget}`);
      return syntheticTrueLoss(config, fidelity) + 0.2 * (1 - fidelity) + noise;
    },
    secondsPerEpoch: (config) => 0.5 + (config.x3 as number),
  };
}
