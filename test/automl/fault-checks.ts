/** What every fault run must show: one completed trial per slot, nothing running, the incumbent the best. */
import { expect } from 'vitest';
import { bestLossTrial } from '../../src/optimize/incumbent.js';
import type { FaultPlan, FaultRun } from './fault-scenario.js';

export function expectNothingLost(run: FaultRun, plan: FaultPlan, slots: readonly string[]): void {
  expect(run.kills, 'kills').toBeGreaterThanOrEqual(plan.kills);
  expect(run.exits.every((c) => c === 0), run.stderr).toBe(true);
  expect(run.trials.filter((t) => t.status === 'running')).toEqual([]);
  expect(run.trials.filter((t) => t.status === 'failed')).toEqual([]);
  // every slot of the schedule exactly once (keys are the slots), no trial beyond them
  expect(run.trials.map((t) => t.key).sort()).toEqual([...slots].sort());
  expect(new Set(run.trials.map((t) => t.number)).size).toBe(run.trials.length);
  expect(run.incumbentKey).toBe(bestLossTrial(run.trials)!.key);
  // the workers said the database was down, and back
  expect(run.stderr).toMatch(/unreachable.*retrying with backoff/);
  expect(run.stderr).toMatch(/reachable again/);
}
