/**
 * Numerical hyperparameter kinds (float, int, ordinal). Each is a codec to the unit
 * interval; priors, uniform draws, densities and local-search moves all live in that
 * unit space, so one implementation serves the three kinds.
 *  - float: linear or log scale over [lower, upper];
 *  - int: the continuous interval [lower - 0.5, upper + 0.5], rounded (each integer owns a bucket);
 *  - ordinal: the same with the value's index.
 */
import { ConfigError } from '../errors.js';
import type { Rng } from '../util/rng.js';
import type { FloatParam, IntParam, OrdinalParam, ParamValue } from './types.js';
import { PRIOR_STD } from './types.js';
import { normalCdf, sampleTruncNorm, truncNormLogPdf } from './truncnorm.js';
import type { KindOps } from './kind.js';

/** Std of a local-search move in the unit space. */
export const LOCAL_STD = 0.25;

interface Codec<D> {
  encode(def: D, value: ParamValue): number;
  decode(def: D, u: number): ParamValue;
  /** Number of discrete values, or 0 for a continuum. */
  buckets(def: D): number;
  checkValue(def: D, value: unknown, path: string, file?: string): ParamValue;
  checkDef(def: D, path: string, file?: string): void;
}

function numericKind<D extends FloatParam | IntParam | OrdinalParam>(codec: Codec<D>): KindOps<D> {
  const sigmaOf = (def: D): number | undefined =>
    def.confidence === 'uniform' ? undefined : PRIOR_STD[def.confidence ?? 'medium'];
  return {
    checkDef: (def, path, file) => codec.checkDef(def, path, file),
    defaultValue: (def) => def.default,
    checkValue: (def, value, path, file) => codec.checkValue(def, value, path, file),
    sample(def, center, rng) {
      const sigma = sigmaOf(def);
      if (center === undefined || sigma === undefined) return codec.decode(def, rng.float());
      return codec.decode(def, sampleTruncNorm(codec.encode(def, center), sigma, rng));
    },
    logDensity(def, center, value) {
      const sigma = sigmaOf(def);
      const n = codec.buckets(def);
      if (center === undefined || sigma === undefined) return n > 0 ? -Math.log(n) : 0;
      const mu = codec.encode(def, center);
      const u = codec.encode(def, value);
      if (n === 0) return truncNormLogPdf(u, mu, sigma);
      // Discrete: the truncated normal's mass over the value's bucket.
      const a = Math.max(0, u - 0.5 / n);
      const b = Math.min(1, u + 0.5 / n);
      const mass = normalCdf((1 - mu) / sigma) - normalCdf((0 - mu) / sigma);
      return Math.log((normalCdf((b - mu) / sigma) - normalCdf((a - mu) / sigma)) / mass);
    },
    mutate: (def, value, rng) => codec.decode(def, sampleTruncNorm(codec.encode(def, value), LOCAL_STD, rng)),
    equals: (a, b) => a === b,
  };
}

function checkBounds(lower: number, upper: number, path: string, file?: string): void {
  if (!Number.isFinite(lower) || !Number.isFinite(upper) || !(lower < upper))
    throw new ConfigError(`expected finite bounds with lower < upper, got [${lower}, ${upper}]`, { file, path });
}

function checkNumberIn(value: unknown, lower: number, upper: number, integer: boolean, path: string, file?: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || (integer && !Number.isInteger(value)) || value < lower || value > upper)
    throw new ConfigError(`expected ${integer ? 'an integer' : 'a number'} in [${lower}, ${upper}], got ${JSON.stringify(value)}`, { file, path });
  return value;
}

const clamp01 = (u: number): number => Math.min(1, Math.max(0, u));

export const floatKind = numericKind<FloatParam>({
  encode(def, v) {
    const x = v as number;
    return def.log
      ? (Math.log(x) - Math.log(def.lower)) / (Math.log(def.upper) - Math.log(def.lower))
      : (x - def.lower) / (def.upper - def.lower);
  },
  decode(def, u) {
    const c = clamp01(u);
    const x = def.log
      ? Math.exp(Math.log(def.lower) + c * (Math.log(def.upper) - Math.log(def.lower)))
      : def.lower + c * (def.upper - def.lower);
    return Math.min(def.upper, Math.max(def.lower, x));
  },
  buckets: () => 0,
  checkValue: (def, value, path, file) => checkNumberIn(value, def.lower, def.upper, false, path, file),
  checkDef(def, path, file) {
    checkBounds(def.lower, def.upper, `${path}.lower`, file);
    if (def.log && !(def.lower > 0)) throw new ConfigError(`a log-scale range needs lower > 0, got ${def.lower}`, { file, path: `${path}.lower` });
    checkNumberIn(def.default, def.lower, def.upper, false, `${path}.default`, file);
  },
});

export const intKind = numericKind<IntParam>({
  encode: (def, v) => ((v as number) - def.lower + 0.5) / (def.upper - def.lower + 1),
  decode: (def, u) => def.lower + Math.min(def.upper - def.lower, Math.floor(clamp01(u) * (def.upper - def.lower + 1))),
  buckets: (def) => def.upper - def.lower + 1,
  checkValue: (def, value, path, file) => checkNumberIn(value, def.lower, def.upper, true, path, file),
  checkDef(def, path, file) {
    if (!Number.isInteger(def.lower) || !Number.isInteger(def.upper))
      throw new ConfigError(`expected integer bounds, got [${def.lower}, ${def.upper}]`, { file, path: `${path}.lower` });
    checkBounds(def.lower, def.upper, `${path}.lower`, file);
    checkNumberIn(def.default, def.lower, def.upper, true, `${path}.default`, file);
  },
});

export const ordinalKind = numericKind<OrdinalParam>({
  encode: (def, v) => (def.values.indexOf(v as number | string) + 0.5) / def.values.length,
  decode: (def, u) => def.values[Math.min(def.values.length - 1, Math.floor(clamp01(u) * def.values.length))]!,
  buckets: (def) => def.values.length,
  checkValue(def, value, path, file) {
    if (!def.values.includes(value as number | string))
      throw new ConfigError(`expected one of ${JSON.stringify(def.values)}, got ${JSON.stringify(value)}`, { file, path });
    return value as number | string;
  },
  checkDef(def, path, file) {
    if (def.values.length < 2 || new Set(def.values).size !== def.values.length)
      throw new ConfigError('expected at least two distinct values', { file, path: `${path}.values` });
    if (!def.values.includes(def.default))
      throw new ConfigError(`default ${JSON.stringify(def.default)} is not one of ${JSON.stringify(def.values)}`, { file, path: `${path}.default` });
  },
});
