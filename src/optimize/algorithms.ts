/**
 * The optimisers, as combinations of independent parts: which brackets run (the promotion
 * schedule), how a new configuration is drawn (the sampler), how a rung's results are
 * ranked for promotion, and which result local search starts from. One registry; adding
 * an optimiser is one entry.
 */
import type { RankerName } from './promotion.js';

export interface AlgorithmDef {
  readonly description: string;
  /** 'hyperband': cycle every bracket type; 'max-only': only the bracket at the maximum budget. */
  readonly brackets: 'hyperband' | 'max-only';
  readonly sampler: 'uniform' | 'priorband';
  readonly ranker: RankerName;
  /** Incumbent for PriorBand's local search: best loss, or max area on the Pareto front. */
  readonly localIncumbent: 'best-loss' | 'max-area';
  /** Evaluate the default configuration first, at the maximum budget. */
  readonly evaluateDefault: boolean;
}

export const ALGORITHMS = {
  'random-search': {
    description: 'uniform random configurations at the maximum budget',
    brackets: 'max-only',
    sampler: 'uniform',
    ranker: 'loss',
    localIncumbent: 'best-loss',
    evaluateDefault: false,
  },
  hyperband: {
    description: 'Hyperband: uniform random configurations, successive halving by loss',
    brackets: 'hyperband',
    sampler: 'uniform',
    ranker: 'loss',
    localIncumbent: 'best-loss',
    evaluateDefault: false,
  },
  priorband: {
    description: 'PriorBand: random / prior / incumbent sampling in Hyperband brackets',
    brackets: 'hyperband',
    sampler: 'priorband',
    ranker: 'loss',
    localIncumbent: 'best-loss',
    evaluateDefault: true,
  },
  'regularized-priorband': {
    description: 'Regularized PriorBand: promotions by Pareto rank and crowding over (loss, cost)',
    brackets: 'hyperband',
    sampler: 'priorband',
    ranker: 'pareto',
    localIncumbent: 'max-area',
    evaluateDefault: true,
  },
} as const satisfies Record<string, AlgorithmDef>;

export type AlgorithmName = keyof typeof ALGORITHMS;
export const ALGORITHM_NAMES = Object.keys(ALGORITHMS) as AlgorithmName[];
