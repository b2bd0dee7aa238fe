/**
 * nnU-Net's intensity and mirroring augmentations as one table. Each entry has the
 * reference's probability; the augmentation factor multiplies every probability
 * (0 = no augmentation, capped at 1). Spatial ones (rotation, scaling) live in the
 * sampler because they change where a patch is read from.
 */
import { Rng } from '../util/rng.js';
import type { Vec3 } from './plan-types.js';
import { resampleVolume } from './resample.js';
import { flipInPlace } from './transpose.js';

/** One sample's patch: image [C, ...shape], label [...shape]. */
export interface Patch {
  image: Float32Array;
  label: Int16Array;
  channels: number;
  shape: Vec3;
}

export interface Augmentation {
  readonly name: string;
  readonly probability: number;
  apply(p: Patch, rng: Rng): void;
}

const uniform = (rng: Rng, lo: number, hi: number): number => lo + (hi - lo) * rng.float();

function eachChannel(p: Patch, fn: (v: Float32Array) => void): void {
  const n = p.shape[0] * p.shape[1] * p.shape[2];
  for (let c = 0; c < p.channels; c++) fn(p.image.subarray(c * n, (c + 1) * n));
}

function stats(v: Float32Array): { mean: number; std: number; min: number; max: number } {
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < v.length; i++) {
    const x = v[i]!;
    sum += x;
    if (x < min) min = x;
    if (x > max) max = x;
  }
  const mean = sum / v.length;
  let sq = 0;
  for (let i = 0; i < v.length; i++) sq += (v[i]! - mean) ** 2;
  return { mean, std: Math.sqrt(sq / v.length), min, max };
}

/** Separable Gaussian blur of one channel (reflecting borders, kernel cut at 4 sigma). */
export function gaussianBlur(v: Float32Array, shape: Vec3, sigma: number): void {
  const radius = Math.ceil(4 * sigma);
  const kernel = Float64Array.from({ length: 2 * radius + 1 }, (_, i) => Math.exp(-((i - radius) ** 2) / (2 * sigma * sigma)));
  const norm = kernel.reduce((a, b) => a + b, 0);
  for (let i = 0; i < kernel.length; i++) kernel[i]! /= norm;
  const strides = [shape[1] * shape[2], shape[2], 1];
  // One line at a time, copied with its reflected borders so the kernel loop has no index arithmetic.
  const line = new Float64Array(Math.max(...shape) + 2 * radius);
  for (let axis = 0; axis < 3; axis++) {
    const n = shape[axis]!;
    const stride = strides[axis]!;
    const reflect = (j: number): number => Math.min(Math.max(j < 0 ? -j - 1 : j >= n ? 2 * n - j - 1 : j, 0), n - 1);
    const border = Int32Array.from({ length: 2 * radius }, (_, k) => (k < radius ? reflect(k - radius) : reflect(n + k - radius)));
    const others = [0, 1, 2].filter((a) => a !== axis);
    for (let a = 0; a < shape[others[0]!]!; a++)
      for (let b = 0; b < shape[others[1]!]!; b++) {
        const base = a * strides[others[0]!]! + b * strides[others[1]!]!;
        for (let i = 0; i < n; i++) line[radius + i] = v[base + i * stride]!;
        for (let k = 0; k < radius; k++) {
          line[k] = v[base + border[k]! * stride]!;
          line[radius + n + k] = v[base + border[radius + k]! * stride]!;
        }
        for (let i = 0; i < n; i++) {
          let s = 0;
          for (let k = 0; k < kernel.length; k++) s += kernel[k]! * line[i + k]!;
          v[base + i * stride] = s;
        }
      }
  }
}

function gamma(v: Float32Array, g: number, invert: boolean): void {
  const sign = invert ? -1 : 1;
  if (invert) for (let i = 0; i < v.length; i++) v[i] = -v[i]!;
  const { mean, std, min, max } = stats(v);
  const range = max - min;
  for (let i = 0; i < v.length; i++) v[i] = ((v[i]! - min) / (range + 1e-7)) ** g * (range + 1e-7) + min;
  // Keep the channel's mean and std, as nnU-Net does.
  const after = stats(v);
  for (let i = 0; i < v.length; i++) v[i] = ((v[i]! - after.mean) / (after.std + 1e-8)) * std + mean;
  if (sign < 0) for (let i = 0; i < v.length; i++) v[i] = -v[i]!;
}

export const AUGMENTATIONS: readonly Augmentation[] = [
  {
    name: 'gaussian-noise',
    probability: 0.1,
    apply: (p, rng) => {
      const sd = Math.sqrt(uniform(rng, 0, 0.1));
      for (let i = 0; i < p.image.length; i++) p.image[i]! += sd * rng.normal();
    },
  },
  { name: 'gaussian-blur', probability: 0.2, apply: (p, rng) => eachChannel(p, (v) => gaussianBlur(v, p.shape, uniform(rng, 0.5, 1))) },
  {
    name: 'brightness',
    probability: 0.15,
    apply: (p, rng) => {
      const f = uniform(rng, 0.75, 1.25);
      for (let i = 0; i < p.image.length; i++) p.image[i]! *= f;
    },
  },
  {
    name: 'contrast',
    probability: 0.15,
    apply: (p, rng) => {
      const f = uniform(rng, 0.75, 1.25);
      eachChannel(p, (v) => {
        const { mean, min, max } = stats(v);
        for (let i = 0; i < v.length; i++) v[i] = Math.min(Math.max((v[i]! - mean) * f + mean, min), max);
      });
    },
  },
  {
    name: 'low-resolution',
    probability: 0.25,
    apply: (p, rng) => {
      const zoom = uniform(rng, 0.5, 1);
      const small = p.shape.map((s) => Math.max(1, Math.round(s * zoom))) as Vec3;
      const down = resampleVolume(p.image, p.channels, p.shape, small, [0, 0, 0]);
      p.image.set(resampleVolume(down, p.channels, small, p.shape, [3, 3, 3]));
    },
  },
  { name: 'inverted-gamma', probability: 0.1, apply: (p, rng) => eachChannel(p, (v) => gamma(v, uniform(rng, 0.7, 1.5), true)) },
  {
    name: 'gamma',
    probability: 0.3,
    // Half the time a gamma below 1, half above, so brightening and darkening are equally likely.
    apply: (p, rng) => eachChannel(p, (v) => gamma(v, rng.float() < 0.5 ? uniform(rng, 0.7, 1) : uniform(rng, 1, 1.5), false)),
  },
];

/** Flip image and label along `axis` in place (each axis flips with mirrorProbability(factor), after the table). */
export function mirrorPatch(p: Patch, axis: number): void {
  flipInPlace(p.image, p.channels, p.shape, axis);
  flipInPlace(p.label, 1, p.shape, axis);
}

export const MIRROR_PROBABILITY = 0.5;

/**
 * The per-axis mirroring probability at an augmentation factor: 0.5 x factor, capped at 0.5, not 1.
 * Unlike the intensity augmentations, a flip is not stronger when more frequent: at 0.5 the model
 * sees both orientations equally; above it, mostly the flipped one, which inference without test-time
 * mirroring never shows it. Measured (docs/results.md, hnas auto quiet run): a model trained at
 * factor 1.6 (flip probability 0.8 per axis) scored 74.4 % Dice on the original orientation and
 * 87.7 % on the all-axes-flipped one.
 */
export const mirrorProbability = (factor: number): number => Math.min(MIRROR_PROBABILITY, MIRROR_PROBABILITY * factor);

/** Run the intensity augmentations (probability p x factor, at most 1) and mirroring (mirrorProbability) on a patch. */
export function augmentPatch(p: Patch, factor: number, rng: Rng): string[] {
  const applied: string[] = [];
  if (factor <= 0) return applied;
  for (const aug of AUGMENTATIONS) {
    if (rng.float() < Math.min(1, aug.probability * factor)) {
      aug.apply(p, rng);
      applied.push(aug.name);
    }
  }
  for (let axis = 0; axis < 3; axis++) {
    if (rng.float() < mirrorProbability(factor)) {
      mirrorPatch(p, axis);
      applied.push(`mirror-${axis}`);
    }
  }
  return applied;
}
