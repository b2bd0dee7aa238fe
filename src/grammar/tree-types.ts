/** Derivation trees, as the compiler defines the shape it walks (compiler/ir/tree-types.ts). */
export { isNode, type GrammarRef, type TreeChild, type TreeFile, type TreeNode } from '../../compiler/ir/tree-types.js';

/**
 * The deepest a derivation tree may be (root alone = 1), checked wherever trees are read, sampled or
 * loaded, so that the recursive walks over trees (printing, JSON, the compiler) stay far from the
 * call stack's limit. U-Net trees are about 2 n_max + 4 levels deep.
 */
export const MAX_TREE_DEPTH = 1000;
