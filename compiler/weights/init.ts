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
  // One key from the caller's Rng (several draws hashed: the first draws of nearby seeds are
  // close), then one stream per tensor, keyed by its position.
  let key = 0;
  for (let i = 0; i < 4; i++) key = fmix32(key ^ rng.int(2 ** 32));
  const weights: Weights = new Map();
  let index = 0;
  for (const p of graph.params.values()) {
    const data = new Float32Array(p.shape.reduce((a, b) => a * b, 1));
    if (p.init.kind === 'fill') data.fill(p.init.value);
    else {
      const std = Math.sqrt(2 / (1 + p.init.slope ** 2)) / Math.sqrt(p.init.fanIn);
      fillNormal(data, std, key, fmix32(index + 0x9e3779b9));
    }
    weights.set(p.name, data);
    index++;
  }
  return weights;
}

/** MurmurHash3's 32-bit finaliser: every input bit flips about half the output bits. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * Fills `out` with N(0, std^2) draws. Networks hold up to ~3e8 weights, so a fast local
 * generator (sfc32, by Chris Doty-Humphrey, seeded with the key and the tensor's stream id)
 * feeds Marsaglia's polar method: about 10x faster than Rng.normal().
 */
function fillNormal(out: Float32Array, std: number, key: number, stream: number): void {
  let a = key | 0, b = stream | 0, c = 0xb7e15162 | 0, d = 1;
  const n = out.length;
  let i = 0;
  let warmup = 15; // mix the seeds in before using the stream
  while (i < n) {
    // Two sfc32 outputs per iteration, inlined.
    let t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = ((c << 21) | (c >>> 11)) + t | 0;
    const u = (t | 0) * 4.656612873077393e-10; // in [-1, 1)
    t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = ((c << 21) | (c >>> 11)) + t | 0;
    const v = (t | 0) * 4.656612873077393e-10;
    if (warmup > 0) {
      warmup--;
      continue;
    }
    const s = u * u + v * v;
    if (s >= 1 || s === 0) continue;
    const f = std * Math.sqrt((-2 * Math.log(s)) / s);
    out[i++] = u * f;
    if (i < n) out[i++] = v * f;
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
