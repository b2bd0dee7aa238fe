/**
 * Budgets of an optimisation, from the command line's flags: the rung budgets
 * (--min-epochs, --max-epochs, --eta) and when to stop (--total-epochs B: no bracket
 * opens once the brackets before it plan B epochs; --time-limit T: no trial starts once the study has
 * been busy for T seconds; neither: one Hyperband round). Scales from a few-iteration
 * CPU run to the paper's 10..1000 epochs by flags alone.
 */
import { UsageError } from '../errors.js';
import { hyperbandSchedule, scheduleTotals } from '../optimize/brackets.js';
import type { StudySettingsInput } from '../optimize/settings.js';

export interface BudgetFlags {
  readonly minEpochs?: number;
  readonly maxEpochs?: number;
  readonly eta?: number;
  readonly totalEpochs?: number;
  /** Seconds. */
  readonly timeLimit?: number;
}

export interface Budget {
  readonly minBudget: number;
  readonly maxBudget: number;
  readonly eta: number;
  /** Brackets to run (cycled bracket types); effectively unbounded when a total or time limit stops the study. */
  readonly brackets: number | undefined;
  /** Planned epochs (of the brackets before it) from which no bracket opens (null: none). */
  readonly totalEpochs: number | null;
  /** Busy seconds after which no trial starts (null: none). Not part of the study settings: a rerun may extend it. */
  readonly timeLimitS: number | null;
}

/** Enough brackets that the total or the time limit, not the bracket count, ends the study. */
const UNBOUNDED_BRACKETS = 1_000_000;

export const PAPER_BUDGET = { minEpochs: 10, maxEpochs: 1000, eta: 3 } as const;

export function budgetFromFlags(flags: BudgetFlags): Budget {
  const minBudget = flags.minEpochs ?? PAPER_BUDGET.minEpochs;
  const maxBudget = flags.maxEpochs ?? PAPER_BUDGET.maxEpochs;
  const eta = flags.eta ?? PAPER_BUDGET.eta;
  if (!(Number.isInteger(minBudget) && minBudget >= 1)) throw new UsageError(`--min-epochs must be an integer >= 1, got ${minBudget}`);
  if (!(Number.isInteger(maxBudget) && maxBudget >= minBudget)) throw new UsageError(`--max-epochs must be an integer >= --min-epochs (${minBudget}), got ${maxBudget}`);
  if (!(Number.isInteger(eta) && eta >= 2)) throw new UsageError(`--eta must be an integer >= 2, got ${eta}`);
  if (flags.totalEpochs !== undefined && flags.timeLimit !== undefined) throw new UsageError('give either --total-epochs or --time-limit, not both');
  if (flags.totalEpochs !== undefined && !(flags.totalEpochs >= 1)) throw new UsageError(`--total-epochs must be >= 1, got ${flags.totalEpochs}`);
  if (flags.totalEpochs !== undefined && flags.totalEpochs < maxBudget)
    throw new UsageError(`--total-epochs (${flags.totalEpochs}) is below --max-epochs (${maxBudget}): not even the default configuration would finish`);
  const bounded = flags.totalEpochs !== undefined || flags.timeLimit !== undefined;
  return {
    minBudget,
    maxBudget,
    eta,
    brackets: bounded ? UNBOUNDED_BRACKETS : undefined,
    totalEpochs: flags.totalEpochs ?? null,
    timeLimitS: flags.timeLimit ?? null,
  };
}

/** The study-settings part of a budget. */
export function budgetSettings(b: Budget): Pick<StudySettingsInput, 'minBudget' | 'maxBudget' | 'eta' | 'brackets' | 'maxEpochs'> {
  return { minBudget: b.minBudget, maxBudget: b.maxBudget, eta: b.eta, brackets: b.brackets, maxEpochs: b.totalEpochs };
}

/** Epochs the study is expected to charge (for progress and ETA): the total, or one Hyperband round plus the default. */
export function plannedEpochs(b: Pick<Budget, 'minBudget' | 'maxBudget' | 'eta' | 'totalEpochs'>): number {
  if (b.totalEpochs !== null) return b.totalEpochs;
  const schedule = hyperbandSchedule(b);
  return scheduleTotals(schedule).epochsWithContinuation + schedule.budgets[schedule.sMax]!;
}

/** Parses '3600', '90s', '45m', '1.5h' into seconds. */
export function parseDuration(flag: string, text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(s|m|h)?$/.exec(text.trim());
  const seconds = m ? Number(m[1]) * { s: 1, m: 60, h: 3600 }[(m[2] ?? 's') as 's' | 'm' | 'h'] : NaN;
  if (!(seconds > 0)) throw new UsageError(`${flag} must be a positive duration such as 3600, 90s, 45m or 1.5h, got '${text}'`);
  return seconds;
}
