/**
 * Grammar language text -> checked Grammar. Rules for the same nonterminal may be
 * split over several `A -> ...` lines; their alternatives are joined in order.
 * The first rule's nonterminal is the start symbol. Syntax: docs/grammar-language.md.
 */
import { readFileSync } from 'node:fs';
import type { RuleAst } from '../../grammar/lexers.js';
import { GrammarSyntaxError } from '../errors.js';
import { checkGrammar, type Locator } from './check.js';
import type { Alternative, Grammar } from './grammar.js';
import { parseGrammarSyntax } from './syntax.js';

/** Parse and check grammar text; errors name `file:line:column`. */
export function parseGrammar(text: string, file?: string): Grammar {
  const ast = parseGrammarSyntax(text, file);
  if (ast.length === 0) throw new GrammarSyntaxError('empty grammar: expected at least one rule `A -> ...`', { file, line: 1, column: 1 });
  const rules = new Map<string, Alternative[]>();
  const sources = new Map<string, { rule: RuleAst; alts: RuleAst['alts'][number][] }>();
  for (const rule of ast) {
    const alts = rules.get(rule.head) ?? [];
    const source = sources.get(rule.head) ?? { rule, alts: [] };
    for (const alt of rule.alts) {
      alts.push({
        symbols: alt.symbols.map((s) => ({ kind: s.kind, name: s.name })),
        ...(alt.weight ? { weight: alt.weight.value } : {}),
      });
      source.alts.push(alt);
    }
    rules.set(rule.head, alts);
    sources.set(rule.head, source);
  }
  const grammar: Grammar = { start: ast[0]!.head, rules };
  const locate: Locator = (head, alternative, position) => {
    const source = sources.get(head);
    const alt = alternative === undefined ? undefined : source?.alts[alternative];
    const at = (position !== undefined ? alt?.symbols[position] : undefined) ?? alt ?? source?.rule;
    return { file, line: at?.line, column: at?.col };
  };
  checkGrammar(grammar, locate);
  return grammar;
}

/** Read and parse a grammar file. */
export function readGrammarFile(path: string): Grammar {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new GrammarSyntaxError(`cannot read grammar file: ${(err as Error).message}`, { file: path }, { cause: err });
  }
  return parseGrammar(text, path);
}

