/**
 * Test helpers: fast-check generators of small well-formed grammars (optionally
 * recursive, optionally weighted) and a brute-force tree enumerator that shares
 * no code with the library's counting or sampling.
 */
import fc from 'fast-check';
import type { Alternative, GSymbol, Grammar } from '../../src/grammar/grammar.js';
import type { TreeNode } from '../../src/grammar/tree-types.js';

const TERMINALS = ['a', 'b', 'c', 'd'];

interface GrammarShape {
  readonly recursive?: boolean;
  readonly weighted?: boolean;
  readonly maxRules?: number;
}

/**
 * Grammars over nonterminals N0..Nk (N0 the start) and terminals a..d. Each rule's
 * first alternative only uses terminals and later nonterminals, so every rule is
 * productive; with `recursive`, other alternatives may also point back. Rules not
 * reachable from N0 are dropped and duplicate alternatives merged.
 */
export function grammarArb({ recursive = false, weighted = false, maxRules = 4 }: GrammarShape = {}): fc.Arbitrary<Grammar> {
  return fc.integer({ min: 1, max: maxRules }).chain((n) => {
    const symbolFor = (i: number, back: boolean) =>
      fc.oneof(
        fc.constantFrom(...TERMINALS).map((name): GSymbol => ({ kind: 'terminal', name })),
        ...(i + 1 < n || back ? [fc.integer({ min: back ? 0 : i + 1, max: n - 1 }).filter((j) => back || j > i).map((j): GSymbol => ({ kind: 'nonterminal', name: `N${j}` }))] : []),
      );
    const rule = (i: number) =>
      fc.tuple(
        fc.array(symbolFor(i, false), { minLength: 1, maxLength: 3 }),
        fc.array(fc.array(symbolFor(i, recursive), { minLength: 1, maxLength: 3 }), { maxLength: 2 }),
        fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 3, maxLength: 3 }),
      );
    return fc.tuple(...Array.from({ length: n }, (_, i) => rule(i))).map((raw) => build(raw, weighted));
  });
}

function build(raw: [GSymbol[], GSymbol[][], number[]][], weighted: boolean): Grammar {
  const rules = new Map<string, Alternative[]>();
  raw.forEach(([first, rest, weights], i) => {
    const seen = new Set<string>();
    const alts = [first, ...rest].filter((symbols) => {
      const key = symbols.map((s) => s.name).join(' ');
      return !seen.has(key) && seen.add(key);
    });
    const total = alts.reduce((sum, _, j) => sum + weights[j]!, 0);
    rules.set(`N${i}`, alts.map((symbols, j) => (weighted ? { symbols, weight: weights[j]! / total } : { symbols })));
  });
  // Keep only what N0 reaches.
  const reach = new Set<string>();
  const stack = ['N0'];
  while (stack.length) {
    const s = stack.pop()!;
    if (reach.has(s)) continue;
    reach.add(s);
    for (const alt of rules.get(s)!) for (const sym of alt.symbols) if (sym.kind === 'nonterminal') stack.push(sym.name);
  }
  return { start: 'N0', rules: new Map([...rules].filter(([head]) => reach.has(head))) };
}

/** Every derivation tree of `symbol` of height <= maxHeight, by exhaustive expansion. */
export function enumerateTrees(grammar: Grammar, symbol: string, maxHeight: number): TreeNode[] {
  if (maxHeight <= 0) return [];
  const out: TreeNode[] = [];
  for (const alt of grammar.rules.get(symbol)!) {
    let partial: TreeNode['children'][] = [[]];
    for (const s of alt.symbols) {
      const options = s.kind === 'terminal' ? [s.name] : enumerateTrees(grammar, s.name, maxHeight - 1);
      partial = partial.flatMap((prefix) => options.map((o) => [...prefix, o]));
    }
    for (const children of partial) out.push({ symbol, children });
  }
  return out;
}
