/**
 * The dataset plan a study searches with: given (--plan), reused from the study's folder
 * (a resumed study keeps its plan), or computed from the dataset (fingerprint + nnU-Net's
 * 3d_fullres planner) and saved there. The HNAS grammar's n_max is the plan's stage count.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { loadDataset } from '../data/dataset.js';
import { computeFingerprint } from '../data/fingerprint.js';
import type { Plan } from '../data/plan-types.js';
import { planExperiment } from '../data/planner.js';
import { readPlanFile } from '../data/plan-file.js';
import { writeFileAtomic } from '../util/fs.js';

export interface PlanSource {
  readonly datasetDir: string;
  /** --plan: an existing plans.json. */
  readonly planFile?: string;
  /** The study's own copy (reused on resume, written after planning). */
  readonly studyPlanFile: string;
  readonly onCase?: (done: number, total: number) => void;
}

/** What a study records of its plan: sha256 of its canonical JSON. */
export const planDigest = (plan: Plan): string => createHash('sha256').update(JSON.stringify(plan)).digest('hex');

export function resolvePlan(src: PlanSource): Plan {
  if (src.planFile) {
    const plan = readPlanFile(src.planFile);
    if (!existsSync(src.studyPlanFile)) writeFileAtomic(src.studyPlanFile, `${JSON.stringify(plan, null, 2)}\n`);
    return plan;
  }
  if (existsSync(src.studyPlanFile)) return readPlanFile(src.studyPlanFile);
  const plan = planExperiment(computeFingerprint(loadDataset(src.datasetDir), { onCase: src.onCase }));
  writeFileAtomic(src.studyPlanFile, `${JSON.stringify(plan, null, 2)}\n`);
  return readPlanFile(src.studyPlanFile); // as every resume will read it (so its digest matches)
}
