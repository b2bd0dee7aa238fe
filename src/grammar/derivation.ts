/**
 * Checking a derivation tree against a grammar: each node must expand its
 * nonterminal by one of the rule's alternatives, children in order. Errors name
 * the path to the offending node, `S/E4[1]/C2[8]` (a node's symbol with its index
 * among its parent's children), and what the grammar allows there.
 */
import { TreeError } from '../errors.js';
import { alternativeText, type Grammar } from './grammar.js';
import { isNode, type TreeChild, type TreeNode } from './tree-types.js';

/** Alternatives keyed by the sequence they derive: terminals bare, nonterminals as `(X`. */
const keyCache = new WeakMap<Grammar, ReadonlyMap<string, ReadonlyMap<string, number>>>();

function alternativeKeys(grammar: Grammar): ReadonlyMap<string, ReadonlyMap<string, number>> {
  let keys = keyCache.get(grammar);
  if (!keys) {
    keys = new Map(
      [...grammar.rules].map(([head, alts]) => [
        head,
        new Map(alts.map((alt, i) => [alt.symbols.map((s) => (s.kind === 'terminal' ? s.name : `(${s.name}`)).join(' '), i])),
      ]),
    );
    keyCache.set(grammar, keys);
  }
  return keys;
}

const childKey = (children: readonly TreeChild[]) => children.map((c) => (isNode(c) ? `(${c.symbol}` : c)).join(' ');

/** Index of the alternative `node` expands its symbol by, or -1 (also when the symbol has no rule). */
export function alternativeIndex(grammar: Grammar, node: TreeNode): number {
  return alternativeKeys(grammar).get(node.symbol)?.get(childKey(node.children)) ?? -1;
}

/**
 * Visit every node of a valid derivation top-down with the alternative it used;
 * throws TreeError at the first node that is not a derivation step of `grammar`.
 */
export function walkDerivation(
  grammar: Grammar,
  tree: TreeNode,
  visit?: (node: TreeNode, alternative: number, path: string) => void,
): void {
  if (tree.symbol !== grammar.start)
    throw new TreeError(`the root must expand the start symbol ${grammar.start}, found ${tree.symbol}`, { path: tree.symbol });
  const stack: [TreeNode, string][] = [[tree, tree.symbol]];
  while (stack.length > 0) {
    const [node, path] = stack.pop()!;
    const alternative = alternativeIndex(grammar, node);
    if (alternative < 0) throw new TreeError(mismatch(grammar, node), { path });
    visit?.(node, alternative, path);
    for (let i = node.children.length - 1; i >= 0; i--) {
      const child = node.children[i]!;
      if (isNode(child)) stack.push([child, `${path}/${child.symbol}[${i}]`]);
    }
  }
}

/** Throws TreeError (with the path) unless `tree` is a derivation tree of `grammar`. */
export function validateTree(grammar: Grammar, tree: TreeNode): void {
  walkDerivation(grammar, tree);
}

const MAX_LISTED = 6;

function mismatch(grammar: Grammar, node: TreeNode): string {
  const alts = grammar.rules.get(node.symbol);
  if (!alts) return `'${node.symbol}' is not a nonterminal of this grammar (nonterminals: ${[...grammar.rules.keys()].join(', ')})`;
  const found = node.children.map((c) => (isNode(c) ? `(${c.symbol} ...)` : c)).join(' ') || '(no children)';
  const listed = alts.slice(0, MAX_LISTED).map((a) => alternativeText({ symbols: a.symbols }));
  const more = alts.length > MAX_LISTED ? ` | ... (${alts.length} alternatives in all)` : '';
  return `${node.symbol} cannot derive '${found}'; the grammar allows ${node.symbol} -> ${listed.join(' | ')}${more}`;
}
