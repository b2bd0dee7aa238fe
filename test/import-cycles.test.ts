/**
 * No import cycle inside the listed folders: every .ts file's imports and re-exports (type-only
 * ones included, as madge counts them) form a graph; any file on a cycle of it (cyclicNodes, the
 * grammar toolkit's Tarjan walk) fails the test, with the cycles spelled out.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cyclicNodes } from '../src/grammar/analysis.js';
import { importsUnder, REPO } from './helpers/imports.js';

/** Folders that must stay cycle-free. */
const ROOTS = ['compiler', 'src/cli'];

/** file -> the files under `dir` it imports. */
function importGraph(dir: string, root: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const { file, target } of importsUnder(dir, root)) {
    const targets = graph.get(file) ?? [];
    if (!targets.includes(target)) targets.push(target);
    graph.set(file, targets);
  }
  return graph;
}

/** The import cycles: from each file on a cycle not yet shown, a shortest path back to it (breadth first). */
function cycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const onCycle = cyclicNodes(graph);
  const shown = new Set<string>();
  const found: string[][] = [];
  for (const start of [...graph.keys()].sort()) {
    if (!onCycle.has(start) || shown.has(start)) continue;
    const previous = new Map<string, string>();
    const queue = [start];
    search: while (queue.length) {
      const v = queue.shift()!;
      for (const w of graph.get(v) ?? []) {
        if (w === start) {
          const path = [start];
          for (let u = v; u !== start; u = previous.get(u)!) path.splice(1, 0, u);
          found.push([...path, start]);
          path.forEach((p) => shown.add(p));
          break search;
        }
        if (onCycle.has(w) && !previous.has(w)) {
          previous.set(w, v);
          queue.push(w);
        }
      }
    }
  }
  return found;
}

const cyclesUnder = (dir: string, root = REPO) => cycles(importGraph(dir, root)).map((c) => c.join(' -> '));

describe('import cycles', () => {
  for (const dir of ROOTS) it(`none inside ${dir}/`, () => expect(cyclesUnder(dir)).toEqual([]));

  describe('the check itself', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hnas-cycles-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const write = (files: Record<string, string>) => {
      const root = mkdtempSync(join(dir, 'case-'));
      for (const [name, text] of Object.entries(files)) {
        mkdirSync(dirname(join(root, name)), { recursive: true });
        writeFileSync(join(root, name), text);
      }
      return root;
    };

    const cases: { label: string; files: Record<string, string>; want: string[] }[] = [
      {
        label: 'a cycle through a type-only, multi-line import and a re-export; a one-way importer is not on it',
        files: {
          'a.ts': "import type {\n  B,\n} from './sub/b.js';\nexport const a = 1;\n",
          'sub/b.ts': "export { c } from '../c.js';\nexport type B = number;\n",
          'c.ts': "import { a } from './a.js';\nexport const c = a;\n",
          'd.ts': "import { a } from './a.js';\nexport const d = a;\n",
        },
        want: ['a.ts -> sub/b.ts -> c.ts -> a.ts'],
      },
      {
        label: 'a file importing itself, a cycle through a folder index; packages ignored',
        files: {
          'self.ts': "import * as me from './self.js';\nexport const x = me;\n",
          'lib/index.ts': "import { y } from '../user.js';\nexport const z = y;\n",
          'user.ts': "import { z } from './lib';\nimport fc from 'fast-check';\nexport const y = 1;\nexport const w = [z, fc];\n",
          'leaf.ts': "import { x } from './self.js';\nexport const v = x;\n",
        },
        want: ['lib/index.ts -> user.ts -> lib/index.ts', 'self.ts -> self.ts'],
      },
    ];
    for (const c of cases) it(`finds ${c.label}`, () => expect(cyclesUnder('.', write(c.files)).sort()).toEqual(c.want));
  });
});
