import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { LoadedStudy } from '../../src/automl/load.js';
import { makeSettings } from '../../src/optimize/settings.js';
import type { TrialRecord } from '../../src/optimize/trial.js';
import { reportModel } from '../../src/report/model.js';
import { hpoSpace } from '../../src/space/spaces.js';

const settings = makeSettings({ algorithm: 'regularized-priorband', space: hpoSpace(), minBudget: 1, maxBudget: 9 });

/** Random trials: ties in loss and cost on purpose (few distinct values), some failed or running. */
const trialsArb = fc.array(
  fc.record({
    status: fc.constantFrom('complete', 'complete', 'complete', 'failed', 'running'),
    loss: fc.integer({ min: 0, max: 6 }).map((x) => x / 6),
    cost: fc.option(fc.integer({ min: 1, max: 6 }), { nil: null, freq: 8 }),
    budget: fc.constantFrom(1, 3, 9),
    start: fc.integer({ min: 0, max: 5000 }),
    length: fc.integer({ min: 1, max: 3000 }),
  }),
  { maxLength: 25 },
);

type RawTrial = typeof trialsArb extends fc.Arbitrary<(infer T)[]> ? T : never;

function studyOf(raw: readonly RawTrial[]): LoadedStudy {
  const trials = raw.map((r, number): TrialRecord => ({
    study: 's', key: number === 0 ? 'default' : `b0/new/${number}`, configId: `c${number}`, config: {}, source: number === 0 ? 'default' : 'random',
    bracket: number === 0 ? -1 : 0, rung: 0, budget: r.budget, previousBudget: 0, previousKey: null, seed: 1, rngState: null,
    loss: r.status === 'running' ? null : r.status === 'failed' ? 1 : r.loss, cost: r.status === 'running' ? null : r.cost,
    checkpoint: null, folds: null, error: null, number, version: number + 1, status: r.status as TrialRecord['status'], worker: 'w', attempt: 0,
    createdAt: r.start, startedAt: r.start, heartbeatAt: r.start, finishedAt: r.status === 'running' ? null : r.start + r.length,
  }));
  return { paths: { dir: '/x', db: '/x/study.db', storage: 'sqlite:///x/study.db' }, name: 's', folder: '/x/s', settings, meta: null, trials };
}

const dominates = (a: TrialRecord, b: TrialRecord) => a.loss! <= b.loss! && a.cost! <= b.cost! && (a.loss! < b.loss! || a.cost! < b.cost!);

describe('report model', () => {
  it('incumbent = the completed trial with the lowest 1 - Dice (ties: larger budget, then earlier)', () => {
    fc.assert(
      fc.property(trialsArb, (raw) => {
        const s = studyOf(raw);
        const m = reportModel(s);
        const done = s.trials.filter((t) => t.status === 'complete');
        if (done.length === 0) {
          expect(m.incumbent).toBeNull();
          return;
        }
        const best = Math.min(...done.map((t) => t.loss!));
        const expected = done.filter((t) => t.loss === best).sort((a, b) => b.budget - a.budget || a.number - b.number)[0]!;
        expect(m.incumbent?.key).toBe(expected.key);
      }),
    );
  });
  it('Pareto front = exactly the completed trials with a runtime that no other such trial dominates', () => {
    fc.assert(
      fc.property(trialsArb, (raw) => {
        const s = studyOf(raw);
        const candidates = s.trials.filter((t) => t.status === 'complete' && t.cost !== null);
        const expected = candidates.filter((t) => !candidates.some((o) => dominates(o, t))).map((t) => t.key).sort();
        expect(reportModel(s).paretoFront.map((t) => t.key).sort()).toEqual(expected);
      }),
    );
  });
  it('the incumbent trajectory never rises and ends at the incumbent', () => {
    fc.assert(
      fc.property(trialsArb, (raw) => {
        const m = reportModel(studyOf(raw));
        for (let i = 1; i < m.trajectory.length; i++) {
          expect(m.trajectory[i]!.incumbentLoss).toBeLessThanOrEqual(m.trajectory[i - 1]!.incumbentLoss);
          expect(m.trajectory[i]!.seconds).toBeGreaterThanOrEqual(m.trajectory[i - 1]!.seconds);
        }
        if (m.incumbent) expect(m.trajectory.at(-1)!.incumbentLoss).toBe(m.incumbent.loss);
      }),
    );
  });
  it('the default trial is reported for comparison', () => {
    const m = reportModel(studyOf([{ status: 'complete', loss: 0.5, cost: 3, budget: 9, start: 0, length: 10 }]));
    expect(m.defaultTrial?.key).toBe('default');
  });
});
