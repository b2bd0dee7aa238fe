/** The seeded He initialisation: normal, right scale, independent across seeds and tensors. */
import { describe, expect, it } from 'vitest';
import { Graph } from '../../compiler/graph/graph.js';
import { initWeights } from '../../compiler/weights/init.js';
import { Rng } from '../../src/util/rng.js';

function draw(seed: number): Map<string, Float32Array> {
  const g = new Graph();
  g.param('a', [200_000], { kind: 'he', fanIn: 50, slope: 0.01 });
  g.param('b', [200_000], { kind: 'he', fanIn: 50, slope: 0.01 });
  return initWeights(g, Rng.seeded(seed));
}

const correlation = (x: Float32Array, y: Float32Array) => {
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < x.length; i++) {
    sxy += x[i]! * y[i]!;
    sxx += x[i]! ** 2;
    syy += y[i]! ** 2;
  }
  return sxy / Math.sqrt(sxx * syy);
};

describe('He initialisation', () => {
  it('is N(0, 2 / ((1 + 0.01^2) fan_in)): mean, std, the 1- and 2-sigma masses, kurtosis', () => {
    const w = draw(0).get('a')!;
    const std = Math.sqrt(2 / (1 + 1e-4) / 50);
    const n = w.length;
    const m = w.reduce((s, v) => s + v, 0) / n;
    const z = Array.from(w, (v) => v / std);
    const frac = (k: number) => z.filter((v) => Math.abs(v) < k).length / n;
    expect(Math.abs(m / std)).toBeLessThan(5 / Math.sqrt(n));
    expect(Math.sqrt(z.reduce((s, v) => s + v * v, 0) / n)).toBeCloseTo(1, 2);
    expect(frac(1)).toBeCloseTo(0.6827, 2);
    expect(frac(2)).toBeCloseTo(0.9545, 2);
    expect(z.reduce((s, v) => s + v ** 4, 0) / n).toBeCloseTo(3, 1);
  });

  it('is reproducible from the seed; nearby seeds and different tensors are uncorrelated', () => {
    const [w0, w0again, w1, w2] = [draw(0), draw(0), draw(1), draw(2)];
    expect(w0.get('a')).toEqual(w0again.get('a'));
    const bound = 5 / Math.sqrt(200_000);
    for (const [x, y] of [[w0.get('a')!, w1.get('a')!], [w1.get('a')!, w2.get('a')!], [w0.get('a')!, w0.get('b')!]] as const)
      expect(Math.abs(correlation(x, y))).toBeLessThan(bound);
  });
});
