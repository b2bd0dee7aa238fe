/**
 * A grammar and prior compiled into arrays for fast sampling: nonterminals by
 * index, per rule the cumulative probabilities and, per alternative, a template
 * of children (a terminal's name, or a nonterminal's index) and its minimum
 * height. Compiled once per (grammar, prior) pair and cached.
 */
import { altDepth, minDepths, unboundedSymbols } from '../grammar/analysis.js';
import type { Grammar } from '../grammar/grammar.js';
import type { TreeChild, TreeNode } from '../grammar/tree-types.js';
import type { Rng } from '../util/rng.js';
import type { GrammarPrior } from './prior.js';

export interface CompiledRule {
  readonly symbol: string;
  readonly probability: Float64Array;
  /** cumulative[i] = P(alternative <= i); the last positive one is +Infinity so rounding never overruns. */
  readonly cumulative: Float64Array;
  readonly templates: readonly (readonly (string | number)[])[];
  readonly altDepth: readonly number[];
}

export interface CompiledGrammar {
  readonly rules: readonly CompiledRule[];
  readonly index: ReadonlyMap<string, number>;
  readonly start: number;
  /** Whether some derivation from the start symbol can be arbitrarily deep. */
  readonly recursive: boolean;
}

/** Probabilities of one rule must sum to 1 within this tolerance. */
const PRIOR_TOLERANCE = 1e-6;

const cache = new WeakMap<Grammar, WeakMap<GrammarPrior, CompiledGrammar>>();

export function compile(grammar: Grammar, prior: GrammarPrior): CompiledGrammar {
  let byPrior = cache.get(grammar);
  if (!byPrior) cache.set(grammar, (byPrior = new WeakMap()));
  let compiled = byPrior.get(prior);
  if (!compiled) byPrior.set(prior, (compiled = build(grammar, prior)));
  return compiled;
}

function build(grammar: Grammar, prior: GrammarPrior): CompiledGrammar {
  const index = new Map([...grammar.rules.keys()].map((head, i) => [head, i]));
  const depth = minDepths(grammar);
  const rules = [...grammar.rules].map(([head, alts]): CompiledRule => {
    const probability = prior.get(head);
    if (!probability || probability.length !== alts.length)
      throw new RangeError(`prior for ${head} must give ${alts.length} probabilities, got ${probability?.length ?? 'none'}`);
    let sum = 0;
    for (const p of probability) {
      if (!(p >= 0 && Number.isFinite(p))) throw new RangeError(`prior for ${head} has an invalid probability ${p}`);
      sum += p;
    }
    if (Math.abs(sum - 1) > PRIOR_TOLERANCE) throw new RangeError(`prior for ${head} sums to ${sum}, expected 1`);
    const cumulative = new Float64Array(alts.length);
    let acc = 0;
    probability.forEach((p, i) => (cumulative[i] = acc += p));
    let last = alts.length - 1;
    while (probability[last] === 0) last--;
    cumulative.fill(Infinity, last);
    return {
      symbol: head,
      probability,
      cumulative,
      templates: alts.map((alt) => alt.symbols.map((s) => (s.kind === 'terminal' ? s.name : index.get(s.name)!))),
      altDepth: alts.map((alt) => altDepth(alt.symbols, depth)),
    };
  });
  return { rules, index, start: index.get(grammar.start)!, recursive: unboundedSymbols(grammar).has(grammar.start) };
}

/** Draw an alternative of `rule` from the prior. */
export function drawAlternative(rule: CompiledRule, rng: Rng): number {
  const u = rng.float();
  const cumulative = rule.cumulative;
  let i = 0;
  while (u >= cumulative[i]!) i++;
  return i;
}

/** A fresh subtree of nonterminal `id` drawn from the prior, unbounded (for non-recursive grammars). */
export function expand(c: CompiledGrammar, id: number, rng: Rng): TreeNode {
  const rule = c.rules[id]!;
  return instantiate(rule, drawAlternative(rule, rng), (child) => expand(c, child, rng));
}

/**
 * A fresh subtree of height <= budget: alternatives that cannot finish within the
 * budget are excluded and the prior renormalised over the rest (uniform over
 * them if the prior gives them no mass).
 */
export function expandBounded(c: CompiledGrammar, id: number, rng: Rng, budget: number, exclude = -1): TreeNode {
  const rule = c.rules[id]!;
  const weights = rule.probability.map((p, i) => (i === exclude || rule.altDepth[i]! > budget ? -1 : p));
  return instantiate(rule, choose(weights, rng), (child) => expandBounded(c, child, rng, budget - 1));
}

/** Categorical draw over weights, where -1 marks excluded; uniform over the rest if they are all 0. */
function choose(weights: Float64Array, rng: Rng): number {
  const allowed = weights.map((w) => (w < 0 ? 0 : w));
  if (allowed.some((w) => w > 0)) return rng.categorical(allowed);
  const open = weights.map((w) => (w < 0 ? 0 : 1));
  return rng.categorical(open); // throws if nothing is allowed
}

/** The node for alternative `alt` of `rule`, its nonterminal children made by `child`. */
function instantiate(rule: CompiledRule, alt: number, child: (id: number) => TreeNode): TreeNode {
  const template = rule.templates[alt]!;
  const children = new Array<TreeChild>(template.length);
  for (let i = 0; i < template.length; i++) {
    const s = template[i]!;
    children[i] = typeof s === 'string' ? s : child(s);
  }
  return { symbol: rule.symbol, children };
}
