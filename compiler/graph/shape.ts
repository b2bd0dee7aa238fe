/** Tensor shapes of the op graph. */

/** A dimension: a size, or a symbol such as the batch dimension 'N'. */
export type Dim = number | string;
export type Shape = readonly Dim[];
