/**
 * moo lexers for the two nearley languages (grammar-language.ne, tree-string.ne) and
 * the syntax-tree types their postprocessors build. Whitespace and comments are
 * dropped here so the nearley rules only see meaningful tokens.
 */
import moo from 'moo';

export interface Positioned {
  readonly line: number;
  readonly col: number;
}
export interface SymbolAst extends Positioned {
  readonly kind: 'terminal' | 'nonterminal';
  readonly name: string;
}
export interface WeightAst extends Positioned {
  readonly value: number;
}
export interface AltAst extends Positioned {
  readonly symbols: readonly SymbolAst[];
  readonly weight?: WeightAst;
}
export interface RuleAst extends Positioned {
  readonly head: string;
  readonly alts: readonly AltAst[];
}

/**
 * A list cell built by left recursion without copying: `init` holds the items before `last`,
 * `first` the list's first item (for source positions). Parsers keep every intermediate value,
 * so lists are built this way and flattened once, after the parse (`snocToArray`).
 */
export interface Snoc<T> {
  readonly init: Snoc<T> | null;
  readonly last: T;
  readonly first: T;
}
export const snoc = <T>(init: Snoc<T> | null, last: T): Snoc<T> => ({ init, last, first: init ? init.first : last });

export function snocToArray<T>(list: Snoc<T> | null): T[] {
  const out: T[] = [];
  for (let cell = list; cell; cell = cell.init) out.push(cell.last);
  return out.reverse();
}

/** What the parsers return, before its lists are flattened into RuleAst / TreeNode. */
export interface RawAlt extends Positioned {
  readonly symbols: Snoc<SymbolAst>;
  readonly weight?: WeightAst;
}
export interface RawRule extends Positioned {
  readonly head: string;
  readonly alts: Snoc<RawAlt>;
}
export interface RawTreeNode {
  readonly symbol: string;
  children: Snoc<string | RawTreeNode> | null | (string | RawTreeNode)[];
}

/** Display names for token types, used in "expected ..." messages. */
export const tokenNames: Readonly<Record<string, string>> = {
  nl: 'end of line',
  arrow: "'->'",
  bar: "'|'",
  lbracket: "'['",
  rbracket: "']'",
  number: 'a number',
  nonterminal: 'a nonterminal (upper-case name)',
  terminal: 'a terminal (lower-case name)',
  lparen: "'('",
  rparen: "')'",
  name: 'a name',
};

/** Wraps a moo lexer so that the listed token types never reach the parser. */
function skipping(inner: moo.Lexer, skip: ReadonlySet<string>) {
  return {
    reset: (chunk: string, state?: moo.LexerState) => void inner.reset(chunk, state),
    next: (): moo.Token | undefined => {
      let token = inner.next();
      while (token && skip.has(token.type ?? '')) token = inner.next();
      return token;
    },
    save: () => inner.save(),
    formatError: (token: moo.Token, message?: string) => inner.formatError(token, message),
    has: (type: string) => inner.has(type),
  };
}

export const lexer = skipping(
  moo.compile({
    ws: /[ \t\r]+/,
    comment: /#[^\n]*/,
    nl: { match: /\n/, lineBreaks: true },
    arrow: '->',
    bar: '|',
    lbracket: '[',
    rbracket: ']',
    number: /[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?/,
    nonterminal: /[A-Z][A-Za-z0-9_]*/,
    terminal: /[a-z][A-Za-z0-9_]*/,
    error: moo.error,
  }),
  new Set(['ws', 'comment']),
);

export const treeLexer = skipping(
  moo.compile({
    ws: { match: /\s+/, lineBreaks: true },
    lparen: '(',
    rparen: ')',
    name: /[A-Za-z_][A-Za-z0-9_]*/,
    error: moo.error,
  }),
  new Set(['ws']),
);
