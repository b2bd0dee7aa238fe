/**
 * A study: ask/tell optimisation over durable storage. Everything the optimiser
 * decides is derived from the stored trials plus seeds (the schedule from the trials,
 * each new configuration from a generator seeded by (study seed, slot key) and the finished
 * trials of the earlier brackets: schedule.ts's samplingEvidence), so a
 * worker killed at any moment and restarted, or several workers sharing the storage,
 * continue the same study with no trial lost or run twice.
 *
 * Example:
 *   const study = await Study.open({ storage: new SqliteStorage('study.db'), name: 'hippo',
 *     settings: { algorithm: 'priorband', space: hpoSpace(), seed: 1 } });
 *   await study.optimize(async (job, trial) => train(job.config, job.budget, trial.previousCheckpoint));
 *   const best = await study.incumbent();
 */
import { ConfigError, HnasError } from '../errors.js';
import { defaultConfig } from '../space/config.js';
import { hashString } from '../util/hash.js';
import { Rng } from '../util/rng.js';
import { sleep } from '../util/sleep.js';
import { type Schedule, hyperbandSchedule } from './brackets.js';
import { bestLossTrial, paretoTrials } from './incumbent.js';
import { bareTrial, type Job, type Objective, type ObjectiveResult } from './objective.js';
import { drawConfiguration } from './config-sampler.js';
import { type Slot, nextStep, samplingEvidence } from './schedule.js';
import { makeSettings, settingsDifference, type StudySettings, type StudySettingsInput } from './settings.js';
import type { StudyStorage } from './storage.js';
import { busySeconds, type TrialRecord, type TrialSpec } from './trial.js';
import { newWorkerId, staleness } from './worker.js';

export type AskResult = { readonly kind: 'job'; readonly job: Job } | { readonly kind: 'wait' } | { readonly kind: 'done' };

export interface StudyOptions {
  readonly storage: StudyStorage;
  readonly name: string;
  /** Required to create a study; when given for an existing study it must match. */
  readonly settings?: StudySettingsInput;
  readonly worker?: string;
  /** Heartbeat age after which another host's running trial counts as abandoned (default 10 min). */
  readonly staleAfterMs?: number;
  /** Heartbeat interval while an objective runs (default 30 s). */
  readonly heartbeatMs?: number;
  readonly now?: () => number;
}

export interface OptimizeOptions {
  /** Stop after this many evaluations by this worker. */
  readonly maxTrials?: number;
  /** No trial starts once the study has been busy this many seconds (busySeconds of its trials; null or absent: no limit). */
  readonly timeLimitS?: number | null;
  /** No trial starts after this time (epoch ms, the `now` clock): a worker's own wall-clock limit (a SLURM job's). */
  readonly deadline?: number;
  /** Stops the loop (Ctrl-C); it is passed to the objective, and a trial it interrupts stays running, to be re-run on resume. */
  readonly signal?: AbortSignal;
  /** Poll interval while waiting for other workers' results (default 500 ms). */
  readonly pollMs?: number;
  readonly onTrial?: (trial: TrialRecord) => void;
}

export type StopReason = 'done' | 'time-limit' | 'max-trials' | 'interrupted';

export class Study {
  readonly schedule: Schedule;
  private readonly isStale: (t: TrialRecord) => boolean;
  private readonly now: () => number;
  private readonly cache = new Map<string, TrialRecord>();
  private seenVersion = 0;
  private sorted: TrialRecord[] = [];

  private constructor(
    readonly storage: StudyStorage,
    readonly name: string,
    readonly settings: StudySettings,
    readonly worker: string,
    private readonly options: StudyOptions,
  ) {
    this.schedule = hyperbandSchedule(settings);
    this.now = options.now ?? Date.now;
    this.isStale = staleness(worker, options.staleAfterMs ?? 600_000, this.now);
  }

  /** Opens a study, creating it when `settings` are given and it does not exist. */
  static async open(options: StudyOptions): Promise<Study> {
    const { storage, name } = options;
    let settings = await storage.getStudy(name);
    if (options.settings) {
      const wanted = makeSettings(options.settings);
      if (!settings) settings = await storage.createStudy(name, wanted);
      else {
        const field = settingsDifference(settings, wanted);
        if (field) {
          const show = (s: StudySettings) => (field === 'space' ? 'another search space' : JSON.stringify(s[field as keyof StudySettings]));
          throw new ConfigError(`study '${name}' exists with ${field} ${show(settings)}, now ${show(wanted)}: rerun with the study's settings to resume, or choose another name`, { path: field });
        }
      }
    }
    if (!settings) throw new ConfigError(`no study named '${name}' (give settings to create it)`);
    return new Study(storage, name, settings, options.worker ?? newWorkerId(), options);
  }

  /** All trials, by number. Reads only what changed since the last call (records carry versions). */
  async trials(): Promise<TrialRecord[]> {
    const changed = await this.storage.trials(this.name, this.seenVersion);
    for (const t of changed) {
      this.cache.set(t.key, t);
      this.seenVersion = Math.max(this.seenVersion, t.version);
    }
    if (changed.length > 0) this.sorted = [...this.cache.values()].sort((a, b) => a.number - b.number);
    return [...this.sorted];
  }

  /** The next evaluation for this worker, 'wait' (others' results pending) or 'done'. */
  async ask(): Promise<AskResult> {
    for (let attempt = 0; attempt < 1000; attempt++) {
      const trials = await this.trials();
      const step = nextStep(this.settings, trials, this.isStale);
      if (step.kind === 'wait' || step.kind === 'done') return step;
      const at = this.now();
      const record =
        step.kind === 'reclaim'
          ? await this.storage.updateTrial(this.name, step.trial.key, step.trial, { type: 'reclaim', worker: this.worker, at })
          : await this.storage.insertTrial(this.specFor(step.slot, trials), this.worker, at);
      if (record) return { kind: 'job', job: this.jobOf(record, trials) };
      // Another worker took the slot first: look again.
    }
    throw new Error('ask(): could not claim a trial after 1000 attempts');
  }

  private specFor(slot: Slot, trials: readonly TrialRecord[]): TrialSpec {
    const base = { study: this.name, key: slot.key, bracket: slot.bracket, rung: slot.rung, budget: slot.budget, seed: hashString(`${this.settings.seed}/${slot.key}/objective`) };
    const from = slot.promoteFrom;
    if (from)
      return { ...base, configId: from.configId, config: from.config, source: 'promotion', previousBudget: from.checkpoint ? from.budget : 0, previousKey: from.key, rngState: null };
    const rng = Rng.seeded(hashString(`${this.settings.seed}/${slot.key}`));
    const rngState = rng.state();
    const drawn = slot.isDefault
      ? { config: defaultConfig(this.settings.space), source: 'default' as const }
      : drawConfiguration(this.settings, this.schedule, samplingEvidence(this.settings, this.schedule, trials, slot.bracket)!, slot.rung, rng);
    return { ...base, ...drawn, configId: slot.key, previousBudget: 0, previousKey: null, rngState };
  }

  private jobOf(t: TrialRecord, trials: readonly TrialRecord[]): Job {
    const previous = t.previousKey === null ? undefined : trials.find((p) => p.key === t.previousKey);
    return {
      study: this.name, key: t.key, number: t.number, configId: t.configId, config: t.config, source: t.source,
      bracket: t.bracket, rung: t.rung, budget: t.budget, previousBudget: t.previousBudget,
      checkpoint: previous?.checkpoint ?? null, seed: t.seed, claim: { worker: t.worker, attempt: t.attempt },
    };
  }

  /** Records a result. A NaN or infinite loss is recorded as a failure (loss 1.0). Undefined if the claim was lost. */
  async tell(job: Job, result: ObjectiveResult): Promise<TrialRecord | undefined> {
    if (!Number.isFinite(result.loss)) return this.tellFailure(job, `objective returned loss ${result.loss}`, result.cost);
    const outcome = { loss: result.loss, cost: Number.isFinite(result.cost) ? result.cost : null, checkpoint: result.checkpoint ?? null, folds: result.folds ?? null, error: null };
    return this.storage.updateTrial(this.name, job.key, job.claim, { type: 'finish', status: 'complete', outcome, at: this.now() });
  }

  /** Records a failed evaluation with loss 1.0; the study goes on. */
  async tellFailure(job: Job, error: unknown, cost?: number): Promise<TrialRecord | undefined> {
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    const outcome = { loss: 1, cost: cost !== undefined && Number.isFinite(cost) ? cost : null, checkpoint: null, folds: null, error: message };
    return this.storage.updateTrial(this.name, job.key, job.claim, { type: 'finish', status: 'failed', outcome, at: this.now() });
  }

  async heartbeat(job: Job): Promise<boolean> {
    return (await this.storage.updateTrial(this.name, job.key, job.claim, { type: 'heartbeat', at: this.now() })) !== undefined;
  }

  /**
   * The worker loop, for `hnas optimize`'s processes and for tests and benchmarks alike: asks for
   * jobs and runs `objective` on them (heartbeating its trial) until the study is done, `maxTrials`
   * evaluations ran, the time limit is reached or the signal aborts.
   */
  async optimize(objective: Objective, options: OptimizeOptions = {}): Promise<{ evaluated: number; stopped: StopReason }> {
    const signal = options.signal ?? new AbortController().signal;
    const limit = options.timeLimitS ?? null;
    let evaluated = 0;
    for (;;) {
      if (signal.aborted) return { evaluated, stopped: 'interrupted' };
      if (options.maxTrials !== undefined && evaluated >= options.maxTrials) return { evaluated, stopped: 'max-trials' };
      if (options.deadline !== undefined && this.now() >= options.deadline) return { evaluated, stopped: 'time-limit' };
      if (limit !== null && busySeconds(await this.trials(), this.now()) >= limit) return { evaluated, stopped: 'time-limit' };
      const step = await this.ask();
      if (step.kind === 'done') return { evaluated, stopped: 'done' };
      if (step.kind === 'wait') {
        await sleep(options.pollMs ?? 500, signal);
        continue;
      }
      const job = step.job;
      const lease = this.holdClaim(job);
      let record: TrialRecord | undefined;
      try {
        record = await this.tell(job, await objective(job, bareTrial(job, AbortSignal.any([signal, lease.lost]))));
      } catch (err) {
        if (signal.aborted) return { evaluated, stopped: 'interrupted' }; // the trial stays running: re-run on resume
        if (lease.lost.aborted) continue; // another worker holds the trial now and finishes it
        if (!(err instanceof HnasError)) throw err; // a bug: the trial stays running, to be re-claimed
        record = await this.tellFailure(job, err);
      } finally {
        lease.release();
      }
      evaluated++;
      if (record) options.onTrial?.(record);
    }
  }

  /**
   * Heartbeats `job`'s trial while its objective runs. `lost` aborts once the claim is gone: a
   * heartbeat was refused (another worker re-claimed the trial) or none got through for 80 % of
   * the stale timeout (another machine may re-claim it now). The objective then stops writing into
   * the trial folder that the new holder continues from.
   */
  private holdClaim(job: Job): { lost: AbortSignal; release: () => void } {
    const lost = new AbortController();
    const staleAfterMs = this.options.staleAfterMs ?? 600_000;
    let lastBeat = this.now();
    let pending = 0; // heartbeats under way (a storage that is down retries them with backoff)
    let failed = false;
    const beat = async () => {
      pending++;
      try {
        if (!(await this.heartbeat(job))) lost.abort(new Error(`trial ${job.key}: another worker re-claimed it`));
        lastBeat = this.now();
        failed = false;
      } catch {
        failed = true;
      } finally {
        pending--;
      }
    };
    const timer = setInterval(() => {
      const silent = this.now() - lastBeat;
      if ((pending > 0 || failed) && silent > 0.8 * staleAfterMs) lost.abort(new Error(`trial ${job.key}: no heartbeat reached the study storage for ${Math.round(silent / 1000)} s`));
      void beat();
    }, this.options.heartbeatMs ?? 30_000);
    return { lost: lost.signal, release: () => clearInterval(timer) };
  }

  /** The final incumbent: the best loss of all completed trials. */
  async incumbent(): Promise<TrialRecord | undefined> {
    return bestLossTrial(await this.trials());
  }

  /** Completed trials on the Pareto front of (loss, cost). */
  async paretoFront(): Promise<TrialRecord[]> {
    return paretoTrials(await this.trials());
  }
}
