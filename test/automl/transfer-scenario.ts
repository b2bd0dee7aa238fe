/**
 * The `hnas transfer` scenario of transfer.test.ts and transfer.slow.test.ts, end to end on the two
 * generated fixtures of different character (tiny-msd: MRI, 1 mm isotropic, two classes, n_max 3;
 * tiny-ct: CT in HU, 0.8 x 0.8 x 3 mm, one class, n_max 4), with the incumbents of tiny studies (hpo,
 * hpo_hnas; synthetic objective, so the studies cost nothing; the default's score is made worse so that
 * sampled configurations win) trained for real at their tiny budget: every cell's model folder holds
 * the incumbent's configuration, the Dice matrix and the gains agree with the cells' own fold.json, an
 * architecture the dataset's grammar cannot derive is reported as not transferable, a rerun trains
 * nothing, and bad input fails before anything is written.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApproachName } from '../../src/automl/approaches.js';
import { optimize } from '../../src/automl/driver.js';
import { loadStudy } from '../../src/automl/load.js';
import { TINY_CT, TINY_MSD } from '../../fixtures/data/make-fixtures.js';
import { planDataset, resolveConfiguration } from '../../src/pipeline/index.js';
import { bestLossTrial } from '../../src/optimize/incumbent.js';
import { architectureFeatures } from '../../src/report/index.js';
import { decodePng } from '../../src/report/raster.js';
import type { TreeNode } from '../../src/grammar/tree-types.js';
import { runCli } from '../helpers/cli.js';
import { writeTinyPlan } from './fixtures/dataset.js';
import { tinyRequest } from './fixtures/request.js';

const FLAGS = ['--batch', '2', '--threads', '1', '--no-progress', '--json'];

/** The transfer of the incumbents of tiny studies of `approaches` (each its own study folder) to both fixtures. */
export function transferScenario(approaches: readonly ApproachName[]): void {
  const dir = mkdtempSync(join(tmpdir(), 'hnas-transfer-'));
  const previousCache = process.env.HNAS_CACHE_DIR;
  const studies = approaches.map((a) => join(dir, a));
  const out = join(dir, 'out');

  beforeAll(async () => {
    process.env.HNAS_CACHE_DIR = join(dir, 'cache');
    const plan = writeTinyPlan(join(dir, 'plans.json')); // n_max 4: hnas trees of 2..4 stages
    const extra = { objectiveOptions: { featuresBase: 4, featuresMax: 8 } };
    for (const [i, approach] of approaches.entries()) {
      const study = studies[i]!;
      await optimize(tinyRequest(study, approach, plan, { minEpochs: 1, maxEpochs: 2, eta: 2 }, extra));
      // On the synthetic surface nnU-Net's default wins at these budgets; score it worse so that the
      // incumbent is a sampled configuration and its cells differ from the default's.
      const db = new Database(join(study, 'study.db'));
      db.prepare("UPDATE trials SET loss = 0.999 WHERE key = 'default'").run();
      db.close();
    }
  });
  afterAll(() => {
    if (previousCache === undefined) delete process.env.HNAS_CACHE_DIR;
    else process.env.HNAS_CACHE_DIR = previousCache;
    rmSync(dir, { recursive: true, force: true });
  });

  describe('hnas transfer', () => {
    it('trains each incumbent and each default on each dataset; the matrix and gains agree with the cells', async () => {
      const r = await runCli('transfer', ...studies, '--datasets', TINY_MSD, TINY_CT, '-o', out, ...FLAGS);
      expect(r.code, r.err).toBe(0);
      const m = JSON.parse(r.out);
      expect(m.datasets.map((d: { label: string; nStages: number; classes: number }) => [d.label, d.nStages, d.classes])).toEqual([['TinyMSD', 3, 2], ['TinyCT', 4, 1]]);
      expect(m.studies.map((s: { label: string }) => s.label)).toEqual(approaches);
      expect(m.cells).toHaveLength(2 * approaches.length);
      const nStages = { TinyMSD: planDataset(TINY_MSD).nStages, TinyCT: planDataset(TINY_CT).nStages } as Record<string, number>;

      for (const [i, name] of approaches.entries()) {
        const path = studies[i]!;
        const study = await loadStudy(path);
        const inc = bestLossTrial(study.trials)!;
        expect(inc.source).not.toBe('default');
        for (const c of m.cells.filter((x: { study: string }) => x.study === name)) {
          expect(c.budget).toEqual({ epochs: inc.budget, maxEpochs: Math.max(2, inc.budget), iterationsPerEpoch: 2, folds: [0], features: { base: 4, max: 8 } });
          const tree = inc.config.architecture as TreeNode | undefined;
          const stages = tree ? (architectureFeatures(tree)['arch.stages'] as number) : null;
          const fits = stages === null || (stages <= nStages[c.dataset]! && stages >= Math.floor(nStages[c.dataset]! / 2));
          expect(c.status, `${name} on ${c.dataset} (${stages} stages)`).toBe(fits ? 'trained' : 'not transferable');
          if (!fits) {
            expect(c.reason).toMatch(/does not fit this dataset \(n_max \d\)/);
            expect(c.dice).toBeNull();
            continue;
          }
          // The cell trained the incumbent's configuration, and its Dice is the cell's own fold result.
          const cellDir = join(out, c.folder);
          expect(JSON.parse(readFileSync(join(cellDir, 'configuration.json'), 'utf8')).config).toEqual(resolveConfiguration(inc.config, nStages[c.dataset]!).config);
          const fold = JSON.parse(readFileSync(join(cellDir, 'fold_0', 'fold.json'), 'utf8'));
          expect(fold.epochs).toBe(inc.budget);
          expect(c.dice).toBeCloseTo(fold.dice, 12);
          expect(Object.keys(c.meanPerClass)).toEqual(c.dataset === 'TinyMSD' ? ['1', '2'] : ['1']);
        }
      }
      // Seed 3's hpo_hnas incumbent has 4 stages: it fits TinyCT (n_max 4), not TinyMSD (n_max 3).
      if (approaches.includes('hpo_hnas')) expect(m.cells.filter((c: { study: string }) => c.study === 'hpo_hnas').map((c: { status: string }) => c.status)).toEqual(['not transferable', 'trained']);
      // The default row: nnU-Net's default configuration at the same budget, once per dataset and budget.
      for (const d of m.defaults) {
        expect(JSON.parse(readFileSync(join(out, d.folder, 'configuration.json'), 'utf8')).config).toEqual(resolveConfiguration({}, nStages[d.dataset]!).config);
        expect(d.status).toBe('trained');
      }
      for (const g of m.gains) {
        const cell = m.cells.find((c: { study: string; dataset: string }) => c.study === g.study && c.dataset === g.dataset);
        const base = m.defaults.find((d: { dataset: string; budget: unknown }) => d.dataset === g.dataset && JSON.stringify(d.budget) === JSON.stringify(cell.budget));
        if (cell.dice === null) expect(g.gain).toBeNull();
        else expect(g.gain).toBeCloseTo(cell.dice - base.dice, 12);
      }
      expect(m.trainedNow).toBe(m.defaults.length + m.cells.filter((c: { status: string }) => c.status === 'trained').length);

      const md = readFileSync(join(out, 'transfer.md'), 'utf8');
      const first = m.cells.filter((c: { study: string }) => c.study === approaches[0]);
      expect(md).toContain(`| ${approaches[0]} | ${first.map((c: { dice: number | null }) => (c.dice === null ? 'n/a' : (100 * c.dice).toFixed(2))).join(' | ')} |`);
      for (const f of ['transfer-dice', 'transfer-gain']) {
        expect(readFileSync(join(out, `${f}.svg`), 'utf8')).toMatch(/^<svg/);
        expect(decodePng(readFileSync(join(out, `${f}.png`))).width).toBeGreaterThan(100);
      }

      // A rerun trains nothing and reports the same matrix.
      const again = await runCli('transfer', ...studies, '--datasets', TINY_MSD, TINY_CT, '-o', out, ...FLAGS);
      expect(again.code, again.err).toBe(0);
      const m2 = JSON.parse(again.out);
      expect(m2.trainedNow).toBe(0);
      expect(m2.reused).toBe(m.cells.length + m.defaults.length);
      expect(m2.cells).toEqual(m.cells);
      expect(m2.gains).toEqual(m.gains);

      // Other settings into the same folder are refused, not mixed in.
      const other = await runCli('transfer', studies[0]!, '--datasets', TINY_MSD, '-o', out, '--seed', '5', ...FLAGS);
      expect(other.code).toBe(1);
      expect(other.err).toMatch(/made with other settings/);
    }, 240_000);

    it('refuses bad input before writing anything', async () => {
      const hpo = studies[0]!;
      const none = await runCli('transfer', hpo, '-o', join(dir, 'x1'));
      expect(none.code).toBe(2);
      expect(none.err).toMatch(/--datasets/);
      const missing = await runCli('transfer', hpo, '--datasets', TINY_MSD, join(dir, 'no-such-dataset'), '-o', join(dir, 'x2'), ...FLAGS);
      expect(missing.code).toBe(1);
      expect(missing.err).toMatch(/no-such-dataset/);
      expect(existsSync(join(dir, 'x2'))).toBe(false);
      const noStudy = await runCli('transfer', join(dir, 'no-such-study'), '--datasets', TINY_MSD, '-o', join(dir, 'x3'));
      expect(noStudy.code).toBe(1);
      expect(existsSync(join(dir, 'x3'))).toBe(false);
    });
  });
}
