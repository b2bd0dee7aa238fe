/**
 * Parameter values for a graph: seeded initialisation by each parameter's InitRule, and
 * loading a saved set (checked name by name and shape by shape against the graph).
 */
import type { Rng } from '../../src/util/rng.js';
import type { Graph } from '../graph/graph.js';
import { WeightFileError } from './safetensors.js';

/** Parameter name -> float32 values (row-major, in the parameter's shape). */
export type Weights = Map<string, Float32Array>;

/**
 * He-normal (Kaiming) weights, std = gain / sqrt(fanIn) with gain = sqrt(2 / (1 + slope^2)),
 * and constant fills (zero biases, unit norm scales, zero-initialised residual norms).
 * Parameters are drawn in declaration order, so a seed gives the same network every time.
 */
export function initWeights(graph: Graph, rng: Rng): Weights {
  const weights: Weights = new Map();
  for (const p of graph.params.values()) {
    const data = new Float32Array(p.shape.reduce((a, b) => a * b, 1));
    if (p.init.kind === 'fill') data.fill(p.init.value);
    else {
      const std = Math.sqrt(2 / (1 + p.init.slope ** 2)) / Math.sqrt(p.init.fanIn);
      fillNormal(data, std, rng.int(2 ** 32));
    }
    weights.set(p.name, data);
  }
  return weights;
}

/**
 * Fills `out` with N(0, std^2) draws. Networks hold up to ~10^8 weights, so each tensor
 * gets one seed from the caller's Rng and a fast local generator (sfc32, 32-bit, by
 * Chris Doty-Humphrey) feeds Marsaglia's polar method: about 10x faster than Rng.normal().
 */
function fillNormal(out: Float32Array, std: number, seed: number): void {
  let a = 0x9e3779b9, b = 0x243f6a88, c = 0xb7e15162, d = seed | 0;
  const next = () => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 12; i++) next(); // mix the seed in
  for (let i = 0; i < out.length; ) {
    const u = 2 * next() - 1;
    const v = 2 * next() - 1;
    const s = u * u + v * v;
    if (s >= 1 || s === 0) continue;
    const f = std * Math.sqrt((-2 * Math.log(s)) / s);
    out[i++] = u * f;
    if (i < out.length) out[i++] = v * f;
  }
}

/** Checks that `tensors` holds exactly the graph's parameters with their shapes; returns them as Weights. */
export function matchWeights(graph: Graph, tensors: ReadonlyMap<string, { shape: readonly number[]; data: Float32Array }>, file?: string): Weights {
  const missing = [...graph.params.keys()].filter((n) => !tensors.has(n));
  const unexpected = [...tensors.keys()].filter((n) => !graph.params.has(n));
  if (missing.length || unexpected.length) {
    const list = (xs: string[]) => xs.slice(0, 5).join(', ') + (xs.length > 5 ? `, ... (${xs.length} in all)` : '');
    throw new WeightFileError(
      `weights do not match the architecture: ${missing.length ? `missing ${list(missing)}` : ''}${missing.length && unexpected.length ? '; ' : ''}${unexpected.length ? `unexpected ${list(unexpected)}` : ''}`,
      { file },
    );
  }
  const weights: Weights = new Map();
  for (const p of graph.params.values()) {
    const t = tensors.get(p.name)!;
    if (t.shape.length !== p.shape.length || t.shape.some((d, i) => d !== p.shape[i]))
      throw new WeightFileError(`tensor has shape [${t.shape.join(', ')}], the architecture needs [${p.shape.join(', ')}]`, { file, path: p.name });
    if (t.data.length !== p.shape.reduce((a, b) => a * b, 1))
      throw new WeightFileError(`tensor has ${t.data.length} values, the architecture needs shape [${p.shape.join(', ')}]`, { file, path: p.name });
    weights.set(p.name, t.data);
  }
  return weights;
}
