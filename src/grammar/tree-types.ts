/** Derivation trees, as the compiler defines the shape it walks (compiler/ir/tree-types.ts). */
export { isNode, type GrammarRef, type TreeChild, type TreeFile, type TreeNode } from '../../compiler/ir/tree-types.js';
