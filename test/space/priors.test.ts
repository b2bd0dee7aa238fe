/**
 * Priors (src/space/priors.ts): a prior moves the defaults and nothing else; the draws around it
 * are centred on its defaults (the empirical mode of the prior's samples), and a bad name is a usage error.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError, UsageError } from '../../src/errors.js';
import { defaultConfig, sampleConfig, validateConfig } from '../../src/space/config.js';
import { PRIOR_NAMES, PRIORS, priorNamed, withPrior } from '../../src/space/priors.js';
import { hnasSpace, hpoSpace } from '../../src/space/spaces.js';
import { Rng } from '../../src/util/rng.js';

describe('priors', () => {
  it('nnunet keeps the paper\'s space exactly', () => {
    expect(withPrior(hnasSpace(4), 'nnunet')).toEqual(hnasSpace(4));
  });

  it('short-schedule moves the defaults it names and keeps every range, condition and other default', () => {
    const base = hnasSpace(4);
    const moved = withPrior(base, 'short-schedule');
    expect(moved.params.map((p) => p.name)).toEqual(base.params.map((p) => p.name));
    for (const [i, p] of moved.params.entries()) {
      const { default: a, ...restMoved } = p as { default?: unknown };
      const { default: b, ...restBase } = base.params[i] as { default?: unknown };
      expect(restMoved).toEqual(restBase);
      expect(a).toEqual(Object.hasOwn(PRIORS['short-schedule'].defaults, p.name) ? PRIORS['short-schedule'].defaults[p.name as keyof (typeof PRIORS)['short-schedule']['defaults']] : b);
    }
    const d = defaultConfig(moved);
    expect(d).toMatchObject({ optimizer: 'adamw', learning_rate: 3e-3, lr_scheduler: 'cosine', augmentation_factor: 0.5, loss: 'dice_ce', weight_decay: 3e-5 });
    expect('momentum' in d).toBe(false); // inactive without SGD
    expect(d.architecture).toEqual(defaultConfig(base).architecture);
  });

  it('law: every draw around either prior is valid in the paper\'s space; short-schedule draws favour AdamW and learning rates near 3e-3', () => {
    for (const name of PRIOR_NAMES)
      fc.assert(
        fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), (seed) => {
          const c = sampleConfig(withPrior(hpoSpace(), name), 'prior', Rng.seeded(seed));
          expect(validateConfig(hpoSpace(), c)).toEqual(c);
        }),
        { numRuns: 100 },
      );
    const rng = Rng.seeded(7);
    const draws = Array.from({ length: 2000 }, () => sampleConfig(withPrior(hpoSpace(), 'short-schedule'), 'prior', rng));
    const share = (f: (c: (typeof draws)[number]) => boolean) => draws.filter(f).length / draws.length;
    expect(share((c) => c.optimizer === 'adamw')).toBeGreaterThan(0.6); // weight 4 of 6
    const logLr = draws.map((c) => Math.log10(c.learning_rate as number)).sort((a, b) => a - b);
    expect(logLr[1000]!).toBeGreaterThan(Math.log10(3e-3) - 0.4); // median near the mode, not the range's middle (1e-3)
    expect(logLr[1000]!).toBeLessThan(Math.log10(3e-3) + 0.4);
  });

  it('a name outside the registry is a usage error listing the choices; a prior on a space without its hyperparameters is refused', () => {
    expect(() => priorNamed('nnUNet')).toThrow(UsageError);
    expect(() => priorNamed('nnUNet')).toThrow(/--prior must be one of nnunet, short-schedule/);
    expect(() => withPrior({ name: 'tiny', params: [{ name: 'x', kind: 'float', lower: 0, upper: 1, default: 0.5 }] }, 'short-schedule')).toThrow(ConfigError);
  });
});
