/**
 * Derivation trees: the bracketed string form, equality, the terminal yield, and
 * (re-exported) validation and the tree.json file form. Types: tree-types.ts.
 *
 *   printTree(tree)      -> '(S unet (E2 conv_encoder (ENORM instance_norm) ...) ...)'
 *   parseTreeString(s)   -> the TreeNode again; print/parse round-trip exactly.
 */
import { parseTreeSyntax } from './syntax.js';
import { isNode, type GrammarRef, type TreeFile, type TreeNode } from './tree-types.js';

export { alternativeIndex, validateTree, walkDerivation } from './derivation.js';
export { parseTreeFile, readTreeFile, treeFileJson } from './tree-file.js';

/** Parse the bracketed form; errors name line and column. */
export function parseTreeString(text: string): TreeNode {
  return parseTreeSyntax(text);
}

/** The bracketed form on one line. */
export function printTree(tree: TreeNode): string {
  const parts: string[] = [];
  const emit = (node: TreeNode): void => {
    parts.push(`(${node.symbol}`);
    for (const c of node.children) {
      if (isNode(c)) {
        parts.push(' ');
        emit(c);
      } else parts.push(` ${c}`);
    }
    parts.push(')');
  };
  emit(tree);
  return parts.join('');
}

/** The terminal string the tree derives, left to right. */
export function treeTerminals(tree: TreeNode): string[] {
  const out: string[] = [];
  const walk = (node: TreeNode): void => {
    for (const c of node.children) if (isNode(c)) walk(c);
      else out.push(c);
  };
  walk(tree);
  return out;
}

/** Structural equality. */
export function treesEqual(a: TreeNode, b: TreeNode): boolean {
  if (a === b) return true;
  if (a.symbol !== b.symbol || a.children.length !== b.children.length) return false;
  for (let i = 0; i < a.children.length; i++) {
    const x = a.children[i]!;
    const y = b.children[i]!;
    if (isNode(x) ? !isNode(y) || !treesEqual(x, y) : x !== y) return false;
  }
  return true;
}

/** Number of nonterminal nodes. */
export function treeSize(tree: TreeNode): number {
  let n = 1;
  for (const c of tree.children) if (isNode(c)) n += treeSize(c);
  return n;
}

/** A tree file for `tree` of the grammar `grammar`. */
export function makeTreeFile(grammar: GrammarRef, tree: TreeNode): TreeFile {
  return { format: 'hnas-tree', version: 1, grammar, tree };
}

