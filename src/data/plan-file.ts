/** Reading plans.json as `hnas plan` writes it, with errors that name the file and field. */
import { z } from 'zod';
import { networkPlanSchema, planIssueError } from '../../compiler/ir/plan.js';
import { PlanError } from '../errors.js';
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

export function parsePlan(json: unknown, file: string): Plan {
  const result = planShape.safeParse(json);
  if (!result.success) throw planIssueError(result.error, file, 'not a plan written by `hnas plan`: ');
  const plan = result.data as unknown as Plan;
  if (plan.nStages !== plan.network.strides.length) {
    throw new PlanError(`nStages (${plan.nStages}) differs from the number of stages in network.strides (${plan.network.strides.length})`, { file, path: '$.nStages' });
  }
  return plan;
}

export function readPlanFile(file: string): Plan {
  return parsePlan(readJsonFile(file, PlanError, 'the plan'), file);
}
