import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { erfc, normalCdf, sampleTruncNorm, truncNormLogPdf } from '../../src/space/truncnorm.js';
import { Rng } from '../../src/util/rng.js';

/** Composite Simpson rule in float64: the independent reference for integrals. */
function simpson(f: (x: number) => number, a: number, b: number, n = 2000): number {
  const h = (b - a) / n;
  let s = f(a) + f(b);
  for (let i = 1; i < n; i++) s += (i % 2 ? 4 : 2) * f(a + i * h);
  return (s * h) / 3;
}

describe('erfc / normal CDF', () => {
  it('matches tabulated values', () => {
    // erfc values from standard tables (Abramowitz & Stegun 7.1).
    for (const [x, v] of [[0, 1], [0.5, 0.4795001221869535], [1, 0.15729920705028513], [2, 0.004677734981047266], [-1, 1.8427007929497148]] as const)
      expect(Math.abs(erfc(x) - v) / v).toBeLessThan(2e-7);
  });
  it('CDF is the integral of the density', () => {
    const phi = (t: number) => Math.exp(-0.5 * t * t) / Math.sqrt(2 * Math.PI);
    for (const x of [-2.5, -1, 0.3, 1.7]) expect(normalCdf(x)).toBeCloseTo(0.5 + simpson(phi, 0, x), 6);
  });
});

describe('truncated normal', () => {
  it('log-density integrates to 1 over [0, 1]', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1, noNaN: true }), fc.constantFrom(0.5, 0.25, 0.125), (mu, sigma) => {
        const total = simpson((x) => Math.exp(truncNormLogPdf(x, mu, sigma)), 0, 1);
        expect(total).toBeCloseTo(1, 5);
      }),
      { numRuns: 30 },
    );
  });
  it('is -Infinity outside the interval', () => {
    expect(truncNormLogPdf(-0.01, 0.5, 0.25)).toBe(-Infinity);
    expect(truncNormLogPdf(1.01, 0.5, 0.25)).toBe(-Infinity);
  });
  it('samples have the mean of the density', () => {
    const rng = Rng.seeded(7);
    const mu = 0.9;
    const sigma = 0.25;
    const n = 20000;
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const x = sampleTruncNorm(mu, sigma, rng);
      expect(x >= 0 && x <= 1).toBe(true);
      sum += x;
    }
    const mean = simpson((x) => x * Math.exp(truncNormLogPdf(x, mu, sigma)), 0, 1);
    expect(Math.abs(sum / n - mean)).toBeLessThan(0.005);
  });
});
