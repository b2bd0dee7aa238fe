/**
 * The promotion schedule: from the trials stored so far (and nothing else), the next
 * step of a study. Brackets run in order (types cycled); inside a bracket new
 * configurations fill the first rung, and once every result of a rung is in, the
 * ranker's top floor(n / eta) are promoted to the next rung. Slots have deterministic
 * keys, so a storage insert of the slot is the claim: workers racing for the same slot
 * cannot both get it, and a restarted worker recomputes exactly the same step.
 * A worker that finds a bracket waiting on other workers' results moves on to the next.
 *
 * Every decision is a function of a fixed information set, so any number of workers makes the
 * decisions of one: a promotion reads the finished rung below it; a new configuration of
 * bracket k reads the default and every trial of the brackets before k (`samplingEvidence`),
 * and its slot is not handed out before they are all finished, unless the draw provably cannot
 * depend on them. Whether bracket k opens at all depends on the epochs the schedule plans for
 * the brackets before it, not on what happens to be charged when a worker asks.
 */
import { ALGORITHMS } from './algorithms.js';
import { type Bracket, bracketEpochs, type Schedule, hyperbandSchedule } from './brackets.js';
import { incumbentEpochs } from './config-sampler.js';
import { RANKERS } from './promotion.js';
import type { StudySettings } from './settings.js';
import { chargedEpochs, type TrialRecord } from './trial.js';

export interface Slot {
  readonly key: string;
  readonly bracket: number;
  readonly rung: number;
  readonly budget: number;
  /** A promotion continues this trial; absent for a new configuration. */
  readonly promoteFrom?: TrialRecord;
  readonly isDefault?: boolean;
}

export type Step =
  | { readonly kind: 'create'; readonly slot: Slot }
  | { readonly kind: 'reclaim'; readonly trial: TrialRecord }
  | { readonly kind: 'wait' }
  | { readonly kind: 'done' };

export const DEFAULT_KEY = 'default';
export const newKey = (bracket: number, index: number): string => `b${bracket}/new/${index}`;
export const promotionKey = (bracket: number, rung: number, configId: string): string => `b${bracket}/r${rung}/${configId}`;

/** The bracket types an algorithm cycles through. */
export function bracketCycle(settings: StudySettings, schedule: Schedule): readonly Bracket[] {
  return ALGORITHMS[settings.algorithm].brackets === 'hyperband' ? schedule.brackets : [schedule.brackets[schedule.sMax]!];
}

/** Epochs charged so far (running trials included). */
export const epochsSpent = (trials: readonly TrialRecord[]): number => trials.reduce((s, t) => s + chargedEpochs(t), 0);

/** The slots the schedule plans before bracket `k` (the default and brackets 0..k-1): how many, and their epochs. */
function plannedBefore(settings: StudySettings, schedule: Schedule, k: number): { slots: number; epochs: number; fullBudgetEpochs: number } {
  const cycle = bracketCycle(settings, schedule);
  const top = schedule.budgets[schedule.sMax]!;
  const plan = ALGORITHMS[settings.algorithm].evaluateDefault ? { slots: 1, epochs: top, fullBudgetEpochs: top } : { slots: 0, epochs: 0, fullBudgetEpochs: 0 };
  for (let b = 0; b < k; b++) {
    const type = cycle[b % cycle.length]!;
    plan.slots += type.rungs.reduce((n, r) => n + r.configs, 0);
    plan.epochs += bracketEpochs(schedule, type, { continuation: true });
    plan.fullBudgetEpochs += bracketEpochs(schedule, type, { continuation: false });
  }
  return plan;
}

/** The single-worker order of trials: by bracket (the default first), then rung, then creation (the same order with any number of workers). */
const singleWorkerOrder = (a: TrialRecord, b: TrialRecord): number => a.bracket - b.bracket || a.rung - b.rung || a.number - b.number;

/**
 * What a new configuration of bracket `k` is drawn from: the default and every trial of the
 * brackets before k, finished, in the single-worker order. Undefined while some are not finished
 * yet and the draw may depend on them: its slot must wait. Empty when the draw cannot depend on
 * results: a uniform sampler, or PriorBand while even full budgets for every earlier slot could
 * not reach the epochs incumbent sampling needs.
 */
export function samplingEvidence(settings: StudySettings, schedule: Schedule, trials: readonly TrialRecord[], k: number): readonly TrialRecord[] | undefined {
  if (ALGORITHMS[settings.algorithm].sampler === 'uniform') return [];
  const planned = plannedBefore(settings, schedule, k);
  if (planned.fullBudgetEpochs < incumbentEpochs(schedule)) return [];
  const evidence = trials.filter((t) => t.bracket < k && t.status !== 'running');
  return evidence.length < planned.slots ? undefined : evidence.sort(singleWorkerOrder);
}

export function nextStep(settings: StudySettings, trials: readonly TrialRecord[], isStale: (t: TrialRecord) => boolean): Step {
  const alg = ALGORITHMS[settings.algorithm];
  const schedule = hyperbandSchedule(settings);
  const stale = trials.find((t) => t.status === 'running' && isStale(t));
  if (stale) return { kind: 'reclaim', trial: stale };
  const keys = new Set(trials.map((t) => t.key));
  if (alg.evaluateDefault && !keys.has(DEFAULT_KEY))
    return { kind: 'create', slot: { key: DEFAULT_KEY, bracket: -1, rung: schedule.sMax, budget: schedule.budgets[schedule.sMax]!, isDefault: true } };

  // bracket -> rung -> trials (in creation order)
  const byBracket = new Map<number, Map<number, TrialRecord[]>>();
  for (const t of trials) {
    if (t.bracket < 0) continue;
    const rungs = byBracket.get(t.bracket) ?? new Map<number, TrialRecord[]>();
    byBracket.set(t.bracket, rungs);
    const list = rungs.get(t.rung);
    if (list) list.push(t);
    else rungs.set(t.rung, [t]);
  }
  const cycle = bracketCycle(settings, schedule);
  const ranker = RANKERS[alg.ranker];
  for (let k = 0; ; k++) {
    const type = cycle[k % cycle.length]!;
    const rungs = byBracket.get(k);
    const ready = () => samplingEvidence(settings, schedule, trials, k) !== undefined;
    if (!rungs) {
      const budgetLeft = settings.maxEpochs === null || plannedBefore(settings, schedule, k).epochs < settings.maxEpochs;
      if (k < settings.brackets && budgetLeft && ready())
        return { kind: 'create', slot: { key: newKey(k, 0), bracket: k, rung: type.s, budget: schedule.budgets[type.s]! } };
      break;
    }
    for (let j = 0; j < type.rungs.length; j++) {
      const { rung, configs } = type.rungs[j]!;
      const here = rungs.get(rung) ?? [];
      if (j === 0) {
        if (here.length < configs) {
          if (!ready()) break; // its draws read results still running: the later brackets read them too
          let i = 0;
          while (keys.has(newKey(k, i))) i++;
          return { kind: 'create', slot: { key: newKey(k, i), bracket: k, rung, budget: schedule.budgets[rung]! } };
        }
        continue;
      }
      if (here.length >= configs) continue; // every winner already promoted
      const below = type.rungs[j - 1]!;
      const previous = rungs.get(below.rung) ?? [];
      if (previous.length < below.configs || previous.some((t) => t.status === 'running')) break;
      const order = ranker(previous.map((t) => ({ loss: t.loss ?? 1, cost: t.cost ?? Infinity, failed: t.status === 'failed' })));
      const winner = order
        .slice(0, configs)
        .map((i) => previous[i]!)
        .find((w) => !here.some((t) => t.configId === w.configId));
      if (winner)
        return { kind: 'create', slot: { key: promotionKey(k, rung, winner.configId), bracket: k, rung, budget: schedule.budgets[rung]!, promoteFrom: winner } };
    }
  }
  return trials.some((t) => t.status === 'running') ? { kind: 'wait' } : { kind: 'done' };
}
