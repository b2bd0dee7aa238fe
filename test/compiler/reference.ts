/**
 * Independent float64 reference implementations of the U-Net building blocks, written
 * from their definitions with plain loops (N, C, D, H, W layout), to check the ONNX
 * emitted for each op.
 */
export interface T64 {
  shape: number[];
  data: Float64Array;
}

export const t64 = (shape: number[], data: ArrayLike<number>): T64 => ({ shape, data: Float64Array.from(data) });
const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
const zeros = (shape: number[]): T64 => ({ shape, data: new Float64Array(size(shape)) });
const idx5 = (s: number[], n: number, c: number, d: number, h: number, w: number) => (((n * s[1]! + c) * s[2]! + d) * s[3]! + h) * s[4]! + w;

export function conv3d(x: T64, w: T64, b: T64 | null, stride: number[], pad: number[]): T64 {
  const [N, C, D, H, W] = x.shape as [number, number, number, number, number];
  const [O, , KD, KH, KW] = w.shape as [number, number, number, number, number];
  const out = [0, 1, 2].map((a) => Math.floor((x.shape[2 + a]! + 2 * pad[a]! - w.shape[2 + a]!) / stride[a]!) + 1);
  const y = zeros([N, O, ...out]);
  for (let n = 0; n < N; n++)
    for (let o = 0; o < O; o++)
      for (let od = 0; od < out[0]!; od++)
        for (let oh = 0; oh < out[1]!; oh++)
          for (let ow = 0; ow < out[2]!; ow++) {
            let acc = b ? b.data[o]! : 0;
            for (let c = 0; c < C; c++)
              for (let kd = 0; kd < KD; kd++) {
                const d = od * stride[0]! - pad[0]! + kd;
                if (d < 0 || d >= D) continue;
                for (let kh = 0; kh < KH; kh++) {
                  const h = oh * stride[1]! - pad[1]! + kh;
                  if (h < 0 || h >= H) continue;
                  for (let kw = 0; kw < KW; kw++) {
                    const ww = ow * stride[2]! - pad[2]! + kw;
                    if (ww < 0 || ww >= W) continue;
                    acc += x.data[idx5(x.shape, n, c, d, h, ww)]! * w.data[idx5(w.shape, o, c, kd, kh, kw)]!;
                  }
                }
              }
            y.data[idx5(y.shape, n, o, od, oh, ow)] = acc;
          }
  return y;
}

/** Transposed conv by its definition: every input voxel scatters w[c, o] * x into the output. */
export function convTranspose3d(x: T64, w: T64, b: T64 | null, stride: number[]): T64 {
  const [N, C, D, H, W] = x.shape as [number, number, number, number, number];
  const [, O, KD, KH, KW] = w.shape as [number, number, number, number, number];
  const out = [0, 1, 2].map((a) => (x.shape[2 + a]! - 1) * stride[a]! + w.shape[2 + a]!);
  const y = zeros([N, O, ...out]);
  for (let n = 0; n < N; n++)
    for (let o = 0; o < O; o++) {
      if (b) for (let i = 0; i < size(out); i++) y.data[(n * O + o) * size(out) + i] = b.data[o]!;
      for (let c = 0; c < C; c++)
        for (let d = 0; d < D; d++)
          for (let h = 0; h < H; h++)
            for (let ww = 0; ww < W; ww++) {
              const v = x.data[idx5(x.shape, n, c, d, h, ww)]!;
              for (let kd = 0; kd < KD; kd++)
                for (let kh = 0; kh < KH; kh++)
                  for (let kw = 0; kw < KW; kw++)
                    y.data[idx5(y.shape, n, o, d * stride[0]! + kd, h * stride[1]! + kh, ww * stride[2]! + kw)] += v * w.data[idx5(w.shape, c, o, kd, kh, kw)]!;
            }
    }
  return y;
}

/** Per (n, c) over the spatial axes: (x - mean) / sqrt(var + eps) * scale + bias (biased variance). */
export function instanceNorm(x: T64, scale: T64, bias: T64, eps: number): T64 {
  const [N, C] = x.shape as [number, number];
  const S = size(x.shape.slice(2));
  const y = zeros(x.shape);
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++) {
      const off = (n * C + c) * S;
      let mean = 0;
      for (let i = 0; i < S; i++) mean += x.data[off + i]!;
      mean /= S;
      let v = 0;
      for (let i = 0; i < S; i++) v += (x.data[off + i]! - mean) ** 2;
      v /= S;
      for (let i = 0; i < S; i++) y.data[off + i] = ((x.data[off + i]! - mean) / Math.sqrt(v + eps)) * scale.data[c]! + bias.data[c]!;
    }
  return y;
}

/** Inference batch norm with given running statistics. */
export function batchNorm(x: T64, scale: T64, bias: T64, mean: T64, variance: T64, eps: number): T64 {
  const [N, C] = x.shape as [number, number];
  const S = size(x.shape.slice(2));
  const y = zeros(x.shape);
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++)
      for (let i = 0; i < S; i++) {
        const k = (n * C + c) * S + i;
        y.data[k] = ((x.data[k]! - mean.data[c]!) / Math.sqrt(variance.data[c]! + eps)) * scale.data[c]! + bias.data[c]!;
      }
  return y;
}

export const map = (x: T64, f: (v: number) => number): T64 => ({ shape: x.shape, data: x.data.map(f) });

/** erf by its Maclaurin series (|x| < 3) or continued fraction tail; ~1e-14 accurate, independent of any library. */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 3) {
    let term = ax;
    let sum = ax;
    for (let n = 1; n < 200; n++) {
      term *= (-ax * ax) / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17) break;
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + 1/2/(x + 1/(x + 3/2/(x + ...))))
  let f = ax;
  for (let k = 60; k >= 1; k--) f = ax + k / 2 / f;
  return Math.sign(x) * (1 - Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f);
}

export const activations: Record<string, (v: number) => number> = {
  relu: (v) => Math.max(0, v),
  leaky_relu: (v) => (v >= 0 ? v : 0.01 * v),
  elu: (v) => (v >= 0 ? v : Math.exp(v) - 1),
  gelu: (v) => 0.5 * v * (1 + erf(v / Math.SQRT2)),
};

export function concatChannels(a: T64, b: T64): T64 {
  const [N, Ca] = a.shape as [number, number];
  const Cb = b.shape[1]!;
  const S = size(a.shape.slice(2));
  const y = zeros([N, Ca + Cb, ...a.shape.slice(2)]);
  for (let n = 0; n < N; n++) {
    y.data.set(a.data.subarray(n * Ca * S, (n + 1) * Ca * S), n * (Ca + Cb) * S);
    y.data.set(b.data.subarray(n * Cb * S, (n + 1) * Cb * S), (n * (Ca + Cb) + Ca) * S);
  }
  return y;
}

/** Softmax over the channel axis. */
export function softmaxChannels(x: T64): T64 {
  const [N, C] = x.shape as [number, number];
  const S = size(x.shape.slice(2));
  const y = zeros(x.shape);
  for (let n = 0; n < N; n++)
    for (let i = 0; i < S; i++) {
      let max = -Infinity;
      for (let c = 0; c < C; c++) max = Math.max(max, x.data[(n * C + c) * S + i]!);
      let sum = 0;
      for (let c = 0; c < C; c++) sum += Math.exp(x.data[(n * C + c) * S + i]! - max);
      for (let c = 0; c < C; c++) y.data[(n * C + c) * S + i] = Math.exp(x.data[(n * C + c) * S + i]! - max) / sum;
    }
  return y;
}

export function avgPool3d(x: T64, k: number[]): T64 {
  const [N, C] = x.shape as [number, number];
  const out = [0, 1, 2].map((a) => Math.floor(x.shape[2 + a]! / k[a]!));
  const y = zeros([N, C, ...out]);
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++)
      for (let d = 0; d < out[0]!; d++)
        for (let h = 0; h < out[1]!; h++)
          for (let w = 0; w < out[2]!; w++) {
            let s = 0;
            for (let a = 0; a < k[0]!; a++)
              for (let bb = 0; bb < k[1]!; bb++)
                for (let cc = 0; cc < k[2]!; cc++) s += x.data[idx5(x.shape, n, c, d * k[0]! + a, h * k[1]! + bb, w * k[2]! + cc)]!;
            y.data[idx5(y.shape, n, c, d, h, w)] = s / (k[0]! * k[1]! * k[2]!);
          }
  return y;
}

export function maxRelError(got: ArrayLike<number>, want: T64): number {
  if (got.length !== want.data.length) throw new Error(`length ${got.length} vs ${want.data.length}`);
  let scale = 1e-3;
  for (const v of want.data) scale = Math.max(scale, Math.abs(v));
  let err = 0;
  for (let i = 0; i < got.length; i++) err = Math.max(err, Math.abs(got[i]! - want.data[i]!));
  return err / scale;
}
