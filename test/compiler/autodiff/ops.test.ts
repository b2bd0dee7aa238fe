/**
 * Every op of the registry, generated from it: the forward value of the emitted ONNX
 * against the float64 interpreter, and (for differentiable ops) the autodiff gradient
 * against float64 finite differences. A new op kind without a case is a type error here.
 */
import { describe, expect, it } from 'vitest';
import { gradients } from '../../../compiler/autodiff/engine.js';
import { GRADIENTS } from '../../../compiler/autodiff/gradients.js';
import { Graph } from '../../../compiler/graph/graph.js';
import type { OpAttrs, OpKind } from '../../../compiler/graph/ops.js';
import { INPUT_GRAD_LOWERINGS } from '../../../compiler/graph/ops/conv-input-grad.js';
import { WEIGHT_GRAD_LOWERINGS } from '../../../compiler/graph/ops/conv-weight-grad.js';
import { ops } from '../../../compiler/graph/registry.js';
import { DEFAULT_LOWERING, type LoweringOptions } from '../../../compiler/onnx/context.js';
import { Rng } from '../../../src/util/rng.js';
import { checkGradients, randomT64, runOrt, size } from './harness.js';
import { run64, type T64 } from './reference64.js';

interface Input { shape: number[]; kind?: 'any' | 'positive' | 'away'; diff?: boolean }
interface Case<K extends OpKind = OpKind> {
  label?: string;
  inputs: Input[];
  attrs: OpAttrs[K];
  /** Which outputs enter the test loss (default all). */
  outputs?: number[];
  /** False for ops autodiff treats as constants (masks, comparisons, backward-only ops). */
  diff?: boolean;
  lowering?: Partial<LoweringOptions>;
}

const x5 = (c: number, d: number, h: number, w: number, n = 1): Input => ({ shape: [n, c, d, h, w] });
const vec = (c: number, kind: Input['kind'] = 'away', diff = true): Input => ({ shape: [c], kind, diff });
const none = {} as Record<string, never>;
/** Every row of the conv-gradient lowering tables, so a new lowering is tested without a new case. */
const inputGradLowerings = Object.keys(INPUT_GRAD_LOWERINGS) as LoweringOptions['convInputGrad'][];
const weightGradLowerings = Object.keys(WEIGHT_GRAD_LOWERINGS) as LoweringOptions['convWeightGrad'][];

const cases: { [K in OpKind]: Case<K>[] } = {
  conv: [
    { label: 'stride 1, 3x3x3, bias', inputs: [x5(2, 4, 4, 4), { shape: [3, 2, 3, 3, 3] }, vec(3)], attrs: { stride: [1, 1, 1], pads: [1, 1, 1] } },
    { label: 'stride 2, odd size', inputs: [x5(2, 5, 5, 4), { shape: [2, 2, 3, 3, 3] }, vec(2)], attrs: { stride: [2, 2, 2], pads: [1, 1, 1] } },
    { label: 'anisotropic kernel/stride, no bias', inputs: [x5(1, 4, 3, 5, 2), { shape: [2, 1, 3, 1, 3] }], attrs: { stride: [2, 1, 2], pads: [1, 0, 1] } },
    ...inputGradLowerings.filter((how) => how !== DEFAULT_LOWERING.convInputGrad).map((how) => ({ label: `stride 2, input gradient as ${how}`, inputs: [x5(2, 5, 5, 4), { shape: [2, 2, 3, 3, 3] }, vec(2)], attrs: { stride: [2, 2, 2], pads: [1, 1, 1] }, lowering: { convInputGrad: how } })),
    ...weightGradLowerings.filter((how) => how !== DEFAULT_LOWERING.convWeightGrad).map((how) => ({ label: `stride 1, weight gradient as ${how}`, inputs: [x5(2, 4, 4, 4), { shape: [3, 2, 3, 3, 3] }, vec(3)], attrs: { stride: [1, 1, 1], pads: [1, 1, 1] }, lowering: { convWeightGrad: how } })),
  ],
  conv_transpose: [
    { inputs: [x5(3, 2, 2, 2), { shape: [3, 2, 2, 2, 2] }, vec(2)], attrs: { stride: [2, 2, 2] } },
    { label: 'anisotropic', inputs: [x5(2, 2, 3, 2, 2), { shape: [2, 3, 2, 1, 2] }, vec(3)], attrs: { stride: [2, 1, 2] } },
  ],
  avg_pool: [{ inputs: [x5(2, 5, 4, 4)], attrs: { kernel: [2, 2, 1] } }],
  instance_norm: [{ inputs: [x5(3, 3, 2, 2, 2), vec(3), vec(3)], attrs: { eps: 1e-5 } }],
  batch_norm: [{ inputs: [x5(2, 2, 2, 2, 2), vec(2), vec(2), vec(2, 'any', false), vec(2, 'positive', false)], attrs: { eps: 1e-5 } }],
  batch_norm_train: [{ inputs: [x5(2, 2, 2, 3, 3), vec(2), vec(2), vec(2, 'any', false), vec(2, 'positive', false)], attrs: { eps: 1e-5, momentum: 0.1 }, outputs: [0] }],
  leaky_relu: [{ inputs: [{ shape: [2, 3, 4] }], attrs: { slope: 0.01 } }],
  relu: [{ inputs: [{ shape: [2, 3, 4] }], attrs: none }],
  elu: [{ inputs: [{ shape: [2, 3, 4] }], attrs: { alpha: 1 } }],
  gelu: [{ inputs: [{ shape: [2, 3, 4], kind: 'any' }], attrs: none }],
  prelu: [{ inputs: [x5(2, 2, 3, 3), vec(1)], attrs: none }],
  dropout: [{ inputs: [{ shape: [2, 3, 4] }], attrs: { rate: 0.2 } }],
  add: [{ inputs: [{ shape: [2, 3, 4] }, { shape: [2, 3, 4] }], attrs: none }],
  concat: [{ inputs: [x5(2, 2, 2, 2), x5(1, 2, 2, 2), x5(3, 2, 2, 2)], attrs: { axis: 1 } }],
  softmax: [{ inputs: [{ shape: [2, 4, 3, 3, 1], kind: 'any' }], attrs: { axis: 1 } }],
  binary: [
    ...(['add', 'sub', 'mul', 'div', 'min', 'max'] as const).map((fn) => ({ label: fn, inputs: [{ shape: [2, 3, 4] }, { shape: [3, 1] }], attrs: { fn } })),
    { label: 'pow', inputs: [{ shape: [2, 3], kind: 'positive' }, { shape: [1], kind: 'positive' }], attrs: { fn: 'pow' } },
    { label: 'eq', inputs: [{ shape: [2, 3] }, { shape: [2, 3] }], attrs: { fn: 'eq' }, diff: false },
  ],
  unary: [
    ...(['identity', 'neg', 'exp', 'erf'] as const).map((fn) => ({ label: fn, inputs: [{ shape: [3, 4] }], attrs: { fn } })),
    ...(['log', 'sqrt', 'reciprocal'] as const).map((fn) => ({ label: fn, inputs: [{ shape: [3, 4], kind: 'positive' as const }], attrs: { fn } })),
    { label: 'step', inputs: [{ shape: [3, 4] }], attrs: { fn: 'step' }, diff: false },
  ],
  affine: [{ inputs: [{ shape: [3, 4] }], attrs: { scale: -1.5, shift: 0.25 } }],
  constant: [{ inputs: [], attrs: { shape: [2, 3], values: [1, 2, 3, 4, 5, 6] }, diff: false }],
  reduce: [
    { label: 'sum keepdims', inputs: [{ shape: [2, 3, 4] }], attrs: { fn: 'sum', axes: [0, 2], keepdims: true } },
    { label: 'mean', inputs: [{ shape: [2, 3, 4] }], attrs: { fn: 'mean', axes: [1], keepdims: false } },
    { label: 'max (constant to autodiff)', inputs: [{ shape: [2, 3, 4] }], attrs: { fn: 'max', axes: [2], keepdims: true }, diff: false },
  ],
  reshape: [{ inputs: [{ shape: [2, 3, 4] }], attrs: { shape: [4, 6] } }],
  transpose: [{ inputs: [{ shape: [2, 3, 4] }], attrs: { perm: [2, 0, 1] } }],
  expand: [{ inputs: [{ shape: [3, 1] }], attrs: { shape: [2, 3, 4] } }],
  slice: [
    { inputs: [{ shape: [3, 5, 4] }], attrs: { starts: [1, 0, 2], ends: [3, 4, 4], steps: [1, 1, 1] } },
    { label: 'strided (labels only)', inputs: [{ shape: [3, 5, 4] }], attrs: { starts: [0, 0, 0], ends: [3, 5, 4], steps: [1, 2, 2] }, diff: false },
  ],
  pad: [{ inputs: [{ shape: [2, 3, 2] }], attrs: { before: [0, 1, 2], after: [1, 0, 1] } }],
  matmul: [{ inputs: [{ shape: [2, 3, 4] }, { shape: [2, 4, 5] }], attrs: none }],
  conv_input_grad: [
    { label: 'stride 1 (flipped conv)', inputs: [x5(3, 4, 4, 4), { shape: [3, 2, 3, 3, 3] }], attrs: { stride: [1, 1, 1], pads: [1, 1, 1], inputSize: [4, 4, 4] }, diff: false },
    { label: 'stride 1, pad > k-1', inputs: [x5(2, 6, 3, 1), { shape: [2, 3, 2, 1, 1] }], attrs: { stride: [1, 1, 1], pads: [2, 1, 0], inputSize: [3, 1, 1] }, diff: false },
    ...inputGradLowerings.flatMap((how) => [
      { label: `${how}, stride 2, odd and even sizes`, inputs: [x5(2, 3, 3, 2), { shape: [2, 2, 3, 3, 3] }], attrs: { stride: [2, 2, 2], pads: [1, 1, 1], inputSize: [5, 5, 4] }, diff: false, lowering: { convInputGrad: how } },
      { label: `${how}, anisotropic stride [2,1,3], kernel [3,1,2], pads [0,0,1]`, inputs: [x5(2, 2, 3, 3, 2), { shape: [2, 3, 3, 1, 2] }], attrs: { stride: [2, 1, 3], pads: [0, 0, 1], inputSize: [6, 3, 7] }, diff: false, lowering: { convInputGrad: how } },
      { label: `${how}, kernel 1 stride 2 (phases without taps)`, inputs: [x5(3, 2, 3, 2, 2), { shape: [3, 2, 1, 1, 1] }], attrs: { stride: [2, 2, 2], pads: [0, 0, 0], inputSize: [4, 5, 3] }, diff: false, lowering: { convInputGrad: how } },
      { label: `${how}, stride 4 kernel 2 pad 1`, inputs: [x5(2, 3, 2, 2), { shape: [2, 1, 2, 2, 2] }], attrs: { stride: [4, 4, 4], pads: [1, 1, 1], inputSize: [9, 6, 5] }, diff: false, lowering: { convInputGrad: how } },
    ]),
  ],
  conv_weight_grad: [
    ...weightGradLowerings.flatMap((how) => [
      { label: `${how}, stride 2`, inputs: [x5(2, 5, 5, 4, 2), x5(3, 3, 3, 2, 2)], attrs: { stride: [2, 2, 2], pads: [1, 1, 1], kernel: [3, 3, 3] }, diff: false, lowering: { convWeightGrad: how } },
      { label: `${how}, stride 1, one axis unpadded`, inputs: [x5(2, 4, 3, 4), x5(3, 4, 1, 4)], attrs: { stride: [1, 1, 1], pads: [1, 0, 1], kernel: [3, 3, 3] }, diff: false, lowering: { convWeightGrad: how } },
    ]),
    // im2col chunks: room for 20 rows of g (a whole sample of 18 per chunk), 10 rows (one slab of 6 per chunk).
    ...[20, 10].map((rows) => ({
      label: `im2col, stride 2, chunks of ${rows} rows`, inputs: [x5(2, 5, 5, 4, 2), x5(3, 3, 3, 2, 2)], attrs: { stride: [2, 2, 2], pads: [1, 1, 1], kernel: [3, 3, 3] }, diff: false,
      lowering: { convWeightGrad: 'im2col' as const, weightGradChunkMiB: (rows * 4 * 27 * 2) / 2 ** 20 },
    })),
    // shifted: x or g as the GEMM's A (C 6 vs O 1, C 3 vs O 3), a [1,3,3] kernel, chunks of the flat grid.
    ...[
      { label: "x's stack as the GEMM's A", inputs: [x5(6, 4, 5, 3, 2), x5(1, 4, 5, 3, 2)], attrs: { stride: [1, 1, 1], pads: [1, 1, 1], kernel: [3, 3, 3] } },
      { label: "g's stack as the GEMM's A", inputs: [x5(3, 4, 5, 3, 2), x5(3, 4, 5, 3, 2)], attrs: { stride: [1, 1, 1], pads: [1, 1, 1], kernel: [3, 3, 3] } },
      { label: 'kernel [1,3,3], pads [0,1,1]', inputs: [x5(2, 3, 5, 4), x5(3, 3, 5, 4)], attrs: { stride: [1, 1, 1], pads: [0, 1, 1], kernel: [1, 3, 3] } },
      { label: 'chunks of 16 shifted columns', inputs: [x5(3, 4, 5, 3, 2), x5(3, 4, 5, 3, 2)], attrs: { stride: [1, 1, 1], pads: [1, 1, 1], kernel: [3, 3, 3] }, chunk: 16 },
    ].map(({ label, inputs, attrs, chunk }) => ({
      label: `shifted, ${label}`, inputs, attrs, diff: false,
      lowering: { convWeightGrad: 'shifted' as const, ...(chunk ? { weightGradChunkMiB: (chunk * 4 * (3 * 3 + 9 * 3)) / 2 ** 20 } : {}) },
    })),
  ],
  topk_mask: [{ inputs: [{ shape: [20], kind: 'any' }], attrs: { k: 3 }, diff: false }],
};

/** One node of `kind` on random inputs; loss = sum over the chosen outputs of sum(output * R). */
function build(kind: OpKind, c: Case, rng: Rng) {
  const g = new Graph();
  const feeds = new Map<string, T64>();
  const names = c.inputs.map((inp, i) => {
    feeds.set(`in${i}`, randomT64(rng, inp.shape, inp.kind));
    return g.input(`in${i}`, inp.shape);
  });
  const node = g.op(kind, 'node', names, c.attrs as never);
  const outs = g.nodes.at(-1)!.outputs.filter((_, i) => c.outputs?.includes(i) ?? true);
  const terms = outs.map((o, i) => {
    const shape = g.shape(o) as number[];
    const r = g.op('constant', `r${i}`, [], { shape, values: Array.from(randomT64(rng, shape, 'any').data) });
    return g.op('reduce', `t${i}`, [g.op('binary', `p${i}`, [o, r], { fn: 'mul' })], { fn: 'sum', axes: shape.map((_, a) => a), keepdims: false });
  });
  const loss = terms.reduce((a, t, i) => g.op('binary', `l${i}`, [a, t], { fn: 'add' }));
  g.output(node);
  return { g, feeds, loss, wrt: names.filter((_, i) => c.inputs[i]!.diff !== false) };
}

describe('every op: ONNX forward vs float64 reference, gradient vs finite differences', () => {
  for (const [kind, list] of Object.entries(cases) as [OpKind, Case[]][]) {
    for (const c of list) {
      it(`${kind}${c.label ? ` (${c.label})` : ''}`, async () => {
        const { g, feeds, loss, wrt } = build(kind, c, Rng.seeded(size(c.inputs[0]?.shape ?? [1]) + kind.length));
        // Every output of the node (e.g. batch norm's updated running statistics too).
        const outputs = g.nodes.find((n) => n.name === 'node')!.outputs;
        outputs.forEach((o) => g.output(o));
        const wantAll = run64(g, feeds);
        const gotAll = await runOrt(g, feeds, c.lowering);
        for (const o of outputs) {
          const want = wantAll.get(o)!;
          const got = gotAll.get(o)!;
          const scale = Math.max(1, ...Array.from(want.data, Math.abs));
          expect(Math.max(...Array.from(want.data, (v, i) => Math.abs(v - got[i]!))), o).toBeLessThan(1e-5 * scale);
        }
        if (c.diff === false) return;
        for (const r of await checkGradients(g, loss, wrt, feeds, { samples: 24, lowering: c.lowering })) expect(r.error, r.name).toBeLessThan(1e-3);
      });
    }
  }
});

describe('the gradient table', () => {
  it('has a row for every op of the registry, and the engine names an op whose row is null', () => {
    expect(Object.keys(GRADIENTS).sort()).toEqual(Object.keys(ops).sort());
    const { topk_mask: _omitted, ...partial } = GRADIENTS;
    // @ts-expect-error GRADIENTS's type is mapped over OpKind: a table missing an op kind does not compile
    const incomplete: typeof GRADIENTS = partial;
    expect(Object.keys(incomplete)).not.toContain('topk_mask');

    const g = new Graph();
    const [x, w] = [g.input('x', [1, 2, 3, 3, 3]), g.input('w', [2, 2, 3, 3, 3])];
    const dx = g.op('conv_input_grad', 'dx', [x, w], { stride: [1, 1, 1], pads: [1, 1, 1], inputSize: [3, 3, 3] });
    const loss = g.op('reduce', 'loss', [dx], { fn: 'sum', axes: [0, 1, 2, 3, 4], keepdims: false });
    expect(() => gradients(g, loss, [w])).toThrow("no gradient rule for op 'conv_input_grad' (node 'dx')");
  });
});
