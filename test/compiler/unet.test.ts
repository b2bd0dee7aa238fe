/**
 * Whole U-Nets: random sampled trees of random n_max with random small plans compile to
 * ONNX that onnxruntime runs with the expected output shapes (every deep-supervision
 * head), finite values, for batch sizes 1 and 2. Plus determinism, init and naming.
 */
import fc from 'fast-check';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { compile } from '../../compiler/index.js';
import { DEFAULT_NAS_CONFIG } from '../../compiler/ir/from-config.js';
import type { NetworkPlan, Vec3 } from '../../compiler/ir/plan.js';
import { unetGrammar } from '../../src/grammar/unet.js';
import { uniformPrior } from '../../src/tree-sampling/prior.js';
import { sampleTree } from '../../src/tree-sampling/sample.js';
import { Rng } from '../../src/util/rng.js';
import { defaultTree, isoPlan, unetTree } from './trees.js';

/** A random plan with n stages whose patch stays tiny: each axis is pooled at most twice. */
const planArb = (n: number) =>
  fc.record({
    channels: fc.integer({ min: 1, max: 2 }),
    classes: fc.integer({ min: 2, max: 4 }),
    mult: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
    strideBits: fc.array(fc.tuple(fc.boolean(), fc.boolean(), fc.boolean()), { minLength: n, maxLength: n }),
    kernelBits: fc.array(fc.tuple(fc.boolean(), fc.boolean(), fc.boolean()), { minLength: n, maxLength: n }),
  }).map(({ channels, classes, mult, strideBits, kernelBits }): NetworkPlan => {
    const pools = [0, 0, 0];
    const strides = strideBits.map((bits, s) =>
      bits.map((b, a) => {
        const pool = s > 0 && b && pools[a]! < 2;
        if (pool) pools[a]!++;
        return pool ? 2 : 1;
      }) as Vec3,
    );
    return {
      inputChannels: channels,
      numClasses: classes,
      patchSize: mult.map((m, a) => m * 2 ** pools[a]!) as Vec3,
      batchSize: 2,
      kernelSizes: kernelBits.map((bits) => bits.map((b) => (b ? 3 : 1)) as Vec3),
      strides,
    };
  });

/** Expected head resolutions, highest first: the patch divided by the strides up to each decoder stage's skip. */
function expectedHeads(plan: NetworkPlan, stages: number): number[][] {
  const heads = Math.max(1, stages - 1);
  return Array.from({ length: heads }, (_, i) => plan.patchSize.map((p, a) => p / plan.strides.slice(0, i + 1).reduce((q, s) => q * s[a]!, 1)));
}

async function runModel(bytes: Uint8Array, plan: NetworkPlan, batch: number): Promise<ort.Tensor[]> {
  const session = await ort.InferenceSession.create(bytes);
  const n = batch * plan.inputChannels * plan.patchSize.reduce((a, b) => a * b, 1);
  const x = new ort.Tensor('float32', Float32Array.from({ length: n }, (_, i) => Math.sin(0.37 * i)), [batch, plan.inputChannels, ...plan.patchSize]);
  const out = await session.run({ input: x });
  const tensors = session.outputNames.map((o) => out[o]!);
  await session.release();
  return tensors;
}

describe('compiled U-Nets run in onnxruntime', () => {
  it('random sampled trees (n_max 2..7) on random small plans: all heads, expected shapes, finite, batch 1 and 2', async () => {
    const cases = fc.integer({ min: 2, max: 7 }).chain((nMax) =>
      fc.record({ nMax: fc.constant(nMax), sMax: fc.integer({ min: 1, max: 2 }), seed: fc.integer(), plan: planArb(nMax) }));
    await fc.assert(
      fc.asyncProperty(cases, async ({ nMax, sMax, seed, plan }) => {
        const tree = sampleTree(unetGrammar(nMax, sMax), uniformPrior(unetGrammar(nMax, sMax)), Rng.seeded(seed));
        // Small widths keep the property fast; widths do not change the structure under test.
        const model = compile({ format: 'hnas-tree', version: 1, grammar: { name: 'unet', nMax, sMax }, tree }, plan, { seed, baseFeatures: 4, maxFeatures: 12 });
        const stages = model.ir.encoder.length;
        expect(stages).toBeGreaterThanOrEqual(Math.floor(nMax / 2));
        const want = expectedHeads(plan, stages);
        const bytes = model.onnx();
        for (const batch of [1, 2]) {
          const outs = await runModel(bytes, plan, batch);
          expect(outs.map((o) => o.dims)).toEqual(want.map((res) => [batch, plan.numClasses, ...res]));
          for (const o of outs) expect((o.data as Float32Array).every(Number.isFinite)).toBe(true);
        }
      }),
      { numRuns: 30, seed: 42 },
    );
  });

  it('the default nnU-Net widths (32..320) run on a 5-stage residual network', async () => {
    const plan = isoPlan(5, [16, 16, 16], 1, 2);
    const model = compile(unetTree({ encoder: 'res_encoder', encoderBlocks: [1, 3, 4, 6, 6], enorm: 'batch_norm', enonlin: 'prelu', edropout: 'dropout' }), plan);
    const outs = await runModel(model.onnx(), plan, 2);
    expect(outs.map((o) => o.dims)).toEqual(expectedHeads(plan, 5).map((r) => [2, 2, ...r]));
    for (const o of outs) expect((o.data as Float32Array).every(Number.isFinite)).toBe(true);
  });

  it('both transposed-conv lowerings give the same network outputs', async () => {
    const plan: NetworkPlan = { ...isoPlan(3, [8, 12, 8], 2, 3), strides: [[1, 1, 1], [2, 2, 1], [2, 2, 2]] };
    const fast = compile(defaultTree(3), plan, { seed: 4, baseFeatures: 4 });
    const native = compile(defaultTree(3), plan, { weights: fast.weights, baseFeatures: 4, lowering: { convTranspose: 'native' } });
    const [a, b] = [await runModel(fast.onnx(), plan, 2), await runModel(native.onnx(), plan, 2)];
    a.forEach((t, k) => {
      const [x, y] = [t.data as Float32Array, b[k]!.data as Float32Array];
      const scale = Math.max(...y.map(Math.abs));
      expect(Math.max(...x.map((v, i) => Math.abs(v - y[i]!))) / scale).toBeLessThan(1e-5);
    });
  });

  it('is deterministic in its seed, and the seed matters', () => {
    const plan = isoPlan(3, [8, 8, 8]);
    const a = compile(defaultTree(3), plan, { seed: 5, baseFeatures: 4 }).onnx();
    const b = compile(defaultTree(3), plan, { seed: 5, baseFeatures: 4 }).onnx();
    const c = compile(defaultTree(3), plan, { seed: 6, baseFeatures: 4 }).onnx();
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    expect(Buffer.from(a).equals(Buffer.from(c))).toBe(false);
  });

  it('initialises as nnU-Net: He normal (slope 0.01), zero biases, residual blocks\' last norm zero', () => {
    const m = compile(unetTree({ encoder: 'res_encoder', encoderBlocks: [1, 3, 4, 6] }), isoPlan(4, [16, 16, 16]), { seed: 3 });
    const w = m.weights.get('encoder.stage3.block2.conv1.conv.weight')!; // [256, 256, 3, 3, 3]
    expect(m.graph.params.get('encoder.stage3.block2.conv1.conv.weight')!.shape).toEqual([256, 256, 3, 3, 3]);
    const mean = w.reduce((s, v) => s + v, 0) / w.length;
    const std = Math.sqrt(w.reduce((s, v) => s + (v - mean) ** 2, 0) / w.length);
    const he = Math.sqrt(2 / (1 + 0.01 ** 2)) / Math.sqrt(256 * 27);
    expect(Math.abs(mean)).toBeLessThan(0.01 * he);
    expect(std / he).toBeGreaterThan(0.99);
    expect(std / he).toBeLessThan(1.01);
    expect(m.weights.get('encoder.stage3.block2.conv1.conv.bias')!.every((v) => v === 0)).toBe(true);
    expect(m.weights.get('encoder.stage3.block2.conv2.norm.weight')!.every((v) => v === 0)).toBe(true);
    expect(m.weights.get('encoder.stage3.block2.conv1.norm.weight')!.every((v) => v === 1)).toBe(true);
    expect(m.weights.get('encoder.stage1.block0.skip.norm.weight')!.every((v) => v === 1)).toBe(true);
    expect(m.graph.params.has('encoder.stage1.block0.skip.conv.bias')).toBe(false);
    // Transposed conv: PyTorch's fan-in for weight [C_in, C_out, k] is C_out * prod(k).
    const up = m.weights.get('decoder.stage0.up.weight')!;
    const upStd = Math.sqrt(up.reduce((s, v) => s + v * v, 0) / up.length);
    expect(upStd / (Math.sqrt(2 / (1 + 1e-4)) / Math.sqrt(128 * 8))).toBeCloseTo(1, 1);
  });

  it('parameters have readable names derived from the architecture', () => {
    const m = compile(defaultTree(3), isoPlan(3, [8, 8, 8]), { baseFeatures: 4 });
    expect([...m.graph.params.keys()].slice(0, 4)).toEqual([
      'encoder.stage0.block0.conv.weight', 'encoder.stage0.block0.conv.bias', 'encoder.stage0.block0.norm.weight', 'encoder.stage0.block0.norm.bias',
    ]);
    expect(m.graph.params.has('decoder.stage1.block1.conv.weight')).toBe(true);
    expect(m.graph.params.has('decoder.stage1.head.weight')).toBe(true);
    expect(m.outputs).toEqual(['decoder.stage1.head', 'decoder.stage0.head']);
  });

  it('a NAS configuration compiles: the default equals the default tree, scales round half to even', () => {
    const plan = isoPlan(6, [32, 32, 32]);
    expect(compile(DEFAULT_NAS_CONFIG, plan).ir).toEqual(compile(defaultTree(6), plan, { dropoutRate: 0 }).ir);
    const res = compile({ ...DEFAULT_NAS_CONFIG, encoderType: 'residual', modelScale: 1.5, maxFeatures: 200, activation: 'gelu', dropoutRate: 0.1 }, plan);
    // round(1.5 * [1, 3, 4, 6, 6, 6]) = [2 (1.5 -> 2), 4 (4.5 -> 4), 6, 9, 9, 9]; decoder round(1.5 * 1) = 2.
    expect(res.ir.encoder.map((s) => s.blocks)).toEqual([2, 4, 6, 9, 9, 9]);
    expect(res.ir.decoder.map((s) => s.blocks)).toEqual([2, 2, 2, 2, 2]);
    expect(res.ir.encoder.map((s) => s.features)).toEqual([32, 64, 128, 200, 200, 200]);
    expect(res.ir.encoderStyle).toEqual({ norm: 'instance_norm', nonlin: 'gelu', dropout: 0.1 });
    const half = compile({ ...DEFAULT_NAS_CONFIG, encoderType: 'residual', modelScale: 0.5 }, plan);
    expect(half.ir.encoder.map((s) => s.blocks)).toEqual([1, 2, 2, 3, 3, 3]);
    expect(half.ir.decoder.map((s) => s.blocks)).toEqual([1, 1, 1, 1, 1]);
  });

  it('anisotropic plans: per-axis kernels and strides reach the IR and the graph', () => {
    const plan: NetworkPlan = { inputChannels: 2, numClasses: 3, patchSize: [4, 16, 16], batchSize: 2,
      kernelSizes: [[1, 3, 3], [1, 3, 3], [3, 3, 3]], strides: [[1, 1, 1], [1, 2, 2], [2, 2, 2]] };
    const m = compile(defaultTree(3), plan, { baseFeatures: 4 });
    expect(m.graph.params.get('encoder.stage1.block0.conv.weight')!.shape).toEqual([8, 4, 1, 3, 3]);
    expect(m.graph.params.get('decoder.stage0.up.weight')!.shape).toEqual([16, 8, 2, 2, 2]);
    expect(m.graph.params.get('decoder.stage1.up.weight')!.shape).toEqual([8, 4, 1, 2, 2]);
    expect(m.graph.shape('decoder.stage0.head')).toEqual(['N', 3, 4, 8, 8]);
  });
});
