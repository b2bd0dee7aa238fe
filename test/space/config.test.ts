import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ConfigError } from '../../src/errors.js';
import { configsEqual, defaultConfig, logDensity, mutateConfig, sampleConfig, validateConfig } from '../../src/space/config.js';
import { kindOf } from '../../src/space/kinds.js';
import { parseSpace } from '../../src/space/schema.js';
import { hpoSpace, nasSpace } from '../../src/space/spaces.js';
import type { IntParam, SearchSpace } from '../../src/space/types.js';
import { Rng } from '../../src/util/rng.js';

const seeds = fc.integer({ min: 0, max: 2 ** 31 - 1 });

describe('built-in spaces', () => {
  it('hpo has 8 hyperparameters, nas 15, defaults from the paper', () => {
    expect(hpoSpace().params).toHaveLength(8);
    expect(nasSpace().params).toHaveLength(15);
    const d = defaultConfig(nasSpace());
    expect(d).toMatchObject({ optimizer: 'sgd', momentum: 0.99, learning_rate: 0.01, weight_decay: 3e-5, model_scale: 1, base_features: 32, max_features: 320 });
    expect(validateConfig(nasSpace(), JSON.parse(JSON.stringify(d)))).toEqual(d);
  });

  it('every draw validates; momentum is present exactly for SGD', () => {
    fc.assert(
      fc.property(seeds, fc.constantFrom<'prior' | 'uniform'>('prior', 'uniform'), (seed, mode) => {
        const space = nasSpace();
        const c = sampleConfig(space, mode, Rng.seeded(seed));
        expect(validateConfig(space, c)).toEqual(c);
        expect('momentum' in c).toBe(c.optimizer === 'sgd');
      }),
      { numRuns: 200 },
    );
  });

  it('mutation moves, stays valid, and keeps an inactive parameter out', () => {
    fc.assert(
      fc.property(seeds, (seed) => {
        const space = nasSpace();
        const rng = Rng.seeded(seed);
        const c = sampleConfig(space, 'uniform', rng);
        const m = mutateConfig(space, c, rng);
        expect(configsEqual(space, c, m)).toBe(false);
        expect(validateConfig(space, m)).toEqual(m);
      }),
      { numRuns: 200 },
    );
  });
});

describe('priors', () => {
  it('categorical prior weighs the default 4:1 at medium confidence', () => {
    const space = hpoSpace();
    const def = space.params.find((p) => p.name === 'loss')!;
    expect(Math.exp(kindOf(def).logDensity(def, 'dice_ce', 'dice_ce'))).toBeCloseTo(4 / 7, 12);
    const rng = Rng.seeded(3);
    let hits = 0;
    for (let i = 0; i < 7000; i++) if (kindOf(def).sample(def, 'dice_ce', rng) === 'dice_ce') hits++;
    expect(Math.abs(hits / 7000 - 4 / 7)).toBeLessThan(0.02);
  });

  it('integer prior: bucket probabilities and sampling frequencies match the closed-form truncated normal', () => {
    const def: IntParam = { name: 'n', kind: 'int', lower: 2, upper: 6, default: 6 };
    const kind = kindOf(def);
    const probs = [2, 3, 4, 5, 6].map((v) => Math.exp(kind.logDensity(def, 6, v)));
    // Closed form: buckets of width 1/5 on the unit interval under N(0.9, 0.25) truncated to [0, 1],
    // from /usr/bin/python3: d = scipy.stats.truncnorm(-0.9 / 0.25, 0.1 / 0.25, loc=0.9, scale=0.25);
    //   [d.cdf((i + 1) / 5) - d.cdf(i / 5) for i in range(5)]
    const closedForm = [0.003656582291633068, 0.030819705870714222, 0.14088936805082206, 0.35025435085492507, 0.4743799929319056];
    probs.forEach((p, i) => expect(Math.abs(p - closedForm[i]!), `value ${i + 2}`).toBeLessThan(1e-6));
    const rng = Rng.seeded(11);
    const counts = new Map<number, number>();
    const n = 20000;
    for (let i = 0; i < n; i++) {
      const v = kind.sample(def, 6, rng) as number;
      counts.set(v, (counts.get(v) ?? 0) + 1);
    }
    [2, 3, 4, 5, 6].forEach((v, i) => expect(Math.abs((counts.get(v) ?? 0) / n - closedForm[i]!)).toBeLessThan(5 * Math.sqrt((closedForm[i]! * (1 - closedForm[i]!)) / n)));
  });

  it('the prior is denser at the default than the uniform distribution, and the incumbent density peaks at the incumbent', () => {
    const space = hpoSpace();
    const d = defaultConfig(space);
    expect(logDensity(space, 'prior', d)).toBeGreaterThan(logDensity(space, 'uniform', d));
    const inc = sampleConfig(space, 'uniform', Rng.seeded(5));
    expect(logDensity(space, inc, inc)).toBeGreaterThan(logDensity(space, 'prior', inc));
  });

  it('log-scale floats draw uniformly in log space', () => {
    const def = hpoSpace().params.find((p) => p.name === 'learning_rate')!;
    const rng = Rng.seeded(9);
    let below = 0;
    for (let i = 0; i < 4000; i++) if ((kindOf(def).sample(def, undefined, rng) as number) < 1e-3) below++;
    expect(Math.abs(below / 4000 - 0.5)).toBeLessThan(0.03); // 1e-3 is the log-midpoint of [1e-5, 1e-1]
  });
});

describe('validation errors name the field', () => {
  const space = hpoSpace();
  const good = defaultConfig(space);
  const cases: [string, unknown, RegExp][] = [
    ['unknown key', { ...good, foo: 1 }, /\$\.foo/],
    ['inactive set', { ...good, optimizer: 'adam' }, /\$\.momentum.*inactive/],
    ['missing', { ...good, loss: undefined }, /\$\.loss.*missing/],
    ['out of range', { ...good, learning_rate: 2 }, /\$\.learning_rate.*\[0\.00001, 0\.1\]/],
    ['bad category', { ...good, loss: 'l2' }, /\$\.loss.*one of/],
    ['not an object', [1], /expected a configuration object/],
  ];
  for (const [name, value, re] of cases)
    it(name, () => {
      expect(() => validateConfig(space, value, 'c.json')).toThrow(ConfigError);
      expect(() => validateConfig(space, value, 'c.json')).toThrow(re);
      expect(() => validateConfig(space, value, 'c.json')).toThrow(/^c\.json/);
    });
});

describe('parseSpace', () => {
  const ok = { name: 's', params: [{ name: 'opt', kind: 'categorical', values: ['a', 'b'], default: 'a' }, { name: 'x', kind: 'float', lower: 1, upper: 2, default: 1.5, condition: { param: 'opt', values: ['a'] } }] };
  it('accepts a valid space (a new space is data)', () => {
    const s: SearchSpace = parseSpace(ok);
    expect(sampleConfig(s, 'prior', Rng.seeded(1))).toHaveProperty('opt');
  });
  const bad: [string, unknown, RegExp][] = [
    ['unknown kind', { name: 's', params: [{ name: 'x', kind: 'complex' }] }, /\$\.params\[0\]\.kind/],
    ['log needs lower > 0', { name: 's', params: [{ name: 'x', kind: 'float', lower: 0, upper: 1, log: true, default: 0.5 }] }, /\$\.params\[0\]\.lower.*lower > 0/],
    ['default outside', { name: 's', params: [{ name: 'x', kind: 'int', lower: 0, upper: 3, default: 4 }] }, /\$\.params\[0\]\.default/],
    ['condition on a later parameter', { name: 's', params: [ok.params[1], ok.params[0]] }, /\$\.params\[0\]\.condition\.param/],
    ['condition value unknown', { name: 's', params: [ok.params[0], { ...ok.params[1], condition: { param: 'opt', values: ['z'] } }] }, /condition\.values/],
    ['duplicate name', { name: 's', params: [ok.params[0], ok.params[0]] }, /duplicate/],
  ];
  for (const [name, json, re] of bad) it(name, () => expect(() => parseSpace(json, 'space.json')).toThrow(re));
});

describe('readSpaceFile', () => {
  it('reads a space file and names the file in errors', async () => {
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const { readSpaceFile } = await import('../../src/space/schema.js');
    const dir = mkdtempSync(join(tmpdir(), 'hnas-space-'));
    try {
      const good = join(dir, 'good.json');
      writeFileSync(good, JSON.stringify({ name: 's', params: [{ name: 'x', kind: 'float', lower: 0, upper: 1, default: 0.5 }] }));
      expect(readSpaceFile(good).params[0]!.name).toBe('x');
      const broken = join(dir, 'broken.json');
      writeFileSync(broken, '{ "name": ');
      expect(() => readSpaceFile(broken)).toThrow(/broken\.json:\d+:\d+: not valid JSON/);
      expect(() => readSpaceFile(join(dir, 'missing.json'))).toThrow(ConfigError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
