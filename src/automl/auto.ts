/**
 * `hnas auto`: the best model a time budget buys, in one command. Phases, each resumable:
 *   plan + preprocess -> time this machine (auto-timing.ts) -> decide the settings
 *   (auto-settings.ts, a pure function) -> search (hnas optimize, hpo_hnas, time-limited,
 *   stopped hard at its share) -> final training of the incumbent (time-based: the epochs and
 *   the LR schedule re-estimated every epoch from the time left) -> validation with and without
 *   mirroring (TTA decided by measurement) -> model folder + export + report + summary.
 *
 * `<out>/auto.json` holds the state: the request, the measured speed, the settings, the seconds
 * spent so far and each phase's result. A rerun checks the request against it, keeps the settings,
 * and continues where the last run stopped with what is left of the budget (time spent in earlier
 * runs counts; pauses between runs do not).
 *
 * Example:
 *   const r = await runAuto({ datasetDir: 'Task04_Hippocampus', outDir: 'auto/hippo', budgetSeconds: 3600, device: 'cpu', seed: 0 });
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { HnasError, UsageError } from '../errors.js';
import { bestLossTrial } from '../optimize/incumbent.js';
import { DEFAULT_KEY } from '../optimize/schedule.js';
import { configText } from '../optimize/report.js';
import { type PriorName, PRIORS } from '../space/priors.js';
import type { ParamValue } from '../space/types.js';
import type { TrialRecord } from '../optimize/trial.js';
import { exportModel } from '../pipeline/export.js';
import { prepareTraining, type Prepared, resolveConfiguration, trainModel, validateCases } from '../pipeline/index.js';
import { foldDir, MODEL_FILES } from '../pipeline/model-dir.js';
import { loadPredictors } from '../pipeline/inference.js';
import type { Device } from '../runtime/providers.js';
import { writeFileAtomic } from '../util/fs.js';
import { type AutoSettings, decideAutoSettings, epochsThatFit, type MachineSpeed } from './auto-settings.js';
import { measureSpeed } from './auto-timing.js';
import { budgetFromFlags } from './budget.js';
import { everyTrialFailed, optimize } from './driver.js';
import { OptimizationInterrupted } from './interrupt.js';
import { loadStudy } from './load.js';
import { resolvePlan } from './plan.js';
import { loadDataset } from '../data/dataset.js';
import type { ProgressView } from './progress.js';

export interface AutoRequest {
  readonly datasetDir: string;
  readonly outDir: string;
  readonly budgetSeconds: number;
  readonly device: Device;
  readonly seed: number;
  /** Folds of the final training (null: decided). */
  readonly folds?: readonly number[] | null;
  /** The search's prior (null: decided). */
  readonly prior?: PriorName | null;
  readonly threads?: number;
  readonly progress?: boolean;
  readonly signal?: AbortSignal;
  readonly view?: ProgressView;
  /** When the command started (epoch ms; the CLI: the process's start, so start-up counts against the budget). */
  readonly startedAt?: number;
  /** Messages for the user (stderr). */
  readonly log?: (line: string) => void;
  /** Writes the search study's report into a folder (the CLI passes src/report's; automl does not import it). */
  readonly searchReport?: (studyDir: string, name: string, outDir: string) => Promise<void>;
}

export const AUTO_FILES = {
  state: 'auto.json', plan: 'plans.json', study: 'study', model: 'model', export: 'export', report: 'report.md', summary: 'summary.md', searchReport: 'search-report',
} as const;

interface FoldOutcome {
  readonly fold: number;
  readonly epochs: number;
  readonly steps: number;
  readonly trainingSeconds: number;
  readonly dice: number;
  readonly diceMirror: number | null;
}

export interface AutoState {
  readonly format: 'hnas-auto';
  readonly version: 1;
  readonly request: { readonly dataset: string; readonly budgetSeconds: number; readonly device: Device; readonly seed: number; readonly folds: readonly number[] | null; readonly prior: PriorName | null };
  /** Seconds spent by every run so far. */
  spentSeconds: number;
  /** Wall seconds per phase, summed over runs. */
  phases: Record<string, number>;
  measured?: { readonly speed: MachineSpeed; readonly flopsRatios: readonly number[] };
  settings?: AutoSettings;
  search?: { readonly done: boolean; readonly stopped?: string; readonly trials?: number; readonly incumbent?: { readonly key: string; readonly number: number; readonly dice: number; readonly budget: number; readonly config: unknown } };
  final?: { readonly trial: string; readonly folds: FoldOutcome[] };
  tta?: { readonly mirror: boolean; readonly reason: string };
  exported?: { readonly model: string; readonly export: string };
  finishedAt?: string;
}

export interface AutoResult {
  readonly state: AutoState;
  readonly files: { readonly model: string; readonly export: string; readonly report: string; readonly summary: string; readonly state: string; readonly study: string };
}

const requestOf = (r: AutoRequest): AutoState['request'] => ({ dataset: resolve(r.datasetDir), budgetSeconds: r.budgetSeconds, device: r.device, seed: r.seed, folds: r.folds?.length ? [...r.folds] : null, prior: r.prior ?? null });

function readState(file: string, request: AutoState['request']): AutoState | null {
  if (!existsSync(file)) return null;
  let state: AutoState;
  try {
    state = JSON.parse(readFileSync(file, 'utf8')) as AutoState;
  } catch (err) {
    throw new HnasError(`not an hnas auto state file: ${(err as Error).message} (move the output folder away to start afresh)`, { file });
  }
  if (state.format !== 'hnas-auto') throw new HnasError('not an hnas auto state file (format)', { file, path: 'format' });
  const names: Record<keyof AutoState['request'], string> = { dataset: '<dataset>', budgetSeconds: '--time', device: '--device', seed: '--seed', folds: '--folds', prior: '--prior' };
  for (const k of Object.keys(names) as (keyof AutoState['request'])[]) {
    const was = JSON.stringify(state.request[k] ?? null); // fields older states lack were not given
    if (was !== JSON.stringify(request[k]))
      throw new UsageError(`${names[k]} differs from the run this folder continues (${was} there, ${JSON.stringify(request[k])} now): repeat it, or give another -o to start afresh`);
  }
  return state;
}

export async function runAuto(req: AutoRequest): Promise<AutoResult> {
  const t0 = Math.min(Date.now(), req.startedAt ?? Date.now());
  const out = req.outDir;
  const files = {
    state: join(out, AUTO_FILES.state), model: join(out, AUTO_FILES.model), export: join(out, AUTO_FILES.export), report: join(out, AUTO_FILES.report),
    summary: join(out, AUTO_FILES.summary), study: join(out, AUTO_FILES.study),
  };
  const request = requestOf(req);
  const log = req.log ?? (() => undefined);
  const dataset = loadDataset(req.datasetDir); // bad input fails before anything is written
  const previous = readState(files.state, request);
  const createdOut = !existsSync(out);
  const state: AutoState = previous ?? { format: 'hnas-auto', version: 1, request, spentSeconds: 0, phases: {} };
  if (state.finishedAt) return { state, files }; // a finished run: nothing to continue
  const spentBefore = state.spentSeconds;
  const deadline = t0 + (req.budgetSeconds - spentBefore) * 1000;
  const secondsLeft = () => (deadline - Date.now()) / 1000;
  let phaseStart = Date.now();
  const save = () => {
    state.spentSeconds = spentBefore + (Date.now() - t0) / 1000;
    writeFileAtomic(files.state, `${JSON.stringify(state, null, 2)}\n`);
  };
  const endPhase = (name: string) => {
    state.phases[name] = (state.phases[name] ?? 0) + (Date.now() - phaseStart) / 1000;
    phaseStart = Date.now();
    save();
  };
  const checkSignal = () => {
    if (req.signal?.aborted) throw req.signal.reason instanceof HnasError ? req.signal.reason : new OptimizationInterrupted();
  };

  mkdirSync(out, { recursive: true });
  try {
    // Plan and preprocess (the cache is shared with every other run on this dataset and plan).
    const plan = resolvePlan({ datasetDir: req.datasetDir, studyPlanFile: join(out, AUTO_FILES.plan) });
    const prepared = prepareTraining(dataset.root, { plan, progress: req.progress });
    checkSignal();

    if (!state.settings) {
      if (secondsLeft() <= 0) throw new UsageError(`--time ${req.budgetSeconds} s is used up before the search could start (planning and preprocessing took ${((Date.now() - t0) / 1000).toFixed(0)} s): give more --time`);
      log(`hnas auto: timing this machine (${secondsLeft().toFixed(0)} s of the budget left)`);
      const m = await measureSpeed(prepared, { device: req.device, threads: req.threads, signal: req.signal });
      const settings = decideAutoSettings({
        budgetSeconds: secondsLeft(), speed: m.speed, flopsRatios: m.flopsRatios, planBatchSize: prepared.plan.network.batchSize,
        patchSize: prepared.plan.network.patchSize, validationCases: prepared.cache.splits.map((s) => s.val.length), device: req.device, folds: req.folds ?? null, prior: req.prior ?? null,
      });
      state.measured = { speed: m.speed, flopsRatios: m.flopsRatios };
      state.settings = settings;
      for (const r of settings.reasons) log(`  ${r}`);
      endPhase('planning and timing');
    }
    const settings = state.settings;
    const features = settings.features;

    // Search: hnas optimize with the decided settings; no trial starts after its time, and the
    // trial running at its hard end (its share + 10 %) is stopped (re-run if this phase resumes).
    if (!state.search?.done) {
      const s = settings.search;
      const hardEnd = Date.now() + Math.max(0, 1.1 * s.seconds - (state.phases.search ?? 0)) * 1000;
      const stopSearch = new AbortController();
      const onUser = () => stopSearch.abort();
      req.signal?.addEventListener('abort', onUser, { once: true });
      const timer = setTimeout(() => stopSearch.abort(), Math.max(0, hardEnd - Date.now()));
      let summary;
      try {
        summary = await optimize(
          {
            datasetDir: dataset.root, approach: s.approach, study: files.study, budget: budgetFromFlags({ minEpochs: s.minEpochs, maxEpochs: s.maxEpochs, eta: s.eta, timeLimit: s.seconds }),
            training: { folds: [s.fold], iterationsPerEpoch: s.iterationsPerEpoch, patchSize: null, batchSize: settings.batchSize },
            device: req.device, seed: req.seed, objective: 'nnunet', planFile: join(out, AUTO_FILES.plan), prior: s.prior ?? 'nnunet', // states before priors: nnunet
            objectiveOptions: { featuresBase: features.base, featuresMax: features.max, ...(req.threads === undefined ? {} : { threads: req.threads }) },
          },
          { signal: stopSearch.signal, view: req.view },
        );
      } finally {
        clearTimeout(timer);
        req.signal?.removeEventListener('abort', onUser);
      }
      if (req.signal?.aborted) {
        endPhase('search');
        checkSignal();
      }
      const failure = everyTrialFailed(summary);
      if (failure) throw failure;
      const inc = summary.incumbent;
      if (!inc) throw new HnasError(`the search finished no trial in its ${Math.round(s.seconds)} s: give more --time`, { file: files.study });
      state.search = {
        done: true, stopped: stopSearch.signal.aborted ? 'its time (the running trial was stopped)' : summary.stopped, trials: summary.counts.complete,
        incumbent: { key: inc.key, number: inc.number, dice: 1 - inc.loss!, budget: inc.budget, config: inc.config },
      };
      log(`hnas auto: search done (${summary.counts.complete} trials); incumbent ${inc.key}, Dice ${(100 * (1 - inc.loss!)).toFixed(2)} %`);
      endPhase('search');
    }

    // Final training of the incumbent, time-based.
    const study = await loadStudy(files.study, settings.search.approach);
    const incumbent = bestLossTrial(study.trials) as TrialRecord;
    const configuration = resolveConfiguration(incumbent.config, prepared.plan.nStages);
    const trainPlan = { ...prepared, plan: { ...prepared.plan, network: { ...prepared.plan.network, batchSize: settings.batchSize } } };
    const f = settings.final;
    state.final ??= { trial: incumbent.key, folds: [] };
    const afterFinal = () => {
      const left = f.folds.filter((fold) => !state.final!.folds.some((o) => o.fold === fold));
      const mirrorLeft = left.length + (state.tta ? 0 : f.folds.length - left.length);
      return left.length * perFoldValidation(prepared, settings, state.measured!.speed, false) + mirrorLeft * perFoldValidation(prepared, settings, state.measured!.speed, true) +
        settings.reserve.reportSeconds + settings.reserve.safetySeconds / 2;
    };
    for (const fold of f.folds) {
      if (state.final.folds.some((o) => o.fold === fold)) continue;
      const foldsLeft = f.folds.length - state.final.folds.length;
      const foldEnd = Date.now() + ((secondsLeft() - afterFinal()) / foldsLeft) * 1000;
      const pace = new Pace(f.iterationsPerEpoch * settings.stepSeconds);
      log(`hnas auto: final training of ${incumbent.key} on fold ${fold}, ${((foldEnd - Date.now()) / 1000).toFixed(0)} s`);
      const r = await trainModel({
        ...trainPlan, configuration, folds: [fold], epochs: 1_000_000, iterationsPerEpoch: f.iterationsPerEpoch, features, seed: incumbent.seed,
        outDir: files.model, device: req.device, threads: req.threads, signal: req.signal, log: req.progress ? log : undefined,
        adaptiveEpochs: (done) => {
          pace.tick();
          save();
          return Math.max(1, epochsThatFit(done, (foldEnd - Date.now()) / 1000, pace.secondsPerEpoch()));
        },
      }).catch((err) => {
        if (req.signal?.aborted) {
          endPhase('final training');
          checkSignal();
        }
        throw err;
      });
      const fr = r.folds[0]!;
      state.final.folds.push({ fold, epochs: fr.epochs, steps: fr.epochs * f.iterationsPerEpoch, trainingSeconds: fr.seconds, dice: fr.dice, diceMirror: null });
      log(`hnas auto: fold ${fold}: ${fr.epochs} epochs (${fr.epochs * f.iterationsPerEpoch} steps), validation Dice ${(100 * fr.dice).toFixed(2)} %`);
      endPhase('final training and validation');
    }

    // Test-time mirroring: measured on the same validation cases; kept only when it helps.
    if (!state.tta) {
      const stop = new AbortController();
      const onUser = () => stop.abort(req.signal!.reason);
      req.signal?.addEventListener('abort', onUser, { once: true });
      const timer = setTimeout(() => stop.abort(new Error('deadline')), Math.max(0, (secondsLeft() - settings.reserve.reportSeconds) * 1000));
      try {
        for (const [k, o] of state.final.folds.entries()) {
          if (o.diceMirror !== null) continue;
          const predictors = await loadPredictors([join(foldDir(files.model, o.fold), 'model.onnx')], req.device, req.threads, trainPlan.plan.network);
          try {
            const val = prepared.cache.splits[o.fold]!.val;
            const v = await validateCases(prepared.dataset, val, trainPlan.plan, predictors.predict, { outDir: null, mirror: true, signal: stop.signal, progress: req.progress });
            state.final.folds[k] = { ...o, diceMirror: v.foregroundMean };
          } finally {
            await predictors.release();
          }
        }
        const plain = mean(state.final.folds.map((o) => o.dice));
        const mirrored = mean(state.final.folds.map((o) => o.diceMirror!));
        state.tta = mirrored > plain
          ? { mirror: true, reason: `mirroring raised validation Dice from ${pct(plain)} to ${pct(mirrored)}` }
          : { mirror: false, reason: `mirroring did not raise validation Dice (${pct(plain)} without, ${pct(mirrored)} with)` };
      } catch (err) {
        checkSignal();
        if (!stop.signal.aborted) throw err;
        state.tta = { mirror: false, reason: 'no time was left to measure mirroring on the validation cases: predicting without it' };
      } finally {
        clearTimeout(timer);
        req.signal?.removeEventListener('abort', onUser);
      }
      log(`hnas auto: test-time mirroring ${state.tta.mirror ? 'on' : 'off'}: ${state.tta.reason}`);
      endPhase('mirroring measurement');
    }

    // Export, report, summary.
    const exported = exportModel(files.model, files.export);
    writeFileAtomic(join(files.export, 'inference.json'), `${JSON.stringify({ mirror: state.tta.mirror, reason: state.tta.reason, model: 'model.onnx' }, null, 2)}\n`);
    await req.searchReport?.(files.study, settings.search.approach, join(out, AUTO_FILES.searchReport));
    state.exported = { model: files.model, export: exported.model };
    state.finishedAt = new Date().toISOString();
    endPhase('export and report');
    writeFileAtomic(files.summary, `${autoSummary(state)}\n`);
    writeFileAtomic(files.report, autoReport(state));
    save();
    return { state, files };
  } catch (err) {
    if (!previous && !state.settings && createdOut) rmSync(out, { recursive: true, force: true }); // nothing worth keeping yet
    else if (existsSync(out)) save();
    throw err;
  }
}

/** Estimated seconds to validate one final fold's cases (with or without mirroring). */
function perFoldValidation(prepared: Prepared, s: AutoSettings, speed: MachineSpeed, mirror: boolean): number {
  const cases = Math.max(...s.final.folds.map((f) => prepared.cache.splits[f]?.val.length ?? 0));
  return cases * (mirror ? speed.caseMirrorSeconds : speed.caseSeconds);
}

/** The pace of the final training: the median of the last epochs' wall seconds (checkpoints included), the estimate before any. */
export class Pace {
  private last: number | null = null;
  private readonly recent: number[] = [];
  constructor(private readonly estimate: number) {}
  tick(): void {
    const now = Date.now();
    if (this.last !== null) this.recent.push((now - this.last) / 1000);
    if (this.recent.length > 5) this.recent.shift();
    this.last = now;
  }
  secondsPerEpoch(): number {
    if (this.recent.length === 0) return this.estimate;
    const sorted = [...this.recent].sort((a, b) => a - b);
    // The slower of median and mean: a loaded machine slows down more often than it speeds up.
    return Math.max(sorted[Math.floor(sorted.length / 2)]!, sorted.reduce((a, b) => a + b, 0) / sorted.length);
  }
}

const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const pct = (x: number): string => `${(100 * x).toFixed(2)} %`;
const mins = (s: number): string => (s >= 120 ? `${(s / 60).toFixed(1)} min` : `${s.toFixed(0)} s`);

/** The one-paragraph summary: what was decided and why. */
export function autoSummary(state: AutoState): string {
  const s = state.settings!;
  const inc = state.search!.incumbent!;
  const folds = state.final!.folds;
  const steps = folds.reduce((a, o) => a + o.steps, 0);
  const dice = mean(folds.map((o) => o.dice));
  return (
    `hnas auto spent ${mins(state.spentSeconds)} of a ${mins(state.request.budgetSeconds)} budget on ${state.request.device}. ` +
    `A training step of the default network took ${s.stepSeconds.toFixed(2)} s here, so it trained ${s.features.base}..${s.features.max} features with batch ${s.batchSize} x [${s.patchSize.join(', ')}]. ` +
    `Regularized PriorBand searched hyperparameters and grammar-derived U-Nets (hpo_hnas: its runtime objective favours networks that train faster, which a fixed budget turns into more steps) ` +
    `around the ${s.search.prior ?? 'nnunet'} prior (${PRIORS[s.search.prior ?? 'nnunet'].description}) ` +
    `for ${mins(state.phases.search ?? 0)} on fold ${s.search.fold} with rungs of ${s.search.minEpochs}..${s.search.maxEpochs} epochs of ${s.search.iterationsPerEpoch} iterations (eta ${s.search.eta}); ` +
    `${state.search!.trials} trials completed and the best, ${inc.key === DEFAULT_KEY ? "the prior's default configuration" : inc.key} (Dice ${pct(inc.dice)} after ${inc.budget} epochs), was trained again from scratch for the rest of the time: ` +
    `${steps} steps on fold${folds.length > 1 ? 's' : ''} ${folds.map((o) => o.fold).join(', ')} with its learning-rate schedule spanning the steps the remaining time allowed, reaching ${pct(dice)} validation Dice. ` +
    `Test-time mirroring is ${state.tta!.mirror ? 'on' : 'off'}: ${state.tta!.reason}.`
  );
}

export function autoReport(state: AutoState): string {
  const s = state.settings!;
  const m = state.measured!;
  const lines = [
    '# hnas auto report',
    '',
    `Dataset: ${state.request.dataset}  `,
    `Budget: ${mins(state.request.budgetSeconds)}, device ${state.request.device}, seed ${state.request.seed}; spent ${mins(state.spentSeconds)} (stated margin: ends within the budget + ${mins(s.marginSeconds)})`,
    '',
    autoSummary(state),
    '',
    '## Measured',
    `- training step of the default network at 8..64 features, batch 2: ${m.speed.stepSeconds.toFixed(3)} s; setting up a run: ${m.speed.setupSeconds.toFixed(1)} s`,
    `- validating one case: ${m.speed.caseSeconds.toFixed(2)} s, with mirroring ${m.speed.caseMirrorSeconds.toFixed(2)} s`,
    `- FLOPs of the default network by width tier, relative to 8..64: ${m.flopsRatios.map((r) => r.toFixed(1)).join(', ')}`,
    '',
    '## Decisions',
    ...s.reasons.map((r) => `- ${r}`),
    '',
    '## Where the time went',
    '| phase | seconds |',
    '|---|---|',
    ...Object.entries(state.phases).map(([k, v]) => `| ${k} | ${v.toFixed(0)} |`),
    `| total | ${state.spentSeconds.toFixed(0)} |`,
    '',
    '## Search',
    `${state.search!.trials} trials completed (stopped: ${state.search!.stopped}); incumbent ${state.search!.incumbent!.key}: Dice ${pct(state.search!.incumbent!.dice)} after ${state.search!.incumbent!.budget} epochs. The study's own report: search-report/report.md.`,
    '',
    '```',
    ...Object.entries(state.search!.incumbent!.config as Record<string, ParamValue>).map(([k, v]) => configText({ [k]: v })),
    '```',
    '',
    '## Final training and validation',
    '| fold | epochs | steps | training s | Dice | Dice with mirroring |',
    '|---|---|---|---|---|---|',
    ...state.final!.folds.map((o) => `| ${o.fold} | ${o.epochs} | ${o.steps} | ${o.trainingSeconds.toFixed(0)} | ${pct(o.dice)} | ${o.diceMirror === null ? '-' : pct(o.diceMirror)} |`),
    '',
    `Test-time mirroring: ${state.tta!.mirror ? 'on' : 'off'} (${state.tta!.reason}).`,
    '',
    '## Use the model',
    '```',
    `hnas predict ${AUTO_FILES.model} <images> -o <out>${state.tta!.mirror ? ' --mirror' : ''}`,
    '```',
    `Exported (self-describing ONNX, softmax output): ${AUTO_FILES.export}/model.onnx with README.md and inference.json (the mirroring decision).`,
    '',
  ];
  return lines.join('\n');
}
