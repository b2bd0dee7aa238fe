/**
 * Reading a plan for every command that takes --plan: plans.json as `hnas plan` writes it, or
 * nnU-Net v2's plans file (nnUNetPlans.json with the dataset.json beside it), told apart by shape.
 * Errors name the file and field.
 */
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { networkPlanSchema, planIssueError, readNetworkPlanFile, type NetworkPlan } from '../../compiler/ir/plan.js';
import { PlanError } from '../errors.js';
import { isNnUNetPlans, parseNnUNetPlans } from './nnunet-plans.js';
import type { Plan } from './plan-types.js';
import { readJsonFile } from '../util/json.js';

const axis = z.number().int().min(0).max(2);
const planShape = z.looseObject({
  format: z.literal('hnas-plan'),
  version: z.literal(1),
  nStages: z.number().int().positive(),
  spacing: z.tuple([z.number().positive(), z.number().positive(), z.number().positive()]),
  transposeForward: z.tuple([axis, axis, axis]),
  labels: z.array(z.object({ name: z.string(), value: z.number().int() })).min(1),
  channelNames: z.array(z.string()).min(1),
  network: networkPlanSchema.loose(),
});

/** A plan as `hnas plan` writes it (format 'hnas-plan'). */
export function parsePlan(json: unknown, file: string): Plan {
  const result = planShape.safeParse(json);
  if (!result.success) throw planIssueError(result.error, file, 'not a plan written by `hnas plan`: ');
  const plan = result.data as unknown as Plan;
  if (plan.nStages !== plan.network.strides.length) {
    throw new PlanError(`nStages (${plan.nStages}) differs from the number of stages in network.strides (${plan.network.strides.length})`, { file, path: '$.nStages' });
  }
  return plan;
}

/** Where nnU-Net's fields sit in its plans file, for errors the compiler's schema finds in a converted plan. */
const NNUNET_FIELDS: Record<string, string> = {
  patchSize: '$.configurations.3d_fullres.patch_size',
  batchSize: '$.configurations.3d_fullres.batch_size',
  kernelSizes: '$.configurations.3d_fullres.architecture.arch_kwargs.kernel_sizes',
  strides: '$.configurations.3d_fullres.architecture.arch_kwargs.strides',
};

/** nnU-Net's plans file, converted, with the network checked by the compiler's schema like hnas's own. */
function parseNnUNetPlanFile(json: unknown, file: string): Plan {
  const plan = parseNnUNetPlans(json, file, join(dirname(file), 'dataset.json'));
  const result = networkPlanSchema.safeParse(plan.network);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const [field, ...rest] = issue.path;
    const base = NNUNET_FIELDS[String(field)] ?? '$.configurations.3d_fullres';
    throw new PlanError(issue.message, { file, path: base + rest.map((p) => `[${String(p)}]`).join('') });
  }
  return plan;
}

/** hnas's plan or nnU-Net's, by shape. */
export function parseAnyPlan(json: unknown, file: string): Plan {
  return isNnUNetPlans(json) ? parseNnUNetPlanFile(json, file) : parsePlan(json, file);
}

const readJson = (file: string): unknown => readJsonFile(file, PlanError, 'the plan');

export function readPlanFile(file: string): Plan {
  return parseAnyPlan(readJson(file), file);
}

/** The network part only (`hnas compile --plan`): nnU-Net's plans, or the compiler's bare / nested NetworkPlan. */
export function readNetworkPlan(file: string): NetworkPlan {
  const json = readJson(file);
  return isNnUNetPlans(json) ? parseNnUNetPlanFile(json, file).network : readNetworkPlanFile(file);
}
