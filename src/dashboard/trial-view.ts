/**
 * One trial as the dashboard's trial page shows it: the record, its configuration rounded for
 * reading (3 significant digits; the stored one stays exact), its derivation tree, the U-Net it
 * compiles to for the study's plan (stages, blocks, features, encoder type, norm, activation,
 * decoder) with the compiled graph's parameters, FLOPs and activation memory, and, when the
 * objective trained a model folder, its curves and validation Dice.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compile } from '../../compiler/index.js';
import type { LoadedStudy } from '../automl/load.js';
import { trialFolder } from '../automl/layout.js';
import type { Plan } from '../data/plan-types.js';
import { printTree } from '../grammar/tree.js';
import type { TreeNode } from '../grammar/tree-types.js';
import type { TrialRecord } from '../optimize/trial.js';
import { resolveConfiguration } from '../pipeline/config.js';
import type { ParamValue } from '../space/types.js';
import { relativeSegments } from './files.js';
import { isModelDir, modelView, type ModelView } from './model-view.js';

/** A number for reading: fractional values to 3 significant digits, integers as they are. */
export const readable = (v: number): number => (Number.isInteger(v) || !Number.isFinite(v) ? v : Number(v.toPrecision(3)));

export interface NetworkView {
  readonly ir: ReturnType<typeof compile>['ir'];
  readonly parameters: number;
  readonly flopsPerSample: number;
  readonly activationBytes: number;
  readonly batchSize: number;
}

/** The configuration's network for the plan, or the reason it cannot be compiled. */
export function networkView(config: Readonly<Record<string, ParamValue>>, plan: Plan): NetworkView | { readonly error: string } {
  try {
    const resolved = resolveConfiguration(config, plan.nStages);
    const model = compile(resolved.architecture, plan.network, resolved.compileOptions);
    return { ir: model.ir, parameters: model.cost.parameters, flopsPerSample: model.cost.flopsPerSample, activationBytes: model.cost.activationBytes, batchSize: model.cost.batchSize };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

const tail = (file: string, lines: number): string[] => {
  try {
    return readFileSync(file, 'utf8').split('\n').filter(Boolean).slice(-lines);
  } catch {
    return [];
  }
};

/** The model folder a trial's objective trained (its checkpoint), when it is one and lies inside the study folder. */
export function trialModelDir(study: Pick<LoadedStudy, 'folder'>, trial: TrialRecord): string | null {
  if (trial.checkpoint === null) return null;
  const dir = join(study.folder, trial.checkpoint);
  return relativeSegments(study.folder, dir) !== undefined && isModelDir(dir) ? dir : null;
}

export interface TrialView {
  readonly trial: TrialRecord;
  readonly config: Readonly<Record<string, number | string | boolean>>;
  readonly tree: { readonly name: string; readonly text: string; readonly node: TreeNode } | null;
  readonly network: NetworkView | { readonly error: string } | null;
  readonly log: readonly string[];
  /** The trained model folder (relative to the study folder), when the objective wrote one. */
  readonly modelFolder: string | null;
  readonly model: ModelView | null;
}

/** `network`: the compiled network (null without the study's plan), computed once per configuration by the caller. */
export function trialView(study: LoadedStudy, trial: TrialRecord, network: TrialView['network']): TrialView {
  const config: Record<string, number | string | boolean> = {};
  let tree: TrialView['tree'] = null;
  for (const [k, v] of Object.entries(trial.config)) {
    if (typeof v === 'object' && v !== null) tree = { name: k, text: printTree(v as TreeNode), node: v as TreeNode };
    else config[k] = typeof v === 'number' ? readable(v) : v;
  }
  const folder = trialFolder(study.paths, study.name, trial.key);
  const modelDir = trialModelDir(study, trial);
  return {
    trial,
    config,
    tree,
    network,
    log: tail(join(folder, 'log.txt'), 40),
    modelFolder: modelDir ? trial.checkpoint : null,
    model: modelDir ? modelView(modelDir) : null,
  };
}
