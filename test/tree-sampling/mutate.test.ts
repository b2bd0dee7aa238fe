import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { TreeError } from '../../src/errors.js';
import { countDerivations } from '../../src/grammar/count.js';
import { parseGrammar } from '../../src/grammar/parse.js';
import { printTree, treeSize, treeTerminals, treesEqual, validateTree } from '../../src/grammar/tree.js';
import type { TreeNode } from '../../src/grammar/tree-types.js';
import { unetGrammar } from '../../src/grammar/unet.js';
import { crossoverTrees, mutateTree } from '../../src/tree-sampling/mutate.js';
import { unetPrior, weightsPrior } from '../../src/tree-sampling/prior.js';
import { sampleTree } from '../../src/tree-sampling/sample.js';
import { Rng } from '../../src/util/rng.js';
import { grammarArb } from '../grammar/arbitraries.js';

const deepFreeze = (t: TreeNode): TreeNode => {
  for (const c of t.children) if (typeof c !== 'string') deepFreeze(c);
  Object.freeze(t.children);
  return Object.freeze(t);
};

describe('mutateTree', () => {
  it('stays in the language and differs from the input whenever the language has another tree', () => {
    fc.assert(
      fc.property(grammarArb({ weighted: true }), fc.integer(), fc.option(fc.double({ min: 0.01, max: 1, noNaN: true })), (g, seed, rate) => {
        const prior = weightsPrior(g);
        const rng = Rng.seeded(seed);
        const tree = deepFreeze(sampleTree(g, prior, rng));
        const mutated = mutateTree(g, prior, tree, rng, rate === null ? {} : { rate });
        validateTree(g, mutated);
        expect(treesEqual(mutated, tree)).toBe(countDerivations(g) === 1n);
      }),
      { numRuns: 300 },
    );
  });

  it('stays in the language of recursive grammars', () => {
    fc.assert(
      fc.property(grammarArb({ recursive: true, weighted: true }), fc.integer(), (g, seed) => {
        const prior = weightsPrior(g);
        const rng = Rng.seeded(seed);
        const tree = sampleTree(g, prior, rng, { maxDepth: 8 });
        validateTree(g, mutateTree(g, prior, tree, rng, { maxDepth: 8 }));
      }),
    );
  });

  it('differs even when the prior gives the other alternatives no mass', () => {
    const g = parseGrammar('S -> a [1] | b [0]\n');
    const tree = sampleTree(g, weightsPrior(g), Rng.seeded(1));
    expect(printTree(tree)).toBe('(S a)');
    expect(printTree(mutateTree(g, weightsPrior(g), tree, Rng.seeded(2)))).toBe('(S b)');
  });

  it('resamples each node with probability rate (default 1/nodes): the count of changed leaves has the predicted distribution', () => {
    // S has k = 9 children A, all 'a'; the prior always expands A to 'b'. A resampled root turns
    // every leaf to 'b'; otherwise each A turns with probability r; when nothing changed, one A is
    // forced to switch. So P(J = k) = r + (1 - r) r^k and, for 0 < j < k,
    // P(J = j) = (1 - r) C(k, j) r^j (1 - r)^(k - j), plus (1 - r)^(k + 1) at j = 1.
    const k = 9;
    const g = parseGrammar(`S -> ${Array(k).fill('A').join(' ')}\nA -> a [0] | b [1]\n`);
    const prior = weightsPrior(g);
    const tree = deepFreeze({ symbol: 'S', children: Array.from({ length: k }, () => ({ symbol: 'A', children: ['a'] })) });
    const choose = (n: number, j: number): number => (j === 0 ? 1 : (choose(n - 1, j - 1) * n) / j);
    const runs = 4000;
    for (const [rate, seed] of [[undefined, 1], [0.05, 2], [0.3, 3]] as const) {
      const r = rate ?? 1 / (k + 1);
      const expected = Array.from({ length: k + 1 }, (_, j) => (j === 0 || j === k ? 0 : (1 - r) * choose(k, j) * r ** j * (1 - r) ** (k - j)));
      expected[k] = r + (1 - r) * r ** k;
      expected[1]! += (1 - r) ** (k + 1);
      const counts = new Array<number>(k + 1).fill(0);
      const rng = Rng.seeded(seed);
      for (let i = 0; i < runs; i++) {
        const m = mutateTree(g, prior, tree, rng, rate === undefined ? {} : { rate });
        counts[treeTerminals(m).filter((t) => t === 'b').length]!++;
      }
      for (let j = 0; j <= k; j++) {
        const p = expected[j]!;
        expect(Math.abs(counts[j]! / runs - p), `rate ${r}, ${j} changed`).toBeLessThanOrEqual(5 * Math.sqrt((p * (1 - p)) / runs) + 1e-12);
      }
    }
  });

  it('at rate 1 the root is resampled: the result is a fresh prior draw, whatever the input', () => {
    // Fresh draws: (S c) 1/2, else two leaves each 'a' with 1/4. The input (S (A a) (A a)) comes back
    // with 1/32 and is then forced to switch at one of its 3 two-way nodes, chosen uniformly.
    const g = parseGrammar('S -> A A [0.5] | c [0.5]\nA -> a [0.25] | b [0.75]\n');
    const prior = weightsPrior(g);
    const tree = deepFreeze({ symbol: 'S', children: [{ symbol: 'A', children: ['a'] }, { symbol: 'A', children: ['a'] }] });
    const expected: Record<string, number> = { c: 0.5 + 1 / 96, 'a a': 0, 'a b': 3 / 32 + 1 / 96, 'b a': 3 / 32 + 1 / 96, 'b b': 9 / 32 };
    const counts: Record<string, number> = { c: 0, 'a a': 0, 'a b': 0, 'b a': 0, 'b b': 0 };
    const rng = Rng.seeded(5);
    const runs = 6000;
    for (let i = 0; i < runs; i++) counts[treeTerminals(mutateTree(g, prior, tree, rng, { rate: 1 })).join(' ')]!++;
    for (const [key, p] of Object.entries(expected)) expect(Math.abs(counts[key]! / runs - p), key).toBeLessThanOrEqual(5 * Math.sqrt((p * (1 - p)) / runs) + 1e-12);
  });

  it('keeps U-Net trees in the language and changes them at the default rate', () => {
    const g = unetGrammar(6);
    const prior = unetPrior(6, 2, 'medium');
    const rng = Rng.seeded(8);
    for (let i = 0; i < 100; i++) {
      const tree = sampleTree(g, prior, rng);
      const mutated = mutateTree(g, prior, tree, rng);
      validateTree(g, mutated);
      expect(treesEqual(mutated, tree)).toBe(false);
      validateTree(g, mutateTree(g, prior, tree, rng, { rate: 1 }));
    }
    expect(() => mutateTree(g, prior, sampleTree(g, prior, rng), rng, { rate: 0 })).toThrow(RangeError);
    expect(() => mutateTree(g, prior, { symbol: 'S', children: [] }, rng)).toThrow(TreeError);
  });

  it('is reproducible from the seed', () => {
    const g = unetGrammar(5);
    const prior = unetPrior(5, 2, 'low');
    const tree = sampleTree(g, prior, Rng.seeded(1));
    const run = () => printTree(mutateTree(g, prior, tree, Rng.seeded(99)));
    expect(run()).toBe(run());
  });
});

describe('crossoverTrees', () => {
  it('swaps same-symbol subtrees: both children stay in the language and nodes/terminals are conserved', () => {
    fc.assert(
      fc.property(grammarArb({ weighted: true, maxRules: 5 }), fc.integer(), (g, seed) => {
        const prior = weightsPrior(g);
        const rng = Rng.seeded(seed);
        const a = deepFreeze(sampleTree(g, prior, rng));
        const b = deepFreeze(sampleTree(g, prior, rng));
        const [c, d] = crossoverTrees(g, a, b, rng);
        validateTree(g, c);
        validateTree(g, d);
        expect(treeSize(c) + treeSize(d)).toBe(treeSize(a) + treeSize(b));
        expect([...treeTerminals(c), ...treeTerminals(d)].sort()).toEqual([...treeTerminals(a), ...treeTerminals(b)].sort());
      }),
      { numRuns: 300 },
    );
  });

  it('produces new trees from two different U-Nets', () => {
    const g = unetGrammar(5);
    const prior = unetPrior(5, 2, 'uniform');
    const rng = Rng.seeded(4);
    for (let i = 0; i < 100; i++) {
      const a = sampleTree(g, prior, rng);
      const b = sampleTree(g, prior, rng);
      const [c, d] = crossoverTrees(g, a, b, rng);
      validateTree(g, c);
      validateTree(g, d);
      expect(treesEqual(c, a) && treesEqual(d, b)).toBe(false);
    }
  });

  it('returns the parents when no subtree pair can be swapped', () => {
    const g = parseGrammar('S -> x A\nA -> a | b\n');
    const a = { symbol: 'S', children: ['x', { symbol: 'A', children: ['a'] }] };
    expect(crossoverTrees(g, a, a, Rng.seeded(1))).toEqual([a, a]);
  });
});
