/** Axis permutation of channel-first volumes: out axis a is input axis order[a]. */
import type { Vec3 } from './plan-types.js';

type Voxels = Float32Array | Int16Array | Uint8Array;

export function transpose<T extends Voxels>(data: T, channels: number, shape: Vec3, order: Vec3): T {
  if (order[0] === 0 && order[1] === 1 && order[2] === 2) return data;
  const outShape = order.map((a) => shape[a]!) as Vec3;
  const inStrides = [shape[1] * shape[2], shape[2], 1];
  const s = order.map((a) => inStrides[a]!);
  const out = new (data.constructor as new (n: number) => T)(data.length);
  const n = shape[0] * shape[1] * shape[2];
  let o = 0;
  for (let c = 0; c < channels; c++) {
    const base = c * n;
    for (let a = 0; a < outShape[0]; a++)
      for (let b = 0; b < outShape[1]; b++)
        for (let d = 0; d < outShape[2]; d++) out[o++] = data[base + a * s[0]! + b * s[1]! + d * s[2]!]!;
  }
  return out;
}

/** Inverse permutation: transpose(transpose(x, o), inverse(o)) = x. */
export const inverseOrder = (order: Vec3): Vec3 => [order.indexOf(0), order.indexOf(1), order.indexOf(2)] as Vec3;
