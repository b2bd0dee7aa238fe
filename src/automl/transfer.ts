/**
 * `hnas transfer`: each study's final incumbent (best 1 - Dice) trained on each of several datasets
 * with the study's budget (the incumbent's epochs, the study's schedule span, iterations per epoch,
 * folds and feature widths), next to nnU-Net's default configuration trained on each dataset with
 * the same budget, as the Auto-nnU-Net paper's transfer matrix (Figure 13).
 *
 * Layout of the output folder:
 *   <out>/<dataset>/<study>/                  the incumbent's model folder on that dataset (`hnas train` layout)
 *   <out>/<dataset>/default-<E>ep-<hash>/     the default configuration with that budget
 *   .../cell.json                             what the cell is (configuration, budget, dataset) and its result,
 *                                             written atomically when it is finished
 * A cell whose cell.json matches is not trained again, so an interrupted run continues where it
 * stopped (an unfinished cell continues from its fold checkpoints); a cell.json of other settings is
 * refused rather than overwritten.
 *
 * An architecture (an hnas derivation tree) fits a dataset only if the dataset's U-Net grammar
 * (n_max = its planned number of stages) derives it: such a cell is recorded as not transferable,
 * with the reason, and trains nothing.
 */
import { existsSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { Vec3 } from '../data/plan-types.js';
import { ConfigError, HnasError, TreeError } from '../errors.js';
import { bestLossTrial } from '../optimize/incumbent.js';
import type { TrialRecord } from '../optimize/trial.js';
import { defaultCacheDir, planTraining, preprocessWithProgress, resolveConfiguration, trainModel, type FoldId, type Prepared } from '../pipeline/index.js';
import { writeJson } from '../pipeline/model-dir.js';
import type { Device } from '../runtime/providers.js';
import { hashString } from '../util/hash.js';
import { readJsonFile } from '../util/json.js';
import type { LoadedStudy } from './load.js';

/** How a cell is trained; the default configuration of a dataset is trained once per distinct budget. */
export interface TransferBudget {
  readonly epochs: number;
  /** Epochs the LR schedule spans (the study's maximum budget, as its trials had). */
  readonly maxEpochs: number;
  readonly iterationsPerEpoch: number;
  readonly folds: readonly number[];
  readonly features: { readonly base: number; readonly max: number } | null;
}

export interface TransferOptions {
  readonly outDir: string;
  /** Folds every cell trains (default: each study's own folds). */
  readonly folds?: readonly number[];
  readonly seed?: number;
  /** Patch and batch size on every dataset (default: each dataset's plan). */
  readonly patchSize?: Vec3 | null;
  readonly batchSize?: number | null;
  readonly device?: Device;
  readonly threads?: number;
  readonly progress?: boolean;
  readonly signal?: AbortSignal;
  readonly log?: (line: string) => void;
}

export interface TransferCell {
  /** The study's label, or null for a dataset's default configuration. */
  readonly study: string | null;
  readonly dataset: string;
  /** The cell's folder, relative to the output folder. */
  readonly folder: string;
  readonly budget: TransferBudget;
  readonly status: 'trained' | 'not transferable';
  /** Why it is not transferable. */
  readonly reason?: string;
  /** Mean foreground validation Dice over the folds (null: not trained or nothing validated). */
  readonly dice: number | null;
  readonly meanPerClass: Readonly<Record<number, number>> | null;
  readonly folds: readonly { readonly fold: FoldId; readonly dice: number; readonly seconds: number }[];
  /** Training seconds summed over the folds. */
  readonly seconds: number | null;
}

export interface TransferMatrix {
  readonly studies: readonly {
    readonly label: string;
    readonly name: string;
    readonly dir: string;
    readonly approach: string | null;
    readonly sourceDataset: string | null;
    readonly trial: { readonly number: number; readonly key: string; readonly budget: number; readonly loss: number };
  }[];
  readonly datasets: readonly { readonly label: string; readonly root: string; readonly nStages: number; readonly classes: number; readonly spacing: readonly number[] }[];
  /** One per study and dataset, studies outer. */
  readonly cells: readonly TransferCell[];
  /** The default configuration per dataset and distinct budget. */
  readonly defaults: readonly TransferCell[];
  /** Incumbent Dice minus the same dataset's default Dice at the same budget (null where either is missing). */
  readonly gains: readonly { readonly study: string; readonly dataset: string; readonly gain: number | null }[];
  /** Cells trained by this run, and those finished before. */
  readonly trainedNow: number;
  readonly reused: number;
}

/** Unique, folder-safe labels: the names themselves, or with a prefix/suffix where two collide. */
function uniqueLabels(names: readonly string[], prefixes: readonly string[]): string[] {
  const safe = (s: string) => s.replace(/[^A-Za-z0-9_.-]/g, '_') || '_';
  const base = names.map(safe);
  const out = base.map((b, i) => (base.filter((x) => x === b).length > 1 ? safe(`${prefixes[i]}-${b}`) : b));
  return out.map((l, i) => (out.filter((x) => x === l).length > 1 ? `${l}-${i + 1}` : l));
}

function incumbentOf(study: LoadedStudy): { trial: TrialRecord; meta: NonNullable<LoadedStudy['meta']> } {
  const trial = bestLossTrial(study.trials);
  if (!trial) throw new HnasError(`study '${study.name}' has no completed trial yet: nothing to transfer`, { file: study.paths.db });
  if (!study.meta) throw new HnasError(`study '${study.name}' has no study.json (it was not made by \`hnas optimize\`): its training budget (iterations per epoch, folds) is unknown`, { file: study.paths.db });
  return { trial, meta: study.meta };
}

const defaultFolder = (b: TransferBudget) => `default-${b.epochs}ep-${hashString(JSON.stringify(b)).toString(16).padStart(8, '0')}`;

interface CellIdentity {
  readonly format: 'hnas-transfer-cell';
  readonly version: 1;
  readonly dataset: string;
  readonly configuration: Readonly<Record<string, unknown>>;
  readonly budget: TransferBudget;
  readonly seed: number;
  readonly patchSize: Vec3 | null;
  readonly batchSize: number | null;
}

/** The finished cell stored in `folder`, if its identity matches; a different one is refused. */
function finishedCell(folder: string, identity: CellIdentity): TransferCell | null {
  const file = join(folder, 'cell.json');
  if (!existsSync(file)) return null;
  const stored = readJsonFile(file, ConfigError, 'a transfer cell') as { identity?: unknown; result?: TransferCell };
  if (JSON.stringify(stored.identity) !== JSON.stringify(identity) || !stored.result) {
    throw new ConfigError('this cell of the transfer folder was made with other settings (configuration, budget, seed, patch, batch or dataset folder): rerun with the same flags to continue, or choose another output folder (-o)', { file });
  }
  return stored.result;
}

/** Runs (or continues) the transfer matrix; every cell's folder is its own resumable unit. */
export async function runTransfer(studies: readonly LoadedStudy[], datasetDirs: readonly string[], o: TransferOptions): Promise<TransferMatrix> {
  if (studies.length === 0) throw new HnasError('give at least one study');
  if (datasetDirs.length === 0) throw new HnasError('give at least one dataset (--datasets)');
  const seed = o.seed ?? 0;
  const incumbents = studies.map(incumbentOf);
  const studyLabels = uniqueLabels(studies.map((s) => s.name), studies.map((s) => basename(s.paths.dir)));
  const budgets = incumbents.map(({ trial, meta }, i): TransferBudget => ({
    epochs: trial.budget,
    maxEpochs: Math.max(studies[i]!.settings.maxBudget, trial.budget),
    iterationsPerEpoch: meta.training.iterationsPerEpoch,
    folds: [...(o.folds ?? meta.training.folds)],
    features: meta.features ?? null,
  }));
  const overrides = { patchSize: o.patchSize ?? null, batchSize: o.batchSize ?? null };
  // Every dataset is read and planned before anything is preprocessed or trained, so a bad one fails first.
  const roots = datasetDirs.map((d) => resolve(d));
  const planned: Prepared[] = roots
    .map((root) => planTraining(root, { overrides }))
    .map(({ dataset, plan }) => ({ dataset, plan, cache: preprocessWithProgress(dataset, plan, defaultCacheDir(dataset, plan), o.progress ?? false) }));
  const datasetLabels = uniqueLabels(planned.map((p) => p.dataset.name), roots.map((r) => basename(r)));
  let trainedNow = 0;
  let reused = 0;

  const runCell = async (prepared: Prepared, dataset: string, study: string | null, configuration: Record<string, unknown>, budget: TransferBudget): Promise<TransferCell> => {
    const folder = join(dataset, study ?? defaultFolder(budget));
    const dir = join(o.outDir, folder);
    const identity: CellIdentity = { format: 'hnas-transfer-cell', version: 1, dataset: prepared.dataset.root, configuration, budget, seed, ...overrides };
    const done = finishedCell(dir, identity);
    if (done) {
      reused++;
      return done;
    }
    const base = { study, dataset, folder, budget };
    let resolved;
    try {
      resolved = resolveConfiguration(configuration, prepared.plan.nStages);
    } catch (err) {
      if (!(err instanceof ConfigError || err instanceof TreeError)) throw err;
      const reason = `the configuration does not fit this dataset (n_max ${prepared.plan.nStages}): ${err.message}`;
      const cell: TransferCell = { ...base, status: 'not transferable', reason, dice: null, meanPerClass: null, folds: [], seconds: null };
      writeJson(join(dir, 'cell.json'), { identity, result: cell });
      o.log?.(`${dataset} / ${study ?? 'default'}: not transferable (${err.message})`);
      return cell;
    }
    o.log?.(`${dataset} / ${study ?? 'default'}: training ${budget.epochs} epochs x ${budget.iterationsPerEpoch} iterations on fold(s) ${budget.folds.join(', ')}`);
    const r = await trainModel({
      ...prepared,
      configuration: resolved,
      folds: budget.folds,
      epochs: budget.epochs,
      maxEpochs: budget.maxEpochs,
      iterationsPerEpoch: budget.iterationsPerEpoch,
      features: budget.features,
      seed,
      outDir: dir,
      device: o.device,
      threads: o.threads,
      progress: o.progress,
      signal: o.signal,
    });
    const validated = r.folds.filter((f) => f.validation);
    const classes = validated[0]?.validation?.classes ?? [];
    const meanPerClass = validated.length ? Object.fromEntries(classes.map((c) => [c, validated.reduce((s, f) => s + f.validation!.meanPerClass[c]!, 0) / validated.length])) : null;
    const cell: TransferCell = {
      ...base,
      status: 'trained',
      dice: Number.isFinite(r.dice) ? r.dice : null,
      meanPerClass,
      folds: r.folds.map((f) => ({ fold: f.fold, dice: f.dice, seconds: f.seconds })),
      seconds: r.seconds,
    };
    writeJson(join(dir, 'cell.json'), { identity, result: cell });
    trainedNow++;
    o.log?.(`${dataset} / ${study ?? 'default'}: Dice ${cell.dice === null ? '-' : (100 * cell.dice).toFixed(2)} %, ${r.seconds.toFixed(1)} s training`);
    return cell;
  };

  const cells: TransferCell[] = [];
  const defaults: TransferCell[] = [];
  for (const [d, prepared] of planned.entries()) {
    const dataset = datasetLabels[d]!;
    const seen = new Set<string>();
    for (const budget of budgets) {
      if (seen.has(JSON.stringify(budget))) continue;
      seen.add(JSON.stringify(budget));
      defaults.push(await runCell(prepared, dataset, null, {}, budget));
    }
    for (const [s, { trial }] of incumbents.entries()) cells.push(await runCell(prepared, dataset, studyLabels[s]!, trial.config as Record<string, unknown>, budgets[s]!));
  }
  const gains = cells.map((c) => {
    const base = defaults.find((d) => d.dataset === c.dataset && JSON.stringify(d.budget) === JSON.stringify(c.budget));
    return { study: c.study!, dataset: c.dataset, gain: c.dice !== null && base?.dice != null ? c.dice - base.dice : null };
  });
  return {
    studies: studies.map((s, i) => ({
      label: studyLabels[i]!,
      name: s.name,
      dir: s.paths.dir,
      approach: s.meta?.approach ?? null,
      sourceDataset: s.meta?.dataset ?? null,
      trial: { number: incumbents[i]!.trial.number, key: incumbents[i]!.trial.key, budget: incumbents[i]!.trial.budget, loss: incumbents[i]!.trial.loss! },
    })),
    datasets: planned.map((p, i) => ({ label: datasetLabels[i]!, root: p.dataset.root, nStages: p.plan.nStages, classes: p.plan.labels.length - 1, spacing: p.plan.spacing })),
    cells,
    defaults,
    gains,
    trainedNow,
    reused,
  };
}
