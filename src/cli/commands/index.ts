/** Every CLI command, registered in the order `hnas --help` lists them. */
import type { Command } from 'commander';

import { registerBrackets } from './brackets.js';
import { registerStudy } from './study.js';
import { registerCompile } from './compile.js';
import { registerCheck } from './check.js';
import { registerCount } from './count.js';
import { registerGrammar } from './grammar.js';
import { registerSample } from './sample.js';
import { registerPlan } from './plan.js';
import { registerPreprocess } from './preprocess.js';
import { registerEvaluate } from './evaluate.js';
import { registerOptimize } from './optimize.js';
import { registerWorker } from './worker.js';
import { registerSlurm } from './slurm.js';
import { registerReport } from './report.js';
import { registerIncumbent } from './incumbent.js';
import { registerTrain } from './train.js';
import { registerPredict } from './predict.js';

export type RegisterCommand = (program: Command) => void;

export const commands: RegisterCommand[] = [
  registerGrammar,
  registerSample,
  registerCount,
  registerCheck,
  registerBrackets,
  registerStudy,
  registerCompile,
  registerPlan,
  registerPreprocess,
  registerTrain,
  registerPredict,
  registerEvaluate,
  registerOptimize,
  registerWorker,
  registerSlurm,
  registerReport,
  registerIncumbent,
];
