/**
 * Derivation trees: the currency between the grammar toolkit, the sampler, the
 * optimiser and the compiler. The compiler owns the shape it walks, so it depends on
 * nothing of src/ but errors and util; src/grammar/tree-types.ts re-exports it for
 * everyone else. A node is a nonterminal expanded by one of its
 * rule's alternatives; its children are terminals (plain strings) and nonterminal
 * nodes, in the order of that alternative's symbols.
 *
 * Bracketed string form: `(S unet (E2 conv_encoder (ENORM instance_norm) ...) ...)`.
 * JSON file form (tree.json), versioned:
 *   { "format": "hnas-tree", "version": 1,
 *     "grammar": { "name": "unet", "nMax": 4, "sMax": 2 },
 *     "tree": { "symbol": "S", "children": ["unet", { "symbol": "E4", "children": [...] }, ...] } }
 */

export interface TreeNode {
  /** The nonterminal this node expands. */
  readonly symbol: string;
  /** Terminals (strings) and nonterminal nodes, in the order of the chosen alternative. */
  readonly children: ReadonlyArray<TreeChild>;
}

export type TreeChild = TreeNode | string;

/** Which grammar a tree belongs to. For the generated U-Net grammar, name = 'unet'. */
export interface GrammarRef {
  readonly name: string;
  readonly nMax?: number;
  readonly sMax?: number;
}

export interface TreeFile {
  readonly format: 'hnas-tree';
  readonly version: 1;
  readonly grammar: GrammarRef;
  readonly tree: TreeNode;
}

export const isNode = (c: TreeChild): c is TreeNode => typeof c !== 'string';
