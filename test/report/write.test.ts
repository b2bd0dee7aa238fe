import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { optimize } from '../../src/automl/driver.js';
import { loadStudy } from '../../src/automl/load.js';
import { SqliteStorage } from '../../src/optimize/sqlite-storage.js';
import { Study } from '../../src/optimize/study.js';
import { benchmarkSurface, syntheticObjective, syntheticSpace } from '../../src/optimize/synthetic.js';
import { printTree } from '../../src/grammar/tree.js';
import type { TreeNode } from '../../src/grammar/tree-types.js';
import { writeReport } from '../../src/report/index.js';
import { writeTinyPlan } from '../automl/fixtures/dataset.js';
import { tinyRequest } from '../automl/fixtures/request.js';

const dir = mkdtempSync(join(tmpdir(), 'hnas-report-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const studyDir = join(dir, 'study');

beforeAll(async () => {
  await optimize(tinyRequest(studyDir, 'hpo_hnas', writeTinyPlan(join(dir, 'plans.json'))));
});

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47];

describe('writeReport', () => {
  it('writes report.md, SVG + PNG plots, report.json and trials.csv; the incumbent is the best loss in the database', async () => {
    const out = join(dir, 'report');
    const result = await writeReport(await loadStudy(studyDir), out);
    const { model, files } = result;
    for (const name of ['cost-over-time', 'pareto-front', 'distributions', 'importance', 'marginals']) {
      const svg = readFileSync(join(out, `${name}.svg`), 'utf8');
      expect(svg.startsWith('<svg')).toBe(true);
      expect(svg).toMatch(/1 - Dice/);
      expect([...readFileSync(join(out, `${name}.png`)).subarray(0, 4)]).toEqual(PNG_MAGIC);
    }
    // 5 plots (SVG + PNG), trials.csv, report.json, report.md; the importance with enough trials (> 10, below).
    expect(files).toHaveLength(13);
    // Independent of the optimiser's code: ask SQLite for the lowest loss of a complete trial.
    const db = new Database(join(studyDir, 'study.db'), { readonly: true });
    const best = db.prepare("SELECT key, loss, config FROM trials WHERE status = 'complete' ORDER BY loss ASC, budget DESC, number ASC LIMIT 1").get() as { key: string; loss: number; config: string };
    const allComplete = db.prepare("SELECT COUNT(*) AS n FROM trials WHERE status = 'complete'").get() as { n: number };
    db.close();
    expect(allComplete.n).toBeGreaterThan(10);
    expect(model.incumbent!.key).toBe(best.key);
    expect(model.incumbent!.loss).toBe(best.loss);
    const md = readFileSync(join(out, 'report.md'), 'utf8');
    expect(md).toContain(`| ${model.incumbent!.number} | \`${model.incumbent!.key}\``);
    // The incumbent's section shows its architecture: the tree stored in the database, bracketed.
    const tree = printTree(JSON.parse(best.config).architecture as TreeNode);
    expect(tree).toMatch(/^\(S unet \(E\d (conv_encoder|res_encoder) /);
    const incumbentSection = md.split(/^## Incumbent \(best 1 - Dice\)$/m)[1]!.split(/^## /m)[0]!;
    expect(incumbentSection).toContain(`architecture (bracketed derivation tree):\n\n\`\`\`\n${tree}\n\`\`\`\n`);
    expect(md).toContain('## Default configuration');
    const frontSection = md.split('## Pareto front')[1]!.split('## Plots')[0]!;
    const frontRows = frontSection.split('\n').filter((l) => /^\| \d+ \|/.test(l));
    expect(frontRows.map((l) => Number(l.split('|')[1])).sort((a, b) => a - b)).toEqual(model.paretoFront.map((t) => t.number).sort((a, b) => a - b));
    // The importance section: every main effect of the fANOVA, with its share.
    const importance = md.split(/^## Hyperparameter importance of/m)[1]!.split(/^## Plots/m)[0]!;
    for (const e of result.importance!.main) expect(importance).toContain(`| ${e.features[0]} | ${(100 * e.fraction).toFixed(1)} % |`);
    // Hyperparameter values as people read them: at most 3 significant digits.
    const values = [...incumbentSection.matchAll(/^\| \w+ \| ([\d.e-]+) \|$/gm)];
    expect(values.length).toBeGreaterThan(3);
    for (const [, v] of values) expect(v!.replace(/e.*$/, '').replace(/^[-0.]+/, '').replace('.', '').length, v).toBeLessThanOrEqual(3);
    const json = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(json.incumbent.key).toBe(model.incumbent!.key);
    expect(readFileSync(join(out, 'trials.csv'), 'utf8').trim().split('\n')).toHaveLength(model.counts.complete + model.counts.failed + model.counts.running + 1);
  });

  it('reports a study made by the library alone (no study.json), failed trials never on the front', async () => {
    const db = join(dir, 'lib.db');
    const storage = new SqliteStorage(db);
    const study = await Study.open({ storage, name: 'lib', settings: { algorithm: 'regularized-priorband', space: syntheticSpace('good'), minBudget: 1, maxBudget: 9 } });
    let n = 0;
    await study.optimize(async (job, trial) => (++n % 4 === 0 ? { loss: NaN, cost: 1 } : syntheticObjective({ surface: benchmarkSurface(1, 9) })(job, trial)));
    await storage.close();
    const { model } = await writeReport(await loadStudy(db), join(dir, 'lib-report'));
    expect(model.meta).toBeNull();
    expect(model.counts.failed).toBeGreaterThan(0);
    expect(model.paretoFront.every((t) => t.status === 'complete')).toBe(true);
    const md = readFileSync(join(dir, 'lib-report', 'report.md'), 'utf8');
    expect(md).toContain('regularized-priorband');
    const d = model.defaultTrial!;
    const inc = model.incumbent!;
    if (inc.key === d.key) expect(md).toContain('The incumbent is the default configuration.');
    else {
      const ratio = d.cost! / inc.cost!;
      const runtime = ratio >= 1 ? `${ratio.toFixed(2)}x shorter` : `${(1 / ratio).toFixed(2)}x longer`;
      expect(md).toContain(`Incumbent vs default: Dice +${((d.loss! - inc.loss!) * 100).toFixed(2)} points, training runtime ${runtime}.`);
    }
  });
});
