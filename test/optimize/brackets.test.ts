import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { bracketEpochs, hyperbandSchedule, scheduleTotals } from '../../src/optimize/brackets.js';
import { ConfigError } from '../../src/errors.js';

describe('Hyperband schedule', () => {
  it('reproduces the reference setup (min 10, max 1000, eta 3)', () => {
    const s = hyperbandSchedule({ minBudget: 10, maxBudget: 1000, eta: 3 });
    expect(s.sMax).toBe(4);
    expect(s.budgets).toEqual([12, 37, 111, 333, 1000]);
    expect(s.brackets.map((b) => b.rungs.map((r) => r.configs))).toEqual([[81, 27, 9, 3, 1], [27, 9, 3, 1], [9, 3, 1], [6, 2], [5]]);
    const t = scheduleTotals(s);
    expect(t).toMatchObject({ brackets: 5, newConfigs: 128, evaluations: 187, nominalEpochs: 21000 });
    // The paper: 22,000 epochs with the default; 18,308 when promoted runs continue from their checkpoint.
    expect(t.epochsWithContinuation + 1000).toBe(18308);
    expect(t.nominalEpochs).toBeCloseTo(21000, 6);
  });

  it('obeys the Hyperband laws for any budgets', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1, max: 3000 }), fc.integer({ min: 2, max: 5 }), (min, factor, eta) => {
        const max = min * factor;
        const s = hyperbandSchedule({ minBudget: min, maxBudget: max, eta });
        expect(eta ** s.sMax).toBeLessThanOrEqual(factor);
        expect(eta ** (s.sMax + 1)).toBeGreaterThan(factor);
        expect(s.nominalBudgets[s.sMax]).toBe(max);
        for (let i = 1; i <= s.sMax; i++) expect(s.nominalBudgets[i]! / s.nominalBudgets[i - 1]!).toBeCloseTo(eta, 9);
        for (const b of s.brackets) {
          expect(b.rungs).toHaveLength(s.sMax - b.s + 1);
          expect(b.rungs[0]!.rung).toBe(b.s);
          expect(b.rungs.at(-1)!.rung).toBe(s.sMax);
          const n = b.rungs[0]!.configs;
          b.rungs.forEach((r, j) => expect(r.configs).toBe(Math.floor(n / eta ** j)));
          expect(bracketEpochs(s, b, { continuation: true })).toBeLessThanOrEqual(bracketEpochs(s, b, { continuation: false }));
        }
      }),
    );
  });

  it('rejects bad budgets with a typed error', () => {
    expect(() => hyperbandSchedule({ minBudget: 0, maxBudget: 10, eta: 3 })).toThrow(ConfigError);
    expect(() => hyperbandSchedule({ minBudget: 10, maxBudget: 5, eta: 3 })).toThrow(/maxBudget/);
    expect(() => hyperbandSchedule({ minBudget: 1, maxBudget: 5, eta: 1.5 })).toThrow(/eta/);
  });
});
