import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { captureOutput } from '../helpers/cli.js';
import { main } from '../../src/cli/main.js';
import { grammarsEqual } from '../../src/grammar/grammar.js';
import { parseGrammar } from '../../src/grammar/parse.js';
import { parseTreeString, readTreeFile, validateTree } from '../../src/grammar/tree.js';
import { unetGrammar } from '../../src/grammar/unet.js';

const io = captureOutput();

const run = (...argv: string[]) => main(argv);
const dir = mkdtempSync(join(tmpdir(), 'hnas-cli-'));

describe('hnas grammar', () => {
  it('prints the U-Net grammar, which parses back to the same grammar', async () => {
    expect(await run('grammar', '--stages', '5', '--scale-max', '1')).toBe(0);
    expect(io.out()).toContain('# unet(n_max=5, s_max=1)');
    expect(grammarsEqual(parseGrammar(io.out()), unetGrammar(5, 1))).toBe(true);
  });

  it('prints JSON and writes -o', async () => {
    const file = join(dir, 'g4.grammar');
    expect(await run('grammar', '--stages', '4', '--json', '-o', file)).toBe(0);
    const json = JSON.parse(io.out());
    expect(json).toMatchObject({ grammar: { name: 'unet', nMax: 4, sMax: 2 }, start: 'S', size: '37113600' });
    expect(json.rules.S).toEqual([['unet', 'E2', 'D2'], ['unet', 'E3', 'D3'], ['unet', 'E4', 'D4']]);
    expect(grammarsEqual(parseGrammar(readFileSync(file, 'utf8')), unetGrammar(4))).toBe(true);
  });

  it('checks a grammar file and reports its errors with line and column (exit 1)', async () => {
    const bad = join(dir, 'bad.grammar');
    writeFileSync(bad, 'S -> a B\n');
    expect(await run('grammar', '--grammar', bad)).toBe(1);
    expect(io.err()).toContain(`${bad}:1:8: undefined nonterminal 'B'`);
  });

  it('takes n_max from a plan (--plan), and refuses --plan with --stages', async () => {
    const plan = join(dir, 'plans.json');
    expect(await run('plan', join(__dirname, '../../fixtures/data/tiny-msd'), '-o', plan, '--json')).toBe(0);
    const nStages = JSON.parse(readFileSync(plan, 'utf8')).nStages as number;
    io.clear();
    expect(await run('grammar', '--plan', plan, '--json')).toBe(0);
    expect(JSON.parse(io.out()).grammar).toMatchObject({ name: 'unet', nMax: nStages });
    io.clear();
    expect(await run('sample', '--plan', plan, '--seed', '1')).toBe(0);
    validateTree(unetGrammar(nStages), parseTreeString(io.out().trim()));
    expect(await run('sample', '--plan', plan, '--stages', '4')).toBe(2);
  });

  it('rejects bad usage with exit 2', async () => {
    expect(await run('grammar')).toBe(2);
    expect(io.err()).toContain('missing --stages');
    expect(await run('grammar', '--stages', 'four')).toBe(2);
    expect(await run('grammar', '--stages', '4', '--grammar', 'x')).toBe(2);
  });
});

describe('hnas sample', () => {
  it('is reproducible from --seed and prints bracketed trees of the grammar', async () => {
    expect(await run('sample', '--stages', '5', '-n', '3', '--seed', '7')).toBe(0);
    const first = io.out();
    io.clear();
    expect(await run('sample', '--stages', '5', '-n', '3', '--seed', '7')).toBe(0);
    expect(io.out()).toBe(first);
    const lines = io.out().trim().split('\n');
    expect(lines).toHaveLength(3);
    for (const line of lines) validateTree(unetGrammar(5), parseTreeString(line));
  });

  it('writes a tree file that check accepts', async () => {
    const file = join(dir, 'tree.json');
    expect(await run('sample', '--stages', '4', '--confidence', 'high', '-o', file, '--format', 'json')).toBe(0);
    expect(readTreeFile(file)).toEqual(JSON.parse(io.out()));
    io.clear();
    expect(await run('check', file, '--json')).toBe(0);
    expect(JSON.parse(io.out())).toMatchObject({ valid: true, grammar: { name: 'unet', nMax: 4, sMax: 2 }, prior: 'medium' });
  });

  it('prints an array of tree files for --json -n 2, and samples a grammar file by its weights', async () => {
    expect(await run('sample', '--stages', '4', '-n', '2', '--json')).toBe(0);
    expect(JSON.parse(io.out())).toHaveLength(2);
    const g = join(dir, 'w.grammar');
    writeFileSync(g, 'S -> a [1] | b [0]\n');
    io.clear();
    expect(await run('sample', '--grammar', g, '-n', '5')).toBe(0);
    expect(io.out()).toBe('(S a)\n'.repeat(5));
  });

  it('rejects bad usage with exit 2 and writes nothing', async () => {
    const file = join(dir, 'never.json');
    expect(await run('sample', '--stages', '4', '-n', '2', '-o', file)).toBe(2);
    expect(existsSync(file)).toBe(false);
    expect(await run('sample', '--stages', '4', '--confidence', 'certain')).toBe(2);
    expect(await run('sample', '--stages', '4', '-n', '0')).toBe(2);
  });
});

describe('hnas count', () => {
  it('gives the reference sizes for n_max 4..7', async () => {
    expect(await run('count', '--stages', '4..7', '--json')).toBe(0);
    expect(JSON.parse(io.out())).toEqual([
      { nMax: 4, sMax: 2, size: '37113600' },
      { nMax: 5, sMax: 2, size: '1557548800' },
      { nMax: 6, sMax: 2, size: '71182950400' },
      { nMax: 7, sMax: 2, size: '3359517286400' },
    ]);
    io.clear();
    expect(await run('count', '--stages', '4', '--by-stage')).toBe(0);
    expect(io.out()).toContain('37,113,600');
    expect(io.out()).toContain('36,044,800  (4 stages)');
  });

  it('counts a grammar file per nonterminal, recursive ones up to --depth', async () => {
    const g = join(dir, 'rec.grammar');
    writeFileSync(g, 'S -> x A | y\nA -> a S | b\n');
    expect(await run('count', '--grammar', g)).toBe(1);
    expect(io.err()).toContain('recursive');
    expect(await run('count', '--grammar', g, '--depth', '5', '--json')).toBe(0);
    expect(JSON.parse(io.out())).toMatchObject({ count: '5', nonterminals: [{ symbol: 'S', count: '5' }, { symbol: 'A', count: '5' }] });
  });

  it('rejects bad ranges with exit 2', async () => {
    expect(await run('count', '--stages', '7..4')).toBe(2);
    expect(io.err()).toContain('empty');
    expect(await run('count', '--stages', '1..4')).toBe(2);
  });
});

describe('hnas check', () => {
  it('rejects a tree of another grammar with the path (exit 1)', async () => {
    expect(await run('sample', '--stages', '6', '--seed', '3', '--confidence', 'high', '--json')).toBe(0);
    const file = JSON.parse(io.out());
    const wrong = join(dir, 'wrong.json');
    writeFileSync(wrong, JSON.stringify({ ...file, grammar: { name: 'unet', nMax: 4, sMax: 2 } }));
    expect(await run('check', wrong)).toBe(1);
    expect(io.err()).toMatch(new RegExp(`TreeError: ${wrong.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} at S: S cannot derive`));
  });

  it('rejects malformed files with the JSON path, and unknown grammars with exit 2', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ format: 'hnas-tree', version: 1, grammar: { name: 'unet', nMax: 4 }, tree: { symbol: 'S', children: [1] } }));
    expect(await run('check', bad)).toBe(1);
    expect(io.err()).toContain('at $.tree.children[0]');
    const other = join(dir, 'other.json');
    writeFileSync(other, JSON.stringify({ format: 'hnas-tree', version: 1, grammar: { name: 'mine' }, tree: { symbol: 'S', children: ['a'] } }));
    expect(await run('check', other)).toBe(2);
    const g = join(dir, 'mine.grammar');
    writeFileSync(g, 'S -> a | b\n');
    io.clear();
    expect(await run('check', other, '--grammar', g)).toBe(0);
    expect(io.out()).toContain('log prior (weights) = -0.6931');
  });
});

describe('bin/hnas.mjs', () => {
  it('runs as a process: --help lists the grammar commands, usage errors exit 2', () => {
    const help = execFileSync(process.execPath, ['bin/hnas.mjs', '--help'], { encoding: 'utf8' });
    for (const name of ['grammar', 'sample', 'count', 'check']) expect(help).toMatch(new RegExp(`^\\s+${name}\\b`, 'm'));
    let status = 0;
    try {
      execFileSync(process.execPath, ['bin/hnas.mjs', 'sample', '--stages', '99'], { stdio: 'pipe' });
    } catch (e) {
      status = (e as { status: number }).status;
    }
    expect(status).toBe(2);
  });
});
