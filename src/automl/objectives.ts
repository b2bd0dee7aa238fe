/** The objectives `hnas optimize --objective <name>` can run: one registry (see objective.ts for the contract). */
import { HnasError, UsageError } from '../errors.js';
import type { ObjectiveFactory } from './objective.js';
import { nnunetObjective } from './nnunet-objective.js';
import { syntheticTrialObjective } from './synthetic.js';

export interface ObjectiveEntry {
  readonly description: string;
  /** Why it cannot run yet; checked before anything is planned or created. */
  readonly unavailable?: string;
  readonly create: ObjectiveFactory;
}

export const OBJECTIVES = {
  nnunet: {
    description: 'nnU-Net training: plan -> compile -> train -> validate on the folds (src/automl/nnunet-objective.ts)',
    create: nnunetObjective,
  },
  synthetic: {
    description: 'a deterministic stand-in with checkpoints, for tests and dry runs of a budget',
    create: syntheticTrialObjective,
  },
} as const satisfies Record<string, ObjectiveEntry>;

export type ObjectiveName = keyof typeof OBJECTIVES;
export const OBJECTIVE_NAMES = Object.keys(OBJECTIVES) as ObjectiveName[];

export function objectiveNamed(name: string): ObjectiveEntry {
  if (!(name in OBJECTIVES)) throw new UsageError(`--objective must be one of ${OBJECTIVE_NAMES.join(', ')}, got '${name}'`);
  const entry: ObjectiveEntry = OBJECTIVES[name as ObjectiveName];
  if (entry.unavailable) throw new HnasError(`training is not available yet: ${entry.unavailable} (use --objective synthetic to exercise the search)`);
  return entry;
}
