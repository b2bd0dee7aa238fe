/** What a gradient rule is: the contract between the autodiff engine and the table in gradients.ts. */
import type { GraphBuilder } from '../graph/builder.js';
import type { GraphNode } from '../graph/ops.js';

/**
 * One gradient value per input of `node` (null where none flows), built with `b` (names
 * `<node>.grad.<hint>`) from the gradients of its outputs (null for an output nothing
 * depends on). The engine sums contributions, reduces broadcast axes and checks shapes.
 */
export type GradientRule<A> = (b: GraphBuilder, node: GraphNode & { readonly attrs: A }, outputGrads: readonly (string | null)[]) => readonly (string | null)[];

/** For ops autodiff treats as constants (masks, comparisons): no gradient reaches any input. */
export const constantToAutodiff: GradientRule<unknown> = (_b, node) => node.inputs.map(() => null);
