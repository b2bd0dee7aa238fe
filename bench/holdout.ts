/**
 * The held-out split of `npm run bench -- auto`: `n` case ids drawn by a seeded shuffle, the rest
 * kept for `hnas auto`. Fixed by HOLDOUT_SEED so every run of the benchmark holds out the same cases.
 */
import { Rng } from '../src/util/rng.js';

export const HOLDOUT_SEED = 2026;

export function holdOut(ids: readonly string[], n: number, seed: number): { heldOut: string[]; kept: string[] } {
  if (!(Number.isInteger(n) && n >= 1 && n < ids.length)) throw new RangeError(`can hold out 1..${ids.length - 1} of ${ids.length} cases, not ${n}`);
  const order = [...ids].sort();
  const rng = Rng.seeded(seed);
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const held = new Set(order.slice(0, n));
  return { heldOut: [...held].sort(), kept: [...ids].sort().filter((id) => !held.has(id)) };
}
