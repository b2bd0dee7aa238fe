/**
 * `npm run bench -- automl`: what the optimisation driver costs on top of the bare study
 * loop. Both run the same synthetic objective over the same study (hpo_hnas space, n_max 4,
 * 1..27 epochs, eta 3, 2 Hyperband rounds); the driver also writes every trial's folder
 * (config, log, scores, checkpoint). Then the time to write the report (3 plots, SVG + PNG).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { budgetFromFlags, budgetSettings } from '../src/automl/budget.js';
import { optimize } from '../src/automl/driver.js';
import { loadStudy } from '../src/automl/load.js';
import { SqliteStorage } from '../src/optimize/sqlite-storage.js';
import { Study } from '../src/optimize/study.js';
import { syntheticObjective } from '../src/optimize/synthetic.js';
import { writeReport } from '../src/report/index.js';
import { hnasSpace } from '../src/space/spaces.js';
import { writeTinyPlan } from '../test/automl/fixtures/dataset.js';

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'hnas-bench-automl-'));
  try {
    const flags = { minEpochs: 1, maxEpochs: 27, eta: 3, totalEpochs: 2 * 1000 };
    const budget = budgetFromFlags(flags);
    const training = { folds: [0], iterationsPerEpoch: 1, patchSize: null, batchSize: null };

    // Reference: the same loop (Study.optimize) and objective without trial folders.
    const storage = new SqliteStorage(join(dir, 'bare.db'));
    const study = await Study.open({ storage, name: 'bare', settings: { algorithm: 'regularized-priorband', space: hnasSpace(4), seed: 0, ...budgetSettings(budget) } });
    let t0 = performance.now();
    const { evaluated: bareTrials } = await study.optimize(syntheticObjective({ folds: training.folds }));
    const bareMs = performance.now() - t0;
    await storage.close();

    t0 = performance.now();
    const summary = await optimize({ datasetDir: '', approach: 'hpo_hnas', study: join(dir, 'driver'), planFile: writeTinyPlan(join(dir, 'plans.json')), budget, training, seed: 0, objective: 'synthetic' });
    const driverMs = performance.now() - t0;
    const driverTrials = summary.counts.complete + summary.counts.failed;

    t0 = performance.now();
    await writeReport(await loadStudy(join(dir, 'driver')), join(dir, 'report'));
    const reportMs = performance.now() - t0;

    const rows = [
      ['trials', String(bareTrials), String(driverTrials), ''],
      ['ms per trial', (bareMs / bareTrials).toFixed(2), (driverMs / driverTrials).toFixed(2), `${(driverMs / driverTrials / (bareMs / bareTrials)).toFixed(2)}x`],
      ['report (3 plots, SVG + PNG), ms', '', reportMs.toFixed(0), ''],
    ];
    console.log(['', 'bare study.optimize (reference)', 'hnas optimize driver', 'ratio'].map((h) => h.padEnd(32)).join(''));
    for (const r of rows) console.log(r.map((c) => c.padEnd(32)).join(''));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
