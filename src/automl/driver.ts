/**
 * The optimisation driver behind `hnas optimize`: dataset -> plan -> search space ->
 * study (created, or resumed when it exists) -> worker loops with the objective -> summary.
 *
 * Example:
 *   const summary = await optimize({ datasetDir: 'Task04_Hippocampus', approach: 'hpo_hnas', study: 'studies/hippo',
 *     budget: budgetFromFlags({ minEpochs: 1, maxEpochs: 9, eta: 3 }), training, seed: 0, objective: 'synthetic' });
 */
import type { Device } from '../runtime/providers.js';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { Plan } from '../data/plan-types.js';
import { HnasError, StorageError } from '../errors.js';
import { bestLossTrial } from '../optimize/incumbent.js';
import { openStorage, storageBackend } from '../optimize/storage-url.js';
import { newRunId, newWorkerId, ranIn } from '../optimize/worker.js';
import { type StopReason, Study } from '../optimize/study.js';
import type { TrialRecord } from '../optimize/trial.js';
import { type PriorName, withPrior } from '../space/priors.js';
import { type ApproachName, APPROACHES } from './approaches.js';
import { type Budget, budgetSettings, plannedEpochs } from './budget.js';
import { checkStudyName, metaFile, type StudyMeta, type StudyPaths, studyFolder, studyPaths, writeOrCheckMeta } from './layout.js';
import type { TrainingSettings } from './objective-setup.js';
import { type ObjectiveName, objectiveNamed } from './objectives.js';
import { planDigest, resolvePlan } from './plan.js';
import { withOverrides } from '../pipeline/prepare.js';
import { type ProgressView, progressSnapshot } from './progress.js';
import { inTrialFolders } from './trial-folder.js';
import { type WorkerHandle, spawnWorker } from './worker-process.js';

export interface OptimizeRequest {
  readonly datasetDir: string;
  readonly approach: ApproachName;
  /** Study folder or database file (see layout.ts). */
  readonly study: string;
  /** Storage URL of the trials (default: the study folder's study.db). */
  readonly storage?: string;
  /** Study name inside the database (default: the approach). */
  readonly name?: string;
  readonly budget: Budget;
  readonly training: TrainingSettings;
  readonly device?: Device;
  readonly seed: number;
  readonly objective: ObjectiveName;
  readonly objectiveOptions?: Readonly<Record<string, number>>;
  /** An existing plans.json (else the study's own, else the dataset is planned). */
  readonly planFile?: string;
  /** Processes evaluating trials at once (this one included). */
  readonly workers?: number;
  /** The prior the space is searched around (default: nnunet, the paper's). */
  readonly prior?: PriorName;
}

export interface RunOptions {
  readonly signal?: AbortSignal;
  readonly view?: ProgressView;
  readonly maxTrials?: number;
  readonly pollMs?: number;
  readonly heartbeatMs?: number;
}

export interface OptimizeSummary {
  readonly dir: string;
  readonly name: string;
  readonly folder: string;
  readonly stopped: StopReason;
  /** Evaluations run by this command (all workers). */
  readonly evaluated: number;
  readonly counts: { readonly complete: number; readonly failed: number; readonly running: number };
  readonly incumbent: TrialRecord | null;
  /** The error of the most recently finished failed trial (null: none failed). */
  readonly lastError: string | null;
}

/** A study in which trials ran and every one failed is a failure of the command, not a result. */
export function everyTrialFailed(s: OptimizeSummary): HnasError | undefined {
  if (s.counts.complete > 0 || s.counts.failed === 0) return undefined;
  return new HnasError(`every trial of study '${s.name}' failed (${s.counts.failed}); the last error: ${s.lastError ?? 'unknown'} (logs: ${join(s.folder, 'trials', '*', 'log.txt')})`);
}

export interface PreparedStudy {
  readonly paths: StudyPaths;
  readonly name: string;
  readonly folder: string;
  readonly meta: StudyMeta;
  readonly plan: Plan;
}

/** Plans (or reuses the plan), writes/checks study.json, and creates or checks the study in the database. */
export async function prepareStudy(req: OptimizeRequest): Promise<PreparedStudy> {
  const paths = studyPaths(req.study, req.storage);
  const name = checkStudyName(req.name ?? req.approach);
  const folder = studyFolder(paths, name);
  await refuseLostDatabase(paths, name, folder);
  mkdirSync(folder, { recursive: true });
  const plan = resolvePlan({ datasetDir: req.datasetDir, planFile: req.planFile, studyPlanFile: join(folder, 'plans.json') });
  // Every setting is checked before the first trial: an override the plan cannot take fails now, not in every trial.
  withOverrides(plan, { patchSize: req.training.patchSize, batchSize: req.training.batchSize });
  const o = req.objectiveOptions ?? {};
  const features = o.featuresBase === undefined ? null : { base: o.featuresBase, max: o.featuresMax ?? o.featuresBase * 8 };
  const meta = writeOrCheckMeta(metaFile(paths, name), {
    format: 'hnas-automl-study', version: 1, name, approach: req.approach, objective: req.objective,
    dataset: resolve(req.datasetDir), ...(req.storage === undefined ? {} : { storage: paths.db }), datasetName: plan.datasetName ?? basename(req.datasetDir), nMax: plan.nStages,
    training: req.training, features, planDigest: planDigest(plan), prior: req.prior ?? 'nnunet', createdAt: new Date().toISOString(),
  });
  const approach = APPROACHES[req.approach];
  const storage = await openStorage(paths.storage);
  try {
    await Study.open({ storage, name, settings: { algorithm: approach.algorithm, space: withPrior(approach.space(plan.nStages), req.prior ?? 'nnunet'), seed: req.seed, ...budgetSettings(req.budget) } });
  } finally {
    await storage.close();
  }
  return { paths, name, folder, meta, plan };
}

/**
 * Trial folders whose study the database does not hold (study.db deleted, emptied or replaced):
 * starting afresh would re-run every trial over those folders, so it is refused with the fix.
 */
async function refuseLostDatabase(paths: StudyPaths, name: string, folder: string): Promise<void> {
  const trials = join(folder, 'trials');
  const held = existsSync(trials) ? readdirSync(trials).length : 0;
  if (held === 0) return;
  const networked = storageBackend(paths.storage).networked;
  const size = networked ? 1 : existsSync(paths.db) ? statSync(paths.db).size : -1;
  let state = size < 0 ? 'is missing' : 'is empty (0 bytes)';
  if (size > 0) {
    const storage = await openStorage(paths.storage, { mustExist: true });
    try {
      if (await storage.getStudy(name)) return;
    } finally {
      await storage.close();
    }
    state = `holds no study '${name}'`;
  }
  throw new StorageError(
    `${trials} holds ${held} trial folder(s) but the study database ${state}: restore ${networked ? 'the database' : 'study.db'} from a backup (or give the --storage it ran with) to resume, or move the folder ${folder} away to start the study afresh`,
    { file: paths.db },
  );
}

/** The options a worker process needs besides what the study folder holds. */
export interface WorkerArgs {
  /** Storage URL. */
  readonly storage: string;
  readonly name: string;
  readonly device: Device;
  readonly objectiveOptions: Readonly<Record<string, number>>;
  readonly timeLimitS: number | null;
  /** Epoch ms after which this worker starts no trial (`hnas worker --time-limit`). */
  readonly deadline?: number;
  /** The command's run: its workers' ids carry it, so "this run" counts only their trials. */
  readonly runId?: string;
  readonly pollMs?: number;
  readonly heartbeatMs?: number;
  /** Heartbeat age after which another machine's running trial is re-claimed (default 10 min). */
  readonly staleAfterMs?: number;
}

/** Runs the worker loop of an existing study in this process (also the body of each extra worker process). */
export async function runWorker(prepared: PreparedStudy, args: WorkerArgs, options: { signal: AbortSignal; maxTrials?: number }) {
  const { meta, plan, folder } = prepared;
  const storage = await openStorage(args.storage);
  try {
    const study = await Study.open({ storage, name: args.name, heartbeatMs: args.heartbeatMs, staleAfterMs: args.staleAfterMs, worker: newWorkerId(args.runId) });
    // The LR schedule of every run spans the study's largest budget (the paper's rule), also in short runs;
    // the feature widths are the study's (study.json), so a joining `hnas worker` trains the same networks.
    const widths: Record<string, number> = meta.features ? { featuresBase: meta.features.base, featuresMax: meta.features.max } : {};
    const objectiveOptions = { maxEpochs: study.settings.maxBudget, ...widths, ...args.objectiveOptions };
    const objective = objectiveNamed(meta.objective).create({ datasetDir: meta.dataset, plan, training: meta.training, device: args.device, options: objectiveOptions });
    return await study.optimize(inTrialFolders(folder, objective), { signal: options.signal, timeLimitS: args.timeLimitS, deadline: args.deadline, maxTrials: options.maxTrials, pollMs: args.pollMs });
  } finally {
    await storage.close();
  }
}

/** `hnas optimize`: prepare, run `workers` worker loops (this process + extra processes), show progress, summarise. */
export async function optimize(req: OptimizeRequest, run: RunOptions = {}): Promise<OptimizeSummary> {
  objectiveNamed(req.objective); // an unknown objective fails now, before planning
  const prepared = await prepareStudy(req);
  const signal = run.signal ?? new AbortController().signal;
  const args: WorkerArgs = {
    storage: prepared.paths.storage, name: prepared.name, device: req.device ?? 'cpu', objectiveOptions: req.objectiveOptions ?? {},
    timeLimitS: req.budget.timeLimitS, runId: newRunId(), pollMs: run.pollMs, heartbeatMs: run.heartbeatMs,
  };
  const extra: WorkerHandle[] = [];
  for (let i = 1; i < (req.workers ?? 1); i++) extra.push(spawnWorker(prepared.paths.dir, args));
  const forward = () => extra.forEach((w) => w.interrupt());
  signal.addEventListener('abort', forward, { once: true });

  const viewStorage = await openStorage(prepared.paths.storage);
  const viewStudy = await Study.open({ storage: viewStorage, name: prepared.name });
  const limits = { plannedEpochs: plannedEpochs(req.budget), timeLimitS: req.budget.timeLimitS };
  let viewing = Promise.resolve();
  const refresh = () => (viewing = viewing.then(async () => run.view?.update(progressSnapshot(await viewStudy.trials(), limits, Date.now()))).catch(() => undefined));
  const ticker = run.view ? setInterval(refresh, 1000) : undefined;
  try {
    const own = await runWorker(prepared, args, { signal, maxTrials: run.maxTrials });
    const exits = await Promise.all(extra.map((w) => w.exit));
    const failedWorker = exits.find((code) => code !== 0 && code !== 130);
    if (failedWorker !== undefined) throw new Error(`a worker process exited with code ${failedWorker} (see its messages above)`);
    refresh();
    await viewing;
    const trials = await viewStudy.trials();
    const counts = { complete: 0, failed: 0, running: 0 };
    for (const t of trials) counts[t.status]++;
    const stopped: StopReason = signal.aborted ? 'interrupted' : own.stopped;
    const failed = trials.filter((t) => t.status === 'failed').sort((a, b) => (a.finishedAt ?? 0) - (b.finishedAt ?? 0));
    return {
      dir: prepared.paths.dir, name: prepared.name, folder: prepared.folder, stopped, evaluated: trials.filter((t) => t.status !== 'running' && ranIn(t, args.runId!)).length, counts,
      incumbent: bestLossTrial(trials) ?? null, lastError: failed.at(-1)?.error ?? null,
    };
  } finally {
    if (ticker) clearInterval(ticker);
    signal.removeEventListener('abort', forward);
    for (const w of extra) w.kill();
    run.view?.stop();
    await viewStorage.close();
  }
}
