/** Issue 13: studies keep their word (lost databases, invalid settings, conflicting resumes, read-only folders). */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { optimize } from '../../src/automl/driver.js';
import { StorageError } from '../../src/errors.js';
import { writeTinyPlan } from './fixtures/dataset.js';
import { tinyRequest } from './fixtures/request.js';

const dir = mkdtempSync(join(tmpdir(), 'hnas-faults-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const plan = writeTinyPlan(join(dir, 'plans.json'));

describe('a study whose database was lost is refused, not restarted over its trial folders', () => {
  for (const damage of ['emptied', 'deleted', 'replaced'] as const) {
    it(`study.db ${damage}`, async () => {
      const study = join(dir, `lost-${damage}`);
      await optimize(tinyRequest(study, 'hpo', plan), { maxTrials: 2 });
      const trials = join(study, 'hpo', 'trials');
      const scores = readdirSync(trials).map((t) => readFileSync(join(trials, t, 'scores.json'), 'utf8'));
      const db = join(study, 'study.db');
      for (const f of [db, `${db}-wal`, `${db}-shm`]) rmSync(f, { force: true });
      if (damage === 'emptied') writeFileSync(db, '');
      if (damage === 'replaced') await optimize(tinyRequest(study, 'hpo', plan, {}, { name: 'other' }), { maxTrials: 1 });
      const run = optimize(tinyRequest(study, 'hpo', plan));
      await expect(run).rejects.toBeInstanceOf(StorageError);
      await expect(run).rejects.toThrow(
        new RegExp(`hpo/trials holds 2 trial folder\\(s\\) but the study database ${{ emptied: 'is empty \\(0 bytes\\)', deleted: 'is missing', replaced: "holds no study 'hpo'" }[damage]}: restore study.db`),
      );
      expect(readdirSync(trials).map((t) => readFileSync(join(trials, t, 'scores.json'), 'utf8'))).toEqual(scores);
      if (damage === 'deleted') expect(readdirSync(study)).not.toContain('study.db');
    });
  }
});
