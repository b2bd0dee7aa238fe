/**
 * Intensity normalisation per channel, nnU-Net's two schemes in one table:
 * CT clips to the dataset's foreground 0.5/99.5 percentiles and z-scores with the
 * dataset's foreground mean/std; everything else z-scores each image by its own
 * statistics (inside the nonzero mask when the plan says so, zero outside).
 */
import type { IntensityProperties, NormalizationScheme } from './plan-types.js';

type Normalizer = (values: Float32Array, mask: Uint8Array | undefined, props: IntensityProperties) => void;

const NORMALIZERS: Record<NormalizationScheme, Normalizer> = {
  ct: (v, _mask, p) => {
    const std = Math.max(p.std, 1e-8);
    for (let i = 0; i < v.length; i++) v[i] = (Math.min(Math.max(v[i]!, p.percentile_00_5), p.percentile_99_5) - p.mean) / std;
  },
  zscore: (v, mask) => {
    let n = 0;
    let sum = 0;
    for (let i = 0; i < v.length; i++) if (!mask || mask[i]) (sum += v[i]!), n++;
    const mean = n ? sum / n : 0;
    let sq = 0;
    for (let i = 0; i < v.length; i++) if (!mask || mask[i]) sq += (v[i]! - mean) ** 2;
    const std = Math.max(n ? Math.sqrt(sq / n) : 0, 1e-8);
    for (let i = 0; i < v.length; i++) v[i] = !mask || mask[i] ? (v[i]! - mean) / std : 0;
  },
};

/** Normalise channel `c` of a channel-first volume in place. */
export function normalizeChannel(
  image: Float32Array,
  channel: number,
  voxels: number,
  scheme: NormalizationScheme,
  props: IntensityProperties,
  mask?: Uint8Array,
): void {
  NORMALIZERS[scheme](image.subarray(channel * voxels, (channel + 1) * voxels), mask, props);
}
