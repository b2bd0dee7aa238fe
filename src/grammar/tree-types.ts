/**
 * Derivation trees: the currency between the grammar toolkit, the sampler, the
 * optimiser and the compiler. A node is a nonterminal expanded by one of its
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

/**
 * The deepest a derivation tree may be (root alone = 1), checked wherever trees are read, sampled or
 * written, so that the recursive walks over trees (printing, JSON, the compiler) stay far from the
 * call stack's limit. U-Net trees are about 2 n_max + 4 levels deep.
 */
export const MAX_TREE_DEPTH = 1000;
