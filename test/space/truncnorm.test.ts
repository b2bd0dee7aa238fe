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
  it('log-density equals the closed form (scipy.stats.truncnorm)', () => {
    // [mu, sigma, x, logpdf] on [0, 1], from /usr/bin/python3 with scipy 1.x:
    //   from scipy.stats import truncnorm
    //   truncnorm((0 - mu) / s, (1 - mu) / s, loc=mu, scale=s).logpdf(x)
    const cases = [
      [0.5, 0.25, 0.5, 0.513923740207608],
      [0.5, 0.25, 0.05, -1.106076259792392],
      [0.9, 0.25, 0.2, -3.029925014815336],
      [0.9, 0.25, 1.0, 0.8100749851846631],
      [0.0, 0.125, 0.3, -1.02634981096489],
      [0.3, 0.5, 0.99, -0.7394712322289895],
      [0.7, 0.125, 0.0, -14.511265660236345],
    ] as const;
    for (const [mu, sigma, x, expected] of cases) expect(Math.abs(truncNormLogPdf(x, mu, sigma) - expected), `${[mu, sigma, x]}`).toBeLessThan(1e-6);
  });
  it('is -Infinity outside the interval', () => {
    expect(truncNormLogPdf(-0.01, 0.5, 0.25)).toBe(-Infinity);
    expect(truncNormLogPdf(1.01, 0.5, 0.25)).toBe(-Infinity);
  });
  it("samples have the closed-form mean, std and CDF (scipy.stats.truncnorm)", () => {
    // [mu, sigma, mean, std] from /usr/bin/python3:
    //   d = truncnorm((0 - mu) / s, (1 - mu) / s, loc=mu, scale=s); d.mean(), d.std()
    const moments = [
      [0.9, 0.25, 0.7597286721971928, 0.16900699710211026],
      [0.5, 0.25, 0.5, 0.21990641525855995],
      [0.1, 0.5, 0.3872038042035634, 0.25717610166276694],
      [1.0, 0.125, 0.900264429899643, 0.07535128437362901],
    ] as const;
    // d.cdf(q) for mu 0.9, sigma 0.25 at q = 0.2, 0.4, 0.6, 0.8, 0.95.
    const cdf = [[0.2, 0.003656582291633068], [0.4, 0.03447628816234729], [0.6, 0.17536565621316935], [0.8, 0.5256200070680944], [0.95, 0.8837686931418884]] as const;
    const rng = Rng.seeded(7);
    const n = 20000;
    for (const [mu, sigma, mean, std] of moments) {
      const xs = Float64Array.from({ length: n }, () => sampleTruncNorm(mu, sigma, rng));
      expect(xs.every((x) => x >= 0 && x <= 1)).toBe(true);
      const m = xs.reduce((a, b) => a + b, 0) / n;
      const sd = Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / n);
      expect(Math.abs(m - mean), `mean at ${[mu, sigma]}`).toBeLessThan((5 * std) / Math.sqrt(n));
      expect(Math.abs(sd / std - 1), `std at ${[mu, sigma]}`).toBeLessThan(0.03);
      if (mu === 0.9 && sigma === 0.25)
        for (const [q, p] of cdf) expect(Math.abs(xs.filter((x) => x <= q).length / n - p), `cdf(${q})`).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / n));
    }
  });
});
