/**
 * Configurations as rows of features for the importance surrogate (importance.ts):
 *  - floats: their value, on a log10 scale where the space is log (the measure fANOVA
 *    integrates over is uniform in that scale, as the sampler's unit space);
 *    ints: their value; ordinals: the value's index; categoricals: the value's code;
 *  - the derivation tree (the `tree` kind): the paper's pseudo-hyperparameters, read from
 *    the architecture the tree describes: number of stages, encoder type, mean blocks per
 *    encoder / decoder stage, and the encoder's and decoder's normalisation, nonlinearity
 *    and whether they use dropout. Their numeric domain is the range seen in the trials.
 *  - conditional hyperparameters: an inactive one (absent from the configuration, e.g.
 *    momentum for Adam; `dropout_rate` where the tree uses no dropout) is imputed with a
 *    value drawn uniformly from its domain (seeded). The surrogate then sees the loss not
 *    depend on it where it is inactive, and its effect shows as a main effect plus the
 *    interaction with its parent. Imputing one fixed value (the default) would leave the
 *    inactive region empty but for that value, and the forest would extrapolate the
 *    active configurations' trend into it (test/analysis/importance.test.ts shows the
 *    difference).
 */
import { architectureFromTree } from '../../compiler/ir/from-tree.js';
import { ENCODER_TYPES, NONLINS, NORMS, type Architecture } from '../../compiler/ir/architecture.js';
import type { TreeNode } from '../grammar/tree-types.js';
import type { TrialRecord } from '../optimize/trial.js';
import type { Configuration, ParamDef, SearchSpace } from '../space/types.js';
import type { Rng } from '../util/rng.js';
import type { FeatureDomain } from './forest.js';

export type Feature =
  | {
      readonly name: string;
      readonly kind: 'numeric';
      readonly lower: number;
      readonly upper: number;
      /** Encoded = log10(value). */
      readonly log: boolean;
      /** Discrete values (ints, ordinals, stage counts): the encoded points a marginal is shown at; `labels` names them. */
      readonly levels?: readonly number[];
      readonly labels?: readonly string[];
      /** Inactive in some configurations (imputed there). */
      readonly conditional: boolean;
    }
  | { readonly name: string; readonly kind: 'categorical'; readonly values: readonly string[]; readonly conditional: boolean };

export const domainOf = (f: Feature): FeatureDomain => (f.kind === 'categorical' ? { kind: 'categorical', size: f.values.length } : { kind: 'numeric', lower: f.lower, upper: f.upper });

/** A feature value as people read it: the decoded number, or the category. */
export function featureValue(f: Feature, encoded: number): number | string {
  if (f.kind === 'categorical') return f.values[encoded]!;
  if (f.labels && f.levels) {
    const i = f.levels.indexOf(encoded);
    if (i >= 0) return f.labels[i]!;
  }
  return f.log ? 10 ** encoded : encoded;
}

const yesNo = ['yes', 'no'] as const;

/** The tree's pseudo-hyperparameters (numbers and names), also shown by the report's distributions plot. */
export function architectureFeatures(tree: TreeNode): Record<string, number | string> {
  const a = architectureFromTree(tree);
  const mean = (xs: readonly number[]) => (xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : 0);
  return {
    'arch.stages': a.encoderBlocks.length,
    'arch.encoder': a.encoderType,
    'arch.encoder_blocks': mean(a.encoderBlocks),
    'arch.decoder_blocks': mean(a.decoderBlocks),
    'arch.encoder_norm': a.encoder.norm,
    'arch.encoder_nonlin': a.encoder.nonlin,
    'arch.encoder_dropout': a.encoder.dropout ? 'yes' : 'no',
    'arch.decoder_norm': a.decoder.norm,
    'arch.decoder_nonlin': a.decoder.nonlin,
    'arch.decoder_dropout': a.decoder.dropout ? 'yes' : 'no',
  };
}

const ARCH_CATEGORIES: Readonly<Record<string, readonly string[]>> = {
  'arch.encoder': ENCODER_TYPES,
  'arch.encoder_norm': NORMS,
  'arch.encoder_nonlin': NONLINS,
  'arch.encoder_dropout': yesNo,
  'arch.decoder_norm': NORMS,
  'arch.decoder_nonlin': NONLINS,
  'arch.decoder_dropout': yesNo,
};

const usesDropout = (a: Architecture) => a.encoder.dropout || a.decoder.dropout;

/** Whether a hyperparameter takes effect in a configuration: present in it, and (dropout_rate) used by its tree. */
function active(p: ParamDef, config: Configuration, space: SearchSpace): boolean {
  if (config[p.name] === undefined) return false;
  if (p.name !== 'dropout_rate') return true;
  const tree = space.params.find((q) => q.kind === 'tree');
  return tree === undefined || usesDropout(architectureFromTree(config[tree.name] as TreeNode));
}

export interface FeatureTable {
  readonly features: readonly Feature[];
  readonly rows: readonly (readonly number[])[];
  /** Features left out because every trial has the same value. */
  readonly constant: readonly string[];
}

/**
 * The features of the trials' configurations. `budget` adds the trial's epochs as a feature
 * (log scale over [min, max]) for an analysis over all rungs.
 */
export function featureTable(space: SearchSpace, trials: readonly TrialRecord[], rng: Rng, budget?: { readonly min: number; readonly max: number }): FeatureTable {
  const features: Feature[] = [];
  const columns: number[][] = [];
  const column = (f: Feature, values: number[]) => {
    features.push(f);
    columns.push(values);
  };
  for (const p of space.params) {
    const conditional = p.condition !== undefined || p.name === 'dropout_rate';
    // Encoded values of the active configurations; `inactive` stands for an imputed draw.
    const encoded = (encode: (v: never) => number) => trials.map((t) => (active(p, t.config, space) ? encode(t.config[p.name] as never) : inactive));
    switch (p.kind) {
      case 'float': {
        const [lower, upper] = p.log ? [Math.log10(p.lower), Math.log10(p.upper)] : [p.lower, p.upper];
        column({ name: p.name, kind: 'numeric', lower, upper, log: !!p.log, conditional }, impute(encoded((v: number) => (p.log ? Math.log10(v) : v)), () => lower + (upper - lower) * rng.float()));
        break;
      }
      case 'int': {
        const levels = p.upper - p.lower <= 20 ? Array.from({ length: p.upper - p.lower + 1 }, (_, i) => p.lower + i) : undefined;
        column({ name: p.name, kind: 'numeric', lower: p.lower, upper: p.upper, log: false, levels, conditional }, impute(encoded((v: number) => v), () => p.lower + rng.int(p.upper - p.lower + 1)));
        break;
      }
      case 'ordinal':
        column(
          { name: p.name, kind: 'numeric', lower: 0, upper: p.values.length - 1, log: false, levels: p.values.map((_, i) => i), labels: p.values.map(String), conditional },
          impute(encoded((v: number | string) => p.values.indexOf(v)), () => rng.int(p.values.length)),
        );
        break;
      case 'categorical':
        column({ name: p.name, kind: 'categorical', values: p.values, conditional }, impute(encoded((v: string) => p.values.indexOf(v)), () => rng.int(p.values.length)));
        break;
      case 'tree': {
        const archs = trials.map((t) => architectureFeatures(t.config[p.name] as TreeNode));
        for (const name of Object.keys(archs[0] ?? {})) {
          const values = archs.map((a) => a[name]!);
          const categories = ARCH_CATEGORIES[name];
          if (categories) column({ name, kind: 'categorical', values: categories, conditional: false }, values.map((v) => categories.indexOf(v as string)));
          else {
            const nums = values as number[];
            const levels = name === 'arch.stages' ? [...new Set(nums)].sort((a, b) => a - b) : undefined;
            column({ name, kind: 'numeric', lower: Math.min(...nums), upper: Math.max(...nums), log: false, levels, conditional: false }, nums);
          }
        }
        break;
      }
    }
  }
  if (budget) column({ name: 'budget (epochs)', kind: 'numeric', lower: Math.log10(budget.min), upper: Math.log10(budget.max), log: true, conditional: false }, trials.map((t) => Math.log10(t.budget)));
  const keep = columns.map((c) => c.some((v) => v !== c[0]));
  return {
    features: features.filter((_, f) => keep[f]),
    rows: trials.map((_, r) => columns.flatMap((c, f) => (keep[f] ? [c[r]!] : []))),
    constant: features.filter((_, f) => !keep[f]).map((f) => f.name),
  };
}

const inactive = NaN;
const impute = (values: number[], draw: () => number): number[] => values.map((v) => (Number.isNaN(v) ? draw() : v));
