/** `hnas check` and `hnas compile` locate a bad tree node the same way, in the file; compile takes an inline tree too. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'hnas-paths-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const PLAN = ['--channels', '1', '--classes', '3', '--patch', '32', '--strides', '1,2,2,2'];

describe('tree paths', () => {
  it('a misspelt block: both name the file and the same path S/E4[1]/C1[4]', async () => {
    const sampled = await runCli('sample', '--stages', '4', '--seed', '1', '--json');
    const file = JSON.parse(sampled.out);
    const e4 = file.tree.children[1];
    const c1Index = e4.children.findIndex((c: { symbol?: string }) => c.symbol === 'C1');
    e4.children[c1Index].children[0] = 'conv_blok';
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify(file));
    const check = await runCli('check', bad);
    const compile = await runCli('compile', bad, ...PLAN);
    expect(check.code).toBe(1);
    expect(compile.code).toBe(1);
    const where = `${bad} at S/E4[1]/C1[${c1Index}]`;
    expect(check.err).toContain(where);
    expect(compile.err).toContain(`${where}/conv_blok[0]: expected 'conv_block'`);
  });
  it('compile takes the bracketed tree inline, as its help says, or from a file', async () => {
    const tree = (await runCli('sample', '--stages', '4', '--seed', '2')).out.trim();
    const inline = await runCli('compile', tree, ...PLAN, '--json');
    expect(inline.code, inline.err).toBe(0);
    const file = join(dir, 'tree.txt');
    writeFileSync(file, `${tree}\n`);
    const fromFile = await runCli('compile', file, ...PLAN, '--json');
    expect(JSON.parse(fromFile.out).ir).toEqual(JSON.parse(inline.out).ir);
    const missing = await runCli('compile', join(dir, 'none.json'), ...PLAN);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/none\.json \(ENOENT\)/);
  });
});
