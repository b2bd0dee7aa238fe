import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseGrammar } from '../../src/grammar/parse.js';
import { unetGrammar } from '../../src/grammar/unet.js';
import { erfc, normalInterval } from '../../src/tree-sampling/normal.js';
import { categoricalPrior, integerPrior, unetPrior, weightsPrior } from '../../src/tree-sampling/prior.js';

/** Independent reference: composite Simpson's rule on the standard normal density. */
function simpsonInterval(lo: number, hi: number, steps = 20_000): number {
  const f = (x: number) => Math.exp(-x * x / 2) / Math.sqrt(2 * Math.PI);
  const h = (hi - lo) / steps;
  let sum = f(lo) + f(hi);
  for (let i = 1; i < steps; i++) sum += (i % 2 ? 4 : 2) * f(lo + i * h);
  return (sum * h) / 3;
}

describe('normal interval probabilities', () => {
  it('erfc matches libm values (CPython math.erfc) to 1e-13 relative', () => {
    const reference: [number, number][] = [
      [0.5, 0.4795001221869535],
      [1, 0.15729920705028513],
      [2, 0.004677734981047265],
      [3, 2.2090496998585438e-5],
      [4, 1.541725790028002e-8],
      [5, 1.5374597944280351e-12],
      [10, 2.088487583762545e-45],
      [-1, 1.842700792949715],
    ];
    for (const [x, y] of reference) expect(Math.abs(erfc(x) - y) / y).toBeLessThan(1e-13);
  });

  it('normalInterval equals Simpson integration of the density', () => {
    fc.assert(
      fc.property(fc.double({ min: -8, max: 8, noNaN: true }), fc.double({ min: 0.01, max: 3, noNaN: true }), (lo, width) => {
        const exact = simpsonInterval(lo, lo + width);
        expect(Math.abs(normalInterval(lo, lo + width) - exact)).toBeLessThanOrEqual(1e-10 * exact + 1e-300);
      }),
    );
  });
});

describe('priors', () => {
  it('reproduces the reference P(2, 3, 4 stages | n_max 4, medium) = 0.0016 / 0.1870 / 0.8114', () => {
    const p = unetPrior(4, 2, 'medium').get('S')!;
    expect([...p].map((x) => x.toFixed(4))).toEqual(['0.0016', '0.1870', '0.8114']);
  });

  it('integer prior = truncated normal integrated over unit buckets (Simpson reference)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 10 }),
        fc.nat(),
        fc.constantFrom(['low', 0.5] as const, ['medium', 0.25] as const, ['high', 0.125] as const),
        (lo, width, pick, [confidence, c]) => {
          const values = Array.from({ length: width + 1 }, (_, i) => lo + i);
          const centre = values[pick % values.length]!;
          const std = width * c;
          const mass = values.map((k) => simpsonInterval((k - 0.5 - centre) / std, (k + 0.5 - centre) / std));
          const total = mass.reduce((a, b) => a + b, 0);
          const p = integerPrior(values, centre, confidence);
          values.forEach((_, i) => expect(Math.abs(p[i]! - mass[i]! / total)).toBeLessThan(1e-9));
        },
      ),
    );
    expect([...integerPrior([3], 3, 'high')]).toEqual([1]);
  });

  it('categorical prior weights the default 2 / 4 / 6 against 1', () => {
    expect([...categoricalPrior(5, 0, 'low')]).toEqual([2 / 6, 1 / 6, 1 / 6, 1 / 6, 1 / 6]);
    expect([...categoricalPrior(2, 1, 'medium')]).toEqual([0.2, 0.8]);
    expect([...categoricalPrior(2, 0, 'high')].map((x) => x * 7)).toEqual([6, 1]);
    expect([...categoricalPrior(4, 2, 'uniform')]).toEqual([0.25, 0.25, 0.25, 0.25]);
  });

  it('gives every rule of the U-Net grammar a distribution of the right length, peaked at the default', () => {
    for (const confidence of ['low', 'medium', 'high', 'uniform'] as const) {
      const g = unetGrammar(6, 2);
      const prior = unetPrior(6, 2, confidence);
      expect([...prior.keys()]).toEqual([...g.rules.keys()]);
      for (const [head, alts] of g.rules) {
        const p = prior.get(head)!;
        expect(p.length).toBe(alts.length);
        expect(Math.abs(p.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-12);
      }
      if (confidence !== 'uniform') {
        const argmax = (p: Float64Array) => p.indexOf(Math.max(...p));
        expect(argmax(prior.get('S')!)).toBe(3); // 6 stages
        expect(argmax(prior.get('R4')!)).toBe(5); // 6 blocks
        expect(argmax(prior.get('C1')!)).toBe(1); // 2 blocks
        expect(argmax(prior.get('E5')!)).toBe(0); // conv encoder
        expect(argmax(prior.get('ENONLIN')!)).toBe(0); // leaky_relu
        expect(argmax(prior.get('DDROPOUT')!)).toBe(1); // no dropout
      }
    }
  });

  it('takes a grammar file\'s weights, uniform where it gives none', () => {
    const prior = weightsPrior(parseGrammar('S -> a A [0.3] | b [0.7]\nA -> x | y | z\n'));
    expect([...prior.get('S')!]).toEqual([0.3, 0.7]);
    expect([...prior.get('A')!]).toEqual([1 / 3, 1 / 3, 1 / 3]);
  });
});
