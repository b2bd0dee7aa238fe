/**
 * tree.json, the versioned file form of a derivation tree (docs/tree-format.md):
 *   { "format": "hnas-tree", "version": 1, "grammar": { "name": "unet", "nMax": 4, "sMax": 2 }, "tree": {...} }
 * Reading checks the shape and reports the JSON path of the first problem;
 * whether the tree belongs to the grammar is validateTree's job.
 */
import { z } from 'zod';
import { jsonPath, TreeError } from '../errors.js';
import type { TreeFile, TreeNode } from './tree-types.js';
import { readJsonFile } from '../util/json.js';

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const name = z.string().regex(NAME, { message: 'expected a name: letters, digits and _ (not starting with a digit)' });

const nodeSchema: z.ZodType<TreeNode> = z.strictObject({
  symbol: name,
  get children() {
    return z.array(z.union([name, nodeSchema], { error: 'expected a terminal name or a node { "symbol", "children" }' }));
  },
});

const fileSchema = z.strictObject({
  format: z.literal('hnas-tree', { error: 'expected "hnas-tree"' }),
  version: z.literal(1, { error: 'expected 1 (the only tree format version)' }),
  grammar: z.strictObject({
    name: z.string().min(1),
    nMax: z.int().min(2).optional(),
    sMax: z.int().min(1).optional(),
  }),
  tree: nodeSchema,
});

/** Check parsed JSON as a tree file; errors name the JSON path (`$.tree.children[2].symbol`). */
export function parseTreeFile(json: unknown, file?: string): TreeFile {
  const result = fileSchema.safeParse(json);
  if (result.success) return result.data as TreeFile;
  const issue = deepest(result.error.issues);
  throw new TreeError(`not a tree file: ${issue.message}`, { file, path: jsonPath(issue.path) });
}

/** Union failures hide the real problem one level down; report the deepest issue. */
function deepest(issues: readonly z.core.$ZodIssue[]): z.core.$ZodIssue {
  let best = issues[0]!;
  for (const issue of issues) {
    if (issue.code === 'invalid_union') {
      for (const branch of issue.errors) {
        if (branch.length === 0) continue;
        const inner = deepest(branch);
        const full = { ...inner, path: [...issue.path, ...inner.path] };
        if (full.path.length > best.path.length) best = full;
      }
    }
  }
  return best;
}

/** Read and check a tree.json file. */
export function readTreeFile(path: string): TreeFile {
  return parseTreeFile(readJsonFile(path, TreeError, 'the tree file'), path);
}

/** The file text of a tree file (pretty JSON, final newline). */
export function treeFileJson(file: TreeFile): string {
  return `${JSON.stringify(file, null, 2)}\n`;
}
