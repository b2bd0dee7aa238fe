/**
 * No import cycle inside the listed folders: every .ts file's imports and re-exports (type-only
 * ones included, as madge counts them) form a graph, and any strongly connected component of
 * more than one file, or a file importing itself, fails the test with one cycle spelled out.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';

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

/** The import cycles of a graph, one per strongly connected component (Tarjan), each as a closed path. */
function cycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || graph.get(v)!.includes(v)) found.push(pathWithin(graph, new Set(component), v));
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

/** A shortest path from `start` back to itself inside one component (breadth first). */
function pathWithin(graph: ReadonlyMap<string, readonly string[]>, component: ReadonlySet<string>, start: string): string[] {
  const previous = new Map<string, string>();
  const queue = [start];
  while (queue.length) {
    const v = queue.shift()!;
    for (const w of graph.get(v)!) {
      if (!component.has(w)) continue;
      if (w === start) {
        const between: string[] = [];
        for (let u = v; u !== start; u = previous.get(u)!) between.unshift(u);
        return [start, ...between, start];
      }
      if (!previous.has(w)) {
        previous.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start, start];
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

    it('finds a cycle through a type-only, multi-line import and a re-export', () => {
      const root = write({
        'a.ts': "import type {\n  B,\n} from './sub/b.js';\nexport const a = 1;\n",
        'sub/b.ts': "export { c } from '../c.js';\nexport type B = number;\n",
        'c.ts': "import { a } from './a.js';\nexport const c = a;\n",
        'd.ts': "import { a } from './a.js';\nexport const d = a;\n",
      });
      expect(cyclesUnder(root)).toEqual(['a.ts -> sub/b.ts -> c.ts -> a.ts']);
    });

    it('finds a file importing itself and folder index imports; ignores packages and one-way imports', () => {
      const root = write({
        'self.ts': "import * as me from './self.js';\nexport const x = me;\n",
        'lib/index.ts': "import { y } from '../user.js';\nexport const z = y;\n",
        'user.ts': "import { z } from './lib';\nimport fc from 'fast-check';\nexport const y = 1;\nexport const w = [z, fc];\n",
        'leaf.ts': "import { x } from './self.js';\nexport const v = x;\n",
      });
      expect(cyclesUnder(root).sort()).toEqual(['lib/index.ts -> user.ts -> lib/index.ts', 'self.ts -> self.ts']);
    });
  });
});
