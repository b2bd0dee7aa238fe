/** `hnas compile`: derivation tree (or NAS configuration) + plan -> ONNX inference model and architecture summary. */
import { existsSync, readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { compile, formatGraph, formatSummary, type CompileSource } from '../../../compiler/index.js';
import { readNetworkPlan } from '../../data/plan-file.js';
import { compileTrainingStep, parseLossKind, parseOptimizerKind } from '../../../compiler/train/index.js';
import { isNasConfig } from '../../../compiler/ir/from-config.js';
import { validatePlan } from '../../../compiler/ir/plan.js';
import type { NetworkPlan, Vec3 } from '../../data/plan-types.js';
import { inFile, TreeError, UsageError } from '../../errors.js';
import { parseTreeString } from '../../grammar/tree.js';
import { parseTreeFile } from '../../grammar/tree-file.js';
import { writeFileAtomic } from '../../util/fs.js';
import { output } from '../output.js';
import { intOption, parsePatch, seedOption } from '../options.js';
import { parseJsonText } from '../../util/json.js';

interface CompileFlags {
  output?: string;
  plan?: string;
  channels?: number;
  classes?: number;
  patch?: Vec3;
  strides?: Vec3[];
  kernels?: Vec3[];
  batch?: number;
  seed: number;
  weights?: string;
  saveWeights?: string;
  saveIr?: string;
  baseFeatures?: number;
  maxFeatures?: number;
  dropoutRate?: number;
  deepSupervision: boolean;
  convTranspose: string;
  printGraph?: boolean;
  json?: boolean;
  train?: boolean;
  loss: string;
  optimizer: string;
}

export function registerCompile(program: Command): void {
  program
    .command('compile')
    .description('compile a U-Net derivation tree (tree.json) or a NAS configuration (JSON) for a plan into an ONNX inference model')
    .argument('<source>', 'a tree.json file (format hnas-tree), a file holding a bracketed tree, the bracketed tree itself "(S unet ...)" as `hnas sample` prints it, or a NAS configuration JSON file {encoderType, modelScale, ...}')
    .option('-o, --output <file>', 'write the ONNX model here (weights as initializers, batch dimension N)')
    .option('--plan <file>', 'plan JSON: a NetworkPlan, a plans.json holding one under "network", or nnU-Net\'s nnUNetPlans.json')
    .option('--channels <n>', 'input channels (without --plan)', intOption('--channels', 1))
    .option('--classes <n>', 'classes including background (without --plan)', intOption('--classes', 1))
    .option('--patch <dxhxw>', 'patch size, e.g. 40x56x40 (without --plan)', (v) => parsePatch(v))
    .option('--strides <list>', 'per-stage strides, e.g. 1,2,2,2 or 1x1x1,1x2x2,2x2x2 (without --plan)', vecListOption('--strides'))
    .option('--kernels <list>', 'per-stage kernels, e.g. 3 (all stages) or 1x3x3,3x3x3 (default 3 everywhere)', vecListOption('--kernels'))
    .option('--batch <n>', 'batch size for the memory estimate (default: the plan\'s, else 2)', intOption('--batch', 1))
    .addOption(seedOption('seed of the weight initialisation'))
    .option('--weights <file>', 'load these weights (safetensors) instead of initialising')
    .option('--save-weights <file>', 'also write the weights as safetensors')
    .option('--save-ir <file>', 'also write the U-Net IR as JSON')
    .option('--base-features <n>', 'features of stage 0 (default 32, or the NAS configuration\'s)', intOption('--base-features', 1))
    .option('--max-features <n>', 'feature cap (default 320, or the NAS configuration\'s)', intOption('--max-features', 1))
    .option('--dropout-rate <p>', 'rate where the tree says "dropout" (default 0.2)', rateOption)
    .option('--no-deep-supervision', 'only the full-resolution segmentation head')
    .option('--conv-transpose <how>', 'lowering of the transposed conv: conv1x1 or native', 'conv1x1')
    .option('--train', 'write the training-step graph (forward, loss, backward, optimiser update) instead; inputs/outputs in docs/training.md')
    .option('--loss <kind>', 'with --train: dice_ce, dice, ce, topk or dice_topk', 'dice_ce')
    .option('--optimizer <kind>', 'with --train: sgd (momentum 0.99, Nesterov, wd 3e-5), adam or adamw', 'sgd')
    .option('--print-graph', 'also print the op graph, one line per op')
    .option('--json', 'machine-readable output')
    .action((sourceFile: string, opts: CompileFlags) => {
      if (!['conv1x1', 'native'].includes(opts.convTranspose)) throw new UsageError(`--conv-transpose must be conv1x1 or native, got '${opts.convTranspose}'`);
      const plan = planFrom(opts);
      const source = readSource(sourceFile);
      const model = locatedIn(source.file, () => compile(source.source, plan, {
        seed: opts.seed,
        baseFeatures: opts.baseFeatures,
        maxFeatures: opts.maxFeatures,
        dropoutRate: opts.dropoutRate,
        deepSupervision: opts.deepSupervision,
        weights: opts.weights ? readBytes(opts.weights) : undefined,
        weightsFile: opts.weights,
        lowering: { convTranspose: opts.convTranspose as 'conv1x1' | 'native' },
      }));
      // Everything is computed before anything is written, so an error leaves no partial output.
      const files: Record<string, string> = {};
      const train = opts.train ? { loss: { kind: parseLossKind(opts.loss) }, optimizer: { kind: parseOptimizerKind(opts.optimizer) } } : undefined;
      const onnx = opts.output ? (train ? compileTrainingStep(model, train).onnx({ convTranspose: opts.convTranspose as 'conv1x1' | 'native' }) : model.onnx()) : undefined;
      const weights = opts.saveWeights ? model.safetensors() : undefined;
      if (onnx) writeFileAtomic((files.onnx = opts.output!), onnx);
      if (weights) writeFileAtomic((files.weights = opts.saveWeights!), weights);
      if (opts.saveIr) writeFileAtomic((files.ir = opts.saveIr), `${JSON.stringify(model.ir, null, 2)}\n`);
      output(!!opts.json, { ir: model.ir, cost: model.cost, outputs: model.outputs.map((o) => ({ name: o, shape: model.graph.shape(o) })), files }, () =>
        [formatSummary(model), ...(opts.printGraph ? ['', formatGraph(model.graph), ''] : []), ...Object.entries(files).map(([k, f]) => `wrote ${k}: ${f}`)].join('\n'));
    });
}

function planFrom(o: CompileFlags): NetworkPlan {
  const flags = [o.channels, o.classes, o.patch, o.strides, o.kernels].some((v) => v !== undefined);
  if (o.plan) {
    if (flags) throw new UsageError('give either --plan or the plan flags (--channels --classes --patch --strides --kernels), not both');
    const plan = readNetworkPlan(o.plan);
    return o.batch ? { ...plan, batchSize: o.batch } : plan;
  }
  const missing = (['channels', 'classes', 'patch', 'strides'] as const).filter((k) => o[k] === undefined);
  if (missing.length) throw new UsageError(`without --plan, give ${missing.map((m) => `--${m}`).join(' ')}`);
  const n = o.strides!.length;
  const kernels = o.kernels ?? [[3, 3, 3]];
  if (kernels.length !== 1 && kernels.length !== n) throw new UsageError(`--kernels has ${kernels.length} stages, --strides ${n} (give one kernel for all, or one per stage)`);
  return validatePlan(
    { inputChannels: o.channels, numClasses: o.classes, patchSize: o.patch, batchSize: o.batch ?? 2, strides: o.strides, kernelSizes: kernels.length === 1 ? o.strides!.map(() => kernels[0]) : kernels },
    'command-line plan',
  );
}

/** Errors about the source's content name its file (when it is one). */
function locatedIn<T>(file: string | undefined, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw file === undefined ? err : inFile(err, file);
  }
}

/** The source argument: a file, or the bracketed tree itself. */
function readSource(arg: string): { source: CompileSource; file?: string } {
  // The bracketed tree form, as `hnas sample` prints it: (S unet (E4 ...) (D4 ...)).
  const bracketed = (text: string, file?: string) => ({ source: locatedIn(file, () => parseTreeString(text)), file });
  if (arg.trimStart().startsWith('(') && !existsSync(arg)) return bracketed(arg);
  let text: string;
  try {
    text = readFileSync(arg, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${arg} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): give a tree file, a NAS configuration file or a bracketed tree "(S unet ...)"`);
  }
  if (text.trimStart().startsWith('(')) return bracketed(text, arg);
  const json = parseJsonText(text, arg, TreeError, 'JSON (expected a tree file, a bracketed tree or a NAS configuration)');
  return { source: isNasConfig(json) ? json : parseTreeFile(json, arg), file: arg };
}

function readBytes(file: string): Uint8Array {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as Error).message}`);
  }
}

function parseVec(flag: string, text: string): Vec3 {
  const parts = text.split('x').map(Number);
  if (parts.length === 1) parts.push(parts[0]!, parts[0]!);
  if (parts.length !== 3 || !parts.every((p) => Number.isInteger(p) && p > 0)) throw new UsageError(`${flag}: expected a positive size like 3 or 1x3x3, got '${text}'`);
  return parts as Vec3;
}

function vecListOption(flag: string) {
  return (v: string): Vec3[] => v.split(',').map((p) => parseVec(flag, p.trim()));
}

function rateOption(v: string): number {
  const r = Number(v);
  if (!(r >= 0 && r < 1)) throw new UsageError(`--dropout-rate must be a number in [0, 1), got '${v}'`);
  return r;
}
