import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { StorageError } from '../../src/errors.js';
import { MemoryStorage } from '../../src/optimize/memory-storage.js';
import { SqliteStorage } from '../../src/optimize/sqlite-storage.js';
import { storageContract } from './storage-contract.js';

const dir = mkdtempSync(join(tmpdir(), 'hnas-storage-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

storageContract('memory', async () => new MemoryStorage());
storageContract('sqlite (in-memory)', async () => new SqliteStorage(':memory:'));
storageContract('sqlite (file)', async () => new SqliteStorage(join(dir, `s${n++}.db`)));

describe('sqlite specifics', () => {
  it('a second connection sees the first one\'s trials (what several processes rely on)', async () => {
    const path = join(dir, 'shared.db');
    const a = new SqliteStorage(path);
    const b = new SqliteStorage(path);
    const { makeSettings } = await import('../../src/optimize/settings.js');
    const { hpoSpace } = await import('../../src/space/spaces.js');
    await a.createStudy('s', makeSettings({ algorithm: 'hyperband', space: hpoSpace() }));
    const spec = { study: 's', key: 'k', configId: 'k', config: {}, source: 'random' as const, bracket: 0, rung: 0, budget: 12, previousBudget: 0, previousKey: null, seed: 1, rngState: null };
    expect(await a.insertTrial(spec, 'w1', 1)).toBeDefined();
    expect(await b.insertTrial(spec, 'w2', 2)).toBeUndefined();
    expect((await b.trials('s'))[0]!.worker).toBe('w1');
    await a.close();
    await b.close();
  });

  it('a file that is not a database is a StorageError naming it', () => {
    const path = join(dir, 'junk.db');
    writeFileSync(path, 'this is not sqlite, just some text that is long enough to have a header'.repeat(20));
    expect(() => new SqliteStorage(path)).toThrow(StorageError);
    expect(() => new SqliteStorage(path)).toThrow(/junk\.db/);
  });
});
