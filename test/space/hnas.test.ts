import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ConfigError } from '../../src/errors.js';
import { validateTree } from '../../src/grammar/tree.js';
import { unetGrammar } from '../../src/grammar/unet.js';
import { configsEqual, defaultConfig, logDensity, mutateConfig, sampleConfig, validateConfig } from '../../src/space/config.js';
import { hnasSpace } from '../../src/space/spaces.js';
import type { TreeNode } from '../../src/grammar/tree-types.js';
import { Rng } from '../../src/util/rng.js';

const space = hnasSpace(4);
const grammar = unetGrammar(4, 2);
const terminals = (t: TreeNode): string[] => t.children.flatMap((c) => (typeof c === 'string' ? [c] : terminals(c)));

describe('HNAS space (HPO + dropout + U-Net grammar tree)', () => {
  it('the default configuration is nnU-Net: 4 conv stages of 2 blocks, instance norm, leaky ReLU, no dropout', () => {
    const d = defaultConfig(space);
    expect(d.dropout_rate).toBe(0.2);
    const tree = d.architecture as TreeNode;
    validateTree(grammar, tree);
    const words = terminals(tree);
    expect(words.filter((w) => w === 'conv_block')).toHaveLength(4 * 2 + 3 * 2);
    expect(words).toContain('conv_encoder');
    expect(words.filter((w) => w === 'instance_norm')).toHaveLength(2);
    expect(words.filter((w) => w === 'leaky_relu')).toHaveLength(2);
    expect(words.filter((w) => w === 'no_dropout')).toHaveLength(2);
    expect(validateConfig(space, JSON.parse(JSON.stringify(d)))).toEqual(d);
  });

  it('prior and uniform draws and mutations are valid configurations with finite densities', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e9 }), fc.constantFrom<'prior' | 'uniform'>('prior', 'uniform'), (seed, mode) => {
        const rng = Rng.seeded(seed);
        const c = sampleConfig(space, mode, rng);
        expect(validateConfig(space, c)).toEqual(c);
        const m = mutateConfig(space, c, rng);
        expect(configsEqual(space, m, c)).toBe(false);
        expect(validateConfig(space, m)).toEqual(m);
        expect(Number.isFinite(logDensity(space, 'prior', m))).toBe(true);
        expect(Number.isFinite(logDensity(space, c, m))).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it('the default architecture is the most probable one under the prior', () => {
    const d = defaultConfig(space);
    const rng = Rng.seeded(4);
    for (let i = 0; i < 50; i++) {
      const c = sampleConfig(space, 'prior', rng);
      expect(logDensity(space, 'prior', { architecture: c.architecture })).toBeLessThanOrEqual(logDensity(space, 'prior', { architecture: d.architecture }) + 1e-12);
    }
  });

  it('a tree of another grammar is rejected at its path', () => {
    const other = defaultConfig(hnasSpace(6)).architecture;
    expect(() => validateConfig(space, { ...defaultConfig(space), architecture: other }, 'c.json')).toThrow(ConfigError);
    expect(() => validateConfig(space, { ...defaultConfig(space), architecture: 'unet' }, 'c.json')).toThrow(/\$\.architecture/);
  });
});
