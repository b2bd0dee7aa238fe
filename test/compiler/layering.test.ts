/**
 * The compiler owns its inputs: compiler/ imports nothing of src/ but the error hierarchy
 * and the utilities, and the folders before it in the data flow (src/grammar, src/sampling,
 * src/space, src/data) reach into compiler/ only for the input contract it defines.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');

/** Every module specifier a TypeScript file imports or re-exports, static or dynamic. */
function specifiers(text: string): string[] {
  const found: string[] = [];
  for (const re of [/\b(?:import|export)\b[^'";]*?\bfrom\s*['"]([^'"]+)['"]/g, /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g, /\bimport\s+['"]([^'"]+)['"]/g])
    for (const m of text.matchAll(re)) found.push(m[1]!);
  return found;
}

/** Repository-relative paths of the relative imports of each .ts file under `dir`. */
function importsUnder(dir: string): { file: string; target: string }[] {
  const files = readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
  return files.flatMap((f) => {
    const file = join(dir, f);
    return specifiers(readFileSync(join(ROOT, file), 'utf8'))
      .filter((s) => s.startsWith('.'))
      .map((s) => ({ file, target: relative(ROOT, resolve(ROOT, dirname(file), s)).replace(/\.js$/, '.ts') }));
  });
}

const COMPILER_MAY_IMPORT = (target: string): boolean =>
  target.startsWith('compiler/') || target === 'src/errors.ts' || target.startsWith('src/util/');
const INPUT_CONTRACT = ['compiler/ir/plan.ts', 'compiler/ir/tree-types.ts', 'compiler/ir/architecture.ts'];

describe('layering', () => {
  it('finds static, type-only, multi-line, re-exported and dynamic imports', () => {
    const text = `import { a } from './a.js';\nimport type {\n  B,\n  C,\n} from "../b.js";\nexport { d } from './d.js';\nimport './side.js';\nconst e = await import('./e.js');`;
    expect(specifiers(text)).toEqual(['./a.js', '../b.js', './d.js', './e.js', './side.js']);
  });

  it('compiler/ imports from src/ only src/errors.ts and src/util/*', () => {
    const imports = importsUnder('compiler');
    expect(imports.some((i) => i.target === 'src/errors.ts')).toBe(true); // the scan sees what is there
    expect(imports.filter((i) => !COMPILER_MAY_IMPORT(i.target))).toEqual([]);
  });

  it('the folders before the compiler use only its input contract', () => {
    const imports = ['src/grammar', 'src/sampling', 'src/space', 'src/data'].flatMap(importsUnder).filter((i) => i.target.startsWith('compiler/'));
    expect(imports.length).toBeGreaterThan(0);
    expect(imports.filter((i) => !INPUT_CONTRACT.includes(i.target))).toEqual([]);
  });
});
