/** Helpers: run a Graph through the ONNX emitter and onnxruntime-node. */
import * as ort from 'onnxruntime-node';
import type { Graph } from '../../compiler/graph/graph.js';
import type { LoweringOptions } from '../../compiler/onnx/context.js';
import { emitOnnx } from '../../compiler/onnx/emit.js';
import type { Weights } from '../../compiler/weights/init.js';
import { Rng } from '../../src/util/rng.js';

export async function runGraph(
  graph: Graph,
  weights: Weights,
  feeds: Record<string, { shape: number[]; data: Float32Array }>,
  lowering?: Partial<LoweringOptions>,
): Promise<Record<string, ort.Tensor>> {
  const session = await ort.InferenceSession.create(emitOnnx(graph, { weights, lowering }));
  try {
    const inputs: Record<string, ort.Tensor> = {};
    for (const [name, t] of Object.entries(feeds)) inputs[name] = new ort.Tensor('float32', t.data, t.shape);
    return await session.run(inputs);
  } finally {
    await session.release();
  }
}

export function randomArray(rng: Rng, n: number, scale = 1, offset = 0): Float32Array {
  return Float32Array.from({ length: n }, () => offset + scale * (2 * rng.float() - 1));
}

export const sizeOf = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
