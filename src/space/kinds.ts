/** The registry of hyperparameter kinds: adding a kind means one entry here and one module. */
import { categoricalKind } from './categorical.js';
import type { KindOps } from './kind.js';
import { floatKind, intKind, ordinalKind } from './numeric.js';
import { treeKind } from './tree-kind.js';
import type { ParamDef, ParamKind } from './types.js';

type Registry = { readonly [K in ParamKind]: KindOps<Extract<ParamDef, { kind: K }>> };

export const KINDS: Registry = {
  float: floatKind,
  int: intKind,
  ordinal: ordinalKind,
  categorical: categoricalKind,
  tree: treeKind,
};

/** The operations of `def`'s kind. */
export function kindOf<D extends ParamDef>(def: D): KindOps<D> {
  return KINDS[def.kind] as unknown as KindOps<D>;
}
