/** The objectives `hnas optimize --objective <name>` can run: one registry (see objective.ts for the contract). */
import { HnasError, UsageError } from '../errors.js';
import type { ObjectiveFactory } from './objective.js';
import { syntheticTrialObjective } from './synthetic.js';

export const OBJECTIVES = {
  /** nnU-Net training (plan -> compile -> train -> validate on the folds): wired in when the trainer lands. */
  nnunet: (() => {
    throw new HnasError('training is not available yet: the nnU-Net trainer is not wired into `hnas optimize` (use --objective synthetic to exercise the search)');
  }) as ObjectiveFactory,
  /** A deterministic stand-in with checkpoints, for tests and dry runs of a study's budget. */
  synthetic: syntheticTrialObjective,
} as const satisfies Record<string, ObjectiveFactory>;

export type ObjectiveName = keyof typeof OBJECTIVES;
export const OBJECTIVE_NAMES = Object.keys(OBJECTIVES) as ObjectiveName[];

export function objectiveNamed(name: string): ObjectiveFactory {
  if (!(name in OBJECTIVES)) throw new UsageError(`--objective must be one of ${OBJECTIVE_NAMES.join(', ')}, got '${name}'`);
  return OBJECTIVES[name as ObjectiveName];
}
