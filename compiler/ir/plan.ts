/**
 * The network plan: the dataset facts the compiler needs, its one schema, and reading
 * one from JSON (a bare NetworkPlan or a full plan holding it under `network`). The
 * compiler owns these because it consumes them; src/data's full plan extends the type
 * and embeds the schema (src/data/plan-types.ts, plan-file.ts).
 * Axis order everywhere: the plan's transposed order, coarsest axis first.
 */
import { z } from 'zod';
import { jsonPath, PlanError } from '../../src/errors.js';
import { readJsonFile } from '../../src/util/json.js';

export type Vec3 = [number, number, number];

export interface NetworkPlan {
  /** Image channels (modalities). */
  readonly inputChannels: number;
  /** Output classes including background. */
  readonly numClasses: number;
  readonly patchSize: Vec3;
  readonly batchSize: number;
  /** Per stage (length n_stages = n_max): conv kernel size; stage 0 first. */
  readonly kernelSizes: readonly Vec3[];
  /** Per stage: the stride of its first conv; strides[0] = [1,1,1]. */
  readonly strides: readonly Vec3[];
}

const expected = (what: string) => (issue: { input?: unknown }) => `expected ${what}, got ${JSON.stringify(issue.input)}`;
const integer = (what: string, ok: (x: number) => boolean) =>
  z.number({ error: expected(what) }).refine((x) => Number.isInteger(x) && ok(x), { error: expected(what) });
const positiveInt = integer('a positive integer', (x) => x > 0);
const vec3 = (what: string, ok: (x: number) => boolean) => {
  const axis = integer(what, ok);
  return z.tuple([axis, axis, axis], { error: expected('3 numbers [d, h, w]') });
};
const perStage = (what: string, ok: (x: number) => boolean) =>
  z.array(vec3(what, ok), { error: expected('a non-empty list of [d, h, w] (one per stage)') }).min(1, { error: expected('a non-empty list of [d, h, w] (one per stage)') });

/** The first disagreement between fields that each check out on their own. */
function stageProblem(p: { patchSize: Vec3; kernelSizes: Vec3[]; strides: Vec3[] }): { path: (string | number)[]; message: string } | undefined {
  if (p.kernelSizes.length !== p.strides.length) return { path: ['strides'], message: `kernelSizes has ${p.kernelSizes.length} stages but strides has ${p.strides.length}` };
  // Stage 0 works at full resolution (nnU-Net: stride 1); otherwise the heads would not match the patch.
  const first = p.strides[0]!.findIndex((s) => s !== 1);
  if (first >= 0) return { path: ['strides', 0, first], message: `stage 0 must have stride 1 on every axis, got ${p.strides[0]![first]}` };
  const total: Vec3 = [1, 1, 1];
  for (const [i, s] of p.strides.entries()) {
    for (let a = 0; a < 3; a++) {
      total[a] *= s[a]!;
      if (p.patchSize[a]! % total[a]! !== 0)
        return { path: ['strides', i, a], message: `patch size ${p.patchSize[a]} on axis ${a} is not divisible by the product of strides up to stage ${i} (${total[a]})` };
    }
  }
  return undefined;
}

/**
 * The one NetworkPlan schema. Unknown fields are dropped; `.loose()` keeps them (a full
 * plan's `network`, which carries the planner's extra facts). batchSize defaults to 2.
 */
export const networkPlanSchema = z
  .object(
    {
      inputChannels: positiveInt,
      numClasses: positiveInt,
      patchSize: vec3('a positive integer patch size', (x) => x > 0),
      batchSize: positiveInt.default(2),
      kernelSizes: perStage('an odd positive kernel size', (x) => x > 0 && x % 2 === 1),
      strides: perStage('a positive integer stride', (x) => x > 0),
    },
    { error: 'expected a JSON object with the network plan' },
  )
  .superRefine((p, ctx) => {
    const problem = stageProblem(p);
    if (problem) ctx.addIssue({ code: 'custom', ...problem });
  });

/** A PlanError for a failed parse: the first issue, at its JSON path. */
export function planIssueError(error: z.ZodError, file: string | undefined, prefix = ''): PlanError {
  const issue = error.issues[0]!;
  return new PlanError(`${prefix}${issue.message}`, { file, path: jsonPath(issue.path) });
}

/** Throws a PlanError naming the field when `plan` is not a usable NetworkPlan; returns it typed. */
export function validatePlan(plan: unknown, file?: string): NetworkPlan {
  const result = networkPlanSchema.safeParse(plan);
  if (!result.success) throw planIssueError(result.error, file);
  return result.data;
}

/** Reads a plan file: a bare NetworkPlan, or an object with the plan under `network`. */
export function readNetworkPlanFile(path: string): NetworkPlan {
  const json = readJsonFile(path, PlanError, 'the plan');
  const nested = typeof json === 'object' && json !== null && 'network' in json;
  return validatePlan(nested ? (json as { network: unknown }).network : json, nested ? `${path} (network)` : path);
}
