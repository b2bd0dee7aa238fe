/**
 * Drawing a new configuration for a rung. Uniform for the baselines; PriorBand mixes
 * three sources: uniform random with p_random = 1 / (1 + eta^r) (r = the rung the
 * configuration enters), the prior, and local search around the incumbent. Incumbent
 * sampling is off until a result exists at the maximum budget and the finished
 * evaluations have used one full bracket's budget; afterwards the non-random mass is
 * split by how well the prior and the incumbent-centred distribution explain the top
 * configurations of the highest rung with at least eta results (rank-weighted).
 * `trials` is the evidence a draw may read (schedule.ts's samplingEvidence: the finished
 * trials of the earlier brackets, in the single-worker order, which also breaks ties).
 */
import { logDensity, mutateConfig, sampleConfig } from '../space/config.js';
import type { Configuration } from '../space/types.js';
import type { Rng } from '../util/rng.js';
import { ALGORITHMS } from './algorithms.js';
import { type Schedule, bracketEpochs } from './brackets.js';
import { LOCAL_INCUMBENT } from './incumbent.js';
import type { StudySettings } from './settings.js';
import { chargedEpochs, type TrialRecord, type TrialSource } from './trial.js';

export interface SamplingWeights {
  readonly random: number;
  readonly prior: number;
  readonly incumbent: number;
  /** The trial local search starts from (when incumbent sampling is on). */
  readonly incumbentTrial?: TrialRecord;
}

const finished = (trials: readonly TrialRecord[]) => trials.filter((t) => t.status !== 'running');

/** Finished epochs incumbent sampling waits for: one full first bracket, with continuation. */
export const incumbentEpochs = (schedule: Schedule): number => bracketEpochs(schedule, schedule.brackets[0]!, { continuation: true });

/** Incumbent sampling is on after a max-budget result and one full (first) bracket of finished epochs. */
export function incumbentActive(schedule: Schedule, trials: readonly TrialRecord[]): boolean {
  const done = finished(trials);
  const atMax = done.some((t) => t.status === 'complete' && t.rung === schedule.sMax);
  const spent = done.reduce((s, t) => s + chargedEpochs(t), 0);
  return atMax && spent >= incumbentEpochs(schedule);
}

/** PriorBand's source probabilities for a configuration entering rung `rung`. */
export function priorbandWeights(settings: StudySettings, schedule: Schedule, trials: readonly TrialRecord[], rung: number): SamplingWeights {
  const random = 1 / (1 + settings.eta ** rung);
  const incumbentTrial = incumbentActive(schedule, trials) ? LOCAL_INCUMBENT[ALGORITHMS[settings.algorithm].localIncumbent](trials) : undefined;
  if (!incumbentTrial) return { random, prior: 1 - random, incumbent: 0 };

  // The highest rung with at least eta results, its top max(floor(n / eta), eta) by loss.
  const done = finished(trials);
  let top: TrialRecord[] = [];
  for (let r = schedule.sMax; r >= 0 && top.length === 0; r--) {
    const results = done.filter((t) => t.rung === r);
    if (results.length < settings.eta) continue;
    const k = Math.max(Math.floor(results.length / settings.eta), settings.eta);
    top = [...results].sort((a, b) => (a.loss ?? 1) - (b.loss ?? 1)).slice(0, k); // ties: the order given (stable sort)
  }
  if (top.length === 0) return { random, prior: 1 - random, incumbent: 0, incumbentTrial };
  const space = settings.space;
  const lp = top.map((t) => logDensity(space, 'prior', t.config));
  const li = top.map((t) => logDensity(space, incumbentTrial.config, t.config));
  const m = Math.max(...lp, ...li);
  let sPrior = 0;
  let sInc = 0;
  top.forEach((_, i) => {
    const w = top.length - i; // rank weight: K for the best .. 1
    sPrior += w * Math.exp(lp[i]! - m);
    sInc += w * Math.exp(li[i]! - m);
  });
  const share = sPrior + sInc > 0 ? sPrior / (sPrior + sInc) : 0.5;
  return { random, prior: (1 - random) * share, incumbent: (1 - random) * (1 - share), incumbentTrial };
}

/** A new configuration for `rung` and where it came from. */
export function drawConfiguration(
  settings: StudySettings,
  schedule: Schedule,
  trials: readonly TrialRecord[],
  rung: number,
  rng: Rng,
): { config: Configuration; source: TrialSource } {
  const space = settings.space;
  if (ALGORITHMS[settings.algorithm].sampler === 'uniform') return { config: sampleConfig(space, 'uniform', rng), source: 'random' };
  const w = priorbandWeights(settings, schedule, trials, rung);
  const pick = rng.categorical([w.random, w.prior, w.incumbent]);
  if (pick === 0) return { config: sampleConfig(space, 'uniform', rng), source: 'random' };
  if (pick === 1) return { config: sampleConfig(space, 'prior', rng), source: 'prior' };
  return { config: mutateConfig(space, w.incumbentTrial!.config, rng), source: 'incumbent' };
}
