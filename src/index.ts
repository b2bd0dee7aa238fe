/**
 * hnas as a library: the stable entry points of every layer, in data-flow order.
 *
 * Example:
 *   import { planDataset, train, predict, Study, MemoryStorage, hpoSpace } from 'hnas';
 *   const plan = planDataset('../shared/datasets/Task04_Hippocampus', { planner: 'resenc-m' });
 *
 * Everything here is public API (README, "Use it as a library"); deeper modules may change without notice.
 * The package ships TypeScript: import it from TypeScript, or run JavaScript with `node --import tsx`.
 */

// Errors: every fault a user can cause is an HnasError with a location.
export { HnasError, UsageError, GrammarSyntaxError, GrammarCheckError, TreeError, ConfigError, PlanError, ShapeError, DatasetError, TrainingFailure, StorageError, TrialStateError, type SourceLocation } from './errors.js';
export { Rng } from './util/rng.js';

// Data: datasets, fingerprints, plans (hnas's and nnU-Net's), evaluation.
export { loadDataset, readDatasetDescription, type Dataset, type DatasetCase, type LabelDef } from './data/dataset.js';
export { computeFingerprint, type Fingerprint } from './data/fingerprint.js';
export { readNnUNetFingerprint } from './data/nnunet-fingerprint.js';
export { PLANNERS, planExperiment, type PlannerSpec, type PlanOptions } from './data/planner.js';
export { readPlanFile, parseAnyPlan } from './data/plan-file.js';
export { toNnUNetPlans, toNnUNetDatasetJson } from './data/nnunet-plans.js';
export type { Plan, PlannedNetwork, Vec3 } from './data/plan-types.js';
export { evaluateFolders as evaluate, scoreCase, type EvaluationSummary, type EvaluateOptions, type CaseScores } from './data/evaluate.js';
export { METRICS, classMetrics, type ClassScore, type MetricName, type MetricSummary } from './data/metrics.js';
export { readNifti, writeNifti, niftiValues } from './data/nifti.js';

// Grammars, derivation trees, search spaces and configurations.
export type { Grammar } from './grammar/grammar.js';
export { unetGrammar, unetRules } from './grammar/unet.js';
export { parseGrammar, readGrammarFile } from './grammar/parse.js';
export { countDerivations } from './grammar/count.js';
export { parseTreeString, printTree } from './grammar/tree.js';
export { sampleTree } from './tree-sampling/sample.js';
export { unetPrior, weightsPrior, uniformPrior } from './tree-sampling/prior.js';
export { hpoSpace, nasSpace, hnasSpace, BUILTIN_SPACES } from './space/spaces.js';
export { parseSpace, readSpaceFile } from './space/schema.js';
export { defaultConfig, sampleConfig, mutateConfig, validateConfig } from './space/config.js';
export type { SearchSpace, Configuration, ParamDef } from './space/types.js';

// The compiler: tree / configuration + network plan -> U-Net IR, graph, ONNX.
export { compile, formatSummary, type CompiledModel, type CompileOptions, type CompileSource } from '../compiler/index.js';
export { compileTrainingStep } from '../compiler/train/index.js';

// The pipeline: train, predict, export one configuration.
export { planDataset, prepareTraining, type Prepared } from './pipeline/prepare.js';
export { train, trainModel, type TrainOptions, type TrainModelOptions, type TrainModelResult } from './pipeline/index.js';
export { predictFolder as predict, type PredictFolderOptions, type PredictFolderResult } from './pipeline/predict.js';
export { exportModel, type ExportOptions, type ExportResult } from './pipeline/export.js';
export { resolveConfiguration } from './pipeline/config.js';
export { readModelDir, type ModelDir } from './pipeline/model-dir.js';

// The optimiser: ask/tell studies over durable storage.
export { Study, MemoryStorage, SqliteStorage, makeSettings, ALGORITHM_NAMES, paretoFront, type Job, type Objective, type ObjectiveResult, type StudyOptions, type StudySettingsInput, type TrialRecord } from './optimize/index.js';
