/**
 * Cropping to the nonzero region, as nnU-Net does before everything else: the mask is
 * "any channel != 0" with holes filled; label voxels outside it that were background
 * become -1 so the loss can ignore them.
 */
import type { Vec3 } from './plan-types.js';

/** Half-open box: lo inclusive, hi exclusive, array order. */
export interface BBox {
  readonly lo: Vec3;
  readonly hi: Vec3;
}

export const voxelCount = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

export function nonzeroMask(image: Float32Array, channels: number, shape: Vec3): Uint8Array {
  const n = voxelCount(shape);
  const mask = new Uint8Array(n);
  for (let c = 0; c < channels; c++) {
    const off = c * n;
    for (let i = 0; i < n; i++) if (image[off + i] !== 0) mask[i] = 1;
  }
  return fillHoles(mask, shape);
}

/** Fill enclosed background: flood the background from the border (6-connectivity) and keep the rest. */
export function fillHoles(mask: Uint8Array, shape: Vec3): Uint8Array {
  const [nz, ny, nx] = shape;
  const outside = new Uint8Array(mask.length);
  const stack: number[] = [];
  const push = (i: number): void => {
    if (!mask[i] && !outside[i]) {
      outside[i] = 1;
      stack.push(i);
    }
  };
  for (let z = 0; z < nz; z++)
    for (let y = 0; y < ny; y++)
      for (let x = 0; x < nx; x++)
        if (z === 0 || y === 0 || x === 0 || z === nz - 1 || y === ny - 1 || x === nx - 1) push((z * ny + y) * nx + x);
  const sy = nx;
  const sz = nx * ny;
  while (stack.length) {
    const i = stack.pop()!;
    const x = i % nx;
    const y = Math.floor(i / nx) % ny;
    const z = Math.floor(i / sz);
    if (x > 0) push(i - 1);
    if (x < nx - 1) push(i + 1);
    if (y > 0) push(i - sy);
    if (y < ny - 1) push(i + sy);
    if (z > 0) push(i - sz);
    if (z < nz - 1) push(i + sz);
  }
  const filled = new Uint8Array(mask.length);
  for (let i = 0; i < mask.length; i++) filled[i] = outside[i] ? 0 : 1;
  return filled;
}

/** Bounding box of the mask's ones; the whole volume when the mask is empty. */
export function boundingBox(mask: Uint8Array, shape: Vec3): BBox {
  const [nz, ny, nx] = shape;
  const lo: Vec3 = [nz, ny, nx];
  const hi: Vec3 = [0, 0, 0];
  let i = 0;
  for (let z = 0; z < nz; z++)
    for (let y = 0; y < ny; y++)
      for (let x = 0; x < nx; x++, i++) {
        if (!mask[i]) continue;
        if (z < lo[0]) lo[0] = z;
        if (y < lo[1]) lo[1] = y;
        if (x < lo[2]) lo[2] = x;
        if (z >= hi[0]) hi[0] = z + 1;
        if (y >= hi[1]) hi[1] = y + 1;
        if (x >= hi[2]) hi[2] = x + 1;
      }
  return hi[0] === 0 ? { lo: [0, 0, 0], hi: [...shape] } : { lo, hi };
}

export const boxShape = (b: BBox): Vec3 => [b.hi[0] - b.lo[0], b.hi[1] - b.lo[1], b.hi[2] - b.lo[2]];

/** Copy the box out of a channel-first volume. */
export function cropArray<T extends Float32Array | Int16Array | Uint8Array>(data: T, channels: number, shape: Vec3, box: BBox): T {
  const [, ny, nx] = shape;
  const [cz, cy, cx] = boxShape(box);
  const out = new (data.constructor as new (n: number) => T)(channels * cz * cy * cx);
  const nIn = voxelCount(shape);
  let o = 0;
  for (let c = 0; c < channels; c++)
    for (let z = 0; z < cz; z++)
      for (let y = 0; y < cy; y++) {
        const start = c * nIn + ((z + box.lo[0]) * ny + (y + box.lo[1])) * nx + box.lo[2];
        out.set(data.subarray(start, start + cx) as never, o);
        o += cx;
      }
  return out;
}

/** Write a cropped volume back into a full-size one filled with `fill` (inverse of cropArray). */
export function uncropArray<T extends Float32Array | Int16Array | Uint8Array>(cropped: T, channels: number, shape: Vec3, box: BBox, fill = 0): T {
  const [, ny, nx] = shape;
  const [cz, cy, cx] = boxShape(box);
  const out = new (cropped.constructor as new (n: number) => T)(channels * voxelCount(shape));
  if (fill !== 0) out.fill(fill);
  const nOut = voxelCount(shape);
  let o = 0;
  for (let c = 0; c < channels; c++)
    for (let z = 0; z < cz; z++)
      for (let y = 0; y < cy; y++) {
        const start = c * nOut + ((z + box.lo[0]) * ny + (y + box.lo[1])) * nx + box.lo[2];
        out.set(cropped.subarray(o, o + cx) as never, start);
        o += cx;
      }
  return out;
}

export interface Cropped {
  image: Float32Array;
  label?: Int16Array;
  /** The filled nonzero mask inside the box (1 = inside). */
  mask: Uint8Array;
  shape: Vec3;
  box: BBox;
}

export function cropToNonzero(image: Float32Array, channels: number, shape: Vec3, label?: Int16Array): Cropped {
  const fullMask = nonzeroMask(image, channels, shape);
  const box = boundingBox(fullMask, shape);
  const mask = cropArray(fullMask, 1, shape, box);
  const croppedLabel = label ? cropArray(label, 1, shape, box) : undefined;
  if (croppedLabel) for (let i = 0; i < mask.length; i++) if (!mask[i] && croppedLabel[i] === 0) croppedLabel[i] = -1;
  return { image: cropArray(image, channels, shape, box), label: croppedLabel, mask, shape: boxShape(box), box };
}
