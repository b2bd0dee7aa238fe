/**
 * The truncated normal distribution on an interval, used for priors and local search
 * in the unit space. Sampling is by rejection: every caller centres the normal inside
 * the interval, so at least about a third of the draws are accepted.
 */
import { erfc } from '../tree-sampling/normal.js';
import type { Rng } from '../util/rng.js';

export { erfc };

/** Standard normal CDF. */
export const normalCdf = (x: number): number => 0.5 * erfc(-x / Math.SQRT2);

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/** Log density of N(mu, sigma) truncated to [lo, hi]; -Infinity outside. */
export function truncNormLogPdf(x: number, mu: number, sigma: number, lo = 0, hi = 1): number {
  if (x < lo || x > hi) return -Infinity;
  const z = (x - mu) / sigma;
  const mass = normalCdf((hi - mu) / sigma) - normalCdf((lo - mu) / sigma);
  return -0.5 * z * z - LOG_SQRT_2PI - Math.log(sigma) - Math.log(mass);
}

/** One draw of N(mu, sigma) truncated to [lo, hi]. */
export function sampleTruncNorm(mu: number, sigma: number, rng: Rng, lo = 0, hi = 1): number {
  for (let i = 0; i < 10_000; i++) {
    const x = mu + sigma * rng.normal();
    if (x >= lo && x <= hi) return x;
  }
  // Unreachable for centres inside the interval; clamp rather than loop forever.
  return Math.min(hi, Math.max(lo, mu));
}
