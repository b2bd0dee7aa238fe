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
});
