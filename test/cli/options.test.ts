import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { foldsParser, intOption, parseFeatures, parsePatch } from '../../src/cli/options.js';
import { UsageError } from '../../src/errors.js';

describe('shared option parsers', () => {
  it('intOption: every integer in range round-trips through its decimal text', () => {
    const parse = intOption('--n', -1000, 1_000_000);
    fc.assert(fc.property(fc.integer({ min: -1000, max: 1_000_000 }), (n) => parse(String(n)) === n));
  });
  it('intOption: only plain decimal integers (no spaces, hex, exponents, fractions, signs)', () => {
    const parse = intOption('--stages', 2, 12);
    for (const bad of [' 4', '4 ', '0x4', '0o4', '0b100', '4.0', '4e0', '+4', '', '4,', 'four', '13', '1'])
      expect(() => parse(bad), JSON.stringify(bad)).toThrow(/--stages must be an integer in 2\.\.12/);
    expect(parse('04')).toBe(4);
    expect(Object.is(intOption('--seed', 0)('-0'), 0)).toBe(true);
    fc.assert(fc.property(fc.string(), (s) => {
      if (/^-?\d+$/.test(s)) return true;
      expect(() => intOption('--n')(s)).toThrow(UsageError);
      return true;
    }));
  });
  it('the CLI reads --stages the same way', async () => {
    const { runCli } = await import('../helpers/cli.js');
    for (const bad of [' 4', '0x4']) {
      const r = await runCli('count', '--stages', bad);
      expect(r.code, bad).toBe(2);
      expect(r.err).toMatch(/--stages must be an integer/);
    }
    expect((await runCli('count', '--stages', '4')).code).toBe(0);
  });
  it('parsePatch, parseFeatures: digits only', () => {
    expect(parsePatch('40x56x40')).toEqual([40, 56, 40]);
    expect(parsePatch('40,56,40')).toEqual([40, 56, 40]);
    expect(parsePatch('32')).toEqual([32, 32, 32]);
    for (const bad of ['40x56', '0x4x4', '4.5x4x4', ' 4x4x4', '4x4x4x4', '']) expect(() => parsePatch(bad), bad).toThrow(/--patch must be three positive integers/);
    expect(parseFeatures('8,64')).toEqual({ base: 8, max: 64 });
    for (const bad of ['8', '64,8', '0,8', '8,64,1', '0x8,64']) expect(() => parseFeatures(bad), bad).toThrow(/--features/);
  });
  it("--folds: '0', '0,2', '0..4', 'all' where allowed; every accepted list is distinct folds in 0..4", () => {
    const withAll = foldsParser({ all: true });
    const cv = foldsParser({ all: false });
    expect(withAll('all')).toEqual(['all']);
    expect(() => cv('all')).toThrow(/without validation/);
    expect(cv('0..4')).toEqual([0, 1, 2, 3, 4]);
    expect(cv('all5')).toEqual([0, 1, 2, 3, 4]);
    for (const bad of ['7', '0..5', '0,0', ' 0', '0x1', '-1', '']) expect(() => withAll(bad), bad).toThrow(/--folds/);
    fc.assert(fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 4 }), { minLength: 1 }), (folds) => {
      expect(cv(folds.join(','))).toEqual(folds);
    }));
  });
});
