/**
 * The training-step graph: forward (training form) -> loss -> gradients -> global-norm
 * clipping -> optimiser update, as one ordinary ONNX graph that onnxruntime runs with
 * InferenceSession. Parameters and optimiser state go in as inputs and come out updated;
 * the signature (stored in the model's metadata as `hnas.training_step`) lists every
 * input and output so other tools can drive it. See docs/training.md.
 *
 * @example
 *   const model = compile(tree, plan);
 *   const step = buildTrainingStep(model.graph, model.outputs, { batchSize: 2 });
 *   writeFileAtomic('step.onnx', step.onnx());
 */
import { ConfigError } from '../../src/errors.js';
import { GraphBuilder } from '../graph/builder.js';
import { dependencies, gradients } from '../autodiff/engine.js';
import { prune } from '../graph/replay.js';
import type { Graph } from '../graph/graph.js';
import { emitOnnx } from '../onnx/emit.js';
import type { LoweringOptions } from '../onnx/context.js';
import { supervisedLoss } from './deep-supervision.js';
import { trainingForward } from './forward.js';
import { DEFAULT_LOSS, LOSSES, type LossOptions } from './losses.js';
import { clipByGlobalNorm, DEFAULT_OPTIMIZER, OPTIMIZERS, type OptimizerOptions } from './optimizers.js';

export interface TrainingStepOptions {
  readonly batchSize: number;
  readonly loss?: Partial<LossOptions>;
  readonly optimizer?: Partial<OptimizerOptions>;
  /** Global gradient-norm limit (nnU-Net: 12); null turns clipping off. */
  readonly clipNorm?: number | null;
  /** Dropout layers active (default true); false makes the step deterministic given its inputs. */
  readonly dropout?: boolean;
}

export interface TensorSlot {
  /** Graph input name. */
  readonly name: string;
  readonly shape: readonly number[];
  /** Graph output holding the value after the step. */
  readonly output: string;
}

export interface StepSignature {
  readonly format: 'hnas-training-step';
  readonly version: 1;
  readonly batchSize: number;
  /** Image batch [B, C_in, ...patch] and labels [B, 1, ...patch] (float class ids, -1 = ignore). */
  readonly image: { readonly name: string; readonly shape: readonly number[] };
  readonly labels: { readonly name: string; readonly shape: readonly number[] };
  /** Scalar learning rate. */
  readonly lr: string;
  /** Uniform [0, 1) noise per dropout layer, one value per sample and channel ([N, C, 1, 1, 1]). */
  readonly noise: readonly { readonly name: string; readonly shape: readonly number[] }[];
  readonly params: readonly TensorSlot[];
  /** Batch-norm running statistics. */
  readonly buffers: readonly TensorSlot[];
  /** Optimiser state, zero at the start (includes the scalar step count `opt.step`). */
  readonly state: readonly TensorSlot[];
  /** Scalar outputs: total loss, each term, the gradient norm before clipping. */
  readonly loss: string;
  readonly terms: Readonly<Record<string, string>>;
  readonly gradNorm: string;
  readonly options: { readonly loss: LossOptions; readonly optimizer: OptimizerOptions; readonly clipNorm: number | null; readonly dropout: boolean };
}

export interface TrainingStep {
  readonly graph: Graph;
  readonly signature: StepSignature;
  onnx(lowering?: Partial<LoweringOptions>): Uint8Array;
}

export const IMAGE_INPUT = 'input';
export const LABEL_INPUT = 'target';
export const LR_INPUT = 'lr';
export const STEP_STATE = 'opt.step';
const updated = (name: string) => `updated.${name}`;

export function buildTrainingStep(inference: Graph, heads: readonly string[], options: TrainingStepOptions): TrainingStep {
  const lossOptions: LossOptions = { ...DEFAULT_LOSS, ...options.loss };
  const opt: OptimizerOptions = { ...DEFAULT_OPTIMIZER, ...options.optimizer };
  if (!(lossOptions.kind in LOSSES)) throw new ConfigError(`unknown loss '${lossOptions.kind}'; expected one of ${Object.keys(LOSSES).join(', ')}`);
  if (!(opt.kind in OPTIMIZERS)) throw new ConfigError(`unknown optimizer '${opt.kind}'; expected one of ${Object.keys(OPTIMIZERS).join(', ')}`);
  if (!(Number.isInteger(options.batchSize) && options.batchSize >= 1)) throw new ConfigError(`batch size must be a positive integer, got ${options.batchSize}`);
  const clipNorm = options.clipNorm === undefined ? 12 : options.clipNorm;
  const dropout = options.dropout ?? true;

  const { graph: g, runningStats, noiseInputs } = trainingForward(inference, { batchSize: options.batchSize, dropout });
  g.outputs.splice(0);
  const image = g.shape(IMAGE_INPUT) as number[];
  const labelShape = [options.batchSize, 1, ...image.slice(2)];
  const labels = g.input(LABEL_INPUT, labelShape);
  const lr = g.input(LR_INPUT, []);
  const stepIn = g.input(STEP_STATE, []);

  const loss = supervisedLoss(new GraphBuilder(g, 'loss_fn'), heads, labels, lossOptions);
  const b = new GraphBuilder(g, 'optimizer');
  // Parameters the loss does not use (the lowest-resolution head, weight 0) stay as they are, as in
  // PyTorch, where they get no gradient and the optimiser skips them (no weight decay either).
  const used = dependencies(g, loss.total);
  const trainable = [...g.params.values()].filter((p) => p.trainable && used.has(p.name));
  const frozen = [...g.params.values()].filter((p) => p.trainable && !used.has(p.name));
  const grads = gradients(g, loss.total, trainable.map((p) => p.name));
  const clipped = clipNorm === null
    ? { grads: trainable.map((p) => grads.get(p.name)!), norm: b.sqrt(trainable.map((p) => b.total(b.mul(grads.get(p.name)!, grads.get(p.name)!))).reduce((x, y) => b.add(x, y))) }
    : clipByGlobalNorm(b, trainable.map((p) => grads.get(p.name)!), clipNorm);
  const t = b.affine(stepIn, 1, 1);
  const def = OPTIMIZERS[opt.kind];

  const name = (value: string, as: string) => {
    g.op('unary', as, [value], { fn: 'identity' });
    g.output(as);
    return as;
  };
  const params: TensorSlot[] = [];
  const state: TensorSlot[] = [{ name: STEP_STATE, shape: [], output: name(t, updated(STEP_STATE)) }];
  trainable.forEach((p, i) => {
    const slots = Object.fromEntries(def.slots.map((s) => [s, g.input(`opt.${s}.${p.name}`, p.shape)]));
    const next = def.update({ b, param: p.name, grad: clipped.grads[i]!, state: slots, lr, t, o: opt });
    params.push({ name: p.name, shape: p.shape, output: name(next.param, updated(p.name)) });
    for (const s of def.slots) state.push({ name: slots[s]!, shape: p.shape, output: name(next.state[s]!, updated(slots[s]!)) });
  });
  for (const p of frozen) params.push({ name: p.name, shape: p.shape, output: name(p.name, updated(p.name)) });
  const buffers = [...runningStats].map(([param, value]) => ({ name: param, shape: g.params.get(param)!.shape, output: name(value, updated(param)) }));
  const lossOut = name(loss.total, 'loss');
  const terms = Object.fromEntries([...loss.terms].map(([term, v]) => [term, name(v, `loss.${term}`)]));
  const gradNorm = name(clipped.norm, 'grad_norm');

  const graph = prune(g);
  const signature: StepSignature = {
    format: 'hnas-training-step',
    version: 1,
    batchSize: options.batchSize,
    image: { name: IMAGE_INPUT, shape: image },
    labels: { name: LABEL_INPUT, shape: labelShape },
    lr: LR_INPUT,
    noise: noiseInputs.map((n) => ({ name: n, shape: graph.shape(n) as number[] })),
    params,
    buffers,
    state,
    loss: lossOut,
    terms,
    gradNorm,
    options: { loss: lossOptions, optimizer: opt, clipNorm, dropout },
  };
  return {
    graph,
    signature,
    onnx: (lowering) => emitOnnx(graph, { params: 'inputs', lowering, graphName: 'hnas_training_step', metadata: { 'hnas.training_step': JSON.stringify(signature) } }),
  };
}
