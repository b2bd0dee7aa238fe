/**
 * A training configuration as the search spaces define it (src/space/spaces.ts) -> what
 * the compiler and the training engine take. A configuration may be partial: missing
 * hyperparameters take the space's defaults, so `{}` is nnU-Net's default configuration.
 * The space is recognised by its keys: `architecture` (a U-Net derivation tree) -> hnas,
 * any macro-architecture key (encoder, model_scale, ...) -> nas, otherwise hpo.
 *
 * @example
 *   const r = resolveConfiguration({ learning_rate: 3e-3, encoder: 'residual' }, plan.nStages);
 *   compile(r.architecture, plan.network, r.compileOptions);
 */
import { DEFAULT_NAS_CONFIG, type CompileSource, type NasConfig } from '../../compiler/index.js';
import type { LossKind } from '../../compiler/train/losses.js';
import type { OptimizerOptions } from '../../compiler/train/optimizers.js';
import type { IROptions } from '../../compiler/ir/unet.js';
import type { NonlinKind, NormKind, EncoderType } from '../../compiler/ir/architecture.js';
import { ConfigError } from '../errors.js';
import type { TreeNode } from '../grammar/tree-types.js';
import type { ScheduleKind } from '../runtime/schedules.js';
import { defaultConfig, isActive, validateConfig } from '../space/config.js';
import { hnasSpace, hpoSpace, nasSpace, NAS_PARAMS } from '../space/spaces.js';
import type { Configuration, ParamValue, SearchSpace } from '../space/types.js';

export type SpaceName = 'hpo' | 'nas' | 'hnas';

/** The training side of a configuration. */
export interface TrainingHyperparameters {
  readonly learningRate: number;
  readonly schedule: ScheduleKind;
  readonly optimizer: Partial<OptimizerOptions>;
  readonly loss: LossKind;
  readonly oversampleForeground: number;
  readonly augmentationFactor: number;
}

export interface ResolvedConfiguration {
  readonly space: SpaceName;
  /** Complete and validated (defaults filled in, inactive hyperparameters absent). */
  readonly config: Configuration;
  readonly training: TrainingHyperparameters;
  /** What `compile` takes: a NAS configuration or a derivation tree. */
  readonly architecture: CompileSource;
  readonly compileOptions: IROptions;
}

/** The space's lr_scheduler values -> the engine's schedules. */
const SCHEDULE_OF: Readonly<Record<string, ScheduleKind>> = { poly: 'poly', cosine: 'cosine', none: 'constant' };

const NAS_KEYS = new Set(NAS_PARAMS.map((p) => p.name).filter((n) => n !== 'dropout_rate'));

/** Which space a (partial) configuration belongs to. */
export function spaceOf(value: Record<string, unknown>): SpaceName {
  if ('architecture' in value) return 'hnas';
  return Object.keys(value).some((k) => NAS_KEYS.has(k)) ? 'nas' : 'hpo';
}

/**
 * The configuration with the plan's encoder as its default: an hpo configuration trains a plan of
 * nnU-Net's ResEnc presets (resenc-m/l/xl) with the residual encoder (it becomes the nas
 * configuration `{..., encoder: 'residual'}`), as nnU-Net's ResEnc baselines do; nas and hnas
 * configurations name their architecture themselves.
 */
export function withPlanEncoder(value: unknown, encoder: EncoderType): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const given = value as Record<string, unknown>;
  return spaceOf(given) === 'hpo' && given.encoder === undefined && encoder !== 'conv' ? { ...given, encoder } : value;
}

function spaceNamed(name: SpaceName, nStages: number): SearchSpace {
  return name === 'hnas' ? hnasSpace(nStages) : name === 'nas' ? nasSpace() : hpoSpace();
}

/**
 * Validates a (partial) configuration and fills in the defaults. `nStages` is the plan's
 * n_max (the hnas space's grammar). Errors are ConfigErrors naming `file` and the key.
 */
export function resolveConfiguration(value: unknown, nStages: number, file?: string): ResolvedConfiguration {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ConfigError('expected a configuration object (hyperparameter name -> value)', { file, path: '$' });
  const given = value as Record<string, unknown>;
  const name = spaceOf(given);
  const space = spaceNamed(name, nStages);
  // Defaults under the given values; a default whose condition the given values switch off is dropped.
  const merged: Record<string, unknown> = {};
  const defaults = defaultConfig(space);
  for (const def of space.params) {
    const v = given[def.name] !== undefined ? given[def.name] : defaults[def.name];
    if (v !== undefined && (given[def.name] !== undefined || isActive(def, merged as Configuration))) merged[def.name] = v;
  }
  for (const k of Object.keys(given)) if (!(k in merged)) merged[k] = given[k]; // unknown keys: let validation name them
  const config = validateConfig(space, merged, file);
  return { space: name, config, training: trainingOf(config), ...architectureOf(name, config) };
}

function trainingOf(c: Configuration): TrainingHyperparameters {
  const kind = c.optimizer as OptimizerOptions['kind'];
  const optimizer: Partial<OptimizerOptions> =
    kind === 'sgd' ? { kind, momentum: c.momentum as number, nesterov: true, weightDecay: c.weight_decay as number } : { kind, weightDecay: c.weight_decay as number };
  return {
    learningRate: c.learning_rate as number,
    schedule: SCHEDULE_OF[c.lr_scheduler as string]!,
    optimizer,
    loss: c.loss as LossKind,
    oversampleForeground: c.foreground_oversampling as number,
    augmentationFactor: c.augmentation_factor as number,
  };
}

function architectureOf(space: SpaceName, c: Configuration): { architecture: CompileSource; compileOptions: IROptions } {
  if (space === 'hnas') return { architecture: c.architecture as TreeNode, compileOptions: { dropoutRate: c.dropout_rate as number } };
  if (space === 'hpo') return { architecture: DEFAULT_NAS_CONFIG, compileOptions: {} };
  const nas: NasConfig = {
    encoderType: c.encoder as EncoderType,
    modelScale: c.model_scale as number,
    baseFeatures: c.base_features as number,
    maxFeatures: c.max_features as number,
    activation: c.activation as NonlinKind,
    normalization: c.normalization as NormKind,
    dropoutRate: c.dropout_rate as number,
  };
  return { architecture: nas, compileOptions: {} };
}

/** A configuration as stored next to a trained model. */
export interface ConfigurationFile {
  readonly format: 'hnas-configuration';
  readonly version: 1;
  readonly space: SpaceName;
  readonly config: Readonly<Record<string, ParamValue>>;
}

export function configurationFile(r: ResolvedConfiguration): ConfigurationFile {
  return { format: 'hnas-configuration', version: 1, space: r.space, config: r.config };
}

/**
 * Reads what `--config` may hold: a bare configuration, a stored ConfigurationFile, or a
 * study trial's config.json (`{ config: {...}, ... }`).
 */
export function unwrapConfiguration(json: unknown): unknown {
  if (typeof json === 'object' && json !== null && !Array.isArray(json)) {
    const o = json as Record<string, unknown>;
    if (o.format === 'hnas-configuration' || ('config' in o && typeof o.config === 'object' && !('learning_rate' in o))) return o.config;
  }
  return json;
}
