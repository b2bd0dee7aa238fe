/**
 * The three Auto-nnU-Net search approaches, one registry: which optimiser runs over
 * which search space. The architecture spaces need the plan's number of stages (n_max).
 *   hpo      -> PriorBand over the 8 training hyperparameters (nnU-Net's architecture);
 *   hpo_nas  -> Regularized PriorBand over HPO + macro architecture (the paper's Auto-nnU-Net);
 *   hpo_hnas -> Regularized PriorBand over HPO + dropout + a U-Net grammar derivation tree.
 */
import type { AlgorithmName } from '../optimize/algorithms.js';
import { hnasSpace, hpoSpace, nasSpace } from '../space/spaces.js';
import type { SearchSpace } from '../space/types.js';
import { entryNamed } from '../util/registry.js';

export interface Approach {
  readonly algorithm: AlgorithmName;
  readonly description: string;
  /** The search space for a dataset planned with `nMax` stages. */
  space(nMax: number): SearchSpace;
}

export const APPROACHES = {
  hpo: { algorithm: 'priorband', description: 'PriorBand over the training hyperparameters', space: () => hpoSpace() },
  hpo_nas: { algorithm: 'regularized-priorband', description: 'Regularized PriorBand over hyperparameters + macro architecture', space: () => nasSpace() },
  hpo_hnas: {
    algorithm: 'regularized-priorband',
    description: 'Regularized PriorBand over hyperparameters + dropout + grammar-derived U-Net',
    space: (nMax: number) => hnasSpace(nMax),
  },
} as const satisfies Record<string, Approach>;

export type ApproachName = keyof typeof APPROACHES;
export const APPROACH_NAMES = Object.keys(APPROACHES) as ApproachName[];

export const approachNamed = (name: string): Approach => entryNamed<Approach>(APPROACHES, '--approach', name);
