/**
 * The dataset-specific U-Net grammar of Auto-nnU-Net's HNAS space, generated from
 * n_max (the planned number of stages) and s_max (the largest block-count scale):
 *
 *   S    -> unet E{n} D{n}                                for n = floor(n_max/2) .. n_max
 *   E{n} -> conv_encoder ENORM ENONLIN EDROPOUT C1 down C2 ... down C{n}
 *         | res_encoder  ENORM ENONLIN EDROPOUT R1 down R2 ... down R{n}
 *   D{n} -> conv_decoder DNORM DNONLIN DDROPOUT up B1 up B2 ... up B{n-1}
 *   C{k} -> 1 .. 2*s_max conv_block;  R{k} -> 1 .. s_max*d_k res_block (d = ResEnc M's 1,3,4,6,6,...)
 *   B{k} -> 1 .. 2*s_max conv_block   (B1 is the decoder stage next to the bottleneck)
 *
 * Each rule also carries the nnU-Net default its prior is centred on (src/tree-sampling/prior.ts).
 */
import { resEncDefaultBlocks } from '../../compiler/ir/architecture.js';
import { ConfigError } from '../errors.js';
import { nt, t, type Alternative, type GSymbol, type Grammar } from './grammar.js';
import type { GrammarRef } from './tree-types.js';

/** What a rule's alternatives mean for the prior: ordered integers, or unordered categories. */
export type ChoiceKind =
  | { readonly kind: 'integer'; readonly values: readonly number[]; readonly default: number }
  | { readonly kind: 'categorical'; readonly default: number /* index of the default alternative */ };

export interface UnetRule {
  readonly head: string;
  readonly alternatives: readonly Alternative[];
  readonly choice: ChoiceKind;
}

export const NORMS = ['instance_norm', 'batch_norm'] as const;
export const NONLINS = ['leaky_relu', 'relu', 'elu', 'prelu', 'gelu'] as const;
export const DROPOUTS = ['dropout', 'no_dropout'] as const;
export const DEFAULT_S_MAX = 2;
/** Largest n_max / s_max accepted from flags and tree files (the grammar grows exponentially with both). */
export const MAX_STAGES = 12;
export const MAX_SCALE = 8;

/** Smallest stage count of the grammar for n_max. */
export const minStages = (nMax: number): number => Math.floor(nMax / 2);

export function unetRules(nMax: number, sMax: number = DEFAULT_S_MAX): UnetRule[] {
  if (!Number.isInteger(nMax) || nMax < 2) throw new ConfigError(`n_max must be an integer >= 2, got ${nMax}`, { path: 'nMax' });
  if (!Number.isInteger(sMax) || sMax < 1) throw new ConfigError(`s_max must be an integer >= 1, got ${sMax}`, { path: 'sMax' });
  const stages = range(minStages(nMax), nMax);
  const rules: UnetRule[] = [];
  const categorical = (head: string, alternatives: GSymbol[][], defaultIndex = 0) =>
    rules.push({ head, alternatives: alternatives.map((symbols) => ({ symbols })), choice: { kind: 'categorical', default: defaultIndex } });
  const blocks = (head: string, block: string, max: number, byDefault: number) => {
    const values = range(1, max);
    const alternatives = values.map((n) => ({ symbols: Array.from({ length: n }, () => t(block)) }));
    rules.push({ head, alternatives, choice: { kind: 'integer', values, default: byDefault } });
  };

  rules.push({
    head: 'S',
    alternatives: stages.map((n) => ({ symbols: [t('unet'), nt(`E${n}`), nt(`D${n}`)] })),
    choice: { kind: 'integer', values: stages, default: nMax },
  });
  const stagesOf = (n: number, prefix: string, sep: string) => range(1, n).flatMap((k) => (k === 1 ? [nt(`${prefix}1`)] : [t(sep), nt(`${prefix}${k}`)]));
  const encoderHead = [nt('ENORM'), nt('ENONLIN'), nt('EDROPOUT')];
  for (const n of stages)
    categorical(`E${n}`, [
      [t('conv_encoder'), ...encoderHead, ...stagesOf(n, 'C', 'down')],
      [t('res_encoder'), ...encoderHead, ...stagesOf(n, 'R', 'down')],
    ]);
  for (const n of stages)
    categorical(`D${n}`, [[t('conv_decoder'), nt('DNORM'), nt('DNONLIN'), nt('DDROPOUT'), ...range(1, n - 1).flatMap((k) => [t('up'), nt(`B${k}`)])]]);
  for (const side of ['E', 'D']) {
    categorical(`${side}NORM`, NORMS.map((x) => [t(x)]));
    categorical(`${side}NONLIN`, NONLINS.map((x) => [t(x)]));
    categorical(`${side}DROPOUT`, DROPOUTS.map((x) => [t(x)]), DROPOUTS.indexOf('no_dropout'));
  }
  for (const k of range(1, nMax)) blocks(`C${k}`, 'conv_block', 2 * sMax, 2);
  for (const k of range(1, nMax)) {
    const d = resEncDefaultBlocks(k - 1);
    blocks(`R${k}`, 'res_block', sMax * d, d);
  }
  for (const k of range(1, nMax - 1)) blocks(`B${k}`, 'conv_block', 2 * sMax, 2);
  return rules;
}

const cache = new Map<string, Grammar>();

/** The U-Net grammar for n_max stages and scale s_max (cached: the same object for the same arguments). */
export function unetGrammar(nMax: number, sMax: number = DEFAULT_S_MAX): Grammar {
  const key = `${nMax}/${sMax}`;
  let grammar = cache.get(key);
  if (!grammar) {
    grammar = { start: 'S', rules: new Map(unetRules(nMax, sMax).map((r) => [r.head, r.alternatives])) };
    cache.set(key, grammar);
  }
  return grammar;
}

/** The reference a tree file stores for this grammar. */
export const unetRef = (nMax: number, sMax: number = DEFAULT_S_MAX): GrammarRef => ({ name: 'unet', nMax, sMax });

function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);
}
