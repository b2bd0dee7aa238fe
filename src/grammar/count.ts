/**
 * Exact search-space sizes: the number of derivation trees of a nonterminal,
 * as a BigInt. Non-recursive grammars are counted exactly by memoised
 * sum-of-products; recursive ones (infinitely many trees) only up to a maximum
 * tree depth, by the same recurrence unrolled depth by depth.
 */
import { GrammarCheckError } from '../errors.js';
import { altDepth, minDepths, unboundedSymbols } from './analysis.js';
import { alternativesOf, type Grammar } from './grammar.js';

/**
 * Number of derivation trees of `symbol` (default: the start symbol). With
 * `maxDepth`, counts trees of height <= maxDepth (a node with only terminal
 * children has height 1); without it, the symbol must not be recursive.
 */
export function countDerivations(grammar: Grammar, symbol: string = grammar.start, maxDepth?: number): bigint {
  alternativesOf(grammar, symbol);
  if (maxDepth !== undefined) return countByDepth(grammar, maxDepth).get(symbol) ?? 0n;
  if (unboundedSymbols(grammar).has(symbol))
    throw new GrammarCheckError(`${symbol} is recursive: it has infinitely many derivations; count up to a maximum depth instead`, {
      path: `rule ${symbol}`,
    });
  return countExact(grammar, symbol, new Map());
}

/** Counts of every nonterminal (bounded ones exactly; recursive ones need maxDepth). */
export function countAll(grammar: Grammar, maxDepth?: number): Map<string, bigint> {
  if (maxDepth !== undefined) return countByDepth(grammar, maxDepth);
  const memo = new Map<string, bigint>();
  const unbounded = unboundedSymbols(grammar);
  for (const head of grammar.rules.keys()) if (!unbounded.has(head)) countExact(grammar, head, memo);
  return memo;
}

/** Counts past 10^100000 are refused: BigInt arithmetic on them would take minutes, then fail. */
export const MAX_COUNT_DIGITS = 100_000;
let maxCount: bigint | undefined;

function bounded(value: bigint, symbol: string): bigint {
  maxCount ??= 10n ** BigInt(MAX_COUNT_DIGITS);
  if (value > maxCount) {
    throw new GrammarCheckError(`${symbol} has more than 10^${MAX_COUNT_DIGITS} derivations: too many to count exactly (lower --depth, or count a smaller grammar)`, {
      path: `rule ${symbol}`,
    });
  }
  return value;
}

/** Post-order over the (acyclic) finite alternatives, with an explicit stack: chains of thousands of rules are fine. */
function countExact(grammar: Grammar, symbol: string, memo: Map<string, bigint>): bigint {
  const depth = minDepths(grammar);
  const finiteAlts = (head: string) => alternativesOf(grammar, head).filter((alt) => Number.isFinite(altDepth(alt.symbols, depth)));
  const stack: { head: string; expanded: boolean }[] = [{ head: symbol, expanded: false }];
  while (stack.length > 0) {
    const frame = stack[stack.length - 1]!;
    if (memo.has(frame.head)) {
      stack.pop();
      continue;
    }
    const alts = finiteAlts(frame.head);
    if (!frame.expanded) {
      frame.expanded = true;
      // Alternatives that cannot finish contribute nothing (and may hide cycles).
      for (const alt of alts) for (const s of alt.symbols) if (s.kind === 'nonterminal' && !memo.has(s.name)) stack.push({ head: s.name, expanded: false });
      continue;
    }
    stack.pop();
    let total = 0n;
    for (const alt of alts) {
      let product = 1n;
      for (const s of alt.symbols) if (s.kind === 'nonterminal') product = bounded(product * memo.get(s.name)!, frame.head);
      total = bounded(total + product, frame.head);
    }
    memo.set(frame.head, total);
  }
  return memo.get(symbol)!;
}

function countByDepth(grammar: Grammar, maxDepth: number): Map<string, bigint> {
  if (!Number.isInteger(maxDepth) || maxDepth < 0) throw new RangeError(`maxDepth must be an integer >= 0, got ${maxDepth}`);
  let level = new Map<string, bigint>();
  for (const head of grammar.rules.keys()) level.set(head, 0n);
  for (let d = 1; d <= maxDepth; d++) {
    const next = new Map<string, bigint>();
    for (const [head, alts] of grammar.rules) {
      let total = 0n;
      for (const alt of alts) {
        let product = 1n;
        for (const s of alt.symbols) if (s.kind === 'nonterminal') product = bounded(product * (level.get(s.name) ?? 0n), head);
        total = bounded(total + product, head);
      }
      next.set(head, total);
    }
    level = next;
  }
  return level;
}
