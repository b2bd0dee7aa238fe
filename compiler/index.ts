/**
 * The compiler's public entry point: a derivation tree (or NAS configuration) and a
 * network plan in; the U-Net IR, the op graph, seeded weights, a cost summary and the
 * ONNX model out.
 *
 * @example
 *   const model = compile(treeFile, plan, { seed: 1 });
 *   writeFileAtomic('model.onnx', model.onnx());
 *   console.log(formatSummary(model));
 */
import { TreeError } from '../src/errors.js';
import { Rng } from '../src/util/rng.js';
import { buildUNetGraph } from './graph/build-unet.js';
import { summarizeCost, type CostSummary } from './graph/cost.js';
import type { Graph } from './graph/graph.js';
import type { Architecture } from './ir/architecture.js';
import { architectureFromNasConfig, isNasConfig, type NasConfig } from './ir/from-config.js';
import { architectureFromTree } from './ir/from-tree.js';
import { validatePlan, type NetworkPlan } from './ir/plan.js';
import type { GrammarRef, TreeFile, TreeNode } from './ir/tree-types.js';
import { buildUNetIR, formatIR, type IROptions, type UNetIR } from './ir/unet.js';
import type { LoweringOptions } from './onnx/context.js';
import { assertFitsOneFile, emitOnnx } from './onnx/emit.js';
import { initWeights, matchWeights, type Weights } from './weights/init.js';
import { decodeSafetensors, encodeSafetensors } from './weights/safetensors.js';

export interface CompileOptions extends IROptions {
  /** Seed of the weight initialisation (default 0). */
  readonly seed?: number;
  /** Saved weights (safetensors bytes or a Weights map) instead of a fresh initialisation. */
  readonly weights?: Uint8Array | Weights;
  /** Name of the weight file, for error messages. */
  readonly weightsFile?: string;
  readonly lowering?: Partial<LoweringOptions>;
}

export interface CompiledModel {
  readonly architecture: Architecture;
  readonly ir: UNetIR;
  readonly graph: Graph;
  /** Output names, highest resolution first. */
  readonly outputs: readonly string[];
  /** Parameter values (initialised on first access when no weights were given). */
  readonly weights: Weights;
  readonly cost: CostSummary;
  /** The self-contained inference model (weights as initializers, symbolic batch 'N'). */
  onnx(): Uint8Array;
  /** The weights as a safetensors file (names = graph parameter names). */
  safetensors(): Uint8Array;
}

export type CompileSource = TreeNode | TreeFile | NasConfig;

export function compile(source: CompileSource, plan: NetworkPlan | unknown, options: CompileOptions = {}): CompiledModel {
  const checked = validatePlan(plan);
  const { architecture, irOptions } = architectureOf(source, checked.strides.length);
  const ir = buildUNetIR(architecture, checked, { ...irOptions, ...definedOnly(options) });
  const { graph, outputs } = buildUNetGraph(ir);
  // Weights are made on first use: IR, graph and cost queries stay cheap for large networks.
  let weights: Weights | undefined;
  const getWeights = (): Weights => (weights ??= weightsFor(graph, options));
  if (options.weights !== undefined) getWeights(); // check a given weight file at once
  const cost = summarizeCost(graph, ir.batchSize);
  return {
    architecture,
    ir,
    graph,
    outputs,
    get weights() {
      return getWeights();
    },
    cost,
    onnx: () => {
      assertFitsOneFile(graph); // before initialising gigabytes of weights
      return emitOnnx(graph, { weights: getWeights(), lowering: options.lowering, metadata: { 'hnas.unet_ir': JSON.stringify(ir) } });
    },
    safetensors: () =>
      encodeSafetensors(new Map([...graph.params.values()].map((p) => [p.name, { shape: p.shape, data: getWeights().get(p.name)! }])), { format: 'hnas', 'hnas.unet_ir': JSON.stringify(ir) }),
  };
}

function weightsFor(graph: Graph, options: CompileOptions): Weights {
  const w = options.weights;
  if (w === undefined) return initWeights(graph, Rng.seeded(options.seed ?? 0));
  if (w instanceof Uint8Array) return matchWeights(graph, decodeSafetensors(w, options.weightsFile).tensors, options.weightsFile);
  return matchWeights(graph, new Map([...w].map(([n, d]) => [n, { shape: graph.params.get(n)?.shape ?? [d.length], data: d }])), options.weightsFile);
}

function architectureOf(source: CompileSource, planStages: number): { architecture: Architecture; irOptions: IROptions } {
  if (isNasConfig(source)) {
    const { arch, options } = architectureFromNasConfig(source, planStages);
    return { architecture: arch, irOptions: options };
  }
  if (typeof source !== 'object' || source === null) throw new TreeError('expected a derivation tree, a tree file or a NAS configuration');
  if ('format' in source) {
    if (source.format !== 'hnas-tree') throw new TreeError(`expected format 'hnas-tree', got '${String(source.format)}'`, { path: '$.format' });
    return { architecture: architectureFromTree(source.tree, source.grammar as GrammarRef), irOptions: {} };
  }
  return { architecture: architectureFromTree(source), irOptions: {} };
}

/** Options the caller actually set, so they override a NAS configuration's own values only when given. */
function definedOnly(o: CompileOptions): IROptions {
  const r: Record<string, unknown> = {};
  for (const k of ['baseFeatures', 'maxFeatures', 'dropoutRate', 'deepSupervision'] as const) if (o[k] !== undefined) r[k] = o[k];
  return r as IROptions;
}

/** Human-readable architecture and cost summary. */
export function formatSummary(m: CompiledModel): string {
  const c = m.cost;
  const g = (x: number) => (x >= 1e9 ? `${(x / 1e9).toFixed(2)} G` : x >= 1e6 ? `${(x / 1e6).toFixed(2)} M` : x >= 1e3 ? `${(x / 1e3).toFixed(1)} k` : `${x}`);
  return [
    formatIR(m.ir),
    `parameters: ${c.parameters.toLocaleString('en-US')}${c.buffers ? ` (+ ${c.buffers.toLocaleString('en-US')} norm statistics)` : ''}`,
    `FLOPs per forward pass: ${g(c.flopsPerSample)}FLOP per sample, ${g(c.flopsPerSample * c.batchSize)}FLOP per batch of ${c.batchSize}`,
    `activation memory (batch ${c.batchSize}): ${(c.activationBytes / 2 ** 20).toFixed(1)} MiB of op outputs; nnU-Net estimate ${g(c.convOutputElementsPerSample * c.batchSize)} conv-output elements`,
    `outputs: ${m.outputs.map((o) => `${o} [N, ${m.graph.shape(o).slice(1).join(', ')}]`).join(', ')}`,
  ].join('\n');
}

export { architectureFromTree } from './ir/from-tree.js';
export { architectureFromNasConfig, DEFAULT_NAS_CONFIG, type NasConfig } from './ir/from-config.js';
export { buildUNetIR, formatIR, type UNetIR } from './ir/unet.js';
export { validatePlan, readNetworkPlanFile, type NetworkPlan, type Vec3 } from './ir/plan.js';
export type { GrammarRef, TreeChild, TreeFile, TreeNode } from './ir/tree-types.js';
export { emitOnnx } from './onnx/emit.js';
export { formatGraph } from './graph/print.js';
export { buildUNetGraph } from './graph/build-unet.js';
export { initWeights, matchWeights, type Weights } from './weights/init.js';
export { encodeSafetensors, decodeSafetensors, WeightFileError } from './weights/safetensors.js';
export type { Architecture } from './ir/architecture.js';
