/**
 * Reading a search space from JSON: the shape is checked by a zod schema, then each
 * hyperparameter by its kind (bounds, defaults) and the conditions by their parents.
 * A new space is a JSON file, not code.
 */
import { z } from 'zod';
import { ConfigError, jsonPath } from '../errors.js';
import { kindOf } from './kinds.js';
import type { ParamDef, SearchSpace } from './types.js';
import { readJsonFile } from '../util/json.js';

const confidence = z.enum(['low', 'medium', 'high', 'uniform']).optional();
const condition = z.object({ param: z.string(), values: z.array(z.union([z.string(), z.number()])).min(1) }).strict().optional();
const base = { name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), confidence, condition, description: z.string().optional() };

const paramSchema = z.discriminatedUnion('kind', [
  z.object({ ...base, kind: z.literal('float'), lower: z.number(), upper: z.number(), log: z.boolean().optional(), default: z.number() }).strict(),
  z.object({ ...base, kind: z.literal('int'), lower: z.number(), upper: z.number(), default: z.number() }).strict(),
  z.object({ ...base, kind: z.literal('ordinal'), values: z.array(z.union([z.number(), z.string()])), default: z.union([z.number(), z.string()]) }).strict(),
  z.object({ ...base, kind: z.literal('categorical'), values: z.array(z.string()), default: z.string() }).strict(),
  z
    .object({ ...base, kind: z.literal('tree'), grammar: z.object({ name: z.literal('unet'), nMax: z.number(), sMax: z.number().optional() }).strict() })
    .strict(),
]);

const spaceSchema = z.object({ name: z.string().min(1), params: z.array(paramSchema).min(1) }).strict();

/** Checks a search space (already typed); errors name the hyperparameter and field. */
export function checkSpace(space: SearchSpace, file?: string): SearchSpace {
  const seen = new Map<string, ParamDef>();
  space.params.forEach((def, i) => {
    const path = `$.params[${i}]`;
    if (seen.has(def.name)) throw new ConfigError(`duplicate hyperparameter '${def.name}'`, { file, path: `${path}.name` });
    kindOf(def).checkDef(def, path, file);
    if (def.condition) {
      const parent = seen.get(def.condition.param);
      if (!parent || (parent.kind !== 'categorical' && parent.kind !== 'ordinal'))
        throw new ConfigError(`condition parent '${def.condition.param}' must be an earlier categorical or ordinal hyperparameter`, { file, path: `${path}.condition.param` });
      const bad = def.condition.values.find((v) => !(parent.values as ReadonlyArray<string | number>).includes(v));
      if (bad !== undefined) throw new ConfigError(`'${bad}' is not a value of '${parent.name}'`, { file, path: `${path}.condition.values` });
    }
    seen.set(def.name, def);
  });
  return space;
}

/** Parses and checks a search space read from JSON. */
export function parseSpace(json: unknown, file?: string): SearchSpace {
  const parsed = spaceSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(`invalid search space: ${issue.message}`, { file, path: jsonPath(issue.path) });
  }
  return checkSpace(parsed.data as SearchSpace, file);
}

/** Reads and checks a search-space JSON file. */
export function readSpaceFile(path: string): SearchSpace {
  return parseSpace(readJsonFile(path, ConfigError, 'the search space'), path);
}
