import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { GrammarCheckError, TreeError } from '../../src/errors.js';
import type { Grammar } from '../../src/grammar/grammar.js';
import { parseGrammar } from '../../src/grammar/parse.js';
import { printTree, treeTerminals, validateTree } from '../../src/grammar/tree.js';
import { isNode, type TreeNode } from '../../src/grammar/tree-types.js';
import { unetGrammar } from '../../src/grammar/unet.js';
import { unetPrior, weightsPrior, type GrammarPrior } from '../../src/tree-sampling/prior.js';
import { sampleTree, treeLogPrior } from '../../src/tree-sampling/sample.js';
import { Rng } from '../../src/util/rng.js';
import { enumerateTrees, grammarArb } from '../grammar/arbitraries.js';

const terminalsOf = (g: Grammar) => new Set([...g.rules.values()].flat().flatMap((a) => a.symbols.filter((s) => s.kind === 'terminal').map((s) => s.name)));
const height = (t: TreeNode): number => 1 + Math.max(0, ...t.children.filter(isNode).map(height));

/** |observed - p| within 5 standard errors of a binomial proportion. */
function expectFrequency(count: number, n: number, p: number): void {
  expect(Math.abs(count / n - p)).toBeLessThanOrEqual(5 * Math.sqrt((p * (1 - p)) / n) + 1e-12);
}

describe('sampleTree', () => {
  it('samples valid derivations whose yield is a string of terminals (random grammars)', () => {
    fc.assert(
      fc.property(grammarArb({ weighted: true }), fc.integer(), (g, seed) => {
        const rng = Rng.seeded(seed);
        const terminals = terminalsOf(g);
        for (let i = 0; i < 10; i++) {
          const t = sampleTree(g, weightsPrior(g), rng);
          validateTree(g, t);
          expect(treeTerminals(t).every((x) => terminals.has(x))).toBe(true);
        }
      }),
    );
  });

  it('respects the height bound on recursive grammars', () => {
    fc.assert(
      fc.property(grammarArb({ recursive: true, weighted: true }), fc.integer(), fc.integer({ min: 4, max: 12 }), (g, seed, maxDepth) => {
        const t = sampleTree(g, weightsPrior(g), Rng.seeded(seed), { maxDepth });
        validateTree(g, t);
        expect(height(t)).toBeLessThanOrEqual(maxDepth);
      }),
    );
    const g = parseGrammar('S -> x S | T\nT -> a\n');
    expect(() => sampleTree(g, weightsPrior(g), Rng.seeded(1), { maxDepth: 1 })).toThrow(GrammarCheckError);
  });

  it('is reproducible from the seed', () => {
    const g = unetGrammar(6);
    const p = unetPrior(6, 2, 'low');
    const draw = (seed: number) => Array.from({ length: 20 }, ((rng) => () => printTree(sampleTree(g, p, rng)))(Rng.seeded(seed)));
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
  });

  it('samples stage counts, block counts and categories with the prior probabilities', () => {
    const g = unetGrammar(4);
    const prior = unetPrior(4, 2, 'medium');
    const rng = Rng.seeded(2024);
    const n = 100_000;
    const stages = [0, 0, 0];
    const res2Blocks = new Array<number>(6).fill(0);
    let res2Total = 0;
    let batchNorm = 0;
    for (let i = 0; i < n; i++) {
      const t = sampleTree(g, prior, rng);
      const encoder = t.children[1] as TreeNode;
      stages[Number(encoder.symbol.slice(1)) - 2]!++;
      if (encoder.children[0] === 'res_encoder') {
        res2Total++;
        res2Blocks[(encoder.children.find((c) => isNode(c) && c.symbol === 'R2') as TreeNode).children.length - 1]!++;
      }
      if ((encoder.children[1] as TreeNode).children[0] === 'batch_norm') batchNorm++;
    }
    // The reference figures: P(2, 3, 4 stages) = 0.0016 / 0.1870 / 0.8114 (n_max 4, medium).
    [0.0016, 0.187, 0.8114].forEach((p, i) => expect(Math.abs(stages[i]! / n - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / n) + 0.00005));
    prior.get('S')!.forEach((p, i) => expectFrequency(stages[i]!, n, p));
    expectFrequency(res2Total, n, prior.get('E4')![1]!);
    prior.get('R2')!.forEach((p, i) => expectFrequency(res2Blocks[i]!, res2Total, p));
    expectFrequency(batchNorm, n, 0.2);
  });

  it('samples whole trees with probability exp(treeLogPrior), which sums to 1 over the language', () => {
    const g = parseGrammar('S -> a A B [0.6] | b B [0.4]\nA -> x [0.9] | y [0.1]\nB -> u [0.5] | v [0.25] | w B2 [0.25]\nB2 -> p | q\n');
    const prior = weightsPrior(g);
    const trees = enumerateTrees(g, 'S', 5);
    const probs = new Map(trees.map((t) => [printTree(t), Math.exp(treeLogPrior(g, prior, t))]));
    expect([...probs.values()].reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    const counts = new Map<string, number>();
    const rng = Rng.seeded(11);
    const n = 50_000;
    for (let i = 0; i < n; i++) {
      const key = printTree(sampleTree(g, prior, rng));
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    for (const [key, p] of probs) expectFrequency(counts.get(key) ?? 0, n, p);
  });

  it('log prior sums to 1 over all derivations of random weighted grammars', () => {
    fc.assert(
      fc.property(grammarArb({ weighted: true, maxRules: 4 }), (g) => {
        const prior: GrammarPrior = weightsPrior(g);
        const total = enumerateTrees(g, g.start, 10).reduce((sum, t) => sum + Math.exp(treeLogPrior(g, prior, t)), 0);
        expect(total).toBeCloseTo(1, 9);
      }),
      { numRuns: 100 },
    );
  });

  it('treeLogPrior rejects a tree outside the grammar', () => {
    const g = unetGrammar(4);
    expect(() => treeLogPrior(g, unetPrior(4, 2, 'high'), { symbol: 'S', children: ['unet'] })).toThrow(TreeError);
  });
});
