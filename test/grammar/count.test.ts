import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { GrammarCheckError } from '../../src/errors.js';
import { unboundedSymbols } from '../../src/grammar/analysis.js';
import { countAll, countDerivations } from '../../src/grammar/count.js';
import { parseGrammar } from '../../src/grammar/parse.js';
import { enumerateTrees, grammarArb } from './arbitraries.js';

describe('countDerivations', () => {
  it('equals brute-force enumeration on random non-recursive grammars, per nonterminal', () => {
    fc.assert(
      fc.property(grammarArb({ maxRules: 5 }), (g) => {
        const all = countAll(g);
        for (const head of g.rules.keys()) {
          const brute = BigInt(enumerateTrees(g, head, 10).length);
          expect(countDerivations(g, head)).toBe(brute);
          expect(all.get(head)).toBe(brute);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('counts recursive grammars up to a depth, matching enumeration', () => {
    fc.assert(
      fc.property(grammarArb({ recursive: true, maxRules: 3 }), fc.integer({ min: 1, max: 3 }), (g, depth) => {
        expect(countDerivations(g, g.start, depth)).toBe(BigInt(enumerateTrees(g, g.start, depth).length));
      }),
      { numRuns: 150 },
    );
  });

  it('detects recursion and refuses an unbounded count', () => {
    const g = parseGrammar('S -> x A | y\nA -> a S | b\n');
    expect(unboundedSymbols(g)).toEqual(new Set(['S', 'A']));
    expect(() => countDerivations(g)).toThrow(GrammarCheckError);
    // One tree of S per height: y (1), x (A b) (2), x (A a (S y)) (3), x (A a (S x (A b))) (4), ...
    expect(countDerivations(g, 'S', 3)).toBe(3n);
    expect(countDerivations(g, 'S', 5)).toBe(5n);
    expect(countDerivations(g, 'A', 5)).toBe(5n);
  });

  it('a non-recursive symbol of a recursive grammar still counts exactly', () => {
    const g = parseGrammar('S -> x S | L\nL -> a | b | c\n');
    expect(countDerivations(g, 'L')).toBe(3n);
    expect(unboundedSymbols(g).has('L')).toBe(false);
  });
});
