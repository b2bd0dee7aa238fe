import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SCHEDULES } from '../../src/runtime/schedules.js';

describe('learning-rate schedules', () => {
  it('PolyLR is lr0 (1 - e/E)^0.9 (nnU-Net), cosine halves at mid-run, constant is constant', () => {
    expect(SCHEDULES.poly(0.01, 0, 1000)).toBe(0.01);
    expect(SCHEDULES.poly(0.01, 500, 1000)).toBeCloseTo(0.01 * 0.5 ** 0.9, 15);
    expect(SCHEDULES.cosine(0.01, 500, 1000)).toBeCloseTo(0.005, 15);
    expect(SCHEDULES.constant(0.01, 999, 1000)).toBe(0.01);
  });

  it('every schedule starts at lr0, never increases and stays in (0, lr0]', () => {
    fc.assert(fc.property(fc.double({ min: 1e-5, max: 1, noNaN: true }), fc.integer({ min: 2, max: 2000 }), (lr0, epochs) => {
      for (const s of Object.values(SCHEDULES)) {
        expect(s(lr0, 0, epochs)).toBeCloseTo(lr0, 12);
        let prev = Infinity;
        for (let e = 0; e < epochs; e += Math.max(1, Math.floor(epochs / 50))) {
          const lr = s(lr0, e, epochs);
          expect(lr).toBeGreaterThan(0);
          expect(lr).toBeLessThanOrEqual(prev + 1e-15);
          prev = lr;
        }
      }
    }));
  });
});
