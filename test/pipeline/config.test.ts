/** Configuration JSON -> compiler source + training hyperparameters: defaults, spaces, errors, and every sampled configuration compiles. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compile, DEFAULT_NAS_CONFIG } from '../../compiler/index.js';
import { ConfigError } from '../../src/errors.js';
import { encoderOf, NNUNET_ARCHITECTURES } from '../../src/data/plan-types.js';
import { resolveConfiguration, spaceOf, unwrapConfiguration, withPlanEncoder } from '../../src/pipeline/config.js';
import { sampleConfig } from '../../src/space/config.js';
import { hnasSpace, hpoSpace, nasSpace } from '../../src/space/spaces.js';
import { Rng } from '../../src/util/rng.js';

const plan4 = {
  inputChannels: 1,
  numClasses: 3,
  patchSize: [16, 16, 16],
  batchSize: 2,
  kernelSizes: [[3, 3, 3], [3, 3, 3], [3, 3, 3], [3, 3, 3]],
  strides: [[1, 1, 1], [2, 2, 2], [2, 2, 2], [2, 2, 2]],
};

describe('resolveConfiguration', () => {
  it("{} is nnU-Net's default: SGD Nesterov 0.99, lr 1e-2 poly, wd 3e-5, Dice+CE, oversampling 0.33, augmentation 1, plain conv U-Net", () => {
    const r = resolveConfiguration({}, 4);
    expect(r.space).toBe('hpo');
    expect(r.training).toEqual({
      learningRate: 1e-2,
      schedule: 'poly',
      optimizer: { kind: 'sgd', momentum: 0.99, nesterov: true, weightDecay: 3e-5 },
      loss: 'dice_ce',
      oversampleForeground: 0.33,
      augmentationFactor: 1,
    });
    expect(r.architecture).toEqual(DEFAULT_NAS_CONFIG);
    const ir = compile(r.architecture, plan4, r.compileOptions).ir;
    expect(ir.encoder.map((s) => s.features)).toEqual([32, 64, 128, 256]);
  });

  it('maps the nas keys onto the compiler and the hpo keys onto the engine', () => {
    const r = resolveConfiguration({ optimizer: 'adamw', learning_rate: 3e-4, lr_scheduler: 'none', encoder: 'residual', model_scale: 0.5, base_features: 16, max_features: 200, activation: 'gelu', normalization: 'batch_norm', dropout_rate: 0.1 }, 4);
    expect(r.space).toBe('nas');
    expect(r.training.optimizer).toEqual({ kind: 'adamw', weightDecay: 3e-5 });
    expect(r.training.schedule).toBe('constant');
    expect(r.config.momentum).toBeUndefined(); // inactive without SGD
    expect(r.architecture).toEqual({ encoderType: 'residual', modelScale: 0.5, baseFeatures: 16, maxFeatures: 200, activation: 'gelu', normalization: 'batch_norm', dropoutRate: 0.1 });
  });

  it("a ResEnc plan (nnU-Net's ResidualEncoderUNet) trains the residual encoder unless the configuration chooses one", () => {
    const encoder = (raw: unknown, arch: keyof typeof NNUNET_ARCHITECTURES) => {
      const r = resolveConfiguration(withPlanEncoder(raw, encoderOf(NNUNET_ARCHITECTURES[arch])), 4);
      return 'architecture' in r && r.architecture && 'encoderType' in r.architecture ? r.architecture.encoderType : 'tree';
    };
    expect(encoder({}, 'residual')).toBe('residual');
    expect(encoder({ learning_rate: 3e-3 }, 'residual')).toBe('residual');
    expect(encoder({ encoder: 'conv' }, 'residual')).toBe('conv');
    expect(encoder({}, 'conv')).toBe('conv');
    expect(withPlanEncoder({ model_scale: 0.5 }, 'residual')).toEqual({ model_scale: 0.5 }); // not an hpo configuration: untouched
  });

  it('an architecture tree selects the hnas space (dropout rate prior 0.2)', () => {
    const tree = resolveConfiguration({}, 4);
    const hnas = resolveConfiguration({ architecture: (sampleConfig(hnasSpace(4), 'prior', Rng.seeded(3)).architecture) }, 4);
    expect(tree.space).toBe('hpo');
    expect(hnas.space).toBe('hnas');
    expect(hnas.compileOptions).toEqual({ dropoutRate: 0.2 });
    expect(spaceOf({ encoder: 'conv' })).toBe('nas');
  });

  it('bad configurations are ConfigErrors naming the file and the key', () => {
    const bad: [unknown, RegExp][] = [
      [[], /configuration object/],
      [{ learning_rate: 5 }, /\$\.learning_rate/],
      [{ optimizer: 'adam', momentum: 0.9 }, /\$\.momentum.*inactive/],
      [{ lerning_rate: 1e-3 }, /\$\.lerning_rate.*unknown hyperparameter/],
      [{ loss: 'focal' }, /\$\.loss/],
      [{ architecture: { symbol: 'X', children: [] } }, /architecture/],
    ];
    for (const [value, msg] of bad) {
      const f = () => resolveConfiguration(value, 4, 'cfg.json');
      expect(f).toThrow(ConfigError);
      expect(f).toThrow(/^cfg\.json/);
      expect(f).toThrow(msg);
    }
  });

  it('reads bare configurations, stored configuration files and study trial config.json', () => {
    const c = { learning_rate: 1e-3 };
    expect(unwrapConfiguration(c)).toBe(c);
    expect(unwrapConfiguration({ format: 'hnas-configuration', version: 1, space: 'hpo', config: c })).toBe(c);
    expect(unwrapConfiguration({ key: 'b0/r0', budget: 3, config: c })).toBe(c);
  });

  it('every configuration sampled from the three spaces resolves to itself and compiles', () => {
    const spaces = [hpoSpace(), nasSpace(), hnasSpace(4)];
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 1e6 }), fc.constantFrom('prior' as const, 'uniform' as const), (s, seed, mode) => {
        const config = sampleConfig(spaces[s]!, mode, Rng.seeded(seed));
        const r = resolveConfiguration(config, 4);
        expect(r.space).toBe(['hpo', 'nas', 'hnas'][s]);
        expect(r.config).toEqual(config);
        const m = compile(r.architecture, plan4, r.compileOptions);
        expect(m.outputs.length).toBeGreaterThan(0);
      }),
      { numRuns: 40 },
    );
  });
});
