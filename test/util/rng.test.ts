import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Rng } from '../../src/util/rng.js';

describe('Rng', () => {
  it('is reproducible from a seed and resumable from its state', () => {
    fc.assert(
      fc.property(fc.integer(), fc.nat(50), (seed, skip) => {
        const a = Rng.seeded(seed);
        for (let i = 0; i < skip; i++) a.float();
        const resumed = Rng.fromState(a.state());
        const fromA = Array.from({ length: 5 }, () => a.float());
        const fromResumed = Array.from({ length: 5 }, () => resumed.float());
        expect(fromResumed).toEqual(fromA);
      }),
    );
  });

  it('draws floats in [0,1) with mean 1/2 and normals with mean 0, variance 1', () => {
    const rng = Rng.seeded(7);
    const n = 200_000;
    let sum = 0, nsum = 0, nsq = 0;
    for (let i = 0; i < n; i++) {
      const u = rng.float();
      expect(u >= 0 && u < 1).toBe(true);
      sum += u;
      const z = rng.normal();
      nsum += z;
      nsq += z * z;
    }
    // 5 standard errors: sd(U) = 0.2887, sd(Z) = 1, sd(Z^2) = sqrt(2).
    expect(Math.abs(sum / n - 0.5)).toBeLessThan(5 * 0.2887 / Math.sqrt(n));
    expect(Math.abs(nsum / n)).toBeLessThan(5 / Math.sqrt(n));
    expect(Math.abs(nsq / n - 1)).toBeLessThan(5 * Math.SQRT2 / Math.sqrt(n));
  });

  it('categorical() follows the weights', () => {
    const rng = Rng.seeded(1);
    const w = [1, 0, 3, 6];
    const counts = [0, 0, 0, 0];
    const n = 100_000;
    for (let i = 0; i < n; i++) counts[rng.categorical(w)]!++;
    expect(counts[1]).toBe(0);
    for (const i of [0, 2, 3]) {
      const p = w[i]! / 10;
      expect(Math.abs(counts[i]! / n - p)).toBeLessThan(5 * Math.sqrt(p * (1 - p) / n));
    }
  });

  it('gives unrelated streams for nearby seeds', () => {
    // Nearby seeds once shared their first draws; the first draws of seeds 0..999 must look independent.
    const firsts = Array.from({ length: 1000 }, (_, seed) => Rng.seeded(seed).float());
    expect(new Set(firsts.map((u) => Math.floor(u * 1e6))).size).toBeGreaterThan(995);
    for (let seed = 0; seed < 1000; seed++) expect(Math.abs(firsts[seed]! - firsts[seed + 1 === 1000 ? 0 : seed + 1]!)).toBeGreaterThan(1e-9);
    // Mean and lag-1 correlation across seeds, within 5 standard errors of independent uniforms.
    const mean = firsts.reduce((a, b) => a + b, 0) / firsts.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(5 * 0.2887 / Math.sqrt(firsts.length));
    let cov = 0;
    for (let i = 1; i < firsts.length; i++) cov += (firsts[i]! - 0.5) * (firsts[i - 1]! - 0.5);
    expect(Math.abs(cov / (firsts.length - 1) / (1 / 12))).toBeLessThan(5 / Math.sqrt(firsts.length));
  });
});
