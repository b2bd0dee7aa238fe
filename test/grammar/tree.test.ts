import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { TreeError, type HnasError } from '../../src/errors.js';
import { parseGrammar } from '../../src/grammar/parse.js';
import {
  makeTreeFile,
  parseTreeFile,
  parseTreeString,
  printTree,
  readTreeFile,
  treeFileJson,
  treeTerminals,
  validateTree,
} from '../../src/grammar/tree.js';
import type { TreeNode } from '../../src/grammar/tree-types.js';
import { unetGrammar, unetRef } from '../../src/grammar/unet.js';
import { unetPrior } from '../../src/tree-sampling/prior.js';
import { sampleTree } from '../../src/tree-sampling/sample.js';
import { Rng } from '../../src/util/rng.js';
import { thrown } from '../helpers/thrown.js';

const name = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,5}$/);
const treeArb: fc.Arbitrary<TreeNode> = fc.letrec<{ node: TreeNode }>((tie) => ({
  node: fc.record({ symbol: name, children: fc.array(fc.oneof({ depthSize: 'small' }, name, tie('node')), { maxLength: 4 }) }),
})).node;


const g4 = unetGrammar(4);
const sample4 = (seed: number) => sampleTree(g4, unetPrior(4, 2, 'medium'), Rng.seeded(seed));

describe('derivation trees', () => {
  it('bracketed form: parse(print(t)) = t and print(parse(s)) = s', () => {
    fc.assert(
      fc.property(treeArb, (t) => {
        const s = printTree(t);
        expect(parseTreeString(s)).toEqual(t);
        expect(printTree(parseTreeString(s))).toBe(s);
      }),
    );
    expect(printTree(parseTreeString('(S unet\n  (E2 a b)  c )'))).toBe('(S unet (E2 a b) c)');
  });

  it('tree.json: parse(json(file)) = file', () => {
    fc.assert(
      fc.property(treeArb, fc.integer({ min: 2, max: 9 }), (tree, nMax) => {
        const file = makeTreeFile(unetRef(nMax), tree);
        expect(parseTreeFile(JSON.parse(treeFileJson(file)))).toEqual(file);
      }),
    );
  });

  it('bracketed syntax errors name line and column', () => {
    const err = thrown<HnasError>(() => parseTreeString('(S unet\n  (E2 a %))'));
    expect(err).toBeInstanceOf(TreeError);
    expect(err.location).toMatchObject({ line: 2, column: 9 });
    expect(thrown<HnasError>(() => parseTreeString('(S a'))).toBeInstanceOf(TreeError);
  });

  it('never crashes on fuzzed bracketed text: only TreeErrors with a position', () => {
    const pieces = ['(', ')', 'S', 'unet', 'E2', ' ', '\n', '%', '(S', 'a)', '1x', '"'];
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.array(fc.constantFrom(...pieces)).map((p) => p.join(''))), (text) => {
        try {
          parseTreeString(text);
        } catch (err) {
          expect(err).toBeInstanceOf(TreeError);
          expect((err as HnasError).location?.line).toBeGreaterThanOrEqual(1);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('validates sampled U-Net trees and yields their terminal strings', () => {
    const t = sample4(3);
    validateTree(g4, t);
    const terminals = treeTerminals(t);
    expect(terminals[0]).toBe('unet');
    expect(terminals.every((x) => /^[a-z_]+$/.test(x))).toBe(true);
  });

  it('rejects a tree of another grammar with the path and what is allowed', () => {
    const tree5 = sampleTree(unetGrammar(5), unetPrior(5, 2, 'high'), Rng.seeded(1)); // 5 stages are likely
    const withFive = tree5.children[1] as TreeNode;
    const err = thrown<HnasError>(() => validateTree(g4, { symbol: 'S', children: ['unet', withFive, tree5.children[2]!] }));
    expect(err).toBeInstanceOf(TreeError);
    expect(err.location?.path).toBe('S');
    expect(err.message).toContain(`S cannot derive 'unet (${withFive.symbol} ...)`);
    expect(err.message).toContain('the grammar allows S -> unet E2 D2 | unet E3 D3 | unet E4 D4');
  });

  it('names the path to a wrong node deep in the tree', () => {
    const text = printTree(sample4(5)).replace(/\(ENONLIN \w+\)/, '(ENONLIN swish)');
    const err = thrown<HnasError>(() => validateTree(g4, parseTreeString(text)));
    expect(err.location?.path).toMatch(/^S\/E\d\[1\]\/ENONLIN\[2\]$/);
    expect(err.message).toContain("ENONLIN cannot derive 'swish'; the grammar allows ENONLIN -> leaky_relu | relu | elu | prelu | gelu");
    const tooMany = printTree(sample4(6)).replace(/\(B1 [^)]*\)/, `(B1${' conv_block'.repeat(5)})`);
    expect(thrown<HnasError>(() => validateTree(g4, parseTreeString(tooMany))).location?.path).toMatch(/^S\/D\d\[2\]\/B1\[5\]$/);
    expect(thrown<HnasError>(() => validateTree(g4, { symbol: 'E4', children: [] })).message).toContain('root must expand the start symbol S');
  });

  it('rejects malformed tree files with the JSON path', () => {
    const cases: [unknown, string, string][] = [
      [{ format: 'x', version: 1, grammar: { name: 'unet' }, tree: { symbol: 'S', children: [] } }, '$.format', 'hnas-tree'],
      [{ format: 'hnas-tree', version: 2, grammar: { name: 'unet' }, tree: { symbol: 'S', children: [] } }, '$.version', 'expected 1'],
      [{ format: 'hnas-tree', version: 1, grammar: { name: 'unet', nMax: 1 }, tree: { symbol: 'S', children: [] } }, '$.grammar.nMax', ''],
      [{ format: 'hnas-tree', version: 1, grammar: { name: 'unet' }, tree: { symbol: 'S', children: ['a', { symbol: 'B', children: [7] }] } }, '$.tree.children[1].children[0]', 'terminal name or a node'],
      [{ format: 'hnas-tree', version: 1, grammar: { name: 'unet' }, tree: { symbol: 'S', children: [{ symbol: 'a b', children: [] }] } }, '$.tree.children[0].symbol', 'expected a name'],
      [[], '$', ''],
    ];
    for (const [json, path, message] of cases) {
      const err = thrown<HnasError>(() => parseTreeFile(json, 'x.json'));
      expect(err).toBeInstanceOf(TreeError);
      expect(err.location).toEqual({ file: 'x.json', path });
      expect(err.message).toContain(message);
    }
  });

  it('reads tree files from disk, reporting unreadable and non-JSON files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hnas-tree-'));
    const good = join(dir, 'tree.json');
    const file = makeTreeFile(unetRef(4), sample4(9));
    writeFileSync(good, treeFileJson(file));
    expect(readTreeFile(good)).toEqual(file);
    writeFileSync(join(dir, 'bad.json'), '{ "format": ');
    expect(thrown<HnasError>(() => readTreeFile(join(dir, 'bad.json'))).message).toMatch(/bad\.json:\d+:\d+: not valid JSON/);
    expect(thrown<HnasError>(() => readTreeFile(join(dir, 'missing.json')))).toBeInstanceOf(TreeError);
  });

  it('works for any grammar of the language', () => {
    const g = parseGrammar('S -> x A A\nA -> a | b\n');
    validateTree(g, parseTreeString('(S x (A a) (A b))'));
    expect(thrown<HnasError>(() => validateTree(g, parseTreeString('(S x (A a) (A c))'))).location?.path).toBe('S/A[2]');
  });
});
