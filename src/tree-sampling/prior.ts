/**
 * Priors over derivations: for each nonterminal, a probability per alternative.
 *
 * The U-Net prior is centred on nnU-Net's defaults (reference: Auto-nnU-Net,
 * "Prior-weighted sampling"):
 * - integer-like rules (stage count, blocks per stage): a normal centred on the
 *   default with std = (upper - lower) * c, c = 0.5 / 0.25 / 0.125 for low / medium
 *   / high confidence, integrated over [k - 1/2, k + 1/2] for each integer k and
 *   renormalised over the allowed integers (i.e. truncated);
 * - categorical rules: weight 1 per alternative, the default 2 / 4 / 6;
 * - 'uniform': every alternative of a rule equally likely.
 * Any grammar's own weights give a prior too (weightsPrior).
 */
import type { Grammar } from '../grammar/grammar.js';
import { unetRules } from '../grammar/unet.js';
import { normalInterval } from './normal.js';

export type Confidence = 'low' | 'medium' | 'high' | 'uniform';
export const CONFIDENCES: readonly Confidence[] = ['low', 'medium', 'high', 'uniform'];

/** Probability of each alternative, per nonterminal (in the rule's order; sums to 1). */
export type GrammarPrior = ReadonlyMap<string, Float64Array>;

/** Relative std of the integer prior and weight of the categorical default, per confidence. */
export const CONFIDENCE_SCALE: Readonly<Record<Exclude<Confidence, 'uniform'>, { stdFraction: number; defaultWeight: number }>> = {
  low: { stdFraction: 0.5, defaultWeight: 2 },
  medium: { stdFraction: 0.25, defaultWeight: 4 },
  high: { stdFraction: 0.125, defaultWeight: 6 },
};

/** Probabilities of the consecutive integers `values` under the truncated, bucketed normal. */
export function integerPrior(values: readonly number[], centre: number, confidence: Confidence): Float64Array {
  const n = values.length;
  if (confidence === 'uniform' || n === 1) return new Float64Array(n).fill(1 / n);
  const std = (values[n - 1]! - values[0]!) * CONFIDENCE_SCALE[confidence].stdFraction;
  return normalise(Float64Array.from(values, (k) => normalInterval((k - 0.5 - centre) / std, (k + 0.5 - centre) / std)));
}

/** Weight 1 for every alternative, `defaultWeight` for the default; normalised. */
export function categoricalPrior(count: number, defaultIndex: number, confidence: Confidence): Float64Array {
  const p = new Float64Array(count).fill(1);
  if (confidence !== 'uniform') p[defaultIndex] = CONFIDENCE_SCALE[confidence].defaultWeight;
  return normalise(p);
}

const unetCache = new Map<string, GrammarPrior>();

/** The prior of unetGrammar(nMax, sMax) at a confidence level (cached). */
export function unetPrior(nMax: number, sMax: number, confidence: Confidence): GrammarPrior {
  if (!CONFIDENCES.includes(confidence)) throw new RangeError(`confidence must be one of ${CONFIDENCES.join(', ')}, got ${confidence}`);
  const key = `${nMax}/${sMax}/${confidence}`;
  let prior = unetCache.get(key);
  if (!prior) {
    prior = new Map(
      unetRules(nMax, sMax).map((rule) => {
        const { choice } = rule;
        const p =
          choice.kind === 'integer'
            ? integerPrior(choice.values, choice.default, confidence)
            : categoricalPrior(rule.alternatives.length, choice.default, confidence);
        return [rule.head, p] as const;
      }),
    );
    unetCache.set(key, prior);
  }
  return prior;
}

/** The grammar file's weights; rules without weights are uniform. */
export function weightsPrior(grammar: Grammar): GrammarPrior {
  return new Map(
    [...grammar.rules].map(([head, alts]) => {
      const weighted = alts.every((a) => a.weight !== undefined);
      return [head, weighted ? normalise(Float64Array.from(alts, (a) => a.weight!)) : new Float64Array(alts.length).fill(1 / alts.length)];
    }),
  );
}

/** Every alternative of every rule equally likely. */
export function uniformPrior(grammar: Grammar): GrammarPrior {
  return new Map([...grammar.rules].map(([head, alts]) => [head, new Float64Array(alts.length).fill(1 / alts.length)]));
}

function normalise(p: Float64Array): Float64Array {
  let sum = 0;
  for (const x of p) sum += x;
  if (!(sum > 0)) throw new RangeError('a prior needs at least one positive weight');
  return p.map((x) => x / sum);
}
