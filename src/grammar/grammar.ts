/**
 * Context-free grammars as plain data. A grammar maps each nonterminal to its
 * alternatives; an alternative is a sequence of symbols with an optional weight
 * (a probability, when the grammar text gives one). The start symbol's rule comes
 * first. Grammars are immutable once built; analyses cache on the object.
 */

export interface GSymbol {
  readonly kind: 'terminal' | 'nonterminal';
  readonly name: string;
}

export interface Alternative {
  readonly symbols: readonly GSymbol[];
  readonly weight?: number;
}

export interface Grammar {
  readonly start: string;
  readonly rules: ReadonlyMap<string, readonly Alternative[]>;
}

/** Names: nonterminals start upper-case, terminals lower-case (the grammar language's rule). */
export const NONTERMINAL_NAME = /^[A-Z][A-Za-z0-9_]*$/;
export const TERMINAL_NAME = /^[a-z][A-Za-z0-9_]*$/;

export const t = (name: string): GSymbol => ({ kind: 'terminal', name });
export const nt = (name: string): GSymbol => ({ kind: 'nonterminal', name });

/** The rule of `symbol`, or a plain Error (a bug) when the grammar has none. */
export function alternativesOf(grammar: Grammar, symbol: string): readonly Alternative[] {
  const alts = grammar.rules.get(symbol);
  if (!alts) throw new Error(`grammar has no rule for '${symbol}'`);
  return alts;
}

/** `a b C` (with ` [w]` when weighted): the text of one alternative. */
export function alternativeText(alt: Alternative): string {
  const body = alt.symbols.map((s) => s.name).join(' ');
  return alt.weight === undefined ? body : `${body} [${alt.weight}]`;
}

/** Same start, same rules in the same order, same alternatives and weights. */
export function grammarsEqual(a: Grammar, b: Grammar): boolean {
  if (a.start !== b.start || a.rules.size !== b.rules.size) return false;
  const aRules = [...a.rules];
  const bRules = [...b.rules];
  return aRules.every(([head, alts], i) => {
    const [bHead, bAlts] = bRules[i]!;
    return (
      head === bHead &&
      alts.length === bAlts.length &&
      alts.every(
        (alt, j) =>
          alt.weight === bAlts[j]!.weight &&
          alt.symbols.length === bAlts[j]!.symbols.length &&
          alt.symbols.every((s, k) => s.kind === bAlts[j]!.symbols[k]!.kind && s.name === bAlts[j]!.symbols[k]!.name),
      )
    );
  });
}
