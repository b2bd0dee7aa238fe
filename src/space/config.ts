/**
 * Whole configurations of a search space: defaults, draws (uniform, prior), densities
 * under the prior or an incumbent-centred distribution, local-search mutation and
 * validation. Inactive conditional hyperparameters are absent from a configuration.
 */
import { ConfigError } from '../errors.js';
import type { Rng } from '../util/rng.js';
import { kindOf } from './kinds.js';
import type { Configuration, ParamDef, ParamValue, SearchSpace } from './types.js';

/** Is `def` active given the values chosen so far? */
export function isActive(def: ParamDef, config: Configuration): boolean {
  if (!def.condition) return true;
  const parent = config[def.condition.param];
  return parent !== undefined && def.condition.values.includes(parent as string | number);
}

function build(space: SearchSpace, value: (def: ParamDef, partial: Configuration) => ParamValue): Configuration {
  const config: Record<string, ParamValue> = {};
  for (const def of space.params) if (isActive(def, config)) config[def.name] = value(def, config);
  return config;
}

/** Every hyperparameter at its default (the tree at its most probable derivation). */
export function defaultConfig(space: SearchSpace): Configuration {
  return build(space, (def) => kindOf(def).defaultValue(def));
}

/** A draw from the prior (`'prior'`) or uniformly over the space (`'uniform'`). */
export function sampleConfig(space: SearchSpace, mode: 'prior' | 'uniform', rng: Rng): Configuration {
  return build(space, (def) => kindOf(def).sample(def, mode === 'prior' ? kindOf(def).defaultValue(def) : undefined, rng));
}

/**
 * Log-density of `config` under the prior (`'prior'`), the uniform distribution, or the
 * prior-shaped distribution centred on another configuration (the incumbent). A
 * hyperparameter the centre lacks (inactive there) is scored under the prior.
 */
export function logDensity(space: SearchSpace, center: 'prior' | 'uniform' | Configuration, config: Configuration): number {
  let sum = 0;
  for (const def of space.params) {
    const value = config[def.name];
    if (value === undefined) continue;
    const kind = kindOf(def);
    const c =
      center === 'uniform' ? undefined : center === 'prior' ? kind.defaultValue(def) : (center[def.name] ?? kind.defaultValue(def));
    sum += kind.logDensity(def, c, value);
  }
  return sum;
}

export interface MutateOptions {
  /** Probability that each hyperparameter moves (0.5 in PriorBand). */
  readonly probability?: number;
  /** Draws before giving up on finding a configuration different from the input. */
  readonly maxTries?: number;
}

/**
 * A local-search neighbour: each active hyperparameter moves with probability 0.5 (numerical:
 * normal step in the unit space; categorical: another value; tree: a resampled subtree);
 * a hyperparameter that becomes active is drawn from its prior. Retries until the result
 * differs from `config` (returns the last draw if every try matched, e.g. in a one-point space).
 */
export function mutateConfig(space: SearchSpace, config: Configuration, rng: Rng, options: MutateOptions = {}): Configuration {
  const p = options.probability ?? 0.5;
  const maxTries = options.maxTries ?? 50;
  let candidate = config;
  for (let attempt = 0; attempt < maxTries; attempt++) {
    candidate = build(space, (def) => {
      const kind = kindOf(def);
      const old = config[def.name];
      if (old === undefined) return kind.sample(def, kind.defaultValue(def), rng);
      return rng.float() < p ? kind.mutate(def, old, rng) : old;
    });
    if (!configsEqual(space, candidate, config)) return candidate;
  }
  return candidate;
}

export function configsEqual(space: SearchSpace, a: Configuration, b: Configuration): boolean {
  return space.params.every((def) => {
    const x = a[def.name];
    const y = b[def.name];
    return x === undefined || y === undefined ? x === y : kindOf(def).equals(x, y);
  });
}

/** Checks a configuration (e.g. read from JSON) against the space; errors name the field. */
export function validateConfig(space: SearchSpace, value: unknown, file?: string): Configuration {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new ConfigError('expected a configuration object', { file, path: '$' });
  const input = value as Record<string, unknown>;
  const known = new Set(space.params.map((d) => d.name));
  for (const name of Object.keys(input))
    if (!known.has(name)) throw new ConfigError(`unknown hyperparameter '${name}' (space '${space.name}' has ${[...known].join(', ')})`, { file, path: `$.${name}` });
  const config: Record<string, ParamValue> = {};
  for (const def of space.params) {
    const path = `$.${def.name}`;
    const v = input[def.name];
    if (!isActive(def, config)) {
      if (v !== undefined)
        throw new ConfigError(`'${def.name}' is inactive unless ${def.condition!.param} is one of ${JSON.stringify(def.condition!.values)}`, { file, path });
      continue;
    }
    if (v === undefined) throw new ConfigError(`missing hyperparameter '${def.name}'`, { file, path });
    config[def.name] = kindOf(def).checkValue(def, v, path, file);
  }
  return config;
}
