/**
 * Hyperband bracket arithmetic (Li et al. 2018, as used by PriorBand). Rungs are global:
 * rung i trains for b_max / eta^(s_max - i) epochs, rounded to whole epochs. Bracket s
 * (0 = most aggressive) starts floor((s_max + 1) / (s_max - s + 1)) * eta^(s_max - s)
 * configurations at rung s and keeps floor(n / eta^j) after j promotions.
 * Example: min 10, max 1000, eta 3 -> rungs 12/37/111/333/1000 epochs, brackets of
 * 81/27/9/3/1, 27/9/3/1, 9/3/1, 6/2 and 5 configurations.
 */
import { ConfigError } from '../errors.js';

export interface BudgetSettings {
  /** Smallest budget in epochs (> 0). */
  readonly minBudget: number;
  /** Largest budget in epochs (> minBudget). */
  readonly maxBudget: number;
  /** Reduction factor (integer >= 2). */
  readonly eta: number;
}

export interface Rung {
  /** Global rung index: 0 is the lowest budget, sMax the highest. */
  readonly rung: number;
  /** Configurations evaluated at this rung in this bracket. */
  readonly configs: number;
}

export interface Bracket {
  /** 0 = most aggressive (starts at rung 0), sMax = plain evaluation at the maximum budget. */
  readonly s: number;
  readonly rungs: readonly Rung[];
}

export interface Schedule {
  readonly settings: BudgetSettings;
  readonly sMax: number;
  /** Exact rung budgets b_max / eta^(sMax - i). */
  readonly nominalBudgets: readonly number[];
  /** Rung budgets rounded to whole epochs (what is trained). */
  readonly budgets: readonly number[];
  readonly brackets: readonly Bracket[];
}

export function checkBudgets(settings: BudgetSettings): void {
  const { minBudget, maxBudget, eta } = settings;
  if (!(Number.isFinite(minBudget) && minBudget > 0)) throw new ConfigError(`minBudget must be a positive number, got ${minBudget}`, { path: 'minBudget' });
  if (!(Number.isFinite(maxBudget) && maxBudget >= minBudget)) throw new ConfigError(`maxBudget must be >= minBudget (${minBudget}), got ${maxBudget}`, { path: 'maxBudget' });
  if (!(Number.isInteger(eta) && eta >= 2)) throw new ConfigError(`eta must be an integer >= 2, got ${eta}`, { path: 'eta' });
}

/** The Hyperband schedule for the given budgets. */
export function hyperbandSchedule(settings: BudgetSettings): Schedule {
  checkBudgets(settings);
  const { minBudget, maxBudget, eta } = settings;
  // s_max = floor(log_eta(max / min)), computed without floating-point log error.
  let sMax = 0;
  while (eta ** (sMax + 1) <= (maxBudget / minBudget) * (1 + 1e-12)) sMax++;
  const nominalBudgets = Array.from({ length: sMax + 1 }, (_, i) => maxBudget / eta ** (sMax - i));
  const budgets = nominalBudgets.map((b) => Math.max(1, Math.round(b)));
  const brackets = Array.from({ length: sMax + 1 }, (_, s): Bracket => {
    const n = Math.floor((sMax + 1) / (sMax - s + 1)) * eta ** (sMax - s);
    return { s, rungs: Array.from({ length: sMax - s + 1 }, (_, j) => ({ rung: s + j, configs: Math.floor(n / eta ** j) })) };
  });
  return { settings, sMax, nominalBudgets, budgets, brackets };
}

/** The bracket type of the k-th bracket run: types are cycled, most aggressive first. */
export const bracketType = (schedule: Schedule, k: number): Bracket => schedule.brackets[k % schedule.brackets.length]!;

/**
 * Epochs one bracket trains. With continuation a promoted configuration pays only the
 * difference to its previous rung; `nominal` uses the exact (unrounded) rung budgets.
 */
export function bracketEpochs(schedule: Schedule, bracket: Bracket, options: { continuation: boolean; nominal?: boolean }): number {
  const b = options.nominal ? schedule.nominalBudgets : schedule.budgets;
  return bracket.rungs.reduce((sum, r, j) => {
    const previous = options.continuation && j > 0 ? b[r.rung - 1]! : 0;
    return sum + r.configs * (b[r.rung]! - previous);
  }, 0);
}

export interface ScheduleTotals {
  brackets: number;
  newConfigs: number;
  evaluations: number;
  epochs: number;
  epochsWithContinuation: number;
  nominalEpochs: number;
  nominalEpochsWithContinuation: number;
}

/** Totals of one full Hyperband round (every bracket type once), without the default. */
export function scheduleTotals(schedule: Schedule): ScheduleTotals {
  const sum = (f: (b: Bracket) => number) => schedule.brackets.reduce((a, b) => a + f(b), 0);
  return {
    brackets: schedule.brackets.length,
    newConfigs: sum((b) => b.rungs[0]!.configs),
    evaluations: sum((b) => b.rungs.reduce((a, r) => a + r.configs, 0)),
    epochs: sum((b) => bracketEpochs(schedule, b, { continuation: false })),
    epochsWithContinuation: sum((b) => bracketEpochs(schedule, b, { continuation: true })),
    nominalEpochs: sum((b) => bracketEpochs(schedule, b, { continuation: false, nominal: true })),
    nominalEpochsWithContinuation: sum((b) => bracketEpochs(schedule, b, { continuation: true, nominal: true })),
  };
}
