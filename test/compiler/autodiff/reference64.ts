/**
 * An independent float64 interpreter of the op graph, written from each op's definition
 * with plain loops. It is the reference the ONNX training graphs are checked against
 * (forward values, and finite-difference gradients). `Record<OpKind, ...>`: a new op
 * without a reference here is a type error in the tests.
 */
import type { Graph } from '../../../compiler/graph/graph.js';
import type { OpAttrs, OpKind } from '../../../compiler/graph/ops.js';

export interface T64 { shape: number[]; data: Float64Array }
const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const zeros = (shape: number[]): T64 => ({ shape, data: new Float64Array(size(shape)) });
const strides = (s: readonly number[]) => s.map((_, i) => size(s.slice(i + 1)));
const unravel = (i: number, s: readonly number[]) => s.map((d, a) => Math.floor(i / size(s.slice(a + 1))) % d);
const at = (t: T64, idx: readonly number[]) => t.data[idx.reduce((p, v, a) => p + v * strides(t.shape)[a]!, 0)]!;
const map = (x: T64, f: (v: number, i: number) => number): T64 => ({ shape: x.shape, data: x.data.map(f) });

export function erf64(x: number): number {
  if (Math.abs(x) > 5) return Math.sign(x);
  // Maclaurin series; exact to ~1e-14 for |x| <= 5 in float64 (alternating terms peak near 1e9 only past 4).
  let sum = 0;
  let term = x;
  for (let n = 0; n < 200; n++) {
    sum += term / (2 * n + 1);
    term *= (-x * x) / (n + 1);
    if (Math.abs(term) < 1e-17) break;
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

function broadcastBinary(a: T64, b: T64, f: (x: number, y: number) => number): T64 {
  const r = Math.max(a.shape.length, b.shape.length);
  const pa = [...new Array(r - a.shape.length).fill(1), ...a.shape];
  const pb = [...new Array(r - b.shape.length).fill(1), ...b.shape];
  const shape = pa.map((d, i) => Math.max(d, pb[i]!));
  const out = zeros(shape);
  // Strides that are 0 along broadcast axes.
  const sa = strides(pa).map((s, i) => (pa[i] === 1 ? 0 : s));
  const sb = strides(pb).map((s, i) => (pb[i] === 1 ? 0 : s));
  const idx = new Array<number>(r).fill(0);
  let ia = 0;
  let ib = 0;
  for (let i = 0; i < out.data.length; i++) {
    out.data[i] = f(a.data[ia]!, b.data[ib]!);
    for (let ax = r - 1; ax >= 0; ax--) {
      idx[ax]!++;
      ia += sa[ax]!;
      ib += sb[ax]!;
      if (idx[ax]! < shape[ax]!) break;
      ia -= sa[ax]! * shape[ax]!;
      ib -= sb[ax]! * shape[ax]!;
      idx[ax] = 0;
    }
  }
  return out;
}

/** 3-D convolution (cross-correlation) by its definition, with dilation; plain index arithmetic for speed. */
function conv3(x: T64, w: T64, stride: readonly number[], pads: readonly number[], dil: readonly number[] = [1, 1, 1]): T64 {
  const [n, c, D, H, W] = x.shape as [number, number, number, number, number];
  const [o, , KD, KH, KW] = w.shape as [number, number, number, number, number];
  const sp = [D, H, W];
  const k = [KD, KH, KW];
  const [OD, OH, OW] = sp.map((d, a) => Math.floor((d + 2 * pads[a]! - dil[a]! * (k[a]! - 1) - 1) / stride[a]!) + 1) as [number, number, number];
  const y = zeros([n, o, OD, OH, OW]);
  const xd = x.data;
  const wd = w.data;
  let i = 0;
  for (let b = 0; b < n; b++)
    for (let oc = 0; oc < o; oc++)
      for (let od = 0; od < OD; od++)
        for (let oh = 0; oh < OH; oh++)
          for (let ow = 0; ow < OW; ow++) {
            let acc = 0;
            for (let ci = 0; ci < c; ci++) {
              const xBase = (b * c + ci) * D;
              const wBase = (oc * c + ci) * KD;
              for (let kd = 0; kd < KD; kd++) {
                const d = od * stride[0]! - pads[0]! + kd * dil[0]!;
                if (d < 0 || d >= D) continue;
                for (let kh = 0; kh < KH; kh++) {
                  const h = oh * stride[1]! - pads[1]! + kh * dil[1]!;
                  if (h < 0 || h >= H) continue;
                  for (let kw = 0; kw < KW; kw++) {
                    const ww = ow * stride[2]! - pads[2]! + kw * dil[2]!;
                    if (ww < 0 || ww >= W) continue;
                    acc += xd[((xBase + d) * H + h) * W + ww]! * wd[((wBase + kd) * KH + kh) * KW + kw]!;
                  }
                }
              }
            }
            y.data[i++] = acc;
          }
  return y;
}

/** dx of a conv by its definition: scatter each g[n, o, p] * w[o, c, k] back to x[n, c, p*s - pad + k]. */
function convAdjointX(g: T64, w: T64, stride: readonly number[], pads: readonly number[], xs: readonly number[]): T64 {
  const [n, o, ...out] = g.shape;
  const [, c, ...k] = w.shape;
  const dx = zeros([n!, c!, ...xs]);
  const sx = strides(dx.shape);
  for (let i = 0; i < g.data.length; i++) {
    const [b, oc, ...p] = unravel(i, g.shape);
    for (let ci = 0; ci < c!; ci++)
      for (let t = 0; t < size(k); t++) {
        const kk = unravel(t, k);
        const q = p.map((v, a) => v * stride[a]! - pads[a]! + kk[a]!);
        if (q.some((v, a) => v < 0 || v >= xs[a]!)) continue;
        dx.data[[b!, ci, ...q].reduce((s, v, a) => s + v * sx[a]!, 0)]! += g.data[i]! * at(w, [oc!, ci, ...kk]);
      }
  }
  void out;
  return dx;
}

function convAdjointW(x: T64, g: T64, stride: readonly number[], pads: readonly number[], k: readonly number[]): T64 {
  const [, c, ...xs] = x.shape;
  const o = g.shape[1]!;
  const dw = zeros([o, c!, ...k]);
  for (let i = 0; i < g.data.length; i++) {
    const [b, oc, ...p] = unravel(i, g.shape);
    for (let ci = 0; ci < c!; ci++)
      for (let t = 0; t < size(k); t++) {
        const kk = unravel(t, k);
        const q = p.map((v, a) => v * stride[a]! - pads[a]! + kk[a]!);
        if (q.some((v, a) => v < 0 || v >= xs[a]!)) continue;
        dw.data[(oc! * c! + ci) * size(k) + t]! += g.data[i]! * at(x, [b!, ci, ...q]);
      }
  }
  return dw;
}

function normalize(x: T64, scale: T64, bias: T64, axesOf: (idx: number[]) => string, eps: number): { y: T64; mean: Map<string, number>; variance: Map<string, number>; count: number } {
  const sums = new Map<string, number[]>();
  for (let i = 0; i < x.data.length; i++) {
    const key = axesOf(unravel(i, x.shape));
    sums.set(key, [...(sums.get(key) ?? []), x.data[i]!]);
  }
  const mean = new Map<string, number>();
  const variance = new Map<string, number>();
  let count = 0;
  for (const [key, vs] of sums) {
    const m = vs.reduce((a, b) => a + b, 0) / vs.length;
    mean.set(key, m);
    variance.set(key, vs.reduce((a, b) => a + (b - m) ** 2, 0) / vs.length);
    count = vs.length;
  }
  const y = map(x, (v, i) => {
    const idx = unravel(i, x.shape);
    const key = axesOf(idx);
    return ((v - mean.get(key)!) / Math.sqrt(variance.get(key)! + eps)) * scale.data[idx[1]!]! + bias.data[idx[1]!]!;
  });
  return { y, mean, variance, count };
}

const act = (f: (v: number) => number) => ([x]: T64[]) => [map(x!, f)];
type Eval<K extends OpKind> = (inputs: T64[], attrs: OpAttrs[K]) => T64[];

export const eval64: { [K in OpKind]: Eval<K> } = {
  conv: ([x, w, b], { stride, pads }) => {
    const y = conv3(x!, w!, stride, pads);
    return [b ? map(y, (v, i) => v + b.data[unravel(i, y.shape)[1]!]!) : y];
  },
  conv_transpose: ([x, w, b], { stride }) => {
    const [n, c, ...sp] = x!.shape;
    const o = w!.shape[1]!;
    const y = zeros([n!, o, ...sp.map((d, a) => d! * stride[a]!)]);
    for (let i = 0; i < y.data.length; i++) {
      const [bb, oc, ...p] = unravel(i, y.shape);
      let acc = b ? b.data[oc!]! : 0;
      for (let ci = 0; ci < c!; ci++) acc += at(x!, [bb!, ci, ...p.map((v, a) => Math.floor(v / stride[a]!))]) * at(w!, [ci, oc!, ...p.map((v, a) => v % stride[a]!)]);
      y.data[i] = acc;
    }
    return [y];
  },
  avg_pool: ([x], { kernel }) => {
    const [n, c, ...sp] = x!.shape;
    const y = zeros([n!, c!, ...sp.map((d, a) => Math.floor(d! / kernel[a]!))]);
    for (let i = 0; i < y.data.length; i++) {
      const [b, ch, ...p] = unravel(i, y.shape);
      let acc = 0;
      for (let t = 0; t < size(kernel); t++) acc += at(x!, [b!, ch!, ...unravel(t, kernel).map((k, a) => p[a]! * kernel[a]! + k)]);
      y.data[i] = acc / size(kernel);
    }
    return [y];
  },
  instance_norm: ([x, s, b], { eps }) => [normalize(x!, s!, b!, (idx) => `${idx[0]},${idx[1]}`, eps).y],
  batch_norm: ([x, s, b, m, v], { eps }) => [map(x!, (val, i) => {
    const c = unravel(i, x!.shape)[1]!;
    return ((val - m!.data[c]!) / Math.sqrt(v!.data[c]! + eps)) * s!.data[c]! + b!.data[c]!;
  })],
  batch_norm_train: ([x, s, b, m, v], { eps, momentum }) => {
    const { y, mean, variance, count } = normalize(x!, s!, b!, (idx) => `${idx[1]}`, eps);
    const unbiased = count > 1 ? count / (count - 1) : 1;
    return [y, map(m!, (r, c) => (1 - momentum) * r + momentum * mean.get(`${c}`)!), map(v!, (r, c) => (1 - momentum) * r + momentum * unbiased * variance.get(`${c}`)!)];
  },
  leaky_relu: (inputs, { slope }) => act((v) => (v > 0 ? v : slope * v))(inputs),
  relu: act((v) => Math.max(v, 0)),
  elu: (inputs, { alpha }) => act((v) => (v > 0 ? v : alpha * (Math.exp(v) - 1)))(inputs),
  gelu: act((v) => 0.5 * v * (1 + erf64(v / Math.SQRT2))),
  prelu: ([x, a]) => [map(x!, (v) => (v > 0 ? v : a!.data[0]! * v))],
  dropout: ([x]) => [x!],
  add: ([a, b]) => [broadcastBinary(a!, b!, (x, y) => x + y)],
  concat: (inputs, { axis }) => {
    const shape = [...inputs[0]!.shape];
    shape[axis] = inputs.reduce((s, t) => s + t.shape[axis]!, 0);
    const out = zeros(shape);
    for (let i = 0; i < out.data.length; i++) {
      const idx = unravel(i, shape);
      let j = idx[axis]!;
      const t = inputs.find((tt) => (j < tt.shape[axis]! ? true : ((j -= tt.shape[axis]!), false)))!;
      idx[axis] = j;
      out.data[i] = at(t, idx);
    }
    return [out];
  },
  softmax: ([x], { axis }) => {
    const e = map(x!, Math.exp);
    const sums = eval64.reduce([e], { fn: 'sum', axes: [axis], keepdims: true })[0]!;
    return [broadcastBinary(e, sums, (a, b) => a / b)];
  },
  binary: ([a, b], { fn }) => {
    const f: Record<typeof fn, (x: number, y: number) => number> = {
      add: (x, y) => x + y, sub: (x, y) => x - y, mul: (x, y) => x * y, div: (x, y) => x / y,
      min: Math.min, max: Math.max, pow: Math.pow, eq: (x, y) => (x === y ? 1 : 0),
    };
    return [broadcastBinary(a!, b!, f[fn])];
  },
  unary: ([x], { fn }) => {
    const f: Record<typeof fn, (v: number) => number> = {
      identity: (v) => v, neg: (v) => -v, exp: Math.exp, log: Math.log, sqrt: Math.sqrt, reciprocal: (v) => 1 / v, erf: erf64, step: (v) => (v > 0 ? 1 : 0),
    };
    return [map(x!, f[fn])];
  },
  affine: ([x], { scale, shift }) => [map(x!, (v) => v * scale + shift)],
  constant: (_in, { shape, values }) => [{ shape: [...shape], data: Float64Array.from({ length: size(shape) }, (_, i) => values[values.length === 1 ? 0 : i]!) }],
  reduce: ([x], { fn, axes, keepdims }) => {
    const kept = x!.shape.map((d, i) => (axes.includes(i) ? 1 : d));
    const out = zeros(kept).data.fill(fn === 'max' ? -Infinity : 0);
    const so = strides(kept);
    for (let i = 0; i < x!.data.length; i++) {
      const j = unravel(i, x!.shape).reduce((s, v, a) => s + (axes.includes(a) ? 0 : v * so[a]!), 0);
      out[j] = fn === 'max' ? Math.max(out[j]!, x!.data[i]!) : out[j]! + x!.data[i]!;
    }
    const count = size(axes.map((a) => x!.shape[a]!));
    return [{ shape: keepdims ? kept : x!.shape.filter((_, i) => !axes.includes(i)), data: fn === 'mean' ? out.map((v) => v / count) : out }];
  },
  reshape: ([x], { shape }) => [{ shape: [...shape], data: x!.data }],
  transpose: ([x], { perm }) => {
    const shape = perm.map((p) => x!.shape[p]!);
    const out = zeros(shape);
    for (let i = 0; i < out.data.length; i++) {
      const idx = unravel(i, shape);
      const src = new Array<number>(perm.length);
      perm.forEach((p, a) => (src[p] = idx[a]!));
      out.data[i] = at(x!, src);
    }
    return [out];
  },
  expand: ([x], { shape }) => [broadcastBinary(x!, zeros([...shape]), (a) => a)],
  slice: ([x], { starts, ends, steps }) => {
    const shape = x!.shape.map((d, i) => Math.ceil((Math.min(ends[i]!, d) - starts[i]!) / steps[i]!));
    return [map(zeros(shape), (_, i) => at(x!, unravel(i, shape).map((v, a) => starts[a]! + v * steps[a]!)))];
  },
  pad: ([x], { before, after }) => {
    const shape = x!.shape.map((d, i) => d + before[i]! + after[i]!);
    return [map(zeros(shape), (_, i) => {
      const idx = unravel(i, shape).map((v, a) => v - before[a]!);
      return idx.some((v, a) => v < 0 || v >= x!.shape[a]!) ? 0 : at(x!, idx);
    })];
  },
  matmul: ([a, b]) => {
    const r = a!.shape.length;
    const [m, k, n] = [a!.shape[r - 2]!, a!.shape[r - 1]!, b!.shape[r - 1]!];
    const batch = size(a!.shape.slice(0, r - 2));
    const out = zeros([...a!.shape.slice(0, r - 1), n]);
    for (let t = 0; t < batch; t++)
      for (let i = 0; i < m; i++)
        for (let j = 0; j < n; j++) {
          let acc = 0;
          for (let q = 0; q < k; q++) acc += a!.data[t * m * k + i * k + q]! * b!.data[t * k * n + q * n + j]!;
          out.data[t * m * n + i * n + j] = acc;
        }
    return [out];
  },
  conv_input_grad: ([g, w], { stride, pads, inputSize }) => [convAdjointX(g!, w!, stride, pads, inputSize)],
  conv_weight_grad: ([x, g], { stride, pads, kernel }) => [convAdjointW(x!, g!, stride, pads, kernel)],
  topk_mask: ([x], { k }) => {
    const order = [...x!.data.keys()].sort((i, j) => x!.data[j]! - x!.data[i]! || i - j);
    const out = zeros(x!.shape);
    order.slice(0, k).forEach((i) => (out.data[i] = 1));
    return [out];
  },
};

/** Evaluates every node of `graph` in float64; returns all values by name. */
export function run64(graph: Graph, feeds: ReadonlyMap<string, T64>): Map<string, T64> {
  const values = new Map(feeds);
  for (const n of graph.nodes) {
    const inputs = n.inputs.map((i) => {
      const v = values.get(i);
      if (!v) throw new Error(`run64: no value for '${i}'`);
      return v;
    });
    const outs = (eval64[n.kind] as Eval<OpKind>)(inputs, n.attrs as never);
    n.outputs.forEach((o, i) => values.set(o, outs[i]!));
  }
  return values;
}
