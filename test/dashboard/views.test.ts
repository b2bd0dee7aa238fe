/** The overview's schedule and the trial page's rounding, against the schedule arithmetic and the database's own rows. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadStudy, type LoadedStudy } from '../../src/automl/load.js';
import { scheduleView, studyOverview } from '../../src/dashboard/study-view.js';
import { networkView, readable, trialModelDir, trialView } from '../../src/dashboard/trial-view.js';
import { hyperbandSchedule } from '../../src/optimize/brackets.js';
import { MIN_TRIALS, studyImportance, trialsAtBudget } from '../../src/analysis/importance.js';
import { importanceChart } from '../../src/report/charts.js';
import { runCli } from '../helpers/cli.js';
import { syntheticStudy } from './fixtures.js';
import { readJsonFile } from '../../src/util/json.js';
import { HnasError } from '../../src/errors.js';
import type { Plan } from '../../src/data/plan-types.js';

const dir = mkdtempSync(join(tmpdir(), 'hnas-dashboard-views-'));
let full: LoadedStudy;
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(async () => {
  const { study } = await syntheticStudy(dir, 1000);
  full = await loadStudy(study);
});

describe('study overview', () => {
  it('a finished round: every bracket of the schedule done, each rung with the planned count finished', () => {
    const view = scheduleView(full);
    const schedule = hyperbandSchedule(full.settings);
    const brackets = view.filter((b) => b.bracket >= 0);
    expect(brackets.map((b) => b.type)).toEqual(schedule.brackets.map((b) => b.s));
    for (const b of brackets) {
      expect(b.state).toBe('done');
      expect(b.rungs.map((r) => r.planned)).toEqual(schedule.brackets[b.type]!.rungs.map((r) => r.configs));
      for (const r of b.rungs) expect(r.finished).toBe(full.trials.filter((t) => t.bracket === b.bracket && t.rung === r.rung).length);
    }
    expect(view[0]).toMatchObject({ bracket: -1, state: 'done' });
  });

  it('part of the trials: finished and running counts are the trials\', states follow from them, and the next brackets are listed', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: full.trials.length }), fc.integer({ min: 0, max: 3 }), (n, running) => {
        const trials = full.trials.slice(0, n).map((t, i) => (i >= n - running ? { ...t, status: 'running' as const } : t));
        const view = scheduleView({ settings: full.settings, trials });
        for (const b of view)
          for (const r of b.rungs) {
            const here = trials.filter((t) => t.bracket === b.bracket && t.rung === r.rung);
            expect(r.running).toBe(here.filter((t) => t.status === 'running').length);
            expect(r.finished).toBe(here.length - r.running);
            expect(r.state).toBe(r.finished >= r.planned && r.running === 0 ? 'done' : here.length > 0 ? 'running' : 'to come');
          }
        const opened = new Set(trials.filter((t) => t.bracket >= 0).map((t) => t.bracket)).size;
        expect(view.filter((b) => b.bracket >= 0).length).toBe(Math.min(full.settings.brackets, opened + 2));
      }),
      { numRuns: 40 },
    );
  });

  it('counts, incumbent and trial list match the stored trials', () => {
    const o = studyOverview(full);
    expect(o.counts.total).toBe(full.trials.length);
    const best = Math.min(...full.trials.filter((t) => t.status === 'complete').map((t) => t.loss!));
    expect(o.incumbent?.loss).toBe(best);
    expect(o.trials.map((t) => t.number)).toEqual(full.trials.map((t) => t.number).sort((a, b) => a - b));
    expect(o.budget.epochsUsed).toBe(full.trials.reduce((s, t) => s + t.budget - t.previousBudget, 0));
  });

  it('shows the report\'s importance chart once fANOVA has enough completed trials, and none before', () => {
    const all = trialsAtBudget(full, 'all').length;
    expect(all).toBeGreaterThanOrEqual(MIN_TRIALS);
    const budget = trialsAtBudget(full, 'max').length >= MIN_TRIALS ? 'max' : 'all';
    expect(studyOverview(full).charts.importance).toEqual(importanceChart(studyImportance(full, { budget })));
    const few = { ...full, trials: full.trials.filter((t) => t.status === 'complete').slice(0, MIN_TRIALS - 1) };
    expect(studyOverview(few).charts.importance).toBeNull();
  });
});

describe('trial view', () => {
  it('readable: 3 significant digits, within half a unit of the third digit; integers unchanged', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e12, max: 1e12 }), (v) => {
        const r = readable(v);
        if (Number.isInteger(v)) expect(r).toBe(v);
        else {
          expect(Number(r.toPrecision(3))).toBe(r);
          expect(Math.abs(r - v)).toBeLessThanOrEqual(Math.abs(v) * 5e-3 + Number.EPSILON);
        }
      }),
    );
  });

  it('a trial: configuration rounded, its tree, and the network compiled for the study plan', () => {
    const plan = readJsonFile(join(full.folder, 'plans.json'), HnasError) as Plan;
    const trial = full.trials.find((t) => typeof t.config.architecture === 'object')!;
    const v = trialView(full, trial, networkView(trial.config, plan));
    for (const [k, x] of Object.entries(trial.config)) if (typeof x === 'number') expect(v.config[k]).toBe(Number.isInteger(x) ? x : Number(x.toPrecision(3)));
    expect(v.tree?.text.startsWith('(S unet')).toBe(true);
    const net = v.network!;
    if (!('ir' in net)) throw new Error(net.error);
    const downs = (v.tree!.text.match(/\bdown\b/g) ?? []).length;
    expect(net.ir.encoder).toHaveLength(downs + 1);
    expect(net.parameters).toBeGreaterThan(0);
    expect(v.model).toBeNull();
    expect(v.log.some((l) => l.includes('done: 1-Dice'))).toBe(true);
  });
});

describe('trial model folders', () => {
  it('only a model folder inside the study folder counts as a trial\'s model', () => {
    const make = (d: string) => {
      mkdirSync(join(d, 'fold_0'), { recursive: true });
      writeFileSync(join(d, 'plans.json'), '{}');
      return d;
    };
    make(join(full.folder, 'trials', 'x', 'model'));
    make(join(dir, 'outside-model'));
    const trial = full.trials[0]!;
    const at = (checkpoint: string | null) => trialModelDir(full, { ...trial, checkpoint });
    expect(at('trials/x/model')).toBe(join(full.folder, 'trials', 'x', 'model'));
    expect(at(null)).toBeNull();
    expect(at('trials/x')).toBeNull(); // not a model folder
    expect(at('../../outside-model')).toBeNull();
    expect(at(join(dir, 'outside-model'))).toBeNull();
  });
});

describe('hnas dashboard (CLI)', () => {
  it('a folder that is not a study is an input error (exit 1), a bad port a usage error (exit 2)', async () => {
    const missing = await runCli('dashboard', join(dir, 'nope'), '--port', '0');
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/no study database here/);
    expect((await runCli('dashboard', dir, '--port', 'x')).code).toBe(2);
    expect((await runCli('dashboard', dir, '--port', '70000')).code).toBe(2);
  });
});
