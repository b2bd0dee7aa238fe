import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { GrammarCheckError, GrammarSyntaxError, HnasError } from '../../src/errors.js';
import { grammarsEqual } from '../../src/grammar/grammar.js';
import { parseGrammar } from '../../src/grammar/parse.js';
import { printGrammar } from '../../src/grammar/print.js';
import { grammarArb } from './arbitraries.js';

function errorOf(text: string): HnasError {
  try {
    parseGrammar(text, 'g.grammar');
  } catch (err) {
    if (err instanceof HnasError) return err;
    throw err;
  }
  throw new Error(`expected an error for ${JSON.stringify(text)}`);
}

describe('grammar language', () => {
  it('parses rules, continuation lines, comments, weights and split rules', () => {
    const g = parseGrammar(
      [
        '# a comment line',
        'S -> x A   # trailing comment',
        '   | y',
        '',
        'A -> a [0.25]',
        '   | b [0.75]',
        'S -> z',
      ].join('\n'),
    );
    expect(g.start).toBe('S');
    expect([...g.rules.keys()]).toEqual(['S', 'A']);
    expect(g.rules.get('S')!.map((a) => a.symbols.map((s) => `${s.kind[0]}:${s.name}`).join(' '))).toEqual(['t:x n:A', 't:y', 't:z']);
    expect(g.rules.get('A')!.map((a) => a.weight)).toEqual([0.25, 0.75]);
  });

  it.each([
    ['S -> a\n  -> b', 2, 3, "unexpected '->'"],
    ['S -> a [0.5\n', 1, 12, "expected ']'"],
    ['s -> a', 1, 1, "unexpected terminal 's'; expected a nonterminal"],
    ['S -> a $', 1, 8, 'unexpected character "$"'],
    ['S ->\n', 1, 5, 'unexpected end of line; expected a nonterminal (upper-case name) or a terminal'],
    ['S -> a [x]', 1, 9, "unexpected terminal 'x'; expected a number"],
  ])('syntax error in %j names line %i, column %i', (text, line, column, message) => {
    const err = errorOf(text);
    expect(err).toBeInstanceOf(GrammarSyntaxError);
    expect(err.location).toMatchObject({ file: 'g.grammar', line, column });
    expect(err.message).toContain(message);
  });

  it('rejects an empty grammar', () => {
    expect(errorOf('# nothing\n')).toBeInstanceOf(GrammarSyntaxError);
  });

  it.each([
    ['S -> a B', 1, 8, "undefined nonterminal 'B'"],
    ['S -> a\nA -> b', 2, 1, 'rule A is unreachable from the start symbol S'],
    ['S -> a | A\nA -> b A', 2, 1, 'A is not productive'],
    ['S -> a [0.5] | b', 1, 16, "alternative 'b' has no weight"],
    ['S -> a [-0.5] | b [1.5]', 1, 6, 'weight -0.5 must be a finite number >= 0'],
    ['S -> a [0.5] | b [0.4]', 1, 1, 'weights sum to 0.9'],
    ['S -> a b\n   | c\n   | a b', 3, 6, "duplicate alternative 'a b' (same as alternative 1)"],
  ])('static check of %j fails at line %i, column %i', (text, line, column, message) => {
    const err = errorOf(text);
    expect(err).toBeInstanceOf(GrammarCheckError);
    expect(err.location).toMatchObject({ line, column });
    expect(err.message).toContain(message);
  });

  it('print then parse gives an equal grammar (random grammars, weighted or not, recursive or not)', () => {
    fc.assert(
      fc.property(
        fc.tuple(fc.boolean(), fc.boolean()).chain(([recursive, weighted]) => grammarArb({ recursive, weighted })),
        (g) => {
          expect(grammarsEqual(parseGrammar(printGrammar(g, ['generated'])), g)).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('never crashes on fuzzed text: every failure is a typed error with a position', () => {
    const pieces = ['S', 'A', 'x', 'y', '->', '|', '[', ']', '0.5', '-1', '#c', '\n', ' ', '$', '(', 'é', '\t', '1e400'];
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.array(fc.constantFrom(...pieces)).map((p) => p.join(''))), (text) => {
        try {
          parseGrammar(text);
        } catch (err) {
          expect(err).toBeInstanceOf(HnasError);
          const e = err as HnasError;
          expect(e instanceof GrammarSyntaxError || e instanceof GrammarCheckError).toBe(true);
          expect(e.location?.line !== undefined || e.location?.path !== undefined).toBe(true);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
