/**
 * Variation operators for PriorBand's local search. Both keep trees in the
 * grammar's language and never modify their inputs (trees are shared freely).
 *
 * mutateTree: every nonterminal node is, with probability `rate` (default
 * 1 / number of nodes), replaced by a fresh subtree sampled from the prior for its
 * symbol. If that leaves the tree unchanged but the grammar allows a different
 * tree, one node with two or more alternatives, chosen uniformly, is re-expanded
 * with a different alternative (prior renormalised over the others), so the result
 * always differs from the input when it can.
 *
 * crossoverTrees: picks uniformly a pair of non-root subtrees, one from each
 * parent, rooted at the same nonterminal and not already equal, and swaps them.
 */
import { alternativeIndex, walkDerivation } from '../grammar/derivation.js';
import type { Grammar } from '../grammar/grammar.js';
import { treesEqual, printTree } from '../grammar/tree.js';
import { isNode, type TreeChild, type TreeNode } from '../grammar/tree-types.js';
import type { Rng } from '../util/rng.js';
import { compile, expand, expandBounded, type CompiledGrammar } from './compiled.js';
import type { GrammarPrior } from './prior.js';
import { DEFAULT_MAX_DEPTH } from './sample.js';

export interface MutationOptions {
  /** Probability that each node is resampled, in (0, 1]. Default 1 / (number of nonterminal nodes). */
  readonly rate?: number;
  /** Height bound for subtrees of recursive grammars (default DEFAULT_MAX_DEPTH for the whole tree). */
  readonly maxDepth?: number;
}

/** A nonterminal node and where it sits: child indices from the root, and its depth (root = 1). */
interface Site {
  readonly node: TreeNode;
  readonly path: readonly number[];
  readonly depth: number;
}

export function mutateTree(grammar: Grammar, prior: GrammarPrior, tree: TreeNode, rng: Rng, options: MutationOptions = {}): TreeNode {
  walkDerivation(grammar, tree);
  const c = compile(grammar, prior);
  const sites = collectSites(tree);
  const rate = options.rate ?? 1 / sites.length;
  if (!(rate > 0 && rate <= 1)) throw new RangeError(`mutation rate must be in (0, 1], got ${rate}`);
  const maxDepth = Math.max(options.maxDepth ?? DEFAULT_MAX_DEPTH, treeHeight(tree));
  const fresh = (node: TreeNode, depth: number, exclude = -1): TreeNode => {
    const id = c.index.get(node.symbol)!;
    if (!c.recursive && exclude < 0) return expand(c, id, rng);
    return expandBounded(c, id, rng, c.recursive ? maxDepth - depth + 1 : Infinity, exclude);
  };

  const visit = (node: TreeNode, depth: number): TreeNode => {
    if (rng.float() < rate) return fresh(node, depth);
    let children: TreeChild[] | undefined;
    node.children.forEach((child, i) => {
      if (!isNode(child)) return;
      const next = visit(child, depth + 1);
      if (next !== child) (children ??= [...node.children])[i] = next;
    });
    return children ? { symbol: node.symbol, children } : node;
  };
  const mutated = visit(tree, 1);
  if (!treesEqual(mutated, tree)) return mutated;

  // Nothing changed: force a different alternative at a node that has one.
  const choices = sites.filter((s) => canSwitch(c, s, maxDepth));
  if (choices.length === 0) return tree; // the grammar allows no other tree here
  const site = choices[rng.int(choices.length)]!;
  return replaceAt(tree, site.path, fresh(site.node, site.depth, alternativeIndex(grammar, site.node)));
}

/** Swap a random pair of distinct same-symbol subtrees between a and b; [a, b] unchanged when there is none. */
export function crossoverTrees(grammar: Grammar, a: TreeNode, b: TreeNode, rng: Rng): [TreeNode, TreeNode] {
  walkDerivation(grammar, a);
  walkDerivation(grammar, b);
  const key = new Map<TreeNode, string>();
  const keyOf = (n: TreeNode) => key.get(n) ?? (key.set(n, printTree(n)), key.get(n)!);
  const bySymbol = new Map<string, Site[]>();
  for (const s of collectSites(b).slice(1)) bySymbol.set(s.node.symbol, [...(bySymbol.get(s.node.symbol) ?? []), s]);
  const pairs: [Site, Site][] = [];
  for (const sa of collectSites(a).slice(1))
    for (const sb of bySymbol.get(sa.node.symbol) ?? []) if (keyOf(sa.node) !== keyOf(sb.node)) pairs.push([sa, sb]);
  if (pairs.length === 0) return [a, b];
  const [sa, sb] = pairs[rng.int(pairs.length)]!;
  return [replaceAt(a, sa.path, sb.node), replaceAt(b, sb.path, sa.node)];
}

/** Nonterminal nodes in preorder, the root first. */
function collectSites(tree: TreeNode): Site[] {
  const sites: Site[] = [];
  const walk = (node: TreeNode, path: number[], depth: number): void => {
    sites.push({ node, path, depth });
    node.children.forEach((c, i) => isNode(c) && walk(c, [...path, i], depth + 1));
  };
  walk(tree, [], 1);
  return sites;
}

function treeHeight(node: TreeNode): number {
  let h = 0;
  for (const c of node.children) if (isNode(c)) h = Math.max(h, treeHeight(c));
  return h + 1;
}

/** Whether another alternative of the node's symbol fits within the height bound. */
function canSwitch(c: CompiledGrammar, site: Site, maxDepth: number): boolean {
  const rule = c.rules[c.index.get(site.node.symbol)!]!;
  const budget = c.recursive ? maxDepth - site.depth + 1 : Infinity;
  return rule.altDepth.filter((d) => d <= budget).length >= 2;
}

/** A copy of `tree` with the node at `path` replaced (ancestors copied, the rest shared). */
function replaceAt(tree: TreeNode, path: readonly number[], replacement: TreeNode): TreeNode {
  if (path.length === 0) return replacement;
  const [i, ...rest] = path;
  const children = [...tree.children];
  children[i!] = replaceAt(tree.children[i!] as TreeNode, rest, replacement);
  return { symbol: tree.symbol, children };
}
