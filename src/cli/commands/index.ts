/**
 * Every CLI command, in the order `hnas --help` lists them. A command's module is loaded only
 * when it runs (or for --help), so `hnas count` never loads onnxruntime, SQLite or vega.
 */
import type { Command } from 'commander';

export type RegisterCommand = (program: Command) => void;

export interface CommandEntry {
  /** The command's name on the command line. */
  readonly name: string;
  readonly load: () => Promise<RegisterCommand>;
}

export const commands: readonly CommandEntry[] = [
  { name: 'grammar', load: async () => (await import('./grammar.js')).registerGrammar },
  { name: 'sample', load: async () => (await import('./sample.js')).registerSample },
  { name: 'count', load: async () => (await import('./count.js')).registerCount },
  { name: 'check', load: async () => (await import('./check.js')).registerCheck },
  { name: 'brackets', load: async () => (await import('./brackets.js')).registerBrackets },
  { name: 'study', load: async () => (await import('./study.js')).registerStudy },
  { name: 'compile', load: async () => (await import('./compile.js')).registerCompile },
  { name: 'plan', load: async () => (await import('./plan.js')).registerPlan },
  { name: 'preprocess', load: async () => (await import('./preprocess.js')).registerPreprocess },
  { name: 'train', load: async () => (await import('./train.js')).registerTrain },
  { name: 'predict', load: async () => (await import('./predict.js')).registerPredict },
  { name: 'export', load: async () => (await import('./export.js')).registerExport },
  { name: 'evaluate', load: async () => (await import('./evaluate.js')).registerEvaluate },
  { name: 'optimize', load: async () => (await import('./optimize.js')).registerOptimize },
  { name: 'worker', load: async () => (await import('./worker.js')).registerWorker },
  { name: 'slurm', load: async () => (await import('./slurm.js')).registerSlurm },
  { name: 'report', load: async () => (await import('./report.js')).registerReport },
  { name: 'importance', load: async () => (await import('./importance.js')).registerImportance },
  { name: 'compare', load: async () => (await import('./compare.js')).registerCompare },
  { name: 'overlay', load: async () => (await import('./overlay.js')).registerOverlay },
  { name: 'transfer', load: async () => (await import('./transfer.js')).registerTransfer },
  { name: 'dashboard', load: async () => (await import('./dashboard.js')).registerDashboard },
  { name: 'auto', load: async () => (await import('./auto.js')).registerAuto },
  { name: 'incumbent', load: async () => (await import('./incumbent.js')).registerIncumbent },
  { name: 'doctor', load: async () => (await import('./doctor.js')).registerDoctor },
  { name: 'generate-dataset', load: async () => (await import('./generate-dataset.js')).registerGenerateDataset },
  { name: 'setup', load: async () => (await import('./setup.js')).registerSetup },
];

/** Registers the commands `argv` can run: the one it names, else all of them (for help and suggestions). */
export async function registerCommands(program: Command, argv: readonly string[] = []): Promise<void> {
  const named = commands.filter((c) => c.name === argv[0]);
  for (const c of named.length ? named : commands) (await c.load())(program);
}
