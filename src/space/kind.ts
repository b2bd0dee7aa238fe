/** The contract every hyperparameter kind implements; the registry is in kinds.ts. */
import type { Rng } from '../util/rng.js';
import type { ParamDef, ParamValue } from './types.js';

export interface KindOps<D extends ParamDef> {
  /** Checks the definition itself (bounds, default inside the range, ...); throws ConfigError at `file`/`path`. */
  checkDef(def: D, path: string, file?: string): void;
  /** The default value (the prior's centre). */
  defaultValue(def: D): ParamValue;
  /** Checks a configuration value; throws ConfigError at `file`/`path`. */
  checkValue(def: D, value: unknown, path: string, file?: string): ParamValue;
  /**
   * A draw from the prior-shaped distribution centred on `center` (the default gives the
   * prior, the incumbent's value the incumbent distribution), or uniform when `center` is
   * undefined or the confidence is 'uniform'.
   */
  sample(def: D, center: ParamValue | undefined, rng: Rng): ParamValue;
  /** Log-probability (density in the unit space for continua) of `value` under `sample(def, center)`. */
  logDensity(def: D, center: ParamValue | undefined, value: ParamValue): number;
  /** A local-search move from `value`. */
  mutate(def: D, value: ParamValue, rng: Rng): ParamValue;
  equals(a: ParamValue, b: ParamValue): boolean;
}
