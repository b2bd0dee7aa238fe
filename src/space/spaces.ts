/**
 * The search spaces of Auto-nnU-Net (values and defaults from the paper; every prior at
 * medium confidence), as data. Value names are the ones the trainer and compiler read.
 *  - hpo:  8 training hyperparameters (momentum only for SGD);
 *  - nas:  the hpo space + the 7 macro-architecture hyperparameters (the paper's "Auto-nnU-Net");
 *  - hnas: the hpo space + dropout rate (prior 0.2) + a U-Net grammar derivation tree.
 */
import { ENCODER_TYPES } from '../../compiler/ir/architecture.js';
import { ConfigError } from '../errors.js';
import { checkSpace } from './schema.js';
import type { ParamDef, SearchSpace } from './types.js';

export const HPO_PARAMS: readonly ParamDef[] = [
  { name: 'optimizer', kind: 'categorical', values: ['sgd', 'adam', 'adamw'], default: 'sgd', description: 'SGD is Nesterov SGD' },
  { name: 'momentum', kind: 'float', lower: 0.5, upper: 0.999, log: true, default: 0.99, condition: { param: 'optimizer', values: ['sgd'] } },
  { name: 'learning_rate', kind: 'float', lower: 1e-5, upper: 1e-1, log: true, default: 1e-2, description: 'initial learning rate' },
  { name: 'lr_scheduler', kind: 'categorical', values: ['poly', 'cosine', 'none'], default: 'poly', description: 'PolyLR (exponent 0.9), cosine annealing over all epochs, or constant' },
  { name: 'weight_decay', kind: 'float', lower: 1e-6, upper: 1e-2, log: true, default: 3e-5 },
  { name: 'foreground_oversampling', kind: 'float', lower: 0, upper: 1, default: 0.33 },
  { name: 'loss', kind: 'categorical', values: ['dice', 'ce', 'dice_ce', 'topk'], default: 'dice_ce', description: 'TopK keeps the worst 10 % of voxels' },
  { name: 'augmentation_factor', kind: 'float', lower: 0, upper: 3, default: 1, description: 'multiplies every augmentation probability; 0 = none' },
];

export const NAS_PARAMS: readonly ParamDef[] = [
  { name: 'encoder', kind: 'categorical', values: [...ENCODER_TYPES], default: 'conv', description: 'residual = ResEnc M' },
  { name: 'model_scale', kind: 'ordinal', values: [0.5, 1, 1.5, 2], default: 1, description: 'blocks per stage = max(1, round(scale * default))' },
  { name: 'base_features', kind: 'int', lower: 16, upper: 64, default: 32 },
  { name: 'max_features', kind: 'int', lower: 160, upper: 640, default: 320 },
  { name: 'activation', kind: 'categorical', values: ['leaky_relu', 'relu', 'elu', 'gelu', 'prelu'], default: 'leaky_relu' },
  { name: 'normalization', kind: 'categorical', values: ['batch_norm', 'instance_norm'], default: 'instance_norm' },
  { name: 'dropout_rate', kind: 'float', lower: 0, upper: 0.5, default: 0, description: 'dropout applied only if > 0' },
];

export function hpoSpace(): SearchSpace {
  return checkSpace({ name: 'hpo', params: HPO_PARAMS });
}

export function nasSpace(): SearchSpace {
  return checkSpace({ name: 'nas', params: [...HPO_PARAMS, ...NAS_PARAMS] });
}

/** HPO + dropout rate + the architecture tree of the U-Net grammar for `nMax` stages. */
export function hnasSpace(nMax: number, sMax = 2): SearchSpace {
  return checkSpace({
    name: 'hnas',
    params: [
      ...HPO_PARAMS,
      { name: 'dropout_rate', kind: 'float', lower: 0, upper: 0.5, default: 0.2, description: 'used where the tree chooses dropout' },
      { name: 'architecture', kind: 'tree', grammar: { name: 'unet', nMax, sMax } },
    ],
  });
}

/** The built-in spaces by name (`hpo`, `nas`, `hnas`); the hnas space needs the plan's n_max. */
export const BUILTIN_SPACES = {
  hpo: () => hpoSpace(),
  nas: () => nasSpace(),
  hnas: (nMax?: number, sMax?: number) => {
    if (nMax === undefined) throw new ConfigError("the 'hnas' space needs n_max (the planned number of stages)");
    return hnasSpace(nMax, sMax);
  },
} as const;

export type BuiltinSpaceName = keyof typeof BUILTIN_SPACES;
