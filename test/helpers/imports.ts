/** The import graph of the repository's TypeScript, for the layering and import-cycle tests. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

export const REPO = resolve(import.meta.dirname, '../..');

/**
 * The relative imports (type-only, re-exports and dynamic ones included) of each .ts file under
 * `dir`, as paths relative to `root`; a target is the file it loads ('.js' read as '.ts', a folder
 * as its index.ts).
 */
export function importsUnder(dir: string, root = REPO): { file: string; target: string }[] {
  const files = readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
  return files.flatMap((f) => {
    const file = join(dir, f);
    return ts
      .preProcessFile(readFileSync(join(root, file), 'utf8'), true, true)
      .importedFiles.map((i) => i.fileName)
      .filter((s) => s.startsWith('.'))
      .map((s) => {
        const target = relative(root, resolve(root, dirname(file), s)).replace(/\.js$/, '.ts');
        return { file, target: [target, `${target}.ts`, join(target, 'index.ts')].find((t) => statSync(join(root, t), { throwIfNoEntry: false })?.isFile()) ?? target };
      });
  });
}
