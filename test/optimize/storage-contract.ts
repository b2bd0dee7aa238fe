/** The storage contract, run against every backend (see src/optimize/storage.ts). */
import { describe, expect, it } from 'vitest';
import { StorageError } from '../../src/errors.js';
import { makeSettings } from '../../src/optimize/settings.js';
import type { StudyStorage } from '../../src/optimize/storage.js';
import type { TrialSpec } from '../../src/optimize/trial.js';
import { hpoSpace } from '../../src/space/spaces.js';

const settings = makeSettings({ algorithm: 'priorband', space: hpoSpace(), seed: 3 });
const spec = (key: string): TrialSpec => ({
  study: 's', key, configId: key, config: { optimizer: 'adam', learning_rate: 0.01 }, source: 'prior',
  bracket: 0, rung: 1, budget: 37, previousBudget: 12, previousKey: 'b0/new/0', seed: 7, rngState: [1, 2, 3, 4],
});
const outcome = { loss: 0.25, cost: 3.5, checkpoint: '/ck/1', folds: [{ dice: 0.75 }], error: null };

export function storageContract(name: string, make: () => Promise<StudyStorage>): void {
  describe(`storage contract: ${name}`, () => {
    it('creates a study once; the first settings win', async () => {
      const s = await make();
      expect(await s.getStudy('s')).toBeUndefined();
      expect(await s.createStudy('s', settings)).toEqual(settings);
      expect(await s.createStudy('s', { ...settings, seed: 99 })).toEqual(settings);
      expect(await s.listStudies()).toEqual(['s']);
      await s.close();
    });

    it('insert is a compare-and-set on the key, numbers follow creation order, records round-trip', async () => {
      const s = await make();
      await s.createStudy('s', settings);
      const a = await s.insertTrial(spec('a'), 'w1', 100);
      expect(a).toMatchObject({ ...spec('a'), number: 0, status: 'running', worker: 'w1', attempt: 0, loss: null, createdAt: 100 });
      expect(await s.insertTrial(spec('a'), 'w2', 101)).toBeUndefined();
      expect((await s.insertTrial(spec('b'), 'w2', 102))!.number).toBe(1);
      const all = await s.trials('s');
      expect(all.map((t) => t.key)).toEqual(['a', 'b']);
      expect(all[0]).toEqual(a);
      await s.close();
    });

    it('finish/reclaim/heartbeat apply only under the current claim; finished trials never change', async () => {
      const s = await make();
      await s.createStudy('s', settings);
      await s.insertTrial(spec('a'), 'w1', 100);
      expect(await s.updateTrial('s', 'a', { worker: 'w1', attempt: 0 }, { type: 'heartbeat', at: 150 })).toMatchObject({ heartbeatAt: 150 });
      const re = await s.updateTrial('s', 'a', { worker: 'w1', attempt: 0 }, { type: 'reclaim', worker: 'w2', at: 200 });
      expect(re).toMatchObject({ worker: 'w2', attempt: 1, status: 'running', startedAt: 200 });
      // the old holder's result is refused
      expect(await s.updateTrial('s', 'a', { worker: 'w1', attempt: 0 }, { type: 'finish', status: 'complete', outcome, at: 250 })).toBeUndefined();
      const done = await s.updateTrial('s', 'a', { worker: 'w2', attempt: 1 }, { type: 'finish', status: 'complete', outcome, at: 300 });
      expect(done).toMatchObject({ ...outcome, status: 'complete', finishedAt: 300 });
      expect(await s.updateTrial('s', 'a', { worker: 'w2', attempt: 1 }, { type: 'finish', status: 'complete', outcome: { ...outcome, loss: 0.1 }, at: 400 })).toBeUndefined();
      expect((await s.trials('s'))[0]).toEqual(done);
      await s.close();
    });

    it('every write bumps the version; trials(since) returns exactly the later writes', async () => {
      const s = await make();
      await s.createStudy('s', settings);
      const a = (await s.insertTrial(spec('a'), 'w1', 1))!;
      const b = (await s.insertTrial(spec('b'), 'w1', 2))!;
      expect(b.version).toBeGreaterThan(a.version);
      const a2 = (await s.updateTrial('s', 'a', { worker: 'w1', attempt: 0 }, { type: 'finish', status: 'complete', outcome, at: 3 }))!;
      expect(a2.version).toBeGreaterThan(b.version);
      expect((await s.trials('s', a.version)).map((t) => [t.key, t.status])).toEqual([['a', 'complete'], ['b', 'running']]);
      expect((await s.trials('s', b.version)).map((t) => t.key)).toEqual(['a']);
      expect(await s.trials('s', a2.version)).toEqual([]);
      // a refused update changes nothing
      await s.updateTrial('s', 'a', { worker: 'w1', attempt: 0 }, { type: 'heartbeat', at: 4 });
      expect(await s.trials('s', a2.version)).toEqual([]);
      await s.close();
    });

    it('returned records are copies', async () => {
      const s = await make();
      await s.createStudy('s', settings);
      const a = (await s.insertTrial(spec('a'), 'w1', 1))!;
      (a.config as Record<string, unknown>).optimizer = 'sgd';
      ((await s.trials('s'))[0]!.rngState as number[]).length = 0;
      const t = (await s.trials('s'))[0]!;
      expect(t.config.optimizer).toBe('adam');
      expect(t.rngState).toEqual([1, 2, 3, 4]);
      await s.close();
    });

    it('unknown studies and trials are typed errors', async () => {
      const s = await make();
      await expect(s.trials('nope')).rejects.toThrow(StorageError);
      await expect(s.insertTrial({ ...spec('a'), study: 'nope' }, 'w', 1)).rejects.toThrow(StorageError);
      await s.createStudy('s', settings);
      await expect(s.updateTrial('s', 'zz', { worker: 'w', attempt: 0 }, { type: 'heartbeat', at: 1 })).rejects.toThrow(StorageError);
      await s.close();
    });
  });
}
