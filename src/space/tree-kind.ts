/**
 * The derivation-tree kind: an architecture from the U-Net grammar. Sampling, prior
 * log-probability and mutation come from the grammar toolkit (src/grammar, src/tree-sampling);
 * the tree's prior is always the grammar prior centred on nnU-Net's default (the
 * reference scores trees by their prior log-probability under both distributions).
 */
import { ConfigError, HnasError } from '../errors.js';
import { type Grammar, alternativesOf } from '../grammar/grammar.js';
import type { TreeNode } from '../grammar/tree-types.js';
import { treesEqual, validateTree } from '../grammar/tree.js';
import { unetGrammar } from '../grammar/unet.js';
import { mutateTree } from '../tree-sampling/mutate.js';
import { type GrammarPrior, unetPrior } from '../tree-sampling/prior.js';
import { sampleTree, treeLogPrior } from '../tree-sampling/sample.js';
import type { KindOps } from './kind.js';
import type { ParamValue, TreeParam } from './types.js';

interface Resolved {
  grammar: Grammar;
  prior: GrammarPrior;
  uniform: GrammarPrior;
}

const cache = new Map<string, Resolved>();

function resolve(def: TreeParam): Resolved {
  const sMax = def.grammar.sMax ?? 2;
  const confidence = def.confidence ?? 'medium';
  const key = `${def.grammar.nMax}/${sMax}/${confidence}`;
  let r = cache.get(key);
  if (!r) {
    r = {
      grammar: unetGrammar(def.grammar.nMax, sMax),
      prior: unetPrior(def.grammar.nMax, sMax, confidence),
      uniform: unetPrior(def.grammar.nMax, sMax, 'uniform'),
    };
    cache.set(key, r);
  }
  return r;
}

export const treeKind: KindOps<TreeParam> = {
  defaultValue(def) {
    const r = resolve(def);
    return modeTree(r.grammar, r.prior, r.grammar.start);
  },
  checkDef(def, path, file) {
    if (def.grammar?.name !== 'unet') throw new ConfigError(`expected grammar.name 'unet', got ${JSON.stringify(def.grammar?.name)}`, { file, path: `${path}.grammar.name` });
    const { nMax, sMax = 2 } = def.grammar;
    if (!Number.isInteger(nMax) || nMax < 2 || nMax > 12) throw new ConfigError(`expected grammar.nMax an integer in 2..12, got ${nMax}`, { file, path: `${path}.grammar.nMax` });
    if (!Number.isInteger(sMax) || sMax < 1 || sMax > 8) throw new ConfigError(`expected grammar.sMax an integer in 1..8, got ${sMax}`, { file, path: `${path}.grammar.sMax` });
  },
  checkValue(def, value, path, file) {
    if (typeof value !== 'object' || value === null || typeof (value as TreeNode).symbol !== 'string' || !Array.isArray((value as TreeNode).children))
      throw new ConfigError('expected a derivation tree {symbol, children}', { file, path });
    try {
      validateTree(resolve(def).grammar, value as TreeNode);
    } catch (err) {
      if (err instanceof HnasError) throw new ConfigError(`not a tree of the unet grammar (nMax ${def.grammar.nMax}): ${err.message}`, { file, path }, { cause: err });
      throw err;
    }
    return value as TreeNode;
  },
  sample(def, center, rng) {
    const r = resolve(def);
    return sampleTree(r.grammar, center === undefined || def.confidence === 'uniform' ? r.uniform : r.prior, rng);
  },
  logDensity(def, center, value) {
    const r = resolve(def);
    return treeLogPrior(r.grammar, center === undefined || def.confidence === 'uniform' ? r.uniform : r.prior, value as TreeNode);
  },
  mutate(def, value, rng) {
    const r = resolve(def);
    return mutateTree(r.grammar, r.prior, value as TreeNode, rng, {});
  },
  equals: (a: ParamValue, b: ParamValue) => treesEqual(a as TreeNode, b as TreeNode),
};

/** The most probable derivation under the prior, choice by choice: nnU-Net's default architecture. */
function modeTree(grammar: Grammar, prior: GrammarPrior, symbol: string): TreeNode {
  const alts = alternativesOf(grammar, symbol);
  const p = prior.get(symbol);
  let best = 0;
  if (p) for (let i = 1; i < alts.length; i++) if (p[i]! > p[best]!) best = i;
  return {
    symbol,
    children: alts[best]!.symbols.map((s) => (s.kind === 'terminal' ? s.name : modeTree(grammar, prior, s.name))),
  };
}
