/** Bad input gets typed errors that say where and what was expected. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile, readNetworkPlanFile, WeightFileError } from '../../compiler/index.js';
import { decodeSafetensors, encodeSafetensors } from '../../compiler/weights/safetensors.js';
import { ConfigError, PlanError, TreeError } from '../../src/errors.js';
import type { TreeNode } from '../../compiler/ir/tree-types.js';
import { defaultTree, isoPlan, unetTree } from './trees.js';
import { thrown } from '../helpers/thrown.js';

const plan = isoPlan(4, [16, 16, 16]);


describe('compiler input errors', () => {
  it('a tree from a different grammar', () => {
    const other = { format: 'hnas-tree', version: 1, grammar: { name: 'expr' }, tree: { symbol: 'S', children: ['x'] } } as const;
    const e = thrown(() => compile(other, plan));
    expect(e).toBeInstanceOf(TreeError);
    expect(e.message).toMatch(/\$\.grammar\.name.*'unet' grammar, got grammar 'expr'/);
    const expr: TreeNode = { symbol: 'Expr', children: ['1', '+', '2'] };
    expect(thrown(() => compile(expr, plan)).message).toMatch(/start symbol 'S'/);
    const foreign = { symbol: 'S', children: ['unet', { symbol: 'Layers', children: [] }, { symbol: 'D2', children: [] }] };
    expect(thrown(() => compile(foreign, plan)).message).toMatch(/at S\/Layers\[1\]: expected 'E{n}', got 'Layers'/);
  });

  it('an unknown terminal names its tree path', () => {
    const e = thrown(() => compile(unetTree({ encoderBlocks: [2, 2], enonlin: 'swish' }), plan));
    expect(e).toBeInstanceOf(TreeError);
    expect(e.message).toMatch(/S\/E2\[1\]\/ENONLIN\[2\]\/swish\[0\]: .*leaky_relu.*got 'swish'/);
    const wrongBlock = unetTree({ encoderBlocks: [2, 2] });
    (wrongBlock.children[1] as unknown as { children: unknown[] }).children[4] = { symbol: 'C1', children: ['res_block'] };
    expect(thrown(() => compile(wrongBlock, plan)).message).toMatch(/S\/E2\[1\]\/C1\[4\]\/res_block\[0\]: expected 'conv_block', got 'res_block'/);
  });

  it('block counts beyond the tree file\'s grammar bounds', () => {
    const tree = unetTree({ encoderBlocks: [5, 2, 2, 2] });
    const e = thrown(() => compile({ format: 'hnas-tree', version: 1, grammar: { name: 'unet', nMax: 4, sMax: 2 }, tree }, plan));
    expect(e).toBeInstanceOf(TreeError);
    expect(e.message).toMatch(/encoder stage 1 has 5 blocks, the grammar allows at most 4/);
  });

  it('a tree with more stages than the plan', () => {
    const e = thrown(() => compile(defaultTree(5), plan));
    expect(e).toBeInstanceOf(PlanError);
    expect(e.message).toMatch(/5 stages but the plan only 4/);
  });

  it('invalid plans: zero-size patch, stride not dividing the patch, even kernel, mismatched lists', () => {
    const cases: [unknown, RegExp][] = [
      [{ ...plan, patchSize: [16, 0, 16] }, /\$\.patchSize\[1\].*positive integer patch size, got 0/],
      [{ ...plan, patchSize: [16, 12, 16] }, /\$\.strides\[3\]\[1\].*patch size 12 on axis 1 is not divisible by .* \(8\)/],
      [{ ...plan, kernelSizes: [[3, 3, 3], [3, 2, 3], [3, 3, 3], [3, 3, 3]] }, /\$\.kernelSizes\[1\]\[1\].*odd positive kernel size/],
      [{ ...plan, strides: plan.strides.slice(1) }, /kernelSizes has 4 stages but strides has 3/],
      [{ ...plan, strides: [[1, 2, 1], ...plan.strides.slice(1)] }, /\$\.strides\[0\]\[1\].*stage 0 must have stride 1/],
      [{ ...plan, numClasses: 0 }, /\$\.numClasses.*positive integer/],
      [{ ...plan, patchSize: [16, 16] }, /\$\.patchSize.*3 numbers/],
      ['plan', /JSON object/],
    ];
    for (const [bad, message] of cases) {
      const e = thrown(() => compile(defaultTree(4), bad));
      expect(e).toBeInstanceOf(PlanError);
      expect(e.message).toMatch(message);
    }
  });

  it('plan files: bare, nested under network, and unreadable JSON', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hnas-plan-'));
    writeFileSync(join(dir, 'bare.json'), JSON.stringify(plan));
    writeFileSync(join(dir, 'nested.json'), JSON.stringify({ dataset: 'x', network: plan }));
    writeFileSync(join(dir, 'broken.json'), '{"inputChannels": 1,');
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ network: { ...plan, patchSize: [16, -1, 16] } }));
    expect(readNetworkPlanFile(join(dir, 'bare.json'))).toEqual(plan);
    expect(readNetworkPlanFile(join(dir, 'nested.json'))).toEqual(plan);
    expect(thrown(() => readNetworkPlanFile(join(dir, 'broken.json')))).toBeInstanceOf(PlanError);
    expect(thrown(() => readNetworkPlanFile(join(dir, 'bad.json'))).message).toMatch(/bad\.json \(network\) at \$\.patchSize\[1\]/);
  });

  it('a network too large for one ONNX file says so instead of failing inside protobuf', () => {
    const huge = compile({ encoderType: 'residual', modelScale: 2, baseFeatures: 64, maxFeatures: 640, activation: 'relu', normalization: 'instance_norm', dropoutRate: 0 }, isoPlan(6, [32, 32, 32]));
    expect(huge.cost.parameters * 4).toBeGreaterThan(2 ** 31);
    const e = thrown(() => huge.onnx());
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.message).toMatch(/GiB of weights; a self-contained ONNX file holds at most 2 GiB/);
  });

  it('invalid NAS configurations', () => {
    const cfg = { encoderType: 'conv', modelScale: 3, baseFeatures: 32, maxFeatures: 320, activation: 'relu', normalization: 'instance_norm', dropoutRate: 0 } as const;
    const e = thrown(() => compile(cfg, plan));
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.message).toMatch(/\$\.modelScale.*0\.5, 1, 1\.5, 2/);
    expect(thrown(() => compile({ ...cfg, modelScale: 1, activation: 'swish' as never }, plan)).message).toMatch(/\$\.activation/);
  });

  it('weights that do not fit the architecture or are not a safetensors file', () => {
    const small = { baseFeatures: 4, maxFeatures: 8 };
    const m = compile(defaultTree(3), isoPlan(3, [8, 8, 8]), small);
    const other = compile(defaultTree(3), isoPlan(3, [8, 8, 8]), { baseFeatures: 2, maxFeatures: 8 });
    const e = thrown(() => compile(defaultTree(3), isoPlan(3, [8, 8, 8]), { ...small, weights: other.safetensors(), weightsFile: 'w.safetensors' }));
    expect(e).toBeInstanceOf(WeightFileError);
    expect(e.message).toMatch(/w\.safetensors at encoder\.stage0\.block0\.conv\.weight: tensor has shape \[2, 1, 3, 3, 3\], the architecture needs \[4, 1, 3, 3, 3\]/);
    const fewer = compile(defaultTree(2), isoPlan(3, [8, 8, 8]), small).safetensors();
    expect(thrown(() => compile(defaultTree(3), isoPlan(3, [8, 8, 8]), { ...small, weights: fewer })).message).toMatch(/missing encoder\.stage2/);
    const bytes = m.safetensors();
    expect(thrown(() => decodeSafetensors(bytes.subarray(0, 100), 'cut.safetensors'))).toBeInstanceOf(WeightFileError);
    expect(thrown(() => decodeSafetensors(bytes.subarray(0, bytes.length - 4))).message).toMatch(/data_offsets/);
    const f16 = encodeSafetensors(new Map([['a', { shape: [1], data: new Float32Array(1) }]]));
    const hacked = Buffer.from(f16);
    hacked.write('"F16"', Buffer.from(f16).indexOf('"F32"'));
    expect(thrown(() => decodeSafetensors(hacked)).message).toMatch(/at a: dtype "F16" is not supported/);
  });
});

describe('malformed trees (property)', () => {
  /** Every node and child slot of a tree, as [parent, index] pairs. */
  function slots(node: { children: unknown[] }, out: [{ children: unknown[] }, number][] = []): [{ children: unknown[] }, number][] {
    node.children.forEach((c, i) => {
      out.push([node, i]);
      if (typeof c === 'object' && c !== null && Array.isArray((c as { children?: unknown }).children)) slots(c as { children: unknown[] }, out);
    });
    return out;
  }

  it('any damage to a valid tree gives a TreeError or PlanError, never a crash', async () => {
    const { default: fc } = await import('fast-check');
    const damage = fc.oneof(
      fc.constant({ kind: 'delete' as const }),
      fc.constant({ kind: 'duplicate' as const }),
      fc.record({ kind: fc.constant('replace' as const), value: fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.constant({ symbol: 'C1', children: [] }), fc.constant({ symbol: 7 }), fc.constantFrom('conv_block', 'res_block', 'down', 'up', 'relu', 'unet')) }),
      fc.record({ kind: fc.constant('rename' as const), value: fc.constantFrom('C1', 'C3', 'R2', 'B1', 'E3', 'D2', 'ENORM', 'DNONLIN', 'X') }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 4 }), fc.boolean(), fc.nat(), damage, (n, residual, where, d) => {
        const tree = JSON.parse(JSON.stringify(unetTree({ encoder: residual ? 'res_encoder' : 'conv_encoder', encoderBlocks: Array.from({ length: n }, () => 2) })));
        const all = slots(tree);
        const [parent, i] = all[where % all.length]!;
        if (d.kind === 'delete') parent.children.splice(i, 1);
        else if (d.kind === 'duplicate') parent.children.splice(i, 0, parent.children[i]);
        else if (d.kind === 'replace') parent.children[i] = d.value;
        else if (typeof parent.children[i] === 'object') (parent.children[i] as { symbol: string }).symbol = d.value;
        else parent.children[i] = d.value;
        try {
          compile(tree, plan, { baseFeatures: 2, maxFeatures: 4 });
        } catch (err) {
          expect(err instanceof TreeError || err instanceof PlanError).toBe(true);
        }
      }),
      { numRuns: 300, seed: 9 },
    );
  });
});

describe('malformed plans and configurations (property)', () => {
  it('any field replaced by arbitrary JSON gives a PlanError / ConfigError or a valid result, never a crash', async () => {
    const { default: fc } = await import('fast-check');
    const planFields = ['inputChannels', 'numClasses', 'patchSize', 'batchSize', 'kernelSizes', 'strides'] as const;
    const cfgFields = ['encoderType', 'modelScale', 'baseFeatures', 'maxFeatures', 'activation', 'normalization', 'dropoutRate'] as const;
    const cfg = { encoderType: 'conv', modelScale: 1, baseFeatures: 2, maxFeatures: 4, activation: 'relu', normalization: 'batch_norm', dropoutRate: 0.1 };
    fc.assert(
      fc.property(fc.constantFrom(...planFields), fc.constantFrom(...cfgFields), fc.jsonValue(), fc.boolean(), (pf, cf, value, onPlan) => {
        const badPlan = onPlan ? { ...isoPlan(2, [4, 4, 4]), [pf]: value } : isoPlan(2, [4, 4, 4]);
        const badCfg = onPlan ? cfg : { ...cfg, [cf]: value };
        try {
          compile(badCfg as never, badPlan);
        } catch (err) {
          expect(err instanceof PlanError || err instanceof ConfigError).toBe(true);
        }
      }),
      { numRuns: 500, seed: 11 },
    );
  });
});
