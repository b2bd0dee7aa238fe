/**
 * Static analyses of a grammar, one pass each: which nonterminals are used but
 * not defined, which are reachable from a symbol, how shallow a derivation of each
 * can be (infinite = cannot derive a terminal string), and which can derive
 * unboundedly deep trees (recursion). Results are cached per grammar object.
 */
import type { Grammar } from './grammar.js';

export interface SymbolUse {
  readonly head: string;
  readonly alternative: number;
  readonly position: number;
  readonly name: string;
}

/** Every use of a nonterminal that has no rule, in rule order. */
export function undefinedUses(grammar: Grammar): SymbolUse[] {
  const uses: SymbolUse[] = [];
  for (const [head, alts] of grammar.rules) {
    alts.forEach((alt, alternative) =>
      alt.symbols.forEach((s, position) => {
        if (s.kind === 'nonterminal' && !grammar.rules.has(s.name)) uses.push({ head, alternative, position, name: s.name });
      }),
    );
  }
  return uses;
}

/** Nonterminals reachable from `from` (itself included), through defined rules. */
export function reachable(grammar: Grammar, from: string = grammar.start): Set<string> {
  const seen = new Set<string>();
  const stack = [from];
  while (stack.length > 0) {
    const symbol = stack.pop()!;
    if (seen.has(symbol) || !grammar.rules.has(symbol)) continue;
    seen.add(symbol);
    for (const alt of grammar.rules.get(symbol)!) for (const s of alt.symbols) if (s.kind === 'nonterminal') stack.push(s.name);
  }
  return seen;
}

const minDepthCache = new WeakMap<Grammar, ReadonlyMap<string, number>>();

/**
 * Height of the shallowest derivation tree of each nonterminal (a node whose
 * children are all terminals has height 1). Infinity: the nonterminal is not
 * productive, i.e. derives no terminal string. Bellman-Ford style fixpoint.
 */
export function minDepths(grammar: Grammar): ReadonlyMap<string, number> {
  const cached = minDepthCache.get(grammar);
  if (cached) return cached;
  const depth = new Map<string, number>();
  for (const head of grammar.rules.keys()) depth.set(head, Infinity);
  let changed = true;
  while (changed) {
    changed = false;
    for (const [head, alts] of grammar.rules) {
      for (const alt of alts) {
        const d = altDepth(alt.symbols, depth);
        if (d < depth.get(head)!) {
          depth.set(head, d);
          changed = true;
        }
      }
    }
  }
  minDepthCache.set(grammar, depth);
  return depth;
}

/** 1 + the deepest nonterminal child's depth (Infinity if a child is unknown). */
export function altDepth(symbols: readonly { kind: string; name: string }[], depth: ReadonlyMap<string, number>): number {
  let d = 1;
  for (const s of symbols) if (s.kind === 'nonterminal') d = Math.max(d, 1 + (depth.get(s.name) ?? Infinity));
  return d;
}

const deepestCache = new WeakMap<Grammar, number>();

/**
 * Height of the deepest derivation tree of the start symbol of a non-recursive grammar (over
 * alternatives that can finish), by a fixpoint like minDepths; Infinity for a recursive one.
 */
export function deepestTree(grammar: Grammar): number {
  const cached = deepestCache.get(grammar);
  if (cached !== undefined) return cached;
  let result = Infinity;
  if (!unboundedSymbols(grammar).has(grammar.start)) {
    const least = minDepths(grammar);
    const depth = new Map<string, number>();
    for (const head of grammar.rules.keys()) depth.set(head, 1);
    for (let changed = true; changed; ) {
      changed = false;
      for (const [head, alts] of grammar.rules) {
        if (!Number.isFinite(least.get(head)!) || unboundedSymbols(grammar).has(head)) continue;
        for (const alt of alts) {
          if (!Number.isFinite(altDepth(alt.symbols, least))) continue;
          const d = altDepth(alt.symbols, depth);
          if (d > depth.get(head)!) {
            depth.set(head, d);
            changed = true;
          }
        }
      }
    }
    result = depth.get(grammar.start)!;
  }
  deepestCache.set(grammar, result);
  return result;
}

const recursiveCache = new WeakMap<Grammar, ReadonlySet<string>>();

/**
 * Nonterminals from which arbitrarily deep derivations exist: those that reach
 * a cycle of productive alternatives (an alternative whose symbols are all
 * productive). Tarjan's strongly connected components over that graph.
 */
export function unboundedSymbols(grammar: Grammar): ReadonlySet<string> {
  const cached = recursiveCache.get(grammar);
  if (cached) return cached;
  const depth = minDepths(grammar);
  const edges = new Map<string, string[]>();
  for (const [head, alts] of grammar.rules) {
    const out: string[] = [];
    for (const alt of alts) {
      if (!Number.isFinite(altDepth(alt.symbols, depth))) continue;
      for (const s of alt.symbols) if (s.kind === 'nonterminal') out.push(s.name);
    }
    edges.set(head, out);
  }
  const onCycle = cyclicNodes(edges);
  // Everything that reaches a cyclic node is unbounded too.
  const unbounded = new Set<string>();
  for (const head of edges.keys()) {
    if (!Number.isFinite(depth.get(head)!)) continue;
    const stack = [head];
    const seen = new Set<string>();
    while (stack.length > 0) {
      const s = stack.pop()!;
      if (seen.has(s)) continue;
      seen.add(s);
      if (onCycle.has(s)) {
        unbounded.add(head);
        break;
      }
      stack.push(...(edges.get(s) ?? []));
    }
  }
  recursiveCache.set(grammar, unbounded);
  return unbounded;
}

/** Nodes on some cycle of a directed graph (iterative Tarjan). */
export function cyclicNodes(edges: ReadonlyMap<string, readonly string[]>): Set<string> {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const cyclic = new Set<string>();
  let counter = 0;
  for (const root of edges.keys()) {
    if (index.has(root)) continue;
    const work: [string, number][] = [[root, 0]];
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      const [v, i] = frame;
      if (i === 0) {
        index.set(v, counter);
        low.set(v, counter++);
        stack.push(v);
        onStack.add(v);
      }
      const out = edges.get(v) ?? [];
      if (i < out.length) {
        frame[1] = i + 1;
        const w = out[i]!;
        if (!edges.has(w)) continue;
        if (!index.has(w)) work.push([w, 0]);
        else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1]![0];
        low.set(parent, Math.min(low.get(parent)!, low.get(v)!));
      }
      if (low.get(v) === index.get(v)) {
        const component: string[] = [];
        let w: string;
        do {
          w = stack.pop()!;
          onStack.delete(w);
          component.push(w);
        } while (w !== v);
        if (component.length > 1 || out.includes(v)) for (const c of component) cyclic.add(c);
      }
    }
  }
  return cyclic;
}
