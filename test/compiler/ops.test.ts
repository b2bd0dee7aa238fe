/**
 * Every op of the registry, emitted to ONNX and run by onnxruntime, against the float64
 * reference in reference.ts. The `cases` table is typed over OpKind, so an op added to
 * the registry without a numerical test is a type error.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Graph } from '../../compiler/graph/graph.js';
import type { OpKind } from '../../compiler/graph/ops.js';
import type { Weights } from '../../compiler/weights/init.js';
import { compile } from '../../compiler/index.js';
import { Rng } from '../../src/util/rng.js';
import { isoPlan, unetTree } from './trees.js';
import * as ref from './reference.js';
import { randomArray, runGraph, sizeOf } from './run.js';

const TOL = 2e-5;

interface Case {
  /** Builds the op into `g` from input 'x' (and params), returns reference result from the same values. */
  build(g: Graph, p: (name: string, shape: number[], scale?: number, offset?: number) => ref.T64, x: ref.T64): { out: string; want: ref.T64 };
  xShape?: number[];
}

const X_SHAPE = [2, 3, 4, 6, 5];
const leaf = (f: (v: number) => number, kind: 'relu' | 'elu' | 'gelu'): Case => ({
  build: (g, _p, x) => ({ out: g.op(kind, 'y', ['x'], kind === 'elu' ? { alpha: 1 } : ({} as never)), want: ref.map(x, f) }),
});

/** The ops the U-Net lowering emits (the training ops are checked in test/compiler/autodiff). */
const FORWARD_OPS = ['conv', 'conv_transpose', 'avg_pool', 'instance_norm', 'batch_norm', 'leaky_relu', 'relu', 'elu', 'gelu', 'prelu', 'dropout', 'add', 'concat', 'softmax'] as const;
type ForwardOp = (typeof FORWARD_OPS)[number];

const cases: Record<ForwardOp, Case> = {
  conv: {
    build(g, p, x) {
      const w = p('w', [4, 3, 3, 1, 3]);
      const b = p('b', [4]);
      return { out: g.op('conv', 'y', ['x', 'w', 'b'], { stride: [2, 1, 2], pads: [1, 0, 1] }), want: ref.conv3d(x, w, b, [2, 1, 2], [1, 0, 1]) };
    },
  },
  conv_transpose: {
    build(g, p, x) {
      const w = p('w', [3, 2, 1, 2, 2]);
      const b = p('b', [2]);
      return { out: g.op('conv_transpose', 'y', ['x', 'w', 'b'], { stride: [1, 2, 2] }), want: ref.convTranspose3d(x, w, b, [1, 2, 2]) };
    },
  },
  avg_pool: { build: (g, _p, x) => ({ out: g.op('avg_pool', 'y', ['x'], { kernel: [2, 3, 1] }), want: ref.avgPool3d(x, [2, 3, 1]) }) },
  instance_norm: {
    build(g, p, x) {
      const [s, b] = [p('s', [3]), p('b', [3])];
      return { out: g.op('instance_norm', 'y', ['x', 's', 'b'], { eps: 1e-5 }), want: ref.instanceNorm(x, s, b, 1e-5) };
    },
  },
  batch_norm: {
    build(g, p, x) {
      const [s, b, m, v] = [p('s', [3]), p('b', [3]), p('m', [3]), p('v', [3], 0.5, 1)];
      return { out: g.op('batch_norm', 'y', ['x', 's', 'b', 'm', 'v'], { eps: 1e-5 }), want: ref.batchNorm(x, s, b, m, v, 1e-5) };
    },
  },
  leaky_relu: { build: (g, _p, x) => ({ out: g.op('leaky_relu', 'y', ['x'], { slope: 0.01 }), want: ref.map(x, ref.activations.leaky_relu!) }) },
  relu: leaf(ref.activations.relu!, 'relu'),
  elu: leaf(ref.activations.elu!, 'elu'),
  gelu: leaf(ref.activations.gelu!, 'gelu'),
  prelu: {
    build(g, p, x) {
      const a = p('a', [1]);
      return { out: g.op('prelu', 'y', ['x', 'a'], {}), want: ref.map(x, (v) => (v >= 0 ? v : a.data[0]! * v)) };
    },
  },
  dropout: { build: (g, _p, x) => ({ out: g.op('dropout', 'y', ['x'], { rate: 0.3 }), want: x }) },
  add: {
    build(g, p, x) {
      const c = p('c', X_SHAPE);
      return { out: g.op('add', 'y', ['x', 'c'], {}), want: { shape: x.shape, data: x.data.map((v, i) => v + c.data[i]!) } };
    },
  },
  concat: {
    build(g, p, x) {
      const c = p('c', [2, 2, 4, 6, 5]);
      return { out: g.op('concat', 'y', ['x', 'c'], { axis: 1 }), want: ref.concatChannels(x, c) };
    },
  },
  softmax: { build: (g, _p, x) => ({ out: g.op('softmax', 'y', ['x'], { axis: 1 }), want: ref.softmaxChannels(x) }) },
};

async function check(kind: ForwardOp, seed: number, lowering?: { convTranspose: 'native' | 'conv1x1' }): Promise<number> {
  const rng = Rng.seeded(seed);
  const g = new Graph();
  const xShape = cases[kind].xShape ?? X_SHAPE;
  g.input('x', xShape);
  const x = randomArray(rng, sizeOf(xShape), 3);
  const weights: Weights = new Map();
  const p = (name: string, shape: number[], scale = 1, offset = 0) => {
    g.param(name, shape, { kind: 'fill', value: 0 });
    const data = randomArray(rng, sizeOf(shape), scale, offset);
    weights.set(name, data);
    return ref.t64(shape, data);
  };
  const { out, want } = cases[kind].build(g, p, ref.t64(xShape, x));
  g.output(out);
  const got = (await runGraph(g, weights, { x: { shape: xShape, data: x } }, lowering))[out]!;
  expect(got.dims).toEqual(want.shape);
  expect(g.shape(out)).toEqual(want.shape);
  return ref.maxRelError(got.data as Float32Array, want);
}

describe('op registry against float64 references', () => {
  it('the reference erf is right (so the GELU reference is)', () => {
    expect(ref.erf(0.5)).toBeCloseTo(0.5204998778130465, 13);
    expect(ref.erf(1)).toBeCloseTo(0.8427007929497149, 13);
    expect(ref.erf(-2.5)).toBeCloseTo(-0.9995930479825550, 13);
    expect(ref.erf(3.5)).toBeCloseTo(0.9999992569016276, 13);
  });

  it('every op a compiled U-Net uses has a numerical case', () => {
    const used = new Set<OpKind>();
    const plan = isoPlan(3, [8, 8, 8]);
    for (const tree of [
      unetTree({ encoderBlocks: [1, 1, 1], enonlin: 'gelu', edropout: 'dropout', dnonlin: 'elu' }),
      unetTree({ encoder: 'res_encoder', encoderBlocks: [1, 1, 1], enorm: 'batch_norm', enonlin: 'prelu', dnonlin: 'relu' }),
    ]) for (const node of compile(tree, plan, { baseFeatures: 2 }).graph.nodes) used.add(node.kind);
    for (const kind of used) expect(FORWARD_OPS).toContain(kind);
  });

  for (const kind of FORWARD_OPS) {
    it(`${kind} matches the reference`, async () => {
      expect(await check(kind, 7)).toBeLessThan(TOL);
    });
  }

  it('transposed conv: native ConvTranspose and the 1x1-conv + depth-to-space lowering agree with the reference', async () => {
    expect(await check('conv_transpose', 3, { convTranspose: 'native' })).toBeLessThan(TOL);
    expect(await check('conv_transpose', 3, { convTranspose: 'conv1x1' })).toBeLessThan(TOL);
  });

  it('conv: random shapes, kernels, strides and paddings (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          n: fc.integer({ min: 1, max: 2 }), c: fc.integer({ min: 1, max: 3 }), o: fc.integer({ min: 1, max: 3 }),
          size: fc.tuple(fc.integer({ min: 3, max: 7 }), fc.integer({ min: 3, max: 7 }), fc.integer({ min: 3, max: 7 })),
          k: fc.tuple(fc.constantFrom(1, 3), fc.constantFrom(1, 3), fc.constantFrom(1, 3)),
          s: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })),
          bias: fc.boolean(), seed: fc.integer(),
        }),
        async ({ n, c, o, size, k, s, bias, seed }) => {
          const rng = Rng.seeded(seed);
          const g = new Graph();
          const xs = [n, c, ...size];
          g.input('x', xs);
          const x = randomArray(rng, sizeOf(xs));
          const ws = [o, c, ...k];
          const w = randomArray(rng, sizeOf(ws));
          const b = randomArray(rng, o);
          g.param('w', ws, { kind: 'fill', value: 0 });
          if (bias) g.param('b', [o], { kind: 'fill', value: 0 });
          const pads = k.map((kk) => (kk - 1) / 2);
          g.output(g.op('conv', 'y', bias ? ['x', 'w', 'b'] : ['x', 'w'], { stride: s, pads }));
          const weights: Weights = new Map([['w', w], ...(bias ? [['b', b] as const] : [])]);
          const got = (await runGraph(g, weights, { x: { shape: xs, data: x } }))['y']!;
          const want = ref.conv3d(ref.t64(xs, x), ref.t64(ws, w), bias ? ref.t64([o], b) : null, s, pads);
          expect(got.dims).toEqual(want.shape);
          expect(ref.maxRelError(got.data as Float32Array, want)).toBeLessThan(TOL);
        },
      ),
      { numRuns: 20, seed: 1 },
    );
  });

  it('transposed conv (1x1 lowering): random channel counts and strides (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          c: fc.integer({ min: 1, max: 4 }), o: fc.integer({ min: 1, max: 4 }),
          size: fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 })),
          s: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
          seed: fc.integer(),
        }),
        async ({ c, o, size, s, seed }) => {
          const rng = Rng.seeded(seed);
          const g = new Graph();
          const xs = [2, c, ...size];
          const ws = [c, o, ...s];
          g.input('x', xs);
          g.param('w', ws, { kind: 'fill', value: 0 });
          g.param('b', [o], { kind: 'fill', value: 0 });
          g.output(g.op('conv_transpose', 'y', ['x', 'w', 'b'], { stride: s }));
          const [x, w, b] = [randomArray(rng, sizeOf(xs)), randomArray(rng, sizeOf(ws)), randomArray(rng, o)];
          const got = (await runGraph(g, new Map([['w', w], ['b', b]]), { x: { shape: xs, data: x } }))['y']!;
          const want = ref.convTranspose3d(ref.t64(xs, x), ref.t64(ws, w), ref.t64([o], b), s);
          expect(ref.maxRelError(got.data as Float32Array, want)).toBeLessThan(TOL);
        },
      ),
      { numRuns: 20, seed: 2 },
    );
  });

  it('shape rules reject inputs that do not fit, naming the op', () => {
    const g = new Graph();
    g.input('x', ['N', 3, 8, 8, 8]);
    g.param('w', [4, 2, 3, 3, 3], { kind: 'fill', value: 0 });
    expect(() => g.op('conv', 'c', ['x', 'w'], { stride: [1, 1, 1], pads: [1, 1, 1] })).toThrow(/conv 'c'.*input channels/);
    g.param('u', [3, 4, 3, 3, 3], { kind: 'fill', value: 0 });
    expect(() => g.op('conv_transpose', 't', ['x', 'u'], { stride: [2, 2, 2] })).toThrow(/kernel.*must equal the stride/);
  });
});
