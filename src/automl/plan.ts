/**
 * The dataset plan a study searches with: given (--plan), reused from the study's folder
 * (a resumed study keeps its plan), or computed from the dataset (fingerprint + nnU-Net's
 * 3d_fullres planner) and saved there. The HNAS grammar's n_max is the plan's stage count.
 */
import { existsSync, readFileSync } from 'node:fs';
import { loadDataset } from '../data/dataset.js';
import { computeFingerprint } from '../data/fingerprint.js';
import type { Plan } from '../data/plan-types.js';
import { planExperiment } from '../data/planner.js';
import { PlanError } from '../errors.js';
import { writeFileAtomic } from '../util/fs.js';

export function readPlan(file: string): Plan {
  let plan: Plan;
  try {
    plan = JSON.parse(readFileSync(file, 'utf8')) as Plan;
  } catch (err) {
    throw new PlanError(`cannot read the plan (${(err as Error).message})`, { file }, { cause: err });
  }
  if (plan?.format !== 'hnas-plan') throw new PlanError('not a plan written by `hnas plan` (expected format "hnas-plan")', { file, path: '$.format' });
  if (!(Number.isInteger(plan.nStages) && plan.nStages >= 2)) throw new PlanError(`nStages must be an integer >= 2, got ${plan.nStages}`, { file, path: '$.nStages' });
  return plan;
}

export interface PlanSource {
  readonly datasetDir: string;
  /** --plan: an existing plans.json. */
  readonly planFile?: string;
  /** The study's own copy (reused on resume, written after planning). */
  readonly studyPlanFile: string;
  readonly onCase?: (done: number, total: number) => void;
}

export function resolvePlan(src: PlanSource): Plan {
  if (src.planFile) {
    const plan = readPlan(src.planFile);
    if (!existsSync(src.studyPlanFile)) writeFileAtomic(src.studyPlanFile, `${JSON.stringify(plan, null, 2)}\n`);
    return plan;
  }
  if (existsSync(src.studyPlanFile)) return readPlan(src.studyPlanFile);
  const plan = planExperiment(computeFingerprint(loadDataset(src.datasetDir), { onCase: src.onCase }));
  writeFileAtomic(src.studyPlanFile, `${JSON.stringify(plan, null, 2)}\n`);
  return plan;
}
