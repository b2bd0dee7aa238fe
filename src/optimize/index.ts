/**
 * The optimiser's public API, for `hnas optimize` and other callers:
 * open a study over a storage, run an objective (the contract: objective.ts) in its worker loop,
 * read the incumbent and Pareto front.
 */
export { ALGORITHMS, ALGORITHM_NAMES, type AlgorithmName } from './algorithms.js';
export { hyperbandSchedule, scheduleTotals, bracketEpochs, type Schedule, type BudgetSettings } from './brackets.js';
export { bestLossTrial, maxAreaTrial, paretoTrials } from './incumbent.js';
export { MemoryStorage } from './memory-storage.js';
export { crowdingDistance, dominates, hypervolume2d, maxAreaPoint, nonDominatedSort, paretoFront } from './pareto.js';
export { studyReport, trialsCsv, type StudyReport } from './report.js';
export { makeSettings, type StudySettings, type StudySettingsInput } from './settings.js';
export { SqliteStorage } from './sqlite-storage.js';
export type { StudyStorage } from './storage.js';
export { bareTrial, TrialInterrupted, type FoldScore, type Job, type Objective, type ObjectiveResult, type TrialContext } from './objective.js';
export { Study, type AskResult, type OptimizeOptions, type StopReason, type StudyOptions } from './study.js';
export { autonnunetSurface, benchmarkSurface, syntheticObjective, syntheticSpace, type LossSurface } from './synthetic.js';
export type { TrialRecord, TrialStatus, TrialSource } from './trial.js';
