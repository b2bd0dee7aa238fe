import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { checkGrammar } from '../../src/grammar/check.js';
import { countDerivations } from '../../src/grammar/count.js';
import { grammarsEqual } from '../../src/grammar/grammar.js';
import { parseGrammar } from '../../src/grammar/parse.js';
import { printGrammar } from '../../src/grammar/print.js';
import { unetGrammar, unetRules } from '../../src/grammar/unet.js';

const rhs = (nMax: number, head: string, sMax = 2) =>
  unetGrammar(nMax, sMax)
    .rules.get(head)!
    .map((a) => a.symbols.map((s) => s.name).join(' '));

describe('U-Net grammar', () => {
  it('has the stage counts floor(n_max/2)..n_max and the reference encoder/decoder rules', () => {
    expect(rhs(5, 'S')).toEqual(['unet E2 D2', 'unet E3 D3', 'unet E4 D4', 'unet E5 D5']);
    expect(rhs(4, 'E3')).toEqual([
      'conv_encoder ENORM ENONLIN EDROPOUT C1 down C2 down C3',
      'res_encoder ENORM ENONLIN EDROPOUT R1 down R2 down R3',
    ]);
    expect(rhs(4, 'D3')).toEqual(['conv_decoder DNORM DNONLIN DDROPOUT up B1 up B2']);
    expect(rhs(3, 'D1')).toEqual(['conv_decoder DNORM DNONLIN DDROPOUT']);
    expect(rhs(4, 'ENORM')).toEqual(['instance_norm', 'batch_norm']);
    expect(rhs(4, 'DNONLIN')).toEqual(['leaky_relu', 'relu', 'elu', 'prelu', 'gelu']);
    expect(rhs(4, 'EDROPOUT')).toEqual(['dropout', 'no_dropout']);
  });

  it('has block counts 1..2*s_max (conv, decoder) and 1..s_max*d_k (residual, d = 1,3,4,6,6,...)', () => {
    for (const sMax of [1, 2, 3]) {
      const g = unetGrammar(7, sMax);
      for (let k = 1; k <= 7; k++) {
        const conv = g.rules.get(`C${k}`)!;
        expect(conv.map((a) => a.symbols.length)).toEqual(Array.from({ length: 2 * sMax }, (_, i) => i + 1));
        expect(conv.every((a) => a.symbols.every((s) => s.name === 'conv_block'))).toBe(true);
        const d = [1, 3, 4, 6, 6, 6, 6][k - 1]!;
        expect(g.rules.get(`R${k}`)!.map((a) => a.symbols.length)).toEqual(Array.from({ length: sMax * d }, (_, i) => i + 1));
      }
      expect(g.rules.has('B6')).toBe(true);
      expect(g.rules.has('B7')).toBe(false);
    }
  });

  it('records nnU-Net defaults for the prior', () => {
    const byHead = new Map(unetRules(6, 2).map((r) => [r.head, r.choice]));
    expect(byHead.get('S')).toEqual({ kind: 'integer', values: [3, 4, 5, 6], default: 6 });
    expect(byHead.get('C3')).toMatchObject({ kind: 'integer', default: 2 });
    expect(byHead.get('R4')).toMatchObject({ kind: 'integer', default: 6 });
    expect(byHead.get('R2')).toMatchObject({ kind: 'integer', default: 3 });
    expect(byHead.get('B1')).toMatchObject({ kind: 'integer', default: 2 });
    expect(byHead.get('E5')).toEqual({ kind: 'categorical', default: 0 });
    expect(byHead.get('DDROPOUT')).toEqual({ kind: 'categorical', default: 1 });
  });

  it('passes the static checks and round-trips through the grammar language for n_max 2..9, s_max 1..3', () => {
    for (let nMax = 2; nMax <= 9; nMax++)
      for (let sMax = 1; sMax <= 3; sMax++) {
        const g = unetGrammar(nMax, sMax);
        checkGrammar(g);
        expect(grammarsEqual(parseGrammar(printGrammar(g)), g)).toBe(true);
      }
  });

  it('has exactly the reference search-space sizes for s_max = 2', () => {
    const reference: [number, bigint][] = [
      [4, 37_113_600n],
      [5, 1_557_548_800n],
      [6, 71_182_950_400n],
      [7, 3_359_517_286_400n],
    ];
    for (const [nMax, size] of reference) expect(countDerivations(unetGrammar(nMax, 2))).toBe(size);
  });

  it('equals the closed form sum_n (2*5*2)^2 * [(2s)^n + prod_k s*d_k] * (2s)^(n-1) for other sizes', () => {
    for (let nMax = 2; nMax <= 9; nMax++)
      for (let sMax = 1; sMax <= 3; sMax++) {
        const s = BigInt(sMax);
        let expected = 0n;
        for (let n = Math.floor(nMax / 2); n <= nMax; n++) {
          let res = 1n;
          for (let k = 1; k <= n; k++) res *= s * BigInt([1, 3, 4][k - 1] ?? 6);
          expected += 400n * ((2n * s) ** BigInt(n) + res) * (2n * s) ** BigInt(n - 1);
        }
        expect(countDerivations(unetGrammar(nMax, sMax))).toBe(expected);
      }
  });

  it('rejects impossible sizes with a ConfigError', () => {
    expect(() => unetGrammar(1)).toThrow(ConfigError);
    expect(() => unetGrammar(4, 0)).toThrow(ConfigError);
    expect(() => unetGrammar(4.5)).toThrow(ConfigError);
  });
});
