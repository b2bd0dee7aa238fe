/**
 * Prior-weighted sampling of derivation trees, and a tree's prior log-probability.
 * Every random choice comes from the caller's Rng, so a seed reproduces a sample.
 * Recursive grammars are sampled with a height bound (nearley's bounded generator
 * idea): alternatives that cannot finish in time are excluded, so the distribution
 * is the prior conditioned on fitting, not the prior itself.
 */
import { GrammarCheckError } from '../errors.js';
import { deepestTree, minDepths } from '../grammar/analysis.js';
import type { Grammar } from '../grammar/grammar.js';
import { walkDerivation } from '../grammar/derivation.js';
import { MAX_TREE_DEPTH, type TreeNode } from '../grammar/tree-types.js';
import type { Rng } from '../util/rng.js';
import { compile, expand, expandBounded } from './compiled.js';
import type { GrammarPrior } from './prior.js';

/** Height bound used for recursive grammars when the caller gives none. */
export const DEFAULT_MAX_DEPTH = 32;

export interface SampleOptions {
  /** Largest tree height (root alone = 1). Default: none for non-recursive grammars, DEFAULT_MAX_DEPTH otherwise. */
  readonly maxDepth?: number;
}

export function sampleTree(grammar: Grammar, prior: GrammarPrior, rng: Rng, options: SampleOptions = {}): TreeNode {
  const c = compile(grammar, prior);
  if (options.maxDepth === undefined && !c.recursive && deepestTree(grammar) <= MAX_TREE_DEPTH) return expand(c, c.start, rng);
  const budget = Math.min(options.maxDepth ?? (c.recursive ? DEFAULT_MAX_DEPTH : MAX_TREE_DEPTH), MAX_TREE_DEPTH);
  const least = minDepths(grammar).get(grammar.start)!;
  if (budget < least)
    throw new GrammarCheckError(`no derivation of ${grammar.start} has height <= ${budget}; the shallowest has height ${least}`, {
      path: `rule ${grammar.start}`,
    });
  return expandBounded(c, c.start, rng, budget);
}

/** Sum of the log-probabilities of the alternatives the tree uses; throws TreeError if it is not a derivation. */
export function treeLogPrior(grammar: Grammar, prior: GrammarPrior, tree: TreeNode): number {
  const c = compile(grammar, prior);
  let logp = 0;
  walkDerivation(grammar, tree, (node, alternative) => {
    logp += Math.log(c.rules[c.index.get(node.symbol)!]!.probability[alternative]!);
  });
  return logp;
}
