/**
 * PriorBand on the synthetic objective's benchmark surface (src/optimize/synthetic.ts), with a
 * good and a misleading prior, against random search and Hyperband over many seeds; plus
 * the ask/tell overhead with 1,000 stored trials. The reference is the qualitative claim
 * of the PriorBand paper (Mallik et al. 2023): with a good prior PriorBand reaches a
 * given regret much sooner than random search and Hyperband; with a misleading prior it
 * is not much worse than Hyperband.
 *   npm run bench -- priorband            (SEEDS=25 ROUNDS=2 by default)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AlgorithmName } from '../src/optimize/algorithms.js';
import { hyperbandSchedule, scheduleTotals } from '../src/optimize/brackets.js';
import { MemoryStorage } from '../src/optimize/memory-storage.js';
import { SqliteStorage } from '../src/optimize/sqlite-storage.js';
import { bareTrial } from '../src/optimize/objective.js';
import { Study } from '../src/optimize/study.js';
import { benchmarkSurface, syntheticObjective, syntheticSpace, syntheticTrueLoss } from '../src/optimize/synthetic.js';

const BUDGETS = { minBudget: 10, maxBudget: 1000, eta: 3 };
const SEEDS = Number(process.env.SEEDS ?? 25);
const ROUNDS = Number(process.env.ROUNDS ?? 2);
const ALGORITHMS: AlgorithmName[] = ['random-search', 'hyperband', 'priorband', 'regularized-priorband'];
const FIXED_TARGET = 0.05; // a regret to reach
const round = scheduleTotals(hyperbandSchedule(BUDGETS)).epochsWithContinuation + BUDGETS.maxBudget;
const TOTAL = ROUNDS * round;
const CHECKPOINTS = [1000, 3000, 10_000, 20_000, TOTAL].filter((c) => c <= TOTAL);

interface Curve {
  epochs: number[];
  regret: number[];
}

/** Regret (true full-budget loss of the incumbent) after every evaluation, against epochs charged. */
async function runOnce(algorithm: AlgorithmName, prior: 'good' | 'misleading', seed: number): Promise<Curve> {
  const objective = syntheticObjective({ surface: benchmarkSurface(BUDGETS.minBudget, BUDGETS.maxBudget, seed) });
  const study = await Study.open({
    storage: new MemoryStorage(),
    name: 'bench',
    settings: { algorithm, space: syntheticSpace(prior), seed, ...BUDGETS, brackets: 10_000, maxEpochs: TOTAL },
  });
  const curve: Curve = { epochs: [], regret: [] };
  let spent = 0;
  let best = Infinity;
  let regret = Infinity;
  await study.optimize(objective, {
    onTrial: (t) => {
      spent += t.budget - t.previousBudget;
      if (t.status === 'complete' && t.loss! < best) {
        best = t.loss!;
        regret = syntheticTrueLoss(t.config);
      }
      curve.epochs.push(spent);
      curve.regret.push(regret);
    },
  });
  return curve;
}

const at = (c: Curve, epochs: number): number => {
  let r = Infinity;
  for (let i = 0; i < c.epochs.length && c.epochs[i]! <= epochs; i++) r = c.regret[i]!;
  return r;
};
const epochsTo = (c: Curve, target: number): number => {
  const i = c.regret.findIndex((r) => r <= target);
  return i < 0 ? Infinity : c.epochs[i]!;
};
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const fmt = (x: number, digits = 3): string => (Number.isFinite(x) ? x.toFixed(digits) : 'never');

async function overhead(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'hnas-bench-'));
  try {
    const storage = new SqliteStorage(join(dir, 'study.db'));
    const study = await Study.open({ storage, name: 'o', settings: { algorithm: 'regularized-priorband', space: syntheticSpace('good'), ...BUDGETS, brackets: 100 } });
    const objective = syntheticObjective({ surface: benchmarkSurface(BUDGETS.minBudget, BUDGETS.maxBudget) });
    await study.optimize(objective, { maxTrials: 1000 });
    const times: number[] = [];
    for (let i = 0; i < 100; i++) {
      const t0 = performance.now();
      const step = await study.ask();
      if (step.kind !== 'job') break;
      await study.tell(step.job, await objective(step.job, bareTrial(step.job)));
      times.push(performance.now() - t0);
    }
    await storage.close();
    return median(times);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(): Promise<void> {
  console.log(`synthetic objective, min ${BUDGETS.minBudget} / max ${BUDGETS.maxBudget} epochs, eta ${BUDGETS.eta}; ${SEEDS} seeds; ` +
    `no bracket opens after ${TOTAL.toLocaleString('en-US')} epochs (${ROUNDS} PriorBand rounds with continuation); regret = true full-budget loss of the incumbent (optimum 0)`);
  for (const prior of ['good', 'misleading'] as const) {
    const results = new Map<AlgorithmName, Curve[]>();
    for (const algorithm of ALGORITHMS) {
      const curves: Curve[] = [];
      for (let seed = 0; seed < SEEDS; seed++) curves.push(await runOnce(algorithm, prior, seed));
      results.set(algorithm, curves);
    }
    // Targets: Hyperband's median final regret, and a fixed regret.
    const hbCurves = results.get('hyperband')!;
    const hbFinal = median(hbCurves.map((c) => at(c, TOTAL)));
    const targets = [hbFinal, FIXED_TARGET];
    const epochsToTargets = (curves: Curve[]) => targets.map((t) => median(curves.map((c) => epochsTo(c, t))));
    const hb = epochsToTargets(hbCurves);
    console.log(`\nprior: ${prior}. Median over seeds of the regret after N epochs; median epochs to reach a regret (Hyperband's final ${fmt(hbFinal)}, and ${FIXED_TARGET}) and the speed-up over Hyperband (HB epochs / ours)`);
    console.log(
      [
        'algorithm'.padEnd(22),
        ...CHECKPOINTS.map((c) => `@${c}`.padStart(8)),
        ...targets.map((t) => `to ${fmt(t)}`.padStart(9) + ' ' + 'speedup'.padStart(7)),
        'final/HB'.padStart(9),
      ].join(' '),
    );
    for (const [algorithm, curves] of results) {
      const e = epochsToTargets(curves);
      const final = median(curves.map((c) => at(c, TOTAL)));
      console.log(
        [
          algorithm.padEnd(22),
          ...CHECKPOINTS.map((c) => fmt(median(curves.map((cv) => at(cv, c)))).padStart(8)),
          ...e.map((x, i) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : 'never').padStart(9) + ' ' + (Number.isFinite(x) && Number.isFinite(hb[i]!) ? (hb[i]! / x).toFixed(2) : '-').padStart(7)),
          (final / hbFinal).toFixed(2).padStart(9),
        ].join(' '),
      );
    }
  }
  console.log(`\nask + tell with 1,000 stored trials (SQLite file, Regularized PriorBand): median ${(await overhead()).toFixed(2)} ms`);
}
