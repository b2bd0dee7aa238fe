/**
 * Priors of the search spaces, one registry: which defaults (the prior's modes, and the
 * configuration a study evaluates as its baseline) a space is searched around. The ranges,
 * confidences and conditions never change; a prior only moves the modes.
 *  - nnunet: nnU-Net's defaults, the paper's prior (tuned for nnU-Net's 1000 x 250 steps);
 *  - short-schedule: for trainings of a few thousand steps, where nnU-Net's SGD at 1e-2 with
 *    PolyLR is still far from converged (26 % Dice after 450 steps of batch 2 on Hippocampus,
 *    against 85 % for AdamW at 3.4e-3; docs/automl.md, "Priors").
 */
import { ConfigError } from '../errors.js';
import { entryNamed } from '../util/registry.js';
import { checkSpace } from './schema.js';
import type { ParamDef, SearchSpace } from './types.js';

export interface Prior {
  readonly description: string;
  /** New defaults by hyperparameter name; the rest keep the space's own. */
  readonly defaults: Readonly<Record<string, number | string>>;
}

export const PRIORS = {
  nnunet: { description: "nnU-Net's defaults, the paper's prior", defaults: {} },
  'short-schedule': {
    description: 'AdamW 3e-3 with cosine annealing and half the augmentation: converges within a few thousand steps',
    defaults: { optimizer: 'adamw', learning_rate: 3e-3, lr_scheduler: 'cosine', augmentation_factor: 0.5 },
  },
} as const satisfies Record<string, Prior>;

export type PriorName = keyof typeof PRIORS;
export const PRIOR_NAMES = Object.keys(PRIORS) as PriorName[];

export const priorNamed = (name: string): Prior => entryNamed<Prior>(PRIORS, '--prior', name);

/** `space` with the prior's defaults; a prior naming a hyperparameter the space lacks is a bug in the registry. */
export function withPrior(space: SearchSpace, name: PriorName): SearchSpace {
  const prior: Prior = PRIORS[name];
  for (const param of Object.keys(prior.defaults))
    if (!space.params.some((p) => p.name === param)) throw new ConfigError(`prior '${name}' sets '${param}', which space '${space.name}' does not have`);
  const params = space.params.map((p) => (Object.hasOwn(prior.defaults, p.name) ? ({ ...p, default: prior.defaults[p.name] } as ParamDef) : p));
  return checkSpace({ ...space, params });
}
