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
  return fillHolesInPlace(mask, shape);
}

/** Fill enclosed background: flood the background from the border (6-connectivity) and keep the rest. */
export function fillHoles(mask: Uint8Array, shape: Vec3): Uint8Array {
  return fillHolesInPlace(Uint8Array.from(mask, (v) => (v ? 1 : 0)), shape);
}

const OUTSIDE = 2;

/**
 * fillHoles on a 0/1 mask, in place. A scanline flood: each popped seed fills its whole run along x
 * and pushes one seed per run of the four neighbouring rows, so the stack holds rows, not voxels
 * (a CT-sized mask would otherwise need a stack of tens of millions of entries).
 */
function fillHolesInPlace(mask: Uint8Array, shape: Vec3): Uint8Array {
  const [nz, ny, nx] = shape;
  let stack = new Int32Array(1024);
  let top = 0;
  const push = (i: number): void => {
    if (top === stack.length) {
      const grown = new Int32Array(stack.length * 2);
      grown.set(stack);
      stack = grown;
    }
    stack[top++] = i;
  };
  /** Seeds for every run of unvisited background in row `start` (x = x0..x1). */
  const seedRow = (start: number, x0: number, x1: number): void => {
    let inRun = false;
    for (let x = x0; x <= x1; x++) {
      const free = mask[start + x] === 0;
      if (free && !inRun) push(start + x);
      inRun = free;
    }
  };
  const flood = (): void => {
    while (top > 0) {
      const i = stack[--top]!;
      if (mask[i] !== 0) continue;
      const row = i - (i % nx);
      let lo = i - row;
      let hi = lo;
      while (lo > 0 && mask[row + lo - 1] === 0) lo--;
      while (hi < nx - 1 && mask[row + hi + 1] === 0) hi++;
      mask.fill(OUTSIDE, row + lo, row + hi + 1);
      const y = Math.floor(row / nx) % ny;
      const z = Math.floor(row / (nx * ny));
      if (y > 0) seedRow(row - nx, lo, hi);
      if (y < ny - 1) seedRow(row + nx, lo, hi);
      if (z > 0) seedRow(row - nx * ny, lo, hi);
      if (z < nz - 1) seedRow(row + nx * ny, lo, hi);
    }
  };
  for (let z = 0; z < nz; z++)
    for (let y = 0; y < ny; y++) {
      const row = (z * ny + y) * nx;
      if (z === 0 || y === 0 || z === nz - 1 || y === ny - 1) seedRow(row, 0, nx - 1);
      else {
        if (mask[row] === 0) push(row);
        if (mask[row + nx - 1] === 0) push(row + nx - 1);
      }
      flood(); // keeps the stack short: the border alone would be millions of seeds
    }
  for (let i = 0; i < mask.length; i++) mask[i] = mask[i] === OUTSIDE ? 0 : 1;
  return mask;
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

/**
 * Crop to the nonzero box. With `inPlace`, the image and label are compacted inside their own
 * buffers (the results are views of them, and the inputs must not be used again): a CT case is
 * then never held twice.
 */
export function cropToNonzero(image: Float32Array, channels: number, shape: Vec3, label?: Int16Array, options: { inPlace?: boolean } = {}): Cropped {
  const fullMask = nonzeroMask(image, channels, shape);
  const box = boundingBox(fullMask, shape);
  const crop = options.inPlace ? cropInPlace : cropArray;
  const mask = cropArray(fullMask, 1, shape, box);
  const croppedLabel = label ? crop(label, 1, shape, box) : undefined;
  if (croppedLabel) for (let i = 0; i < mask.length; i++) if (!mask[i] && croppedLabel[i] === 0) croppedLabel[i] = -1;
  return { image: crop(image, channels, shape, box), label: croppedLabel, mask, shape: boxShape(box), box };
}

/** cropArray inside `data`'s own buffer: rows only move towards the start, so copying forward is safe. */
function cropInPlace<T extends Float32Array | Int16Array | Uint8Array>(data: T, channels: number, shape: Vec3, box: BBox): T {
  const [, ny, nx] = shape;
  const [cz, cy, cx] = boxShape(box);
  const nIn = voxelCount(shape);
  if (cz * cy * cx === nIn) return data;
  let o = 0;
  for (let c = 0; c < channels; c++)
    for (let z = 0; z < cz; z++)
      for (let y = 0; y < cy; y++) {
        const start = c * nIn + ((z + box.lo[0]) * ny + (y + box.lo[1])) * nx + box.lo[2];
        data.copyWithin(o, start, start + cx);
        o += cx;
      }
  return data.subarray(0, o) as T;
}
