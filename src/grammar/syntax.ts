/**
 * Typed entry points to the generated nearley parsers: text in, typed syntax tree
 * out, `any` stays inside this file. A parse failure becomes a typed error naming
 * line, column, what was found and which tokens the parser expected there.
 */
import nearley from 'nearley';
import type { Token } from 'moo';
import grammarLanguage from '../../grammar/generated/grammar-language.js';
import treeString from '../../grammar/generated/tree-string.js';
import { snocToArray, tokenNames, type RawRule, type RawTreeNode, type RuleAst, type Snoc } from '../../grammar/lexers.js';
import { GrammarSyntaxError, TreeError, type SourceLocation } from '../errors.js';
import { MAX_TREE_DEPTH, type TreeNode } from './tree-types.js';

type ErrorClass = new (message: string, location?: SourceLocation) => Error;

/** nearley's Earley table is not in its type declarations; this is the part we read. */
interface EarleyState {
  rule: { symbols: unknown[] };
  dot: number;
}
interface EarleyTable {
  table: { states: EarleyState[] }[];
}

const compiledLanguage = nearley.Grammar.fromCompiled(grammarLanguage as unknown as nearley.CompiledRules);
const compiledTree = nearley.Grammar.fromCompiled(treeString as unknown as nearley.CompiledRules);

/** Rules of a grammar-language text, with source positions. */
export function parseGrammarSyntax(text: string, file?: string): RuleAst[] {
  // A final newline ends the last rule even when the file lacks one.
  const rules = snocToArray(run(compiledLanguage, `${text}\n`, file, GrammarSyntaxError) as Snoc<RawRule> | null);
  return rules.map((r) => ({ ...r, alts: snocToArray(r.alts).map((a) => ({ ...a, symbols: snocToArray(a.symbols) })) }));
}

/** A derivation tree in bracketed form, `(S unet (E2 ...) ...)`. */
export function parseTreeSyntax(text: string, file?: string): TreeNode {
  const root = run(compiledTree, text, file, TreeError) as RawTreeNode;
  // Flattened in place with an explicit stack: trees may be nested deeper than the call stack allows.
  const stack: [RawTreeNode, number][] = [[root, 1]];
  for (let top = stack.pop(); top; top = stack.pop()) {
    const [node, depth] = top;
    if (depth > MAX_TREE_DEPTH) throw new TreeError(`the tree is nested deeper than ${MAX_TREE_DEPTH} levels (at a ${node.symbol} node): trees may have at most ${MAX_TREE_DEPTH}`, { file });
    const children = snocToArray(node.children as Snoc<string | RawTreeNode> | null);
    node.children = children;
    for (const c of children) if (typeof c !== 'string') stack.push([c, depth + 1]);
  }
  return root as unknown as TreeNode;
}

function run(grammar: nearley.Grammar, text: string, file: string | undefined, error: ErrorClass): unknown {
  const parser = new nearley.Parser(grammar);
  try {
    parser.feed(text);
  } catch (err) {
    const token = (err as { token?: Token }).token;
    if (!token) throw err; // not a syntax error: a bug
    const table = (parser as unknown as EarleyTable).table;
    const found = token.type === 'error' ? `character ${JSON.stringify(token.text[0])}` : describe(token);
    throw new error(`unexpected ${found}; expected ${expected(table[table.length - 2])}`, {
      file,
      line: token.line,
      column: token.col,
    });
  }
  if (parser.results.length === 0) {
    const table = (parser as unknown as EarleyTable).table;
    const lines = text.split('\n');
    throw new error(`unexpected end of input; expected ${expected(table[table.length - 1])}`, {
      file,
      line: lines.length,
      column: lines[lines.length - 1]!.length + 1,
    });
  }
  if (parser.results.length > 1) throw new Error(`ambiguous parse (${parser.results.length} results): grammar bug`);
  return parser.results[0];
}

function describe(token: Token): string {
  const name = tokenNames[token.type ?? ''] ?? token.type ?? 'token';
  if (name.startsWith("'") || token.type === 'nl') return name; // punctuation names itself
  return `${name.replace(/^an? /, '').replace(/ \(.*\)$/, '')} '${token.text}'`;
}

/** The token kinds that some live parse state could have consumed next. */
function expected(column: { states: EarleyState[] } | undefined): string {
  const names = new Set<string>();
  for (const state of column?.states ?? []) {
    const next = state.rule.symbols[state.dot] as { type?: string; literal?: string } | string | undefined;
    if (next && typeof next === 'object') names.add(next.type ? (tokenNames[next.type] ?? next.type) : `'${next.literal}'`);
  }
  if (names.size === 0) return 'no more input';
  const list = [...names].sort();
  return list.length === 1 ? list[0]! : `${list.slice(0, -1).join(', ')} or ${list[list.length - 1]}`;
}
