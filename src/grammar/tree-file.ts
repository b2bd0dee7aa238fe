/**
 * tree.json, the versioned file form of a derivation tree (docs/tree-format.md):
 *   { "format": "hnas-tree", "version": 1, "grammar": { "name": "unet", "nMax": 4, "sMax": 2 }, "tree": {...} }
 * Reading checks the shape and reports the JSON path of the first problem;
 * whether the tree belongs to the grammar is validateTree's job.
 */
import { z } from 'zod';
import { jsonPath, TreeError } from '../errors.js';
import { MAX_SCALE, MAX_STAGES } from './unet.js';
import { MAX_TREE_DEPTH, type TreeFile } from './tree-types.js';
import { readJsonFile } from '../util/json.js';

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const name = z.string().regex(NAME, { message: 'expected a name: letters, digits and _ (not starting with a digit)' });

const fileSchema = z.strictObject({
  format: z.literal('hnas-tree', { error: 'expected "hnas-tree"' }),
  version: z.literal(1, { error: 'expected 1 (the only tree format version)' }),
  grammar: z.strictObject({
    name: z.string().min(1),
    nMax: z.int().min(2).max(MAX_STAGES).optional(),
    sMax: z.int().min(1).max(MAX_SCALE).optional(),
  }),
  tree: z.unknown(),
});

const NODE_OR_NAME = 'expected a terminal name or a node { "symbol", "children" }';

/**
 * The tree's shape, checked with an explicit stack in document order (a recursive schema would
 * overflow the call stack on deep trees); the first problem comes back with its JSON path.
 */
function treeProblem(tree: unknown): { message: string; path: string } | undefined {
  const stack: [unknown, number, string][] = [[tree, 1, '$.tree']];
  for (let top = stack.pop(); top; top = stack.pop()) {
    const [node, depth, path] = top;
    if (typeof node !== 'object' || node === null || Array.isArray(node)) return { message: 'expected a node { "symbol", "children" }', path };
    const extra = Object.keys(node).find((k) => k !== 'symbol' && k !== 'children');
    if (extra !== undefined) return { message: `Unrecognized key: "${extra}"`, path };
    const { symbol, children } = node as { symbol?: unknown; children?: unknown };
    if (typeof symbol !== 'string' || !NAME.test(symbol)) return { message: 'expected a name: letters, digits and _ (not starting with a digit)', path: `${path}.symbol` };
    if (!Array.isArray(children)) return { message: 'expected an array of children', path: `${path}.children` };
    if (depth > MAX_TREE_DEPTH) return { message: `the tree is nested deeper than ${MAX_TREE_DEPTH} levels: trees may have at most ${MAX_TREE_DEPTH}`, path };
    for (let i = children.length - 1; i >= 0; i--) {
      const c: unknown = children[i];
      const at = `${path}.children[${i}]`;
      if (typeof c === 'string') {
        if (!NAME.test(c)) return { message: NODE_OR_NAME, path: at };
      } else if (typeof c === 'object' && c !== null && !Array.isArray(c)) stack.push([c, depth + 1, at]);
      else return { message: NODE_OR_NAME, path: at };
    }
  }
  return undefined;
}

/** Check parsed JSON as a tree file; errors name the JSON path (`$.tree.children[2].symbol`). */
export function parseTreeFile(json: unknown, file?: string): TreeFile {
  const result = fileSchema.safeParse(json);
  if (result.success) {
    const problem = treeProblem(result.data.tree);
    if (problem) throw new TreeError(problem.message.startsWith('the tree is nested') ? problem.message : `not a tree file: ${problem.message}`, { file, path: problem.path });
    return result.data as TreeFile;
  }
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
