/** The CLI's modules import downwards only: no runtime import cycle inside src/cli/ (issue 11). */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(__dirname, '../..');

/** Runtime (not `import type`) relative imports of every .ts file under `dir`, as repo-relative paths. */
function importGraph(dir: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (p.endsWith('.ts')) {
        const text = readFileSync(p, 'utf8');
        const deps = [...text.matchAll(/^import\s+(?!type\s)[^'"]*?from\s+'(\.[^']+)'/gm), ...text.matchAll(/^export\s+(?!type\s)[^'"]*?from\s+'(\.[^']+)'/gm)]
          .map((m) => relative(root, resolve(dirname(p), m[1]!.replace(/\.js$/, '.ts'))));
        graph.set(relative(root, p), deps);
      }
    }
  };
  walk(join(root, dir));
  return graph;
}

/** One cycle as a list of files, or null. */
function findCycle(graph: Map<string, string[]>): string[] | null {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (f: string): string[] | null => {
    if (state.get(f) === 'done' || !graph.has(f)) return null;
    if (state.get(f) === 'open') return [...stack.slice(stack.indexOf(f)), f];
    state.set(f, 'open');
    stack.push(f);
    for (const d of graph.get(f)!) {
      const c = visit(d);
      if (c) return c;
    }
    stack.pop();
    state.set(f, 'done');
    return null;
  };
  for (const f of graph.keys()) {
    const c = visit(f);
    if (c) return c;
  }
  return null;
}

describe('import cycles', () => {
  it('the finder finds a planted cycle', () => {
    expect(findCycle(new Map([['a', ['b']], ['b', ['c']], ['c', ['a']]]))).toEqual(['a', 'b', 'c', 'a']);
    expect(findCycle(new Map([['a', ['b']], ['b', []]]))).toBeNull();
  });
  it('src/cli has none', () => {
    const graph = importGraph('src/cli');
    expect(graph.size).toBeGreaterThan(15);
    expect(findCycle(graph)).toBeNull();
  });
});
