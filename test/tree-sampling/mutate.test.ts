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

  it('changes about rate * size nodes of a U-Net tree, and the whole tree at rate 1', () => {
    const g = unetGrammar(6);
    const prior = unetPrior(6, 2, 'medium');
    const rng = Rng.seeded(8);
    let changedStrings = 0;
    for (let i = 0; i < 200; i++) {
      const tree = sampleTree(g, prior, rng);
      const mutated = mutateTree(g, prior, tree, rng);
      validateTree(g, mutated);
      expect(treesEqual(mutated, tree)).toBe(false);
      if (treeTerminals(mutated).join(' ') !== treeTerminals(tree).join(' ')) changedStrings++;
      const whole = mutateTree(g, prior, tree, rng, { rate: 1 });
      validateTree(g, whole);
    }
    expect(changedStrings).toBeGreaterThan(100);
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
