/**
 * Optimiser updates as graph ops, one registry entry each, following PyTorch's definitions:
 * - sgd:   g' = g + wd p;  buf = mu buf + g';  p -= lr (g' + mu buf) with Nesterov, else lr buf
 * - adam:  g' = g + wd p (L2);  m = b1 m + (1-b1) g';  v = b2 v + (1-b2) g'^2;
 *          p -= lr (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps)
 * - adamw: p <- p (1 - lr wd) (decoupled decay), then the Adam step with g' = g.
 * The learning rate is a graph input (schedules run on the host); `t` is the step count
 * after this step (state `opt.step`, starts at 0).
 */
import type { GraphBuilder } from '../graph/builder.js';

export type OptimizerKind = 'sgd' | 'adam' | 'adamw';

export interface OptimizerOptions {
  readonly kind: OptimizerKind;
  readonly momentum: number;
  readonly nesterov: boolean;
  readonly weightDecay: number;
  readonly betas: readonly [number, number];
  readonly eps: number;
}

/** nnU-Net's optimiser: SGD, momentum 0.99, Nesterov, weight decay 3e-5. */
export const DEFAULT_OPTIMIZER: OptimizerOptions = { kind: 'sgd', momentum: 0.99, nesterov: true, weightDecay: 3e-5, betas: [0.9, 0.999], eps: 1e-8 };

export interface UpdateInput {
  readonly b: GraphBuilder;
  readonly param: string;
  /** Gradient after clipping. */
  readonly grad: string;
  /** State slot name -> current value. */
  readonly state: Readonly<Record<string, string>>;
  readonly lr: string;
  /** Step count after this step (scalar), for bias correction. */
  readonly t: string;
  readonly o: OptimizerOptions;
}

export interface OptimizerDef {
  /** Per-parameter state tensors (same shape as the parameter), zero at the start. */
  readonly slots: readonly string[];
  /** New parameter and new state values. */
  readonly update: (u: UpdateInput) => { param: string; state: Record<string, string> };
}

function adamStep({ b, param, state, lr, t, o }: UpdateInput, p: string, g: string) {
  const [b1, b2] = o.betas;
  const m = b.add(b.affine(state.m!, b1), b.affine(g, 1 - b1));
  const v = b.add(b.affine(state.v!, b2), b.affine(b.mul(g, g), 1 - b2));
  // Bias corrections 1 - beta^t on the scalar step count.
  const c1 = b.affine(b.pow(b.scalar(b1, 'beta1'), t), -1, 1);
  const c2 = b.affine(b.pow(b.scalar(b2, 'beta2'), t), -1, 1);
  const denom = b.affine(b.sqrt(b.div(v, c2)), 1, o.eps);
  const stepSize = b.div(lr, c1);
  void param;
  return { param: b.sub(p, b.mul(stepSize, b.div(m, denom))), state: { m, v } };
}

export const OPTIMIZERS: Readonly<Record<OptimizerKind, OptimizerDef>> = {
  sgd: {
    slots: ['momentum'],
    update({ b, param, grad, state, lr, o }) {
      const g = o.weightDecay ? b.add(grad, b.affine(param, o.weightDecay)) : grad;
      if (o.momentum === 0) return { param: b.sub(param, b.mul(lr, g)), state: { momentum: state.momentum! } };
      const buf = b.add(b.affine(state.momentum!, o.momentum), g);
      const direction = o.nesterov ? b.add(g, b.affine(buf, o.momentum)) : buf;
      return { param: b.sub(param, b.mul(lr, direction)), state: { momentum: buf } };
    },
  },
  adam: {
    slots: ['m', 'v'],
    update(u) {
      const { b, param, grad, o } = u;
      return adamStep(u, param, o.weightDecay ? b.add(grad, b.affine(param, o.weightDecay)) : grad);
    },
  },
  adamw: {
    slots: ['m', 'v'],
    update(u) {
      const { b, param, grad, lr, o } = u;
      const decayed = o.weightDecay ? b.sub(param, b.mul(b.affine(lr, o.weightDecay), param)) : param;
      return adamStep(u, decayed, grad);
    },
  },
};

/** Scales all gradients by min(1, maxNorm / (norm + 1e-6)) where norm is their global L2 norm (torch clip_grad_norm_). */
export function clipByGlobalNorm(b: GraphBuilder, grads: readonly string[], maxNorm: number): { grads: string[]; norm: string } {
  const squares = grads.map((g) => b.total(b.mul(g, g)));
  const norm = b.sqrt(squares.reduce((a, s) => b.add(a, s)));
  const coef = b.min(b.div(b.scalar(maxNorm, 'max_norm'), b.affine(norm, 1, 1e-6)), b.scalar(1, 'one'));
  return { grads: grads.map((g) => b.mul(g, coef)), norm };
}
