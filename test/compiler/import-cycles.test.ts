/**
 * No import cycle inside the listed folders: every .ts file's imports and re-exports (type-only
 * ones included, as madge counts them) form a graph; any file on a cycle of it (cyclicNodes, the
 * grammar toolkit's Tarjan walk) fails the test, with the cycles spelled out.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { cyclicNodes } from '../../src/grammar/analysis.js';

const REPO = resolve(import.meta.dirname, '../..');
/** Folders that must stay cycle-free (src/cli joins once its option helpers leave main.ts). */
const ROOTS = ['compiler'];

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    return e.isDirectory() ? tsFiles(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

/** file -> the files of `files` it imports (relative specifiers, '.js' standing for '.ts'). */
function importGraph(files: readonly string[]): Map<string, string[]> {
  const known = new Set(files);
  return new Map(files.map((f) => {
    const specs = ts.preProcessFile(readFileSync(f, 'utf8'), true, true).importedFiles.map((i) => i.fileName).filter((s) => s.startsWith('.'));
    const targets = specs.map((s) => resolve(dirname(f), s).replace(/\.js$/, '.ts')).flatMap((t) => [t, `${t}.ts`, join(t, 'index.ts')].filter((c) => known.has(c)).slice(0, 1));
    return [f, [...new Set(targets)]];
  }));
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
      for (const w of graph.get(v)!) {
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

const cyclesUnder = (root: string) => cycles(importGraph(tsFiles(root))).map((c) => c.map((f) => relative(root, f)).join(' -> '));

describe('import cycles', () => {
  for (const root of ROOTS) it(`none inside ${root}/`, () => expect(cyclesUnder(join(REPO, root))).toEqual([]));

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
    for (const c of cases) it(`finds ${c.label}`, () => expect(cyclesUnder(write(c.files)).sort()).toEqual(c.want));
  });
});
