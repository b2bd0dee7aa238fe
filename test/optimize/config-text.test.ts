import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { configText } from '../../src/optimize/report.js';

describe('configText (what people read)', () => {
  it('fractional numbers to 3 significant digits, integers and strings as they are', () => {
    expect(configText({ lr: 0.0123456, wd: 3.0017e-5, batch: 2, opt: 'sgd', p: 0.5 })).toBe('lr=0.0123 wd=0.00003 batch=2 opt=sgd p=0.5');
  });
  it('the rounding is within half a unit of the third significant digit', () => {
    fc.assert(fc.property(fc.double({ min: 1e-6, max: 1e6, noNaN: true }).filter((x) => !Number.isInteger(x)), (x) => {
      const shown = Number(configText({ x }).slice(2));
      expect(Math.abs(shown - x)).toBeLessThanOrEqual(0.005 * Math.abs(x) + Number.EPSILON);
    }));
  });
});
