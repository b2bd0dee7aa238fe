/** The storage contract on a real PostgreSQL server (started by test/helpers/postgres.ts), and what only a server has: restarts. */
import { afterAll, describe, expect, it } from 'vitest';
import { StorageError } from '../../src/errors.js';
import { PostgresStorage } from '../../src/optimize/postgres-storage.js';
import { redactUrl } from '../../src/optimize/storage-url.js';
import { makeSettings } from '../../src/optimize/settings.js';
import { hpoSpace } from '../../src/space/spaces.js';
import { startPostgres } from '../helpers/postgres.js';
import { storageContract } from './storage-contract.js';

const pg = await startPostgres();
afterAll(() => pg.server?.stop());
const quiet = { warn: () => undefined };

if (!pg.server) describe('postgresql storage', () => it.skip(`skipped: ${pg.reason}`, () => undefined));
else {
  const server = pg.server;
  storageContract('postgresql', async () => new PostgresStorage(await server.freshDatabase(), quiet));

  describe('postgresql specifics', () => {
    const settings = makeSettings({ algorithm: 'hyperband', space: hpoSpace() });
    const spec = (key: string) => ({ study: 's', key, configId: key, config: {}, source: 'random' as const, bracket: 0, rung: 0, budget: 12, previousBudget: 0, previousKey: null, seed: 1, rngState: null });

    it('racing connections: exactly one wins each slot, numbers stay dense and unique', async () => {
      const url = await server.freshDatabase();
      const workers = Array.from({ length: 6 }, () => new PostgresStorage(url, quiet));
      await workers[0]!.createStudy('s', settings);
      const wins = await Promise.all(workers.flatMap((w, i) => Array.from({ length: 10 }, (_, k) => w.insertTrial(spec(`k${k}`), `w${i}`, k))));
      expect(wins.filter(Boolean)).toHaveLength(10);
      const trials = await workers[1]!.trials('s');
      expect(trials.map((t) => t.number)).toEqual([...Array(10).keys()]);
      await Promise.all(workers.map((w) => w.close()));
    });

    it('a second opener of a fresh database waits for the first one\'s migration (no duplicate tables)', async () => {
      const url = await server.freshDatabase();
      const a = new PostgresStorage(url, quiet);
      const b = new PostgresStorage(url, quiet);
      await Promise.all([a.listStudies(), b.listStudies()]);
      expect(await a.listStudies()).toEqual([]);
      await a.close();
      await b.close();
    });

    it('rides out a server restart: waits with one message, then carries on with nothing lost', async () => {
      const url = await server.freshDatabase();
      const lines: string[] = [];
      const s = new PostgresStorage(url, { warn: (l) => lines.push(l) });
      await s.createStudy('s', settings);
      await s.insertTrial(spec('a'), 'w1', 1);
      server.halt();
      const pending = s.insertTrial(spec('b'), 'w1', 2);
      await new Promise((r) => setTimeout(r, 700));
      server.start();
      expect(await pending).toMatchObject({ key: 'b', number: 1 });
      expect((await s.trials('s')).map((t) => t.key)).toEqual(['a', 'b']);
      expect(lines[0]).toMatch(/unreachable.*retrying/);
      expect(lines.at(-1)).toMatch(/reachable again/);
      await s.close();
    });

    it('gives up with a StorageError naming the server (password hidden) once retryForMs passes', async () => {
      const s = new PostgresStorage('postgresql://hnas:secret@127.0.0.1:1/none', { retryForMs: 300, warn: () => undefined });
      await expect(s.listStudies()).rejects.toThrow(StorageError);
      await expect(s.listStudies()).rejects.toThrow(/127\.0\.0\.1:1\/none/);
      await expect(s.listStudies()).rejects.not.toThrow(/secret/);
      await s.close();
      expect(redactUrl('postgresql://u:pw@h:5432/d')).toBe('postgresql://u:***@h:5432/d');
    });
  });
}
