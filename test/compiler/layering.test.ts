/**
 * The compiler owns its inputs: compiler/ imports nothing of src/ but the error hierarchy
 * and the utilities, and the folders before it in the data flow (src/grammar, src/tree-sampling,
 * src/space, src/data) reach into compiler/ only for the input contract it defines.
 */
import { describe, expect, it } from 'vitest';
import { importsUnder } from '../helpers/imports.js';

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
    const imports = ['src/grammar', 'src/tree-sampling', 'src/space', 'src/data'].flatMap((dir) => importsUnder(dir)).filter((i) => i.target.startsWith('compiler/'));
    expect(imports.length).toBeGreaterThan(0);
    expect(imports.filter((i) => !INPUT_CONTRACT.includes(i.target))).toEqual([]);
  });
});
