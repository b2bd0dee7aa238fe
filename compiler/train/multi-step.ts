/**
 * K optimiser steps per `session.run`: the training-step graph wrapped as the body of an ONNX
 * `Loop` over K stacked batches, with parameters, batch-norm statistics and optimiser state as
 * loop-carried values. onnxruntime-node copies every input and output of a run between host and
 * device (CUDA), so one run of K steps moves the parameters and the optimiser state once instead
 * of K times (`transferBytes`). K is a run-time value (the length of the `lr` input), so one
 * model serves any K.
 *
 * Inputs (same names as the single step): image [K, B, C, ...], labels [K, B, 1, ...], lr [K],
 * each dropout noise [K, ...]; params / buffers / state as in the single step. Outputs: the
 * updated params / buffers / state after the K-th step (same names), and loss, each loss term
 * and grad_norm per step as [K].
 */
import pkg from 'onnx-proto';
import type { StepSignature } from './step.js';

const { onnx } = pkg;
const STEPS = 'steps';
const FLOAT = onnx.TensorProto.DataType.FLOAT;

export interface TransferBytes {
  /** Bytes into session.run per call: batches, lr, noise, parameters, statistics, optimiser state. */
  readonly inputs: number;
  /** Bytes out per call: updated parameters, statistics and state, the scalar outputs. */
  readonly outputs: number;
  /** (inputs + outputs) / K. */
  readonly perStep: number;
  /** Of perStep: parameters + statistics + optimiser state, in and out. */
  readonly statePerStep: number;
}

const count = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** Host <-> device bytes of one run of K steps (float32 everywhere), and per step. */
export function transferBytes(sig: StepSignature, k = 1): TransferBytes {
  const perBatch = count(sig.image.shape) + count(sig.labels.shape) + 1 + sig.noise.reduce((a, n) => a + count(n.shape), 0);
  const carried = [...sig.params, ...sig.buffers, ...sig.state].reduce((a, s) => a + count(s.shape), 0);
  const scalars = 2 + Object.keys(sig.terms).length;
  const inputs = 4 * (k * perBatch + carried);
  const outputs = 4 * (carried + k * scalars);
  return { inputs, outputs, perStep: (inputs + outputs) / k, statePerStep: (8 * carried) / k };
}

/** The K-step model from the single-step model's bytes (`TrainingStep.onnx()`) and its signature. */
export function multiStepModel(singleStep: Uint8Array, sig: StepSignature): Uint8Array {
  const model = onnx.ModelProto.decode(singleStep);
  const g = model.graph!;
  // Body values get their own names: a subgraph may not reuse a name of the graph around it.
  const inner = (n: string) => (n ? `step/${n}` : '');
  const stacked = [sig.image.name, sig.labels.name, sig.lr, ...sig.noise.map((n) => n.name)];
  const carried = [...sig.params, ...sig.buffers, ...sig.state];
  const perStep = [sig.loss, ...Object.values(sig.terms), sig.gradNorm];
  const inputInfo = new Map(g.input!.map((v) => [v.name!, v]));
  const shapeOf = (name: string) => inputInfo.get(name)!.type!.tensorType!.shape!.dim!.map((d) => Number(d.dimValue));
  const info = (name: string, elemType: number, dims: readonly (number | string)[]): pkg.onnx.IValueInfoProto => ({
    name,
    type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  });

  const body: pkg.onnx.IGraphProto = {
    name: 'hnas_training_step_body',
    input: [info('step/iteration', onnx.TensorProto.DataType.INT64, []), info('step/cond_in', onnx.TensorProto.DataType.BOOL, []), ...carried.map((s) => info(inner(s.name), FLOAT, s.shape))],
    output: [info('step/cond_out', onnx.TensorProto.DataType.BOOL, []), ...carried.map((s) => info(inner(s.output), FLOAT, s.shape)), ...perStep.map((n) => info(inner(n), FLOAT, []))],
    initializer: g.initializer!.map((t) => ({ ...t, name: inner(t.name!) })),
    node: [
      { opType: 'Identity', input: ['step/cond_in'], output: ['step/cond_out'], name: 'step/cond' },
      // This iteration's batch, learning rate and noise: row `iteration` of the stacked inputs.
      ...stacked.map((n) => ({ opType: 'Gather', input: [n, 'step/iteration'], output: [inner(n)], name: `step/take/${n}`, attribute: [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 0 }] })),
      ...g.node!.map((node) => ({ ...node, input: node.input!.map(inner), output: node.output!.map(inner), name: inner(node.name ?? '') })),
    ],
  };

  const outer: pkg.onnx.IGraphProto = {
    name: 'hnas_training_steps',
    input: [...stacked.map((n) => info(n, FLOAT, [STEPS, ...shapeOf(n)])), ...carried.map((s) => info(s.name, FLOAT, s.shape))],
    output: [...carried.map((s) => info(s.output, FLOAT, s.shape)), ...perStep.map((n) => info(n, FLOAT, [STEPS]))],
    initializer: [
      { name: 'steps/true', dataType: onnx.TensorProto.DataType.BOOL, dims: [], int32Data: [1] },
      { name: 'steps/axis0', dataType: onnx.TensorProto.DataType.INT64, dims: [1], int64Data: [0] },
    ],
    node: [
      { opType: 'Shape', input: [sig.lr], output: ['steps/shape'], name: 'steps/shape' },
      { opType: 'Squeeze', input: ['steps/shape', 'steps/axis0'], output: ['steps/count'], name: 'steps/count' },
      {
        opType: 'Loop',
        name: 'steps/loop',
        input: ['steps/count', 'steps/true', ...carried.map((s) => s.name)],
        output: [...carried.map((s) => s.output), ...perStep],
        attribute: [{ name: 'body', type: onnx.AttributeProto.AttributeType.GRAPH, g: body }],
      },
    ],
  };
  const metadata = (model.metadataProps ?? []).filter((p) => p.key !== 'hnas.training_steps');
  metadata.push({ key: 'hnas.training_steps', value: JSON.stringify({ stacked, perStep, note: 'K = length of lr; see compiler/train/multi-step.ts' }) });
  return onnx.ModelProto.encode(onnx.ModelProto.fromObject({ ...onnx.ModelProto.toObject(model, { longs: Number }), graph: outer, metadataProps: metadata })).finish();
}
