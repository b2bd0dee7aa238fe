/**
 * U-Net topology from spacing and patch size, nnU-Net's rules: pool every axis that
 * is still >= 2 x the minimum feature-map edge and within 2x of the finest spacing
 * (a lone axis needs >= 3 x the edge); kernels are 3 on axes within 2x of the finest
 * spacing, else 1; the bottleneck always gets 3x3x3; the patch is rounded up to a
 * multiple of 2^(pools per axis).
 */
import type { Vec3 } from './plan-types.js';

export interface Topology {
  /** Pool operations per axis. */
  readonly poolsPerAxis: Vec3;
  /** Per stage: stride of its first conv; stage 0 is [1,1,1]. Length = n_stages. */
  readonly strides: Vec3[];
  /** Per stage: conv kernel size. Length = n_stages. */
  readonly kernelSizes: Vec3[];
  /** The patch rounded up to a multiple of mustBeDivisibleBy. */
  readonly patchSize: Vec3;
  readonly mustBeDivisibleBy: Vec3;
}

export const MIN_FEATURE_MAP_EDGE = 4;

export function computeTopology(spacing: Vec3, patch: Vec3, minEdge = MIN_FEATURE_MAP_EDGE, maxPoolsPerAxis = 999999): Topology {
  const currentSpacing = [...spacing];
  const currentSize = [...patch];
  const strides: Vec3[] = [[1, 1, 1]];
  const kernelSizes: Vec3[] = [];
  const pools: Vec3 = [0, 0, 0];
  const kernel: Vec3 = [1, 1, 1];

  for (;;) {
    let valid = [0, 1, 2].filter((a) => currentSize[a]! >= 2 * minEdge);
    if (valid.length === 0) break;
    const minValidSpacing = Math.min(...valid.map((a) => currentSpacing[a]!));
    valid = valid.filter((a) => currentSpacing[a]! / minValidSpacing < 2 && pools[a]! < maxPoolsPerAxis);
    if (valid.length === 1 && currentSize[valid[0]!]! < 3 * minEdge) break;
    if (valid.length === 0) break;

    // Kernels turn 3 once their axis is within 2x of the finest spacing, and stay 3.
    const minSpacing = Math.min(...currentSpacing);
    for (let a = 0; a < 3; a++) if (kernel[a] !== 3 && currentSpacing[a]! / minSpacing < 2) kernel[a] = 3;

    const stride: Vec3 = [1, 1, 1];
    for (const a of valid) {
      stride[a] = 2;
      pools[a]++;
      currentSpacing[a]! *= 2;
      currentSize[a] = Math.ceil(currentSize[a]! / 2);
    }
    strides.push(stride);
    kernelSizes.push([...kernel]);
  }
  kernelSizes.push([3, 3, 3]); // bottleneck

  const mustBeDivisibleBy = pools.map((p) => 2 ** p) as Vec3;
  const patchSize = patch.map((s, a) => Math.ceil(s / mustBeDivisibleBy[a]!) * mustBeDivisibleBy[a]!) as Vec3;
  return { poolsPerAxis: pools, strides, kernelSizes, patchSize, mustBeDivisibleBy };
}
