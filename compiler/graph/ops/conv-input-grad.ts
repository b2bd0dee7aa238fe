/**
 * conv_input_grad, dx of a conv from upstream g and w, as an op of its own so its lowering (a
 * large part of a training step) is decided here, by one row of INPUT_GRAD_LOWERINGS per
 * LoweringOptions.convInputGrad (measurements in docs/training.md). Every row is checked against
 * float64 references (test/compiler/autodiff/ops.test.ts). Stride 1 is always the flipped-weight Conv.
 */
import { ShapeError } from '../../../src/errors.js';
import type { LoweringOptions } from '../../onnx/context.js';
import { Emitter } from '../../onnx/emitter.js';
import type { GraphNode, OpAttrs, OpDef } from '../ops.js';
import type { Shape } from '../shape.js';
import { grid, perSample, prod, rank, sameDim, spatialSize } from './shape-util.js';

type Node = GraphNode & { readonly attrs: OpAttrs['conv_input_grad'] };

const strided = (node: Node) => node.attrs.stride.some((s) => s > 1);

export const INPUT_GRAD_LOWERINGS: Readonly<Record<LoweringOptions['convInputGrad'], (e: Emitter, node: Node) => void>> = {
  /** Default: no ConvTranspose (which the WebGPU provider lacks in 3D); 2.4x faster than it on CPU where the time is. */
  phase_convs: emitPhaseConvs,
  /** ONNX ConvTranspose: one kernel, for providers with a native one (cuDNN); fastest on CPU at the lowest resolution. */
  conv_transpose: (e, node) => (strided(node) ? emitConvTranspose : emitPhaseConvs)(e, node),
};

const sizes = (s: Shape, what: string) => s.map((d, i) => (i < 2 ? d : spatialSize(d, `${what} axis ${i}`)));

export const convInputGrad: OpDef<OpAttrs['conv_input_grad']> = {
  arity: [2, 2],
  shape([g, w], { stride, pads, inputSize }) {
    const r = stride.length;
    rank(g!, r + 2, 'upstream gradient');
    rank(w!, r + 2, 'conv weight');
    sameDim(g![1]!, w![0]!, 'gradient channels vs weight out-channels');
    const k = sizes(w!, 'kernel').slice(2) as number[];
    sizes(g!, 'gradient').slice(2).forEach((o, i) => {
      if (Math.floor((inputSize[i]! + 2 * pads[i]! - k[i]!) / stride[i]!) + 1 !== o) throw new ShapeError(`gradient axis ${i} of size ${o} does not come from an input of size ${inputSize[i]}`);
    });
    return [[g![0]!, w![1]!, ...inputSize]];
  },
  flops: (inputs, [out]) => 2 * (inputs[0]![1] as number) * prod(inputs[1]!.slice(2) as number[]) * perSample(inputs[0]!.slice(2)) * (out![1] as number),
  emit: (ctx, node) => INPUT_GRAD_LOWERINGS[ctx.lowering.convInputGrad](new Emitter(ctx, node.name), node),
};

/** dx = ConvTranspose(g, w) with the output padding that restores x's size. */
function emitConvTranspose(e: Emitter, node: Node): void {
  const { stride, pads, inputSize } = node.attrs;
  const [g, w] = node.inputs as [string, string];
  const k = e.shape(w).slice(2) as number[];
  const o = e.shape(g).slice(2) as number[];
  e.node('ConvTranspose', [g, w], node.outputs, {
    kernel_shape: { ints: k },
    strides: { ints: stride },
    pads: { ints: [...pads, ...pads] },
    output_padding: { ints: inputSize.map((d, i) => d - ((o[i]! - 1) * stride[i]! - 2 * pads[i]! + k[i]!)) },
  });
}

/**
 * dx by one stride-1 Conv of g per stride phase. Per axis, the forward conv reads x[o*s - p + k],
 * so dx at i = q*s + ph collects g[q + d] w[ph + p - d*s] over the offsets d with a tap in the
 * kernel: each phase's Conv has exactly its taps; the phases are concatenated and interleaved by
 * depth-to-space. Stride 1 (one phase) is the flipped-weight Conv with pad k-1-p.
 */
function emitPhaseConvs(e: Emitter, node: Node): void {
  const { stride: s, pads: p, inputSize } = node.attrs;
  const [o, c, ...k] = e.shape(node.inputs[1]!) as number[];
  const r = s.length;
  const q = inputSize.map((d, a) => Math.ceil(d / s[a]!));
  const phases = [...grid(s)];
  const wFlat = e.reshape(node.inputs[1]!, [o!, c!, prod(k)], 'w_flat');
  if (phases.length === 1) {
    emitPhaseConv(e.within('g0'), node, wFlat, phases[0]!, q, node.outputs[0]!);
    return;
  }
  const y = e.concat(phases.map((ph, i) => emitPhaseConv(e.within(`g${i}`), node, wFlat, ph, q, e.tmp(`phases${i}`))), 1, 'phases');
  // [N, s0*s1*..*C, q...] -> [N, s..., C, q...] -> [N, C, q0, s0, q1, s1, ...] -> [N, C, q0*s0, ...]
  const split = e.reshape(y, [0, ...s, c!, ...q], 'split');
  const inter = e.transpose(split, [0, r + 1, ...s.flatMap((_, a) => [r + 2 + a, 1 + a])], 'interleave');
  const whole = q.every((v, a) => v * s[a]! === inputSize[a]);
  const full = e.reshape(inter, [0, c!, ...q.map((v, a) => v * s[a]!)], 'full', whole ? node.outputs[0]! : undefined);
  if (!whole) e.slice(full, { starts: s.map(() => 0), ends: inputSize, axes: s.map((_, a) => a + 2) }, 'cut', node.outputs[0]!);
}

/** The stride-1 Conv computing phase `ph` of dx into `out`: the phase's taps of w, then g read over its offset window. */
function emitPhaseConv(e: Emitter, node: Node, wFlat: string, ph: readonly number[], q: readonly number[], out: string): string {
  const { stride: s, pads: p } = node.attrs;
  const g = node.inputs[0]!;
  const [o, c, ...k] = e.shape(node.inputs[1]!) as number[];
  const gSize = e.shape(g).slice(2) as number[];
  // Offsets d per axis; an axis without taps for this phase keeps one (zero) offset.
  const window = ph.map((v, a) => {
    const lo = Math.ceil((v + p[a]! - k[a]! + 1) / s[a]!);
    return [lo, Math.max(lo, Math.floor((v + p[a]!) / s[a]!))] as const;
  });
  const lo = window.map(([l]) => l);
  const m = window.map(([l, h]) => h - l + 1);
  const taps = [...grid(m)].map((mm) => {
    const kk = mm.map((v, a) => ph[a]! + p[a]! - (lo[a]! + v) * s[a]!);
    return kk.some((v, a) => v < 0 || v >= k[a]!) ? prod(k) : kk.reduce((f, v, a) => f * k[a]! + v, 0);
  });
  // The taps picked by a 0/1 selection matrix (a zero column where the phase has no tap): one small
  // GEMM, exact, and much faster than a Gather of single elements along the last axis.
  const selection = Array.from({ length: prod(k) * taps.length }, (_, i) => (taps[i % taps.length] === Math.floor(i / taps.length) ? 1 : 0));
  const wTaps = e.op('MatMul', [wFlat, e.floats('tap_selection', selection, [prod(k), taps.length])], 'w_taps');
  // [O, C, 1, taps] -> [1, C, O, taps] -> the Conv weight [C, O, ...m]
  const wSplit = e.reshape(wTaps, [o!, c!, 1, prod(m)], 'w_split');
  const wPhase = e.reshape(e.transpose(wSplit, [2, 1, 0, 3], 'w_perm'), [c!, o!, ...m], 'w_phase');
  // Output q reads g[q + lo .. q + hi]: zero-pad outside g, cut what is never read.
  const before = lo.map((d) => -d);
  const after = window.map(([, h], a) => q[a]! - 1 + h - (gSize[a]! - 1));
  const gIn = [...before, ...after].some((v) => v < 0)
    ? e.slice(g, { starts: before.map((b) => Math.max(0, -b)), ends: after.map((v, a) => gSize[a]! + Math.min(0, v)), axes: s.map((_, a) => a + 2) }, 'g_cut')
    : g;
  e.node('Conv', [gIn, wPhase], [out], { kernel_shape: { ints: m }, pads: { ints: [...before, ...after].map((v) => Math.max(0, v)) } });
  return out;
}
