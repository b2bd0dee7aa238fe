/**
 * The library API: `import ... from 'hnas'` resolves through package.json `exports` (self-reference),
 * in vitest and in a plain `node --import tsx` process, and the entry points work together.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as hnas from 'hnas';
import { compile, hpoSpace, MemoryStorage, planDataset, predict, Study, train, type Plan } from 'hnas';
import * as direct from '../../src/index.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const TINY = join(repoRoot, 'fixtures', 'data', 'tiny-msd');

describe("import from 'hnas'", () => {
  it('resolves to src/index.ts through package.json exports: the same module objects', () => {
    expect(Object.keys(hnas).sort()).toEqual(Object.keys(direct).sort());
    expect(hnas.Study).toBe(direct.Study);
    for (const f of [Study, planDataset, compile, train, predict]) expect(typeof f).toBe('function');
  });

  it('plans, compiles and runs an ask/tell loop through the public names', async () => {
    const plan: Plan = planDataset(TINY, { planner: 'resenc-l' });
    expect(plan.planner).toBe('resenc-l');
    expect(plan.network.architecture).toBe('ResidualEncoderUNet');
    const model = compile(hnas.parseTreeString(hnas.printTree(hnas.sampleTree(hnas.unetGrammar(plan.nStages), hnas.unetPrior(plan.nStages, 2, 'medium'), hnas.Rng.seeded(3)))), plan.network);
    expect(model.outputs.length).toBeGreaterThan(0);

    const study = await Study.open({ storage: new MemoryStorage(), name: 'api', settings: { algorithm: 'priorband', space: hpoSpace(), minBudget: 1, maxBudget: 9, seed: 1 } });
    for (let i = 0; i < 4; i++) {
      const ask = await study.ask();
      if (ask.kind !== 'job') break;
      await study.tell(ask.job, { loss: Number(ask.job.config.learning_rate ?? 0.5), cost: ask.job.budget });
    }
    expect((await study.trials()).filter((t) => t.status === 'complete')).toHaveLength(4);
    expect(await study.incumbent()).toBeDefined();
  });

  it('works from a plain Node process (node --import tsx) by package name', () => {
    // Inside the package, so that its name resolves to itself (self-reference through `exports`).
    const dir = mkdtempSync(join(repoRoot, '.api-test-'));
    const script = join(dir, 'use.mjs');
    writeFileSync(script, `import { Study, planDataset, compile, train, predict } from 'hnas';\nconst plan = planDataset(${JSON.stringify(TINY)});\nconsole.log(JSON.stringify({ nStages: plan.nStages, types: [Study, planDataset, compile, train, predict].map((f) => typeof f) }));\n`);
    try {
      const r = spawnSync(process.execPath, ['--import', 'tsx', script], { cwd: repoRoot, encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
      expect(out.nStages).toBe(planDataset(TINY).nStages);
      expect(out.types).toEqual(['function', 'function', 'function', 'function', 'function']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
