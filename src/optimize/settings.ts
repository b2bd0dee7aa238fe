/**
 * A study's settings: everything a worker on any machine needs to run the same study
 * (the search space is stored as data). Stored once, when the study is created.
 */
import { ConfigError } from '../errors.js';
import { checkSpace } from '../space/schema.js';
import type { SearchSpace } from '../space/types.js';
import { ALGORITHM_NAMES, type AlgorithmName } from './algorithms.js';
import { type BudgetSettings, checkBudgets, hyperbandSchedule } from './brackets.js';

export interface StudySettings extends BudgetSettings {
  readonly version: 1;
  readonly algorithm: AlgorithmName;
  readonly space: SearchSpace;
  readonly seed: number;
  /** Successive-halving brackets to run, bracket types cycled (default: one Hyperband round). */
  readonly brackets: number;
  /** Bracket k opens only while the epochs planned for the default and brackets 0..k-1 are below this (null: no limit). */
  readonly maxEpochs: number | null;
}

export type StudySettingsInput = Pick<StudySettings, 'algorithm' | 'space'> & Partial<Omit<StudySettings, 'version' | 'algorithm' | 'space'>>;

/** The first setting (dotted path) in which two studies' settings differ, or undefined. */
export function settingsDifference(a: StudySettings, b: StudySettings): string | undefined {
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)]) as Set<keyof StudySettings>)
    if (JSON.stringify(a[key]) !== JSON.stringify(b[key])) return key;
  return undefined;
}

/** Fills defaults (min 10, max 1000, eta 3, seed 0, one Hyperband round) and checks everything. */
export function makeSettings(input: StudySettingsInput): StudySettings {
  if (!ALGORITHM_NAMES.includes(input.algorithm))
    throw new ConfigError(`unknown algorithm '${input.algorithm}' (expected one of ${ALGORITHM_NAMES.join(', ')})`, { path: 'algorithm' });
  const budgets = { minBudget: input.minBudget ?? 10, maxBudget: input.maxBudget ?? 1000, eta: input.eta ?? 3 };
  checkBudgets(budgets);
  const seed = input.seed ?? 0;
  if (!Number.isInteger(seed)) throw new ConfigError(`seed must be an integer, got ${seed}`, { path: 'seed' });
  const brackets = input.brackets ?? hyperbandSchedule(budgets).brackets.length;
  if (!(Number.isInteger(brackets) && brackets >= 1)) throw new ConfigError(`brackets must be a positive integer, got ${brackets}`, { path: 'brackets' });
  const maxEpochs = input.maxEpochs ?? null;
  if (maxEpochs !== null && !(maxEpochs > 0)) throw new ConfigError(`maxEpochs must be positive, got ${maxEpochs}`, { path: 'maxEpochs' });
  return { version: 1, algorithm: input.algorithm, space: checkSpace(input.space), ...budgets, seed, brackets, maxEpochs };
}
