/**
 * What the objectives of `hnas optimize` are made from: each entry of the registry
 * (objectives.ts) is a factory from the study's setup to an Objective (the contract:
 * src/optimize/objective.ts). The driver (driver.ts) owns the study and the bookkeeping,
 * trial-folder.ts gives each trial its folder; an objective owns only training.
 */
import type { Device } from '../runtime/providers.js';
import type { Plan } from '../data/plan-types.js';
import type { Objective } from '../optimize/objective.js';

/** Training settings fixed for a whole study (stored in study.json; a resume must use the same). */
export interface TrainingSettings {
  /** Cross-validation folds trained per evaluation; objectives are fold means. */
  readonly folds: readonly number[];
  /** Iterations (batches) per epoch: 250 in nnU-Net, a few for CPU smoke runs. */
  readonly iterationsPerEpoch: number;
  /** Overrides of the plan's patch and batch size (null: the plan's). */
  readonly patchSize: readonly [number, number, number] | null;
  readonly batchSize: number | null;
}

export interface ObjectiveSetup {
  readonly datasetDir: string;
  readonly plan: Plan | null;
  readonly training: TrainingSettings;
  readonly device: Device;
  /** Objective-specific knobs (the study's maxEpochs, always set; featuresBase/featuresMax, threads; the synthetic objective's delayMs). */
  readonly options: Readonly<Record<string, number>>;
}

export type ObjectiveFactory = (setup: ObjectiveSetup) => Objective;
