/**
 * Static checks that every grammar must pass before it is sampled, counted or
 * used to validate trees. Each check is one small pass; the first failure is
 * thrown as a GrammarCheckError pointing at the rule (and, for grammars parsed
 * from text, at its line and column).
 */
import { GrammarCheckError, type SourceLocation } from '../errors.js';
import { minDepths, reachable, undefinedUses } from './analysis.js';
import { alternativeText, NONTERMINAL_NAME, TERMINAL_NAME, type Grammar } from './grammar.js';
import { MAX_TREE_DEPTH } from './tree-types.js';

/** Where a rule, alternative or symbol came from; grammars built in code name the rule instead. */
export type Locator = (head: string, alternative?: number, position?: number) => SourceLocation;

const inCode: Locator = (head, alternative, position) => ({
  path: `rule ${head}${alternative === undefined ? '' : `, alternative ${alternative + 1}`}${position === undefined ? '' : `, symbol ${position + 1}`}`,
});

/** Weights of one rule must sum to 1 within this tolerance (decimal text rounds). */
export const WEIGHT_TOLERANCE = 1e-6;

const checks: ((g: Grammar, at: Locator) => void)[] = [checkNames, checkUndefined, checkDuplicates, checkWeights, checkProductive, checkDepth, checkReachable];

export function checkGrammar(grammar: Grammar, locate: Locator = inCode): void {
  for (const check of checks) check(grammar, locate);
}

function checkNames(g: Grammar, at: Locator): void {
  if (!g.rules.has(g.start)) throw new GrammarCheckError(`start symbol '${g.start}' has no rule`, { path: 'start' });
  for (const [head, alts] of g.rules) {
    if (!NONTERMINAL_NAME.test(head)) throw new GrammarCheckError(`nonterminal '${head}' must start with an upper-case letter`, at(head));
    if (alts.length === 0) throw new GrammarCheckError(`rule ${head} has no alternatives`, at(head));
    alts.forEach((alt, i) => {
      if (alt.symbols.length === 0) throw new GrammarCheckError(`rule ${head}: empty alternative (expected at least one symbol)`, at(head, i));
      alt.symbols.forEach((s, j) => {
        const ok = s.kind === 'terminal' ? TERMINAL_NAME.test(s.name) : NONTERMINAL_NAME.test(s.name);
        if (!ok) throw new GrammarCheckError(`${s.kind} '${s.name}' is not a valid ${s.kind} name`, at(head, i, j));
      });
    });
  }
}

function checkUndefined(g: Grammar, at: Locator): void {
  const [use] = undefinedUses(g);
  if (use) throw new GrammarCheckError(`undefined nonterminal '${use.name}' (no rule '${use.name} -> ...')`, at(use.head, use.alternative, use.position));
}

function checkDuplicates(g: Grammar, at: Locator): void {
  for (const [head, alts] of g.rules) {
    const seen = new Map<string, number>();
    alts.forEach((alt, i) => {
      const key = alt.symbols.map((s) => s.name).join(' ');
      const first = seen.get(key);
      if (first !== undefined)
        throw new GrammarCheckError(`rule ${head}: duplicate alternative '${key}' (same as alternative ${first + 1})`, at(head, i));
      seen.set(key, i);
    });
  }
}

function checkWeights(g: Grammar, at: Locator): void {
  for (const [head, alts] of g.rules) {
    const weighted = alts.filter((a) => a.weight !== undefined).length;
    if (weighted === 0) continue;
    if (weighted < alts.length) {
      const i = alts.findIndex((a) => a.weight === undefined);
      throw new GrammarCheckError(`rule ${head}: alternative '${alternativeText(alts[i]!)}' has no weight; weight all alternatives of a rule or none`, at(head, i));
    }
    let sum = 0;
    alts.forEach((alt, i) => {
      const w = alt.weight!;
      if (!Number.isFinite(w) || w < 0) throw new GrammarCheckError(`rule ${head}: weight ${w} must be a finite number >= 0`, at(head, i));
      sum += w;
    });
    if (Math.abs(sum - 1) > WEIGHT_TOLERANCE)
      throw new GrammarCheckError(`rule ${head}: weights sum to ${sum}, expected a distribution summing to 1`, at(head));
  }
}

function checkProductive(g: Grammar, at: Locator): void {
  for (const [head, d] of minDepths(g))
    if (!Number.isFinite(d)) throw new GrammarCheckError(`nonterminal ${head} is not productive: no alternative derives a string of terminals`, at(head));
}

/** A grammar whose every tree is deeper than trees may be (MAX_TREE_DEPTH) cannot be sampled, stored or compiled. */
function checkDepth(g: Grammar, at: Locator): void {
  const least = minDepths(g).get(g.start)!;
  if (least > MAX_TREE_DEPTH)
    throw new GrammarCheckError(`the shallowest derivation of ${g.start} is ${least} levels deep; trees may have at most ${MAX_TREE_DEPTH} levels`, at(g.start));
}

function checkReachable(g: Grammar, at: Locator): void {
  const seen = reachable(g);
  for (const head of g.rules.keys())
    if (!seen.has(head)) throw new GrammarCheckError(`rule ${head} is unreachable from the start symbol ${g.start}`, at(head));
}
