/** Finite-difference gradient checks: ONNX training graph (onnxruntime, float32) vs float64 central differences. */
import * as ort from 'onnxruntime-node';
import { gradients } from '../../../compiler/autodiff/engine.js';
import { prune, replay } from '../../../compiler/graph/replay.js';
import type { Graph } from '../../../compiler/graph/graph.js';
import type { LoweringOptions } from '../../../compiler/onnx/context.js';
import { emitOnnx } from '../../../compiler/onnx/emit.js';
import { Rng } from '../../../src/util/rng.js';
import { run64, type T64 } from './reference64.js';

export const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** Values in [-1, 1] kept at least `gap` away from 0 (so kinks of ReLU-type ops are not straddled). */
export function randomT64(rng: Rng, shape: number[], kind: 'any' | 'positive' | 'away' = 'away'): T64 {
  const data = Float64Array.from({ length: size(shape) }, () => {
    const u = rng.float();
    if (kind === 'positive') return 0.5 + u;
    if (kind === 'any') return 2 * u - 1;
    return (rng.float() < 0.5 ? -1 : 1) * (0.2 + 0.8 * u);
  });
  return { shape, data };
}

/** Runs a graph (parameters as inputs) in onnxruntime; returns the named outputs as float64. */
export async function runOrt(graph: Graph, feeds: ReadonlyMap<string, T64>, lowering?: Partial<LoweringOptions>): Promise<Map<string, Float64Array>> {
  const session = await ort.InferenceSession.create(emitOnnx(graph, { params: 'inputs', lowering }), { intraOpNumThreads: 1, interOpNumThreads: 1 });
  try {
    const inputs: Record<string, ort.Tensor> = {};
    for (const name of [...graph.inputs, ...graph.params.keys()]) {
      const t = feeds.get(name);
      if (!t) throw new Error(`no feed for '${name}'`);
      inputs[name] = new ort.Tensor('float32', Float32Array.from(t.data), t.shape);
    }
    const out = await session.run(inputs);
    return new Map(Object.entries(out).map(([k, v]) => [k, Float64Array.from(v.data as Float32Array)]));
  } finally {
    await session.release();
  }
}

export interface GradCheck {
  readonly name: string;
  /** max |ours - finite difference| / max(|finite difference|, floor). */
  readonly error: number;
}

/**
 * Differentiates scalar `loss` of `forward` w.r.t. `wrt` with the autodiff engine, runs the
 * gradient graph in onnxruntime and compares with float64 central differences of `forward`
 * evaluated by the reference interpreter (at most `samples` random coordinates per tensor).
 */
export async function checkGradients(forward: Graph, loss: string, wrt: readonly string[], feeds: ReadonlyMap<string, T64>, opts: { samples?: number; seed?: number; h?: number; directional?: boolean; lowering?: Partial<LoweringOptions> } = {}): Promise<GradCheck[]> {
  const graph = replay(forward);
  graph.outputs.splice(0);
  const grads = gradients(graph, loss, wrt);
  for (const w of wrt) graph.output(grads.get(w)!);
  const ours = await runOrt(prune(graph), feeds, opts.lowering);
  const rng = Rng.seeded(opts.seed ?? 7);
  const h = opts.h ?? 1e-5;
  const lossAt = (name: string, i: number, delta: number) => {
    const t = feeds.get(name)!;
    const data = Float64Array.from(t.data);
    data[i]! += delta;
    return run64(forward, new Map([...feeds, [name, { shape: t.shape, data }]])).get(loss)!.data[0]!;
  };
  if (opts.directional) return wrt.map((name) => directional(forward, loss, name, feeds, ours.get(grads.get(name)!)!, rng, h));
  return wrt.map((name) => {
    const got = ours.get(grads.get(name)!)!;
    const n = feeds.get(name)!.data.length;
    const picks = n <= (opts.samples ?? Infinity) ? [...Array(n).keys()] : Array.from({ length: opts.samples! }, () => rng.int(n));
    let maxDiff = 0;
    let maxRef = 0;
    for (const i of picks) {
      const fd = (lossAt(name, i, h) - lossAt(name, i, -h)) / (2 * h);
      maxDiff = Math.max(maxDiff, Math.abs(fd - got[i]!));
      maxRef = Math.max(maxRef, Math.abs(fd));
    }
    return { name, error: maxDiff / Math.max(maxRef, 1e-2) };
  });
}

/**
 * Directional check for big tensors: along a random direction v, (L(x + h v) - L(x - h v)) / 2h
 * against <grad, v>; every coordinate of the gradient takes part, at two evaluations per tensor.
 */
function directional(forward: Graph, loss: string, name: string, feeds: ReadonlyMap<string, T64>, got: Float64Array, rng: Rng, h: number): GradCheck {
  const t = feeds.get(name)!;
  const v = Float64Array.from(t.data, () => 2 * rng.float() - 1);
  const at = (s: number) => run64(forward, new Map([...feeds, [name, { shape: t.shape, data: t.data.map((x, i) => x + s * v[i]!) }]])).get(loss)!.data[0]!;
  const fd = (at(h) - at(-h)) / (2 * h);
  const dot = got.reduce((a, g, i) => a + g * v[i]!, 0);
  const norm = Math.sqrt(got.reduce((a, g) => a + g * g, 0)) * Math.sqrt(v.reduce((a, x) => a + x * x, 0) / v.length);
  return { name, error: Math.abs(fd - dot) / Math.max(Math.abs(fd), norm, 1e-2) };
}
