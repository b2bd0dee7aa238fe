/**
 * The folder `hnas train` writes and `hnas predict` reads:
 *
 *   <model>/plans.json           the plan the networks were trained with (patch/batch overrides applied)
 *   <model>/configuration.json   the resolved configuration (space, every hyperparameter)
 *   <model>/fold_<f>/            one per trained fold (`fold_all`: every case)
 *       checkpoint.safetensors, log.jsonl         training state and per-epoch log (src/runtime)
 *       model.onnx, weights.safetensors           the trained inference model and its weights
 *       validation/<id>.nii.gz, validation.json   validation predictions and Dice (not for fold_all)
 *       fold.json                                 summary: epochs, seconds, Dice
 *
 * A folder already holding a model keeps it: training again continues the same
 * configuration and plan, and a different one is refused instead of overwriting.
 */
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, DatasetError } from '../errors.js';
import { parsePlan } from '../data/plan-file.js';
import type { Plan } from '../data/plan-types.js';
import { writeFileAtomic } from '../util/fs.js';
import { resolveConfiguration, type ConfigurationFile, type ResolvedConfiguration } from './config.js';
import { readJsonFile } from '../util/json.js';

export const MODEL_FILES = { plan: 'plans.json', configuration: 'configuration.json', fold: 'fold.json', validation: 'validation.json', validationDir: 'validation', model: 'model.onnx' } as const;

export type FoldId = number | 'all';

export const foldDir = (modelDir: string, fold: FoldId): string => join(modelDir, `fold_${fold}`);

const json = (v: unknown): string => `${JSON.stringify(v, (_k, x) => (typeof x === 'number' && !Number.isFinite(x) ? null : x), 2)}\n`;

/** Writes a JSON file atomically; NaN and infinities become null. */
export function writeJson(file: string, value: unknown): void {
  writeFileAtomic(file, json(value));
}

const readJson = (file: string): unknown => readJsonFile(file, DatasetError);

/**
 * Creates the model folder or checks that the one there was made with the same plan and
 * configuration (so a rerun continues it and never overwrites a different model).
 */
export function prepareModelDir(dir: string, plan: Plan, config: ConfigurationFile): void {
  mkdirSync(dir, { recursive: true });
  const files: [string, unknown][] = [
    [MODEL_FILES.plan, plan],
    [MODEL_FILES.configuration, config],
  ];
  for (const [name, value] of files) {
    const file = join(dir, name);
    if (existsSync(file) && json(readJson(file)) !== json(value))
      throw new ConfigError(`the folder holds a model trained with a different ${name === MODEL_FILES.plan ? 'plan' : 'configuration'}; choose another output folder (-o)`, { file });
  }
  for (const [name, value] of files) if (!existsSync(join(dir, name))) writeJson(join(dir, name), value);
}

export interface ModelDir {
  readonly dir: string;
  readonly plan: Plan;
  readonly configuration: ResolvedConfiguration;
  /** Folds with a finished model, and their model files. */
  readonly folds: readonly { readonly fold: FoldId; readonly model: string }[];
}

/** Reads a model folder; a missing part is a DatasetError naming the file. */
export function readModelDir(dir: string): ModelDir {
  if (!existsSync(dir)) throw new DatasetError('model folder does not exist', { file: dir });
  const planFile = join(dir, MODEL_FILES.plan);
  if (!existsSync(planFile)) throw new DatasetError(`not a model folder of \`hnas train\` (no ${MODEL_FILES.plan})`, { file: dir });
  const plan = parsePlan(readJson(planFile), planFile);
  const configFile = join(dir, MODEL_FILES.configuration);
  if (!existsSync(configFile)) throw new DatasetError(`not a model folder of \`hnas train\` (no ${MODEL_FILES.configuration})`, { file: dir });
  const stored = readJson(configFile) as Partial<ConfigurationFile>;
  const configuration = resolveConfiguration(stored?.config, plan.nStages, configFile);
  const folds = readdirSync(dir)
    .map((name) => /^fold_(\d+|all)$/.exec(name))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ fold: m[1] === 'all' ? ('all' as const) : Number(m[1]), model: join(dir, m[0], MODEL_FILES.model) }))
    .filter((f) => existsSync(f.model))
    .sort((a, b) => String(a.fold).localeCompare(String(b.fold), 'en', { numeric: true }));
  if (folds.length === 0) throw new DatasetError(`no trained fold in the model folder (expected fold_<n>/${MODEL_FILES.model})`, { file: dir });
  return { dir, plan, configuration, folds };
}
