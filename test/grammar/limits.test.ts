/** Issue 13: large and deep inputs stay bounded in memory, time and stack, or are refused with a message. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseGrammarSyntax } from '../../src/grammar/syntax.js';
import { makeTreeFile, printTree, treeFileJson } from '../../src/grammar/tree.js';
import { MAX_TREE_DEPTH, type TreeNode } from '../../src/grammar/tree-types.js';
import { runCli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'hnas-limits-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
/** S -> A1, A1 -> A2, ..., A(n-1) -> leaf: every tree is n levels deep. */
const chain = (n: number) => ['S -> A1', ...Array.from({ length: n - 2 }, (_, i) => `A${i + 1} -> A${i + 2}`), `A${n - 1} -> leaf`].join('\n') + '\n';
/** A tree `depth` levels deep: (S (S (S ... leaf))). */
function nested(depth: number): TreeNode {
  let node: TreeNode = { symbol: 'S', children: ['leaf'] };
  for (let d = 1; d < depth; d++) node = { symbol: 'S', children: [node] };
  return node;
}

describe('grammar size', () => {
  it('a 1 MB rule of 110k alternatives parses in linear memory', () => {
    const n = 110_000;
    const text = `S -> ${Array.from({ length: n }, (_, i) => `t${i}`).join(' | ')}\n`;
    const before = process.memoryUsage().heapUsed;
    const rules = parseGrammarSyntax(text);
    expect(rules[0]!.alts).toHaveLength(n);
    expect(rules[0]!.alts[n - 1]!.symbols[0]).toMatchObject({ name: `t${n - 1}`, line: 1 });
    // Quadratic copying needed > 4 GB here; linear needs a few hundred MB at most.
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(1024 * 2 ** 20);
  }, 60_000);

  it('count of a doubly-exponential grammar stops quickly with a message instead of a BigInt RangeError', async () => {
    const g = file('double.txt', 'S -> leaf | node S S\n');
    const t0 = performance.now();
    const r = await runCli('count', '--grammar', g, '--depth', '40');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/S has more than 10\^100000 derivations: too many to count exactly/);
    expect(performance.now() - t0).toBeLessThan(10_000);
    expect((await runCli('count', '--grammar', g, '--depth', '5', '--json')).out).toContain('"count": "677"'); // 1, 2, 5, 26, 677
  });

  it('sample --json streams its array in chunks, in the same format as before', async () => {
    let writes = 0;
    const r = await runCli('sample', '--stages', '4', '-n', '3000', '--json', '--seed', '7');
    expect(r.code).toBe(0);
    const trees = JSON.parse(r.out);
    expect(trees).toHaveLength(3000);
    const one = JSON.parse((await runCli('sample', '--stages', '4', '--json', '--seed', '7')).out);
    expect(trees[0]).toEqual(one);
    expect(r.out).toBe(`${JSON.stringify(trees, null, 2)}\n`);
    writes = r.out.length;
    expect(writes).toBeGreaterThan(2 ** 20); // long enough to have been written in several chunks
  });
});

describe('depth: a stated limit, checked on read, sample and write', () => {
  it(`chain grammars past ${MAX_TREE_DEPTH} levels are refused by check and sample; shorter ones work end to end`, async () => {
    const long = file('chain3000.txt', chain(3000));
    for (const argv of [['sample', '--grammar', long], ['count', '--grammar', long]]) {
      const r = await runCli(...argv);
      expect(r.code, argv.join(' ')).toBe(1);
      expect(r.err).toMatch(/the shallowest derivation of S is 3000 levels deep; trees may have at most 1000 levels/);
    }
    const ok = file('chain900.txt', chain(900));
    const tree = join(dir, 'chain.json');
    expect((await runCli('sample', '--grammar', ok, '-o', tree)).code).toBe(0);
    const r = await runCli('check', tree, '--grammar', ok);
    expect(r.code).toBe(0);
    expect((await runCli('count', '--grammar', ok, '--json')).out).toContain('"count": "1"');
  });

  it('tree files and bracketed trees nested past the limit are a TreeError naming the file, in check and compile', async () => {
    const deep = nested(1500);
    const json = file('deep.json', `{"format":"hnas-tree","version":1,"grammar":{"name":"unet","nMax":4},"tree":${'{"symbol":"S","children":['.repeat(1499)}{"symbol":"S","children":["leaf"]}${']}'.repeat(1499)}}`);
    for (const argv of [['check', json], ['compile', json, '--channels', '1', '--classes', '2', '--patch', '16x16x16', '--strides', '1,2,2,2']]) {
      const r = await runCli(...argv);
      expect(r.code, argv.join(' ')).toBe(1);
      expect(r.err).toMatch(/TreeError: .*deep\.json at \$\.tree(\.children\[0\]){1000}: the tree is nested deeper than 1000 levels/);
    }
    const text = file('deep.tree', printTree(deep));
    const r = await runCli('compile', text, '--channels', '1', '--classes', '2', '--patch', '16x16x16', '--strides', '1,2,2,2');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/the tree is nested deeper than 1000 levels/);
    // A tree at the limit reads fine (and is then judged by the grammar, not by the stack).
    const atLimit = file('limit.json', treeFileJson(makeTreeFile({ name: 'other' }, nested(MAX_TREE_DEPTH))));
    const g = file('s.txt', 'S -> S | leaf\n');
    expect((await runCli('check', atLimit, '--grammar', g)).code).toBe(0);
  });

  it("a tree file's nMax and sMax get the flags' bounds", async () => {
    const tree = JSON.parse((await runCli('sample', '--stages', '4', '--json')).out);
    for (const [field, value, max] of [['nMax', 1e9, 12], ['sMax', 99, 8]] as const) {
      const f = file(`${field}.json`, JSON.stringify({ ...tree, grammar: { ...tree.grammar, [field]: value } }));
      const r = await runCli('check', f);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(new RegExp(`${field}\\.json at \\$\\.grammar\\.${field}: not a tree file: .*${max}`));
    }
    expect(readFileSync(join(dir, 'nMax.json'), 'utf8')).toContain('1000000000');
  });
});
