/**
 * Hyperparameter importance of a study (`hnas importance`): functional ANOVA (fanova.ts)
 * of a random-forest surrogate (forest.ts) of 1 - Dice over the completed trials'
 * configurations (features.ts), at the highest budget or over all budgets.
 *
 * Example:
 *   const result = studyImportance(await loadStudy('studies/hippo', 'hpo_hnas'), { budget: 'max' });
 *   result.main[0]  // { feature: 'learning_rate', fraction: 0.41, std: 0.08 }
 */
import type { LoadedStudy } from '../automl/load.js';
import { AnalysisError } from '../errors.js';
import type { TrialRecord } from '../optimize/trial.js';
import { fanova, marginalCurve } from './fanova.js';
import { type Feature, domainOf, featureTable, featureValue } from './features.js';
import { FOREST_DEFAULTS, fitForest } from './forest.js';
import { Rng } from '../util/rng.js';

export type BudgetChoice = 'max' | 'all';
export const BUDGET_CHOICES: readonly BudgetChoice[] = ['max', 'all'];

/** Fewer completed trials than this give a surrogate too rough to decompose. */
export const MIN_TRIALS = 10;

export interface ImportanceOptions {
  readonly budget?: BudgetChoice;
  readonly seed?: number;
  readonly trees?: number;
}

export interface Effect {
  readonly features: readonly string[];
  /** Mean over the trees of the share of the surrogate's variance. */
  readonly fraction: number;
  readonly std: number;
}

export type Marginal =
  | { readonly feature: string; readonly kind: 'numeric'; readonly log: boolean; readonly points: readonly { readonly value: number; readonly loss: number; readonly std: number }[] }
  | { readonly feature: string; readonly kind: 'categorical'; readonly points: readonly { readonly value: string; readonly loss: number; readonly std: number }[] };

export interface ImportanceResult {
  readonly study: string;
  readonly budget: BudgetChoice;
  /** Epochs of the trials used (one value for 'max'). */
  readonly budgets: readonly number[];
  readonly trials: readonly number[];
  readonly features: readonly Feature[];
  /** Features every trial had the same value of (no variance to attribute). */
  readonly constant: readonly string[];
  /** Main effects, largest first. */
  readonly main: readonly Effect[];
  /** Pairwise interactions, largest first. */
  readonly pairs: readonly Effect[];
  readonly marginals: readonly Marginal[];
  readonly forest: { readonly trees: number; readonly varyingTrees: number; readonly seed: number };
}

/** The trials an analysis at `budget` uses: completed ones, at the highest budget evaluated or at all. */
export function trialsAtBudget(study: LoadedStudy, budget: BudgetChoice): TrialRecord[] {
  const done = study.trials.filter((t) => t.status === 'complete' && t.loss !== null && Number.isFinite(t.loss));
  if (budget === 'all') return done;
  const top = Math.max(study.settings.maxBudget, ...done.map((t) => t.budget));
  return done.filter((t) => t.budget === top);
}

export function studyImportance(study: LoadedStudy, options: ImportanceOptions = {}): ImportanceResult {
  const budget = options.budget ?? 'max';
  const seed = options.seed ?? 0;
  const trials = trialsAtBudget(study, budget);
  if (trials.length < MIN_TRIALS) {
    const all = trialsAtBudget(study, 'all').length;
    const hint = budget === 'max' && all >= MIN_TRIALS ? `; ${all} are complete over all budgets: use --budget all` : '';
    throw new AnalysisError(`study '${study.name}' has ${trials.length} completed trial${trials.length === 1 ? '' : 's'} at ${budget === 'max' ? 'the highest budget' : 'any budget'}; fANOVA needs at least ${MIN_TRIALS}${hint}`, { file: study.paths.db });
  }
  const s = study.settings;
  // One stream for the imputation of inactive values, another for the forest.
  const table = featureTable(s.space, trials, Rng.seeded(seed + 1), budget === 'all' ? { min: s.minBudget, max: s.maxBudget } : undefined);
  if (table.features.length === 0) throw new AnalysisError(`study '${study.name}': every trial has the same configuration; there is nothing to attribute the variance to`, { file: study.paths.db });
  const y = trials.map((t) => t.loss!);
  const forest = fitForest(table.rows, y, table.features.map(domainOf), { seed, trees: options.trees ?? FOREST_DEFAULTS.trees });
  const result = fanova(forest);
  if (result.trees === 0) throw new AnalysisError(`study '${study.name}': the surrogate predicts one 1 - Dice everywhere (all ${trials.length} trials scored ${y[0]}); no variance to decompose`, { file: study.paths.db });
  const names = table.features.map((f) => f.name);
  const byFraction = (a: Effect, b: Effect) => b.fraction - a.fraction || a.features.join().localeCompare(b.features.join());
  const main = result.main.map((m, f): Effect => ({ features: [names[f]!], fraction: m.mean, std: m.std })).sort(byFraction);
  const pairs = result.pairs.map((p): Effect => ({ features: [names[p.features[0]]!, names[p.features[1]]!], fraction: p.mean, std: p.std })).sort(byFraction);
  const marginals = table.features.map((f, i): Marginal => {
    const curve = marginalCurve(forest, i, f.kind === 'numeric' ? f.levels : undefined);
    const points = curve.at.map((x, k) => ({ value: featureValue(f, x), loss: curve.mean[k]!, std: curve.std[k]! }));
    // Discrete features (ints, ordinals, stage counts) are shown per value, like categorical ones.
    return f.kind === 'numeric' && !f.levels
      ? { feature: f.name, kind: 'numeric', log: f.log, points: points as { value: number; loss: number; std: number }[] }
      : { feature: f.name, kind: 'categorical', points: points.map((p) => ({ ...p, value: String(p.value) })) };
  });
  return {
    study: study.name,
    budget,
    budgets: [...new Set(trials.map((t) => t.budget))].sort((a, b) => a - b),
    trials: trials.map((t) => t.number),
    features: table.features,
    constant: table.constant,
    main,
    pairs,
    marginals,
    forest: { trees: forest.trees.length, varyingTrees: result.trees, seed },
  };
}
