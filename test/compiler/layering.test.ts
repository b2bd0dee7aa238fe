/**
 * The compiler owns its inputs: compiler/ imports nothing of src/ but the error hierarchy
 * and the utilities, and the folders before it in the data flow (src/grammar, src/tree-sampling,
 * src/space, src/data) reach into compiler/ only for the input contract it defines.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');

/** Repository-relative targets of the relative imports (type-only, re-exports, dynamic) of each .ts file under `dir`. */
function importsUnder(dir: string): { file: string; target: string }[] {
  const files = readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
  return files.flatMap((f) => {
    const file = join(dir, f);
    return ts
      .preProcessFile(readFileSync(join(ROOT, file), 'utf8'), true, true)
      .importedFiles.map((i) => i.fileName)
      .filter((s) => s.startsWith('.'))
      .map((s) => ({ file, target: relative(ROOT, resolve(ROOT, dirname(file), s)).replace(/\.js$/, '.ts') }));
  });
}

const COMPILER_MAY_IMPORT = (target: string): boolean =>
  target.startsWith('compiler/') || target === 'src/errors.ts' || target.startsWith('src/util/');
const INPUT_CONTRACT = ['compiler/ir/plan.ts', 'compiler/ir/tree-types.ts', 'compiler/ir/architecture.ts'];

describe('layering', () => {
  it('compiler/ imports from src/ only src/errors.ts and src/util/*', () => {
    const imports = importsUnder('compiler');
    expect(imports.some((i) => i.target === 'src/errors.ts')).toBe(true); // the scan sees what is there
    expect(imports.filter((i) => !COMPILER_MAY_IMPORT(i.target))).toEqual([]);
  });

  it('the folders before the compiler use only its input contract', () => {
    const imports = ['src/grammar', 'src/tree-sampling', 'src/space', 'src/data'].flatMap(importsUnder).filter((i) => i.target.startsWith('compiler/'));
    expect(imports.length).toBeGreaterThan(0);
    expect(imports.filter((i) => !INPUT_CONTRACT.includes(i.target))).toEqual([]);
  });
});
