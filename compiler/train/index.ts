/**
 * Training graphs, public entry point: a compiled model in, its training-step graph out.
 *
 * @example
 *   const step = compileTrainingStep(compile(tree, plan), { loss: { kind: 'dice_ce' } });
 *   writeFileAtomic('step.onnx', step.onnx());
 */
import { UsageError } from '../../src/errors.js';
import type { CompiledModel } from '../index.js';
import { LOSSES, type LossKind } from './losses.js';
import { OPTIMIZERS, type OptimizerKind } from './optimizers.js';
import { buildTrainingStep, type TrainingStep, type TrainingStepOptions } from './step.js';

/** The training step of `model` at its plan's batch size (unless `options.batchSize` says otherwise). */
export function compileTrainingStep(model: CompiledModel, options: Partial<TrainingStepOptions> = {}): TrainingStep {
  return buildTrainingStep(model.graph, model.outputs, { batchSize: model.ir.batchSize, ...options });
}

export function parseLossKind(text: string, where = '--loss'): LossKind {
  if (!(text in LOSSES)) throw new UsageError(`${where}: unknown loss '${text}'; expected one of ${Object.keys(LOSSES).join(', ')}`);
  return text as LossKind;
}

export function parseOptimizerKind(text: string, where = '--optimizer'): OptimizerKind {
  if (!(text in OPTIMIZERS)) throw new UsageError(`${where}: unknown optimizer '${text}'; expected one of ${Object.keys(OPTIMIZERS).join(', ')}`);
  return text as OptimizerKind;
}

export { buildTrainingStep, type StepSignature, type TensorSlot, type TrainingStep, type TrainingStepOptions } from './step.js';
export { DEFAULT_LOSS, LOSSES, type LossKind, type LossOptions } from './losses.js';
export { DEFAULT_OPTIMIZER, OPTIMIZERS, type OptimizerKind, type OptimizerOptions } from './optimizers.js';
export { deepSupervisionWeights } from './deep-supervision.js';
export { trainingForward } from './forward.js';
