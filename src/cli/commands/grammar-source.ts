/**
 * Options shared by the grammar commands (grammar, sample, count, check): which
 * grammar to use (the generated U-Net grammar for --stages/--scale-max, or a
 * grammar-language file for --grammar) and integer ranges such as `4..7`.
 */
import { basename } from 'node:path';
import { Option, type Command } from 'commander';
import { UsageError } from '../../errors.js';
import type { Grammar } from '../../grammar/grammar.js';
import { readGrammarFile } from '../../grammar/parse.js';
import { readPlanFile } from '../../data/plan-file.js';
import type { GrammarRef } from '../../grammar/tree-types.js';
import { DEFAULT_S_MAX, MAX_SCALE, MAX_STAGES, unetGrammar, unetRef } from '../../grammar/unet.js';
import { CONFIDENCES, unetPrior, weightsPrior, type Confidence, type GrammarPrior } from '../../tree-sampling/prior.js';
import { intOption } from '../options.js';

export { MAX_SCALE, MAX_STAGES };

/** Parse `N` or `A..B` into the list of integers, each in min..max. */
export function rangeOption(flag: string, min: number, max: number) {
  const one = intOption(flag, min, max);
  return (value: string): number[] => {
    const m = /^(.*)\.\.(.*)$/.exec(value);
    if (!m) return [one(value)];
    const [from, to] = [one(m[1]!), one(m[2]!)];
    if (from > to) throw new UsageError(`${flag} range ${value} is empty (expected A..B with A <= B)`);
    return Array.from({ length: to - from + 1 }, (_, i) => from + i);
  };
}

export interface GrammarOptions {
  stages?: number;
  scaleMax: number;
  grammar?: string;
  plan?: string;
}

export const confidenceOption = () =>
  new Option('--confidence <level>', 'prior confidence (U-Net grammar); a --grammar file uses its own weights').choices(CONFIDENCES).default('medium');

/** --stages N, --scale-max S and --grammar FILE, for commands that work on one grammar. */
export function addGrammarOptions(cmd: Command): Command {
  return cmd
    .option('--stages <n>', `n_max, the planned number of stages (2..${MAX_STAGES}): use the U-Net grammar`, intOption('--stages', 2, MAX_STAGES))
    .option('--scale-max <s>', `s_max, the largest block-count scale (1..${MAX_SCALE})`, intOption('--scale-max', 1, MAX_SCALE), DEFAULT_S_MAX)
    .option('--grammar <file>', 'use a grammar-language file instead of the U-Net grammar')
    .option('--plan <plans.json>', 'take n_max from a plan (plans.json from `hnas plan`, or nnU-Net\'s nnUNetPlans.json)');
}

export interface ResolvedGrammar {
  readonly grammar: Grammar;
  readonly ref: GrammarRef;
  readonly prior: (confidence: Confidence) => GrammarPrior;
  readonly label: string;
}

export function resolveGrammar(opts: GrammarOptions): ResolvedGrammar {
  if (opts.grammar !== undefined) {
    if (opts.stages !== undefined || opts.plan !== undefined) throw new UsageError('give either --stages (the U-Net grammar) (or --plan) or --grammar <file>, not both');
    const grammar = readGrammarFile(opts.grammar);
    const name = basename(opts.grammar).replace(/\.[^.]*$/, '') || 'grammar';
    return { grammar, ref: { name }, prior: () => weightsPrior(grammar), label: `grammar ${opts.grammar}` };
  }
  if (opts.plan !== undefined && opts.stages !== undefined) throw new UsageError('give either --stages or --plan, not both');
  const stages = opts.plan !== undefined ? readPlanFile(opts.plan).nStages : opts.stages;
  if (stages === undefined) throw new UsageError('missing --stages <n> (or --plan <plans.json>, or --grammar <file>)');
  const { scaleMax } = opts;
  return {
    grammar: unetGrammar(stages, scaleMax),
    ref: unetRef(stages, scaleMax),
    prior: (confidence) => unetPrior(stages, scaleMax, confidence),
    label: `unet(n_max=${stages}, s_max=${scaleMax})`,
  };
}

/** Thousands separators for big counts. */
export const formatCount = (n: bigint): string => n.toLocaleString('en-US');
