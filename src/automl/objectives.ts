/**
 * The objectives `hnas optimize --objective <name>` can run: one registry. Add an objective:
 * one file with an ObjectiveFactory (objective-setup.ts; the contract it returns is
 * src/optimize/objective.ts) and one entry here.
 */
import { syntheticObjective } from '../optimize/synthetic.js';
import { entryNamed } from '../util/registry.js';
import type { ObjectiveFactory } from './objective-setup.js';
import { nnunetObjective } from './nnunet-objective.js';

export interface ObjectiveEntry {
  readonly description: string;
  readonly create: ObjectiveFactory;
}

export const OBJECTIVES = {
  nnunet: {
    description: 'nnU-Net training: plan -> compile -> train -> validate on the folds (src/automl/nnunet-objective.ts)',
    create: nnunetObjective,
  },
  synthetic: {
    description: 'a deterministic stand-in with checkpoints, for tests and dry runs of a budget (src/optimize/synthetic.ts)',
    create: (setup) => syntheticObjective({ folds: setup.training.folds, delayMs: setup.options.delayMs }),
  },
} as const satisfies Record<string, ObjectiveEntry>;

export type ObjectiveName = keyof typeof OBJECTIVES;
export const OBJECTIVE_NAMES = Object.keys(OBJECTIVES) as ObjectiveName[];

export const objectiveNamed = (name: string): ObjectiveEntry => entryNamed<ObjectiveEntry>(OBJECTIVES, '--objective', name);
