/** What every fault run must show: one completed trial per slot, nothing running, the incumbent the best. */
import { expect } from 'vitest';
import { bestLossTrial } from '../../src/optimize/incumbent.js';
import type { TrialRecord } from '../../src/optimize/trial.js';
import { decisions } from '../optimize/rules.js';
import type { FaultPlan, FaultRun } from './fault-scenario.js';

export function expectNothingLost(run: FaultRun, plan: FaultPlan, reference: readonly TrialRecord[]): void {
  expect(run.kills, 'kills').toBeGreaterThanOrEqual(plan.kills);
  expect(run.exits.every((c) => c === 0), run.stderr).toBe(true);
  expect(run.trials.filter((t) => t.status === 'running')).toEqual([]);
  expect(run.trials.filter((t) => t.status === 'failed')).toEqual([]);
  // every slot of the schedule exactly once (keys name the slots), no trial beyond them, with the
  // single worker's decisions (configurations, promotions, results: the PriorBand study is deterministic)
  expect(decisions(run.trials)).toEqual(decisions(reference));
  expect(new Set(run.trials.map((t) => t.key)).size).toBe(run.trials.length);
  expect(new Set(run.trials.map((t) => t.number)).size).toBe(run.trials.length);
  // each promotion continues a completed trial of the rung below (from its checkpoint: the synthetic objective checks the epochs)
  const byKey = new Map(run.trials.map((t) => [t.key, t]));
  for (const t of run.trials.filter((x) => x.previousKey !== null)) expect(byKey.get(t.previousKey!)).toMatchObject({ status: 'complete', budget: t.previousBudget });
  expect(run.incumbentKey).toBe(bestLossTrial(run.trials)!.key);
  // the workers said the database was down, and back
  expect(run.stderr).toMatch(/unreachable.*retrying with backoff/);
  expect(run.stderr).toMatch(/reachable again/);
}
