/**
 * Ordinary faults end in exit 1 naming the path and what to do, never exit 70 with a stack trace
 * (issue 13 item 13); with --json a failure is also a JSON object on stdout (item 16).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile } from '../../compiler/index.js';
import { systemError } from '../../src/cli/system-errors.js';
import { readPlanFile } from '../../src/data/plan-file.js';
import { configurationFile, resolveConfiguration } from '../../src/pipeline/index.js';
import { parseTreeString } from '../../src/grammar/tree.js';
import { runCli } from '../helpers/cli.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const TINY = join(root, 'fixtures', 'data', 'tiny-msd');
const dir = mkdtempSync(join(tmpdir(), 'hnas-faults-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const aFile = join(dir, 'a-file');
writeFileSync(aFile, 'not a folder');

const isRoot = process.getuid?.() === 0;
beforeAll(async () => {
  const r = await runCli('plan', TINY, '-o', join(dir, 'plans.json'), '--no-progress');
  if (r.code !== 0) throw new Error(r.err);
});

describe('--json on failure', () => {
  it('a usage error from an option parser, from commander, and an input error: {error: {type, message, file?, field?, exitCode}}', async () => {
    const parser = await runCli('count', '--stages', '99', '--json');
    expect(parser.code).toBe(2);
    expect(JSON.parse(parser.out)).toEqual({ error: { type: 'UsageError', message: expect.stringMatching(/--stages must be an integer in 2\.\.12/), exitCode: 2 } });
    expect(parser.err).toMatch(/--stages must be/);
    const missing = await runCli('brackets', '--json');
    expect(missing.code).toBe(2);
    expect(JSON.parse(missing.out).error).toMatchObject({ type: 'UsageError', message: expect.stringMatching(/--min-epochs/), exitCode: 2 });
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"format": "hnas-tree",\n  oops}');
    const input = await runCli('check', bad, '--json');
    expect(input.code).toBe(1);
    expect(JSON.parse(input.out).error).toMatchObject({ type: 'TreeError', file: bad, line: 2, column: 3, exitCode: 1 });
    expect(input.err).toMatch(/bad\.json:2:3: not valid JSON/);
  });
  it('without --json stdout stays empty on failure; after `--` a --json is not ours', async () => {
    const r = await runCli('count', '--stages', '99');
    expect(r.out).toBe('');
    expect(r.code).toBe(2);
  });
});

describe('system faults are exit 1 with the path and a fix', () => {
  it('a file where a folder is expected (ENOTDIR, EEXIST) and a folder where a file is (EISDIR)', async () => {
    const under = await runCli('grammar', '--stages', '4', '-o', join(aFile, 'grammar.txt'), '--json');
    expect(under.code).toBe(1);
    expect(under.err).toContain(`EnvironmentError: ${aFile}: this exists and is not a folder, where a folder is needed`);
    expect(under.err).not.toMatch(/internal error|\n\s+at /);
    expect(JSON.parse(under.out).error).toMatchObject({ type: 'EnvironmentError', file: aFile, exitCode: 1 });
    const deeper = await runCli('grammar', '--stages', '4', '-o', join(aFile, 'sub', 'grammar.txt'));
    expect(deeper.code).toBe(1);
    expect(deeper.err).toContain(`${join(aFile, 'sub')}: a part of this path is a file, not a folder`);

    const folder = join(dir, 'a-folder');
    mkdirSync(folder);
    const isDir = await runCli('grammar', '--stages', '4', '-o', folder);
    expect(isDir.code).toBe(1);
    expect(isDir.err).toContain(`${folder}: this is a folder, where a file is needed`);

    const plan = join(dir, 'plans.json');
    const exists = await runCli('preprocess', TINY, '--plan', plan, '-o', aFile, '--no-progress');
    expect(exists.code).toBe(1);
    expect(exists.err).toContain(`${aFile}: this exists and is not a folder`);
    expect(readFileSync(aFile, 'utf8')).toBe('not a folder');
  });
  it('an unwritable destination (EACCES in /sys, where even root cannot create files)', async () => {
    const r = await runCli('grammar', '--stages', '4', '-o', '/sys/hnas-test-grammar.txt');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/\/sys\/hnas-test-grammar\.txt: (permission denied|operation not permitted|the file system is read-only|no such file)/);
  });
  it.skipIf(isRoot)('a read-only folder (chmod 555; root ignores permissions, so skipped as root)', async () => {
    const ro = join(dir, 'read-only');
    mkdirSync(ro, { mode: 0o555 });
    const r = await runCli('grammar', '--stages', '4', '-o', join(ro, 'g.txt'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/permission denied/);
  });
  it('disk full: the real ENOSPC of /dev/full maps to exit 1 naming the file', () => {
    let caught: unknown;
    try {
      writeFileSync('/dev/full', 'x');
    } catch (err) {
      caught = err;
    }
    expect((caught as NodeJS.ErrnoException).code).toBe('ENOSPC');
    (caught as NodeJS.ErrnoException).path ??= '/out/model.onnx'; // writeFileAtomic names the file
    const mapped = systemError(caught)!;
    expect(mapped.exitCode).toBe(1);
    expect(mapped.message).toMatch(/^\/out\/model\.onnx: no space left on the device: free some space/);
    expect(systemError(new TypeError('a bug'))).toBeNull();
    expect(systemError(Object.assign(new Error('x'), { code: 'ERR_SOMETHING_INTERNAL' }))).toBeNull();
  });
  it('a bug is still exit 70', async () => {
    const { main } = await import('../../src/cli/main.js');
    const { Command } = await import('commander');
    const spy = Command.prototype.parseAsync;
    Command.prototype.parseAsync = () => Promise.reject(new TypeError('boom'));
    try {
      const r = await runCli('count', '--stages', '4', '--json');
      expect(r.code).toBe(70);
      expect(JSON.parse(r.out).error).toMatchObject({ type: 'InternalError', exitCode: 70 });
      expect(r.err).toMatch(/internal error \(please report\)/);
    } finally {
      Command.prototype.parseAsync = spy;
    }
    expect(main).toBeTypeOf('function');
  });
});

describe('a model that does not match its plan', () => {
  it('predict names the model file and says it was not trained with this plan (exit 1, not 70)', async () => {
    const plan = readPlanFile(join(dir, 'plans.json'));
    const folder = join(dir, 'model');
    mkdirSync(join(folder, 'fold_0'), { recursive: true });
    writeFileSync(join(folder, 'plans.json'), JSON.stringify(plan));
    writeFileSync(join(folder, 'configuration.json'), JSON.stringify(configurationFile(resolveConfiguration({}, plan.nStages))));
    const tree = (await runCli('sample', '--stages', String(plan.nStages), '--seed', '0')).out.trim();
    const other = { ...plan.network, inputChannels: plan.network.inputChannels + 1 }; // another dataset's model
    const model = compile(parseTreeString(tree), other, { baseFeatures: 4, maxFeatures: 8 });
    writeFileSync(join(folder, 'fold_0', 'model.onnx'), model.onnx());
    const r = await runCli('predict', folder, join(TINY, 'imagesTr'), '-o', join(dir, 'preds'), '--no-progress', '--threads', '1');
    expect(r.code, r.err).toBe(1);
    expect(r.err).toMatch(/DatasetError: .*fold_0\/model\.onnx: the model takes \[N, 2, .*its plan wants \[N, 1, .*not trained with this plan/);
  });
});

describe('output for people', () => {
  it('evaluate heads its table with the label names of the dataset holding the references, else class N', async () => {
    const labels = join(TINY, 'labelsTr');
    const named = await runCli('evaluate', labels, labels);
    expect(named.code).toBe(0);
    expect(named.out).toMatch(/case\s+outer\s+core\n/);
    expect(named.out).toMatch(/mean\s+100\.00\s+100\.00/);
    const elsewhere = join(dir, 'refs');
    mkdirSync(elsewhere);
    for (const f of ['tiny_001.nii.gz']) writeFileSync(join(elsewhere, f), readFileSync(join(labels, f)));
    const plain = await runCli('evaluate', elsewhere, elsewhere);
    expect(plain.out).toMatch(/case\s+class 1\s+class 2\n/);
    const explicit = await runCli('evaluate', elsewhere, elsewhere, '--dataset', TINY);
    expect(explicit.out).toMatch(/outer\s+core/);
  });
});
