/**
 * Search spaces as data. A space is a list of hyperparameter definitions (JSON-serialisable,
 * stored with every study); a configuration is a plain JSON object mapping each *active*
 * hyperparameter's name to its value (a derivation tree for the `tree` kind). Conditional
 * hyperparameters (e.g. momentum only for SGD) are absent from a configuration when inactive.
 */
import type { TreeNode } from '../grammar/tree-types.js';

/** How strongly the prior believes the default: the spread of its distribution. */
export type PriorConfidence = 'low' | 'medium' | 'high' | 'uniform';

/** A hyperparameter is active only when another (categorical/ordinal) one takes one of `values`. */
export interface Condition {
  readonly param: string;
  readonly values: ReadonlyArray<string | number>;
}

interface ParamBase {
  readonly name: string;
  readonly confidence?: PriorConfidence;
  readonly condition?: Condition;
  readonly description?: string;
}

export interface FloatParam extends ParamBase {
  readonly kind: 'float';
  readonly lower: number;
  readonly upper: number;
  /** Encode on a log scale (needs lower > 0). */
  readonly log?: boolean;
  readonly default: number;
}

export interface IntParam extends ParamBase {
  readonly kind: 'int';
  readonly lower: number;
  readonly upper: number;
  readonly default: number;
}

/** Ordered values (numbers or names); distances follow the order, not the values. */
export interface OrdinalParam extends ParamBase {
  readonly kind: 'ordinal';
  readonly values: ReadonlyArray<number | string>;
  readonly default: number | string;
}

export interface CategoricalParam extends ParamBase {
  readonly kind: 'categorical';
  readonly values: ReadonlyArray<string>;
  readonly default: string;
}

/** A derivation tree of a grammar; the grammar is named, not embedded, so the space stays data. */
export interface TreeParam extends ParamBase {
  readonly kind: 'tree';
  readonly grammar: { readonly name: 'unet'; readonly nMax: number; readonly sMax?: number };
}

export type ParamDef = FloatParam | IntParam | OrdinalParam | CategoricalParam | TreeParam;
export type ParamKind = ParamDef['kind'];

export interface SearchSpace {
  readonly name: string;
  /** Parents of a condition come before the hyperparameters they condition. */
  readonly params: ReadonlyArray<ParamDef>;
}

export type ParamValue = number | string | TreeNode;
export type Configuration = Readonly<Record<string, ParamValue>>;

/** Spread of the prior in the unit space (fraction of the range), per confidence. */
export const PRIOR_STD: Readonly<Record<Exclude<PriorConfidence, 'uniform'>, number>> = {
  low: 0.5,
  medium: 0.25,
  high: 0.125,
};

/** Weight of the default value of a categorical, the others weighing 1. */
export const CATEGORICAL_DEFAULT_WEIGHT: Readonly<Record<Exclude<PriorConfidence, 'uniform'>, number>> = {
  low: 2,
  medium: 4,
  high: 6,
};
