/**
 * Several workers on one study in virtual time (MemoryStorage, no sleeping): every free worker
 * asks, then one running evaluation finishes (the one `next` picks, else the earliest to end),
 * is told, and the free workers ask again. The synthetic objective gives the results (the same
 * for any order), `fails` marks slots whose evaluation fails. For the determinism properties
 * (any completion order) and for the idle share of a worker count (durations in epochs).
 */
import { type Job, bareTrial } from '../../src/optimize/objective.js';
import { MemoryStorage } from '../../src/optimize/memory-storage.js';
import { makeSettings, type StudySettingsInput } from '../../src/optimize/settings.js';
import { Study } from '../../src/optimize/study.js';
import { benchmarkSurface, syntheticObjective } from '../../src/optimize/synthetic.js';
import type { TrialRecord } from '../../src/optimize/trial.js';
import { TrainingFailure } from '../../src/errors.js';

export interface Simulation {
  readonly workers: number;
  /** Which of the `running` evaluations finishes next (default: the earliest to end). */
  readonly next?: (running: number) => number;
  /** Virtual duration of an evaluation (default: the epochs it is charged). */
  readonly duration?: (job: Job) => number;
  /** Slots whose evaluation fails (a TrainingFailure). */
  readonly fails?: (key: string) => boolean;
}

export interface SimulationResult {
  readonly trials: TrialRecord[];
  /** Share of the workers' time (until the last result) spent without an evaluation. */
  readonly idle: number;
  readonly makespan: number;
}

export async function simulate(input: StudySettingsInput, sim: Simulation): Promise<SimulationResult> {
  const settings = makeSettings(input);
  const storage = new MemoryStorage();
  let clock = 0;
  const studies = await Promise.all(
    Array.from({ length: sim.workers }, (_, i) => Study.open({ storage, name: 'sim', settings, worker: `sim/${i}`, staleAfterMs: Infinity, now: () => clock })),
  );
  const objective = syntheticObjective({ surface: benchmarkSurface(settings.minBudget, settings.maxBudget) });
  const duration = sim.duration ?? ((job: Job) => job.budget - job.previousBudget);
  const running: { worker: number; job: Job; end: number }[] = [];
  const free = new Set(studies.map((_, i) => i));
  let busy = 0;
  for (;;) {
    for (const w of [...free]) {
      const step = await studies[w]!.ask();
      if (step.kind === 'job') {
        free.delete(w);
        running.push({ worker: w, job: step.job, end: clock + duration(step.job) });
        busy += duration(step.job);
      } else if (step.kind === 'done') free.delete(w);
    }
    if (running.length === 0) break;
    const earliest = running.reduce((best, r, i) => (r.end < running[best]!.end ? i : best), 0);
    const [r] = running.splice(sim.next ? sim.next(running.length) : earliest, 1);
    clock = Math.max(clock, r!.end);
    const study = studies[r!.worker]!;
    if (sim.fails?.(r!.job.key)) await study.tellFailure(r!.job, new TrainingFailure('simulated failure', 'other'));
    else await study.tell(r!.job, await objective(r!.job, bareTrial(r!.job)));
    free.add(r!.worker);
  }
  return { trials: await studies[0]!.trials(), idle: clock === 0 ? 0 : 1 - busy / (sim.workers * clock), makespan: clock };
}
