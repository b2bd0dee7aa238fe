/** Axis permutation and flips of channel-first volumes. */
import type { Vec3 } from './plan-types.js';

type Voxels = Float32Array | Int16Array | Uint8Array;

/** Out axis a is input axis order[a]. */
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

/** Reverse a channel-first [C, ...shape] volume along `axis`, in place (whole rows and planes moved at once). */
export function flipInPlace(data: Voxels, channels: number, shape: Vec3, axis: number): void {
  const count = shape[axis]!;
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const outer = channels * shape.slice(0, axis).reduce((a, b) => a * b, 1);
  if (inner === 1) {
    for (let o = 0; o < outer; o++) data.subarray(o * count, (o + 1) * count).reverse();
    return;
  }
  const tmp = data.slice(0, inner);
  for (let o = 0; o < outer; o++) {
    const run = o * count * inner;
    for (let i = 0, j = count - 1; i < j; i++, j--) {
      tmp.set(data.subarray(run + i * inner, run + (i + 1) * inner) as never);
      data.copyWithin(run + i * inner, run + j * inner, run + (j + 1) * inner);
      data.set(tmp as never, run + j * inner);
    }
  }
}
