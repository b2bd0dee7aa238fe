/** Categorical hyperparameters: the prior weighs the centre value 2/4/6 (low/medium/high) against 1. */
import { ConfigError } from '../errors.js';
import type { KindOps } from './kind.js';
import type { CategoricalParam, ParamValue } from './types.js';
import { CATEGORICAL_DEFAULT_WEIGHT } from './types.js';

function weights(def: CategoricalParam, center: ParamValue | undefined): number[] {
  const w = def.confidence === 'uniform' || center === undefined ? 1 : CATEGORICAL_DEFAULT_WEIGHT[def.confidence ?? 'medium'];
  return def.values.map((v) => (v === center ? w : 1));
}

export const categoricalKind: KindOps<CategoricalParam> = {
  checkDef(def, path, file) {
    if (def.values.length < 2 || new Set(def.values).size !== def.values.length)
      throw new ConfigError('expected at least two distinct values', { file, path: `${path}.values` });
    if (!def.values.includes(def.default))
      throw new ConfigError(`default '${def.default}' is not one of ${JSON.stringify(def.values)}`, { file, path: `${path}.default` });
  },
  defaultValue: (def) => def.default,
  checkValue(def, value, path, file) {
    if (typeof value !== 'string' || !def.values.includes(value))
      throw new ConfigError(`expected one of ${JSON.stringify(def.values)}, got ${JSON.stringify(value)}`, { file, path });
    return value;
  },
  sample: (def, center, rng) => def.values[rng.categorical(weights(def, center))]!,
  logDensity(def, center, value) {
    const w = weights(def, center);
    const i = def.values.indexOf(value as string);
    return i < 0 ? -Infinity : Math.log(w[i]! / w.reduce((a, b) => a + b, 0));
  },
  mutate(def, value, rng) {
    const others = def.values.filter((v) => v !== value);
    return others[rng.int(others.length)]!;
  },
  equals: (a, b) => a === b,
};
