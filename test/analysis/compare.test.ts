/**
 * `hnas compare` on studies made by the synthetic objective: two approaches x two seeds.
 * The numbers are checked against the SQLite databases directly (not through the code
 * under test), the medians and ranges over seeds by brute force.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApproachName } from '../../src/automl/approaches.js';
import { optimize } from '../../src/automl/driver.js';
import { loadStudy } from '../../src/automl/load.js';
import { compareStudies } from '../../src/analysis/compare.js';
import { comparisonCostChart, comparisonParetoChart } from '../../src/report/charts.js';
import { runCli } from '../helpers/cli.js';
import { writeTinyPlan } from '../automl/fixtures/dataset.js';
import { tinyRequest } from '../automl/fixtures/request.js';

const dir = mkdtempSync(join(tmpdir(), 'hnas-compare-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const APPROACHES: ApproachName[] = ['hpo', 'hpo_hnas'];
const SEEDS = [3, 4];
const folder = (seed: number) => join(dir, `seed${seed}`);

beforeAll(async () => {
  const plan = writeTinyPlan(join(dir, 'plans.json'));
  for (const seed of SEEDS) for (const approach of APPROACHES) await optimize(tinyRequest(folder(seed), approach, plan, {}, { seed }));
});

interface Row { key: string; number: number; status: string; loss: number | null; cost: number | null; budget: number; previous_budget: number; finished_at: number | null; source: string; config: string }
function rows(seed: number, study: string): Row[] {
  const db = new Database(join(folder(seed), 'study.db'), { readonly: true });
  try {
    return db.prepare('SELECT key, number, status, loss, cost, budget, previous_budget, finished_at, source, config FROM trials WHERE study = ? ORDER BY number').all(study) as Row[];
  } finally {
    db.close();
  }
}

/** A study's incumbent at x epochs charged, by brute force over its rows. */
function incumbentAtEpochs(r: readonly Row[], x: number): number | undefined {
  let epochs = 0;
  let best: number | undefined;
  for (const t of [...r].filter((t) => t.finished_at !== null).sort((a, b) => a.finished_at! - b.finished_at! || a.number - b.number)) {
    epochs += t.budget - t.previous_budget;
    if (epochs > x) break;
    if (t.status === 'complete') best = Math.min(best ?? Infinity, t.loss!);
  }
  return best;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

describe('hnas compare', () => {
  it('writes compare.md, compare.json and both plots; one row per study whose numbers match the database', async () => {
    const out = join(dir, 'out');
    const r = await runCli('compare', folder(3), folder(4), '-o', out);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    for (const f of ['compare.md', 'compare.json', 'cost-over-time.svg', 'cost-over-time.png', 'pareto-fronts.svg', 'pareto-fronts.png']) expect(existsSync(join(out, f)), f).toBe(true);
    const md = readFileSync(join(out, 'compare.md'), 'utf8');
    for (const seed of SEEDS)
      for (const approach of APPROACHES) {
        const t = rows(seed, approach);
        const done = t.filter((x) => x.status === 'complete');
        const best = done.reduce((b, x) => (x.loss! < b.loss! || (x.loss === b.loss && x.budget > b.budget) ? x : b));
        const d = t.find((x) => x.source === 'default')!;
        const row = md.split('\n').find((l) => l.startsWith(`| ${approach} | ${approach} (${join(folder(seed), 'study.db')}) | ${seed} |`))!;
        expect(row, `${approach} seed ${seed}`).toBeDefined();
        const cells = row.split('|').map((c) => c.trim());
        expect(cells[4]).toBe(String(done.length));
        expect(cells[5]).toBe(`#${best.number}@${best.budget} (\`${best.key}\`)`);
        expect(cells[7]).toBe(`${(100 * (1 - best.loss!)).toFixed(2)} %`);
        expect(cells[8]).toBe(`${best.cost!.toFixed(1)} s`);
        expect(cells[9]).toBe(`${(100 * (1 - d.loss!)).toFixed(2)} %`);
        expect(cells[11]).toBe(`${(d.cost! / best.cost!).toFixed(2)}x`);
      }
    // Hyperparameter values people read carry at most 3 significant digits.
    const configs = md.split('\n').filter((l) => l.includes('learning_rate=')).join(' ');
    const numbers = [...configs.matchAll(/=(-?[\d.]+(?:e-?\d+)?)(?=\s|\s*\|)/g)].map((m) => m[1]!);
    expect(numbers.length).toBeGreaterThan(5);
    for (const n of numbers) expect(n.replace(/e.*$/, '').replace(/^[-0.]+/, '').replace('.', '').length, n).toBeLessThanOrEqual(3);
  });

  it('median and range over seeds, over epochs, equal a brute-force evaluation of each study at each point', async () => {
    const c = compareStudies(await Promise.all(SEEDS.flatMap((seed) => APPROACHES.map((a) => loadStudy(folder(seed), a)))));
    expect(c.approaches.map((a) => [a.approach, a.studies.length])).toEqual([['hpo', 2], ['hpo_hnas', 2]]);
    for (const a of c.approaches) {
      const studies = SEEDS.map((seed) => rows(seed, a.approach));
      expect(a.overEpochs.length).toBeGreaterThan(3);
      for (const p of a.overEpochs) {
        const values = studies.map((s) => incumbentAtEpochs(s, p.x));
        expect(values.every((v) => v !== undefined)).toBe(true);
        expect(p.median).toBe(median(values as number[]));
        expect(p.min).toBe(Math.min(...(values as number[])));
        expect(p.max).toBe(Math.max(...(values as number[])));
      }
      // Starts where the last of the seeds has its first completed trial.
      const start = Math.max(...studies.map((s) => Math.min(...[...Array(400).keys()].filter((x) => incumbentAtEpochs(s, x) !== undefined))));
      expect(Math.ceil(a.overEpochs[0]!.x)).toBe(start);
      expect(a.overTime.at(-1)!.median).toBe(median(studies.map((s) => Math.min(...s.filter((t) => t.status === 'complete').map((t) => t.loss!)))));
    }
  });

  it("the Pareto plot holds each approach's front over its seeds' trials, labelled trial@epochs, and every study's default", async () => {
    const c = compareStudies(await Promise.all(SEEDS.flatMap((seed) => APPROACHES.map((a) => loadStudy(folder(seed), a)))));
    const spec = comparisonParetoChart(c) as unknown as { layer: { data: { values: Record<string, unknown>[] }; mark: { type: string } }[] };
    const [all, , fronts, labels, defaults] = spec.layer;
    for (const approach of APPROACHES) {
      const pooled = SEEDS.flatMap((seed) => rows(seed, approach).filter((t) => t.status === 'complete' && t.cost !== null).map((t) => ({ ...t, study: approach, seed })));
      const front = pooled.filter((t) => !pooled.some((o) => o.loss! <= t.loss! && o.cost! <= t.cost! && (o.loss! < t.loss! || o.cost! < t.cost!)));
      const got = fronts!.data.values.filter((v) => v.approach === approach).map((v) => `${v.trial}:${v.epochs}:${v.loss}:${v.runtime}`).sort();
      expect(got).toEqual(front.map((t) => `${t.number}:${t.budget}:${t.loss}:${t.cost}`).sort());
      expect(all!.data.values.filter((v) => v.approach === approach)).toHaveLength(pooled.length);
    }
    expect(labels!.mark.type).toBe('text');
    expect(labels!.data.values.every((v) => /^\S+ #\d+@\d+$/.test(String(v.label)))).toBe(true);
    expect(defaults!.data.values).toHaveLength(4);
    expect(defaults!.data.values.every((v) => v.role === 'nnU-Net default' && v.key === 'default')).toBe(true);
    const cost = comparisonCostChart(c) as unknown as { hconcat: { layer: { data: { values: Record<string, unknown>[] } }[] }[] };
    expect(cost.hconcat).toHaveLength(2);
    expect(new Set(cost.hconcat[1]!.layer[1]!.data.values.map((v) => v.approach))).toEqual(new Set(APPROACHES));
    const svg = readFileSync(join(dir, 'out', 'pareto-fronts.svg'), 'utf8');
    expect(svg).toContain(String(labels!.data.values[0]!.label));
  });

  it("a study searched around another prior marks its default as that prior's, not nnU-Net's", async () => {
    const study = join(dir, 'short');
    await optimize({ ...tinyRequest(study, 'hpo', writeTinyPlan(join(dir, 'plans-short.json'))), prior: 'short-schedule' }, { maxTrials: 2 });
    const c = compareStudies([await loadStudy(folder(3), 'hpo'), await loadStudy(study, 'hpo')]);
    expect(c.studies.map((s) => s.defaultLabel)).toEqual(['nnU-Net default', 'short-schedule default']);
    const spec = comparisonParetoChart(c) as unknown as { layer: { data: { values: Record<string, unknown>[] } }[] };
    expect(spec.layer[4]!.data.values.map((v) => v.role)).toEqual(['nnU-Net default', 'short-schedule default']);
    const cost = comparisonCostChart(compareStudies([await loadStudy(study, 'hpo')])) as unknown as { hconcat: { layer: { data: { values: Record<string, unknown>[] } }[] }[] };
    expect(cost.hconcat[0]!.layer[2]!.data.values[0]!.label).toBe('short-schedule default');
  });

  it('one study by its own folder; --storage with names; bad inputs fail with exit 1 or 2 and write nothing', async () => {
    const one = await runCli('compare', join(folder(3), 'hpo'), '--json', '-o', join(dir, 'one'));
    expect(one.code).toBe(0);
    expect(JSON.parse(one.out).studies.map((s: { study: string }) => s.study)).toEqual(['hpo']);
    const named = await runCli('compare', '--storage', join(folder(4), 'study.db'), '--study', folder(4), 'hpo_hnas', 'hpo', '--json', '-o', join(dir, 'named'));
    expect(named.code).toBe(0);
    expect(JSON.parse(named.out).studies.map((s: { approach: string }) => s.approach)).toEqual(['hpo_hnas', 'hpo']);
    const cases: [string[], number, RegExp][] = [
      [[join(dir, 'nowhere')], 1, /nowhere: does not exist: name a study folder, a database file, or <study folder>\/<study name>/],
      [[dir], 1, /holds no study\.db/],
      [[folder(3), join(folder(3), 'hpo')], 2, /study 'hpo' of .* is named twice/],
      [['--storage', join(folder(4), 'study.db'), 'nosuch'], 1, /no study named 'nosuch'/],
      [[], 2, /missing required argument/],
    ];
    for (const [args, code, message] of cases) {
      const r = await runCli('compare', ...args, '-o', join(dir, 'bad'));
      expect(r.code, args.join(' ')).toBe(code);
      expect(r.err, args.join(' ')).toMatch(message);
      expect(existsSync(join(dir, 'bad'))).toBe(false);
    }
    mkdirSync(join(dir, 'file-parent'));
    writeFileSync(join(dir, 'file-parent', 'x.txt'), 'not a db');
    expect((await runCli('compare', join(dir, 'file-parent', 'x.txt'), '-o', join(dir, 'bad'))).err).toMatch(/is not a study database/);
  });
});
