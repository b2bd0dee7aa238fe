/**
 * `hnas auto`'s decisions, one pure function: (time left, this machine's measured speed, the
 * plan, the device) -> network width, batch, the search's rungs / eta / iterations per epoch
 * and share of the time, the final training's folds and epochs, the reserve for validation and
 * export. The rules (docs/automl.md, "hnas auto"):
 *
 * - Network: the widest width tier whose training step (measured at the reference width, scaled
 *   by the FLOPs ratio) takes at most STEP_TARGET_S; else the reference width (8..64, the width of
 *   the measured one-hour studies). Then the plan's batch if its step stays within the target,
 *   else batch 2 (nnU-Net's minimum). Patch: the plan's. These depend on the speed only, never on
 *   the budget, so more time never changes the network (and never gives fewer final epochs).
 * - Reserve: validation of the final folds' cases with and without mirroring (measured per case),
 *   export and report, and SAFETY_SHARE of the budget against estimates that a loaded machine
 *   breaks. The rest is split SEARCH_SHARE for the search, the remainder for the final training.
 * - Search: eta 3; the most rungs (up to 5, the paper's 10..1000 epochs) for which one whole
 *   Hyperband round plus the default configuration, each evaluation with its setup and
 *   validation, fits the search time with a lowest rung of at least MIN_RUNG_STEPS steps, down to
 *   one rung (configurations sampled at a single budget); the lowest rung grows with the time, up to
 *   nnU-Net's 10 epochs x 250 steps; brackets keep cycling while search time is left.
 * - Prior: nnU-Net's defaults (the paper's prior) when the final training gets at least
 *   SHORT_SCHEDULE_STEPS; below that, the short-schedule prior (src/space/priors.ts), whose
 *   AdamW + cosine converges in the few thousand steps nnU-Net's SGD + PolyLR is far from done in.
 * - Final training: one fold unless the time gives each of several folds nnU-Net's whole
 *   schedule (1000 x 250 steps); epochs of about FINAL_EPOCH_S (iterations from the step time
 *   alone), as many as the time allows; the run itself re-estimates them as it goes.
 * - A budget that leaves no one-rung search of MIN_RUNG_STEPS or no final training of
 *   MIN_FINAL_STEPS is refused, with the time that would do.
 */
import { hyperbandSchedule, scheduleTotals } from '../optimize/brackets.js';
import { UsageError } from '../errors.js';
import type { Device } from '../runtime/providers.js';
import type { PriorName } from '../space/priors.js';

export interface WidthTier {
  readonly base: number;
  readonly max: number;
}

/** nnU-Net's 3d width (32..320), half of it, and the narrow width of the measured CPU studies. */
export const WIDTH_TIERS: readonly WidthTier[] = [
  { base: 32, max: 320 },
  { base: 16, max: 128 },
  { base: 8, max: 64 },
];
/** The width timed at the start (the narrowest tier: cheap to time on any machine). */
export const REFERENCE_TIER: WidthTier = WIDTH_TIERS.at(-1)!;
/** The batch the step is timed with. */
export const TIMING_BATCH = 2;

export const RULES = {
  /** A step at most this long buys a wider network or a larger batch. */
  STEP_TARGET_S: 0.25,
  SEARCH_SHARE: 0.4,
  SAFETY_SHARE: 0.05,
  /** Export, the study report's plots, summary. */
  REPORT_S: 20,
  ETA: 3,
  MAX_RUNGS: 5,
  /**
   * A lowest rung this long says something about a configuration (50 steps gave 56 % for a good one on
   * Hippocampus, docs/results.md; at 19 and 57 steps every trial of a loaded hour scored below 7 %, so the
   * search chose by noise). Fewer rungs, down to one, before shorter ones; below one such rung the budget is refused.
   */
  MIN_RUNG_STEPS: 50,
  /** nnU-Net's lowest Auto-nnU-Net rung: 10 epochs of 250 iterations. */
  MAX_RUNG_STEPS: 2500,
  MAX_ITERATIONS_PER_EPOCH: 250,
  FINAL_EPOCH_S: 10,
  MIN_FINAL_STEPS: 100,
  /** nnU-Net's whole schedule, 1000 epochs x 250 iterations: what a fold gets before a second fold is worth training. */
  FULL_SCHEDULE_STEPS: 250_000,
  /** A final training shorter than a tenth of nnU-Net's schedule is searched around the short-schedule prior. */
  SHORT_SCHEDULE_STEPS: 25_000,
  /** The stated overrun: the command ends within the budget plus max(MARGIN_MIN_S, MARGIN_SHARE x budget). */
  MARGIN_MIN_S: 20,
  MARGIN_SHARE: 0.03,
} as const;

export interface MachineSpeed {
  /** Seconds per training step of the default network at REFERENCE_TIER, batch TIMING_BATCH, the plan's patch. */
  readonly stepSeconds: number;
  /** Seconds from starting a training run to its first step (compile, session). */
  readonly setupSeconds: number;
  /** Seconds to validate one case without / with mirroring (read, preprocess, sliding window, restore, score). */
  readonly caseSeconds: number;
  readonly caseMirrorSeconds: number;
}

export interface AutoInputs {
  /** What is left of the budget when the settings are decided. */
  readonly budgetSeconds: number;
  readonly speed: MachineSpeed;
  /** FLOPs of the default network at each tier over those at REFERENCE_TIER (same order as WIDTH_TIERS). */
  readonly flopsRatios: readonly number[];
  readonly planBatchSize: number;
  readonly patchSize: readonly [number, number, number];
  /** Validation cases of each fold (fold 0 first). */
  readonly validationCases: readonly number[];
  readonly device: Device;
  /** The final training's folds when the user chose them (--folds). */
  readonly folds?: readonly number[] | null;
  /** The search's prior when the user chose it (--prior). */
  readonly prior?: PriorName | null;
}

export interface SearchSettings {
  readonly approach: 'hpo_hnas';
  readonly prior: PriorName;
  readonly seconds: number;
  readonly fold: number;
  readonly minEpochs: number;
  readonly maxEpochs: number;
  readonly eta: number;
  readonly iterationsPerEpoch: number;
  /** Evaluations of one Hyperband round plus the default. */
  readonly roundEvaluations: number;
  readonly roundSeconds: number;
}

export interface FinalSettings {
  readonly seconds: number;
  readonly folds: readonly number[];
  readonly iterationsPerEpoch: number;
  /** Epochs of each fold as planned now (the run re-estimates them). */
  readonly plannedEpochs: number;
  readonly plannedSteps: number;
}

export interface AutoSettings {
  readonly budgetSeconds: number;
  readonly device: Device;
  readonly features: WidthTier;
  readonly batchSize: number;
  readonly patchSize: readonly [number, number, number];
  readonly stepSeconds: number;
  readonly search: SearchSettings;
  readonly final: FinalSettings;
  readonly reserve: { readonly validationSeconds: number; readonly reportSeconds: number; readonly safetySeconds: number };
  /** The stated overrun margin. */
  readonly marginSeconds: number;
  /** One line per decision, for the report and summary. */
  readonly reasons: readonly string[];
}

export const overrunMargin = (budgetSeconds: number): number => Math.max(RULES.MARGIN_MIN_S, RULES.MARGIN_SHARE * budgetSeconds);

const fmt = (s: number): string => (s >= 120 ? `${(s / 60).toFixed(1)} min` : `${s.toFixed(s < 10 ? 2 : 0)} s`);

/** One Hyperband round (minimum rung = 1 unit) with `rungs` rungs, plus the default at the top: evaluations and units. */
function roundCost(rungs: number, eta: number): { evaluations: number; units: number; top: number } {
  const top = eta ** (rungs - 1);
  const totals = scheduleTotals(hyperbandSchedule({ minBudget: 1, maxBudget: top, eta }));
  return { evaluations: totals.evaluations + 1, units: totals.epochsWithContinuation + top, top };
}

export function decideAutoSettings(i: AutoInputs): AutoSettings {
  const s = i.speed;
  if (!(i.budgetSeconds > 0)) throw new UsageError(`--time is used up before the search could start (${fmt(i.budgetSeconds)} left after planning and timing): give more --time`);
  if (!(s.stepSeconds > 0 && s.setupSeconds >= 0 && s.caseSeconds >= 0 && s.caseMirrorSeconds >= 0)) throw new RangeError(`measured speeds must be positive, got ${JSON.stringify(s)}`);
  if (i.flopsRatios.length !== WIDTH_TIERS.length) throw new RangeError(`expected ${WIDTH_TIERS.length} FLOPs ratios, got ${i.flopsRatios.length}`);
  const reasons: string[] = [];

  // Network: from the speed alone.
  const tierAt = WIDTH_TIERS.findIndex((_, t) => s.stepSeconds * i.flopsRatios[t]! <= RULES.STEP_TARGET_S);
  const tier = tierAt < 0 ? WIDTH_TIERS.length - 1 : tierAt;
  const features = WIDTH_TIERS[tier]!;
  const step2 = s.stepSeconds * i.flopsRatios[tier]!;
  reasons.push(
    tierAt < 0
      ? `features ${features.base}..${features.max}: even at this width a step takes ${fmt(step2)} (batch ${TIMING_BATCH}), above the ${RULES.STEP_TARGET_S} s that would buy a wider network`
      : `features ${features.base}..${features.max}: the widest width whose step (${fmt(step2)} at batch ${TIMING_BATCH}) is within ${RULES.STEP_TARGET_S} s`,
  );
  const planStep = (step2 * i.planBatchSize) / TIMING_BATCH;
  const batchSize = i.planBatchSize > TIMING_BATCH && planStep <= RULES.STEP_TARGET_S ? i.planBatchSize : Math.min(TIMING_BATCH, i.planBatchSize);
  const stepSeconds = (step2 * batchSize) / TIMING_BATCH;
  reasons.push(
    batchSize === i.planBatchSize
      ? `batch ${batchSize} x [${i.patchSize.join(', ')}]: the plan's`
      : `batch ${batchSize} x [${i.patchSize.join(', ')}] (plan: batch ${i.planBatchSize}, a ${fmt(planStep)} step): more steps of a smaller batch`,
  );

  // Final folds (validation reserve depends on them).
  const B = i.budgetSeconds;
  const caseBoth = s.caseSeconds + s.caseMirrorSeconds;
  const reserveFor = (folds: readonly number[]) => folds.reduce((a, f) => a + (i.validationCases[f] ?? 0) * caseBoth, 0);
  const safetySeconds = RULES.SAFETY_SHARE * B;
  const usableFor = (folds: readonly number[]) => B - reserveFor(folds) - RULES.REPORT_S - safetySeconds;
  let folds: readonly number[] = i.folds?.length ? i.folds : [0];
  if (!i.folds?.length) {
    for (let k = i.validationCases.length; k >= 2; k--) {
      const candidate = Array.from({ length: k }, (_, f) => f);
      const perFold = ((1 - RULES.SEARCH_SHARE) * usableFor(candidate)) / k - s.setupSeconds;
      if (perFold / stepSeconds >= RULES.FULL_SCHEDULE_STEPS) {
        folds = candidate;
        break;
      }
    }
  }
  for (const f of folds) if (f < 0 || f >= i.validationCases.length) throw new UsageError(`--folds: fold ${f} does not exist (the dataset's splits have folds 0..${i.validationCases.length - 1})`);
  const validationSeconds = reserveFor(folds);
  const usable = usableFor(folds);

  // Search.
  const searchSeconds = RULES.SEARCH_SHARE * usable;
  const perEvaluation = s.setupSeconds + (i.validationCases[folds[0]!] ?? 0) * s.caseSeconds;
  const finalSeconds = usable - searchSeconds;
  const perFoldSeconds = finalSeconds / folds.length - s.setupSeconds;
  const finalSteps = Math.floor(perFoldSeconds / stepSeconds);
  const prior: PriorName = i.prior ?? (finalSteps < RULES.SHORT_SCHEDULE_STEPS ? 'short-schedule' : 'nnunet');
  let search: SearchSettings | null = null;
  // The most rungs whose lowest rung gets MIN_RUNG_STEPS, down to one (configurations sampled at a single budget).
  for (let rungs = RULES.MAX_RUNGS; rungs >= 1 && !search; rungs--) {
    const round = roundCost(rungs, RULES.ETA);
    const rungSteps = Math.min(RULES.MAX_RUNG_STEPS, Math.floor((searchSeconds - round.evaluations * perEvaluation) / (round.units * stepSeconds)));
    if (rungSteps < RULES.MIN_RUNG_STEPS) continue;
    const iterationsPerEpoch = Math.min(rungSteps, RULES.MAX_ITERATIONS_PER_EPOCH);
    const minEpochs = Math.floor(rungSteps / iterationsPerEpoch);
    search = {
      approach: 'hpo_hnas', prior, seconds: searchSeconds, fold: folds[0]!, minEpochs, maxEpochs: minEpochs * round.top, eta: RULES.ETA, iterationsPerEpoch,
      roundEvaluations: round.evaluations, roundSeconds: round.evaluations * perEvaluation + round.units * minEpochs * iterationsPerEpoch * stepSeconds,
    };
  }
  if (!search || finalSteps < RULES.MIN_FINAL_STEPS) {
    // The smallest budget that would do: the one-rung round at MIN_RUNG_STEPS and MIN_FINAL_STEPS, plus the fixed reserve.
    const round = roundCost(1, RULES.ETA);
    const needSearch = round.evaluations * perEvaluation + round.units * RULES.MIN_RUNG_STEPS * stepSeconds;
    const needFinal = folds.length * (RULES.MIN_FINAL_STEPS * stepSeconds + s.setupSeconds);
    const needUsable = Math.max(needSearch / RULES.SEARCH_SHARE, needFinal / (1 - RULES.SEARCH_SHARE));
    const need = (needUsable + validationSeconds + RULES.REPORT_S) / (1 - RULES.SAFETY_SHARE);
    throw new UsageError(
      `--time leaves ${fmt(B)}, too little for a search and a final training on this machine (a training step takes ${fmt(stepSeconds)}, ` +
        `setting up a run ${fmt(s.setupSeconds)}, validating a case ${fmt(s.caseSeconds)}): give at least --time ${Math.ceil(need / 60)}m`,
    );
  }
  const iterationsPerEpoch = Math.max(1, Math.min(RULES.MAX_ITERATIONS_PER_EPOCH, Math.round(RULES.FINAL_EPOCH_S / stepSeconds)));
  const plannedEpochs = Math.max(1, Math.floor(perFoldSeconds / (iterationsPerEpoch * stepSeconds)));
  const final: FinalSettings = { seconds: finalSeconds, folds, iterationsPerEpoch, plannedEpochs, plannedSteps: plannedEpochs * iterationsPerEpoch };
  reasons.push(
    `search: ${fmt(searchSeconds)} (${Math.round(RULES.SEARCH_SHARE * 100)} % of the time after the reserve) of Regularized PriorBand over hpo_hnas on fold ${search.fold}, around the ${prior} prior ` +
      (i.prior
        ? '(--prior); '
        : prior === 'nnunet'
          ? `(the final training gets nnU-Net-scale schedules of ${finalSteps} steps); `
          : `(the final training gets ${finalSteps} steps, under the ${RULES.SHORT_SCHEDULE_STEPS} for which nnU-Net's SGD + PolyLR defaults are made); `) +
      `rungs ${search.minEpochs}..${search.maxEpochs} epochs of ${search.iterationsPerEpoch} iterations, eta ${search.eta}: one round (${search.roundEvaluations} evaluations with the default) takes about ${fmt(search.roundSeconds)}`,
    `final training: ${fmt(finalSeconds)} on fold${folds.length > 1 ? 's' : ''} ${folds.join(', ')}` +
      (i.folds?.length ? ' (--folds)' : folds.length > 1 ? ` (each fold gets nnU-Net's ${RULES.FULL_SCHEDULE_STEPS} steps)` : ` (one fold: ${finalSteps} steps, fewer than nnU-Net's ${RULES.FULL_SCHEDULE_STEPS} that would make a second fold worth training)`) +
      `, about ${plannedEpochs} epochs of ${iterationsPerEpoch} iterations (${final.plannedSteps} steps), LR schedule over the epochs the remaining time allows, re-estimated every epoch`,
    `reserve: ${fmt(validationSeconds)} to validate with and without mirroring, ${RULES.REPORT_S} s for export and report, ${fmt(safetySeconds)} safety; stated overrun margin ${fmt(overrunMargin(B))}`,
  );
  return {
    budgetSeconds: B, device: i.device, features, batchSize, patchSize: i.patchSize, stepSeconds, search, final,
    reserve: { validationSeconds, reportSeconds: RULES.REPORT_S, safetySeconds }, marginSeconds: overrunMargin(B), reasons,
  };
}

/**
 * The final training's total epochs as re-estimated before each epoch: the epochs done plus as
 * many more as fit the time left before the deadline at the recent pace (seconds per epoch).
 */
export function epochsThatFit(done: number, secondsLeft: number, secondsPerEpoch: number): number {
  if (!(secondsPerEpoch > 0)) throw new RangeError(`seconds per epoch must be positive, got ${secondsPerEpoch}`);
  return done + Math.max(0, Math.floor(secondsLeft / secondsPerEpoch));
}
