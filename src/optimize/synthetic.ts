/**
 * A multi-fidelity synthetic objective with a known optimum, for validating and
 * benchmarking the optimisers without training. Six hyperparameters (four floats, one
 * log-float, one categorical, one int). At full budget the loss is
 *   g(x) = 0.6 * mean_i (u_i - o_i)^2 / 0.25 + 0.15 * [c != best] + 0.1 * (u_int - o_int)^2
 * in the unit space (optimum 0); at lower budgets the optimum of x1 and x2 drifts
 * (fidelity bias, so low rungs rank some configurations wrongly), a budget-dependent
 * offset is added and the noise grows. Cost = budget * (0.5 + x3): the total training time of
 * the model at this budget (bigger x3: slower), whether or not it continued a checkpoint.
 */
import type { Configuration, SearchSpace } from '../space/types.js';
import type { Job, ObjectiveResult } from './study.js';

const OPT = { x1: 0.7, x2: 0.25, x3: 0.4, x4: 0.6, lr: 1e-3, cat: 'b', units: 40 } as const;

/**
 * The synthetic space with its prior centred on `prior`: 'good' (near the optimum: the default's
 * regret is about 0.09) or 'misleading' (far from it: regret about 1).
 */
export function syntheticSpace(prior: 'good' | 'misleading'): SearchSpace {
  const good = prior === 'good';
  return {
    name: `synthetic-${prior}`,
    params: [
      { name: 'x1', kind: 'float', lower: 0, upper: 1, default: good ? 0.5 : 0.05 },
      { name: 'x2', kind: 'float', lower: 0, upper: 1, default: good ? 0.45 : 0.95 },
      { name: 'x3', kind: 'float', lower: 0, upper: 1, default: good ? 0.25 : 0.95 },
      { name: 'x4', kind: 'float', lower: 0, upper: 1, default: good ? 0.75 : 0.02 },
      { name: 'lr', kind: 'float', lower: 1e-5, upper: 1e-1, log: true, default: good ? 8e-3 : 8e-2 },
      { name: 'cat', kind: 'categorical', values: ['a', 'b', 'c'], default: good ? 'b' : 'c' },
      { name: 'units', kind: 'int', lower: 1, upper: 64, default: good ? 28 : 2 },
    ],
  };
}

const logUnit = (v: number): number => (Math.log(v) - Math.log(1e-5)) / (Math.log(1e-1) - Math.log(1e-5));

/** True loss at full budget (noise- and bias-free); 0 at the optimum. */
export function syntheticTrueLoss(c: Configuration, fidelity = 1): number {
  const drift = 0.25 * (1 - fidelity);
  const d = [
    (c.x1 as number) - (OPT.x1 - drift),
    (c.x2 as number) - (OPT.x2 + drift),
    (c.x3 as number) - OPT.x3,
    (c.x4 as number) - OPT.x4,
    logUnit(c.lr as number) - logUnit(OPT.lr),
  ];
  const numeric = d.reduce((s, x) => s + x * x, 0) / d.length / 0.25;
  const units = ((c.units as number) - OPT.units) / 63;
  return 0.6 * numeric + 0.15 * (c.cat === OPT.cat ? 0 : 1) + 0.1 * units * units;
}

/** Deterministic noise in [-1, 1) from a string (so reruns give identical results). */
function hashNoise(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 0;
  return h / 2 ** 31 - 1;
}

/** The objective: loss and cost of a job, at fidelity log(budget / min) / log(max / min). */
export function syntheticObjective(minBudget: number, maxBudget: number, noiseSeed = 0) {
  return async (job: Pick<Job, 'config' | 'budget' | 'key'>): Promise<ObjectiveResult> => {
    const fidelity = Math.log(job.budget / minBudget) / Math.log(maxBudget / minBudget);
    const noise = (0.01 + 0.05 * (1 - fidelity)) * hashNoise(`${noiseSeed}/${JSON.stringify(job.config)}/${job.budget}`);
    const loss = syntheticTrueLoss(job.config, fidelity) + 0.2 * (1 - fidelity) + noise;
    const cost = job.budget * (0.5 + (job.config.x3 as number));
    return { loss, cost, checkpoint: `ckpt:${job.key}` };
  };
}
